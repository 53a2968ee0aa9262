"""In-memory search indexes shared by every store implementation (pure, no I/O)."""
from __future__ import annotations

from typing import Iterable, Optional

from app.models import Household
from app.text import digits_only, search_key
from storage.repository import Area


def household_keys(h: Household) -> tuple[str, str]:
    """(name key, phone digits) under which a household is found."""
    names = search_key(h.head_name) + ("\n" + search_key(h.head_name_latin) if h.head_name_latin else "")
    phone = h.phone or ""
    # Both +855 12 345 678 and 012 345 678 must find it: keep the national form too.
    national = "0" + phone[4:] if phone.startswith("+855") else ""
    return names, digits_only(phone) + "\n" + national


class HouseholdIndex:
    """id -> (name key, phone digits, village code, sort key); substring search by scanning.

    A scan over 50,000 short strings takes a few milliseconds in CPython, which beats the
    upkeep of an n-gram index on every save.
    """

    def __init__(self) -> None:
        self._rows: dict[str, tuple[str, str, str, str]] = {}

    def put(self, h: Household) -> None:
        names, phones = household_keys(h)
        self._rows[h.id] = (names, phones, h.village_code, search_key(h.head_name))

    def remove(self, record_id: str) -> None:
        self._rows.pop(record_id, None)

    def search(self, text: str, *, area_code: str = "", limit: int = 50) -> list[str]:
        key = search_key(text)
        digits = digits_only(text)
        # Treat the text as a phone number only when it looks like one (mostly digits).
        as_phone = len(digits) >= 3 and len(digits) >= len(key.replace(" ", "").replace("-", "").replace("+", "")) - 1
        hits = []
        for rid, (names, phones, village, sort) in self._rows.items():
            if area_code and not village.startswith(area_code):
                continue
            if not key or key in names or (as_phone and digits in phones):
                hits.append((sort, rid))
        hits.sort()
        return [rid for _, rid in hits[:limit]]

    def in_area(self, area_code: str) -> list[str]:
        return [rid for rid, row in self._rows.items() if row[2].startswith(area_code)]

    def village_codes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, _, village, _ in self._rows.values():
            counts[village] = counts.get(village, 0) + 1
        return counts


class AreaIndex:
    """The gazetteer in memory: by code, by parent, and village name keys for type-to-filter."""

    def __init__(self, areas: Iterable[Area] = ()) -> None:
        self.by_code: dict[str, Area] = {}
        self.by_parent: dict[Optional[str], list[Area]] = {}
        self._village_keys: list[tuple[str, Area]] = []
        for area in areas:
            self.by_code[area.code] = area
            self.by_parent.setdefault(area.parent_code or None, []).append(area)
            if area.level == "village":
                self._village_keys.append((search_key(area.name_en) + "\n" + search_key(area.name_km), area))
        for children in self.by_parent.values():
            children.sort(key=lambda a: a.code)
        self._village_keys.sort(key=lambda row: row[1].code)

    def search_villages(self, text: str, *, within: str = "", limit: int = 50) -> list[Area]:
        key = search_key(text)
        code = digits_only(text) if key.isdigit() else ""
        out: list[Area] = []
        for names, area in self._village_keys:
            if within and not area.code.startswith(within):
                continue
            if not key or key in names or (code and area.code.startswith(code)):
                out.append(area)
                if len(out) >= limit:
                    break
        return out
