"""In-memory search indexes shared by every store implementation (pure, no I/O)."""
from __future__ import annotations

import bisect
import heapq
from typing import Any, Iterable, Iterator, Mapping, Optional

from records.text import digits_only, search_key, to_ascii_digits
from storage.repository import Area


def _stored_key(text: str) -> str:
    # Stored names are already clean (the model's validators): only case and digits remain.
    return to_ascii_digits(text).casefold()


def household_keys(doc: Mapping[str, Any]) -> tuple[str, str]:
    """(name key, phone digits) under which a household (its stored document) is found."""
    latin = doc.get("head_name_latin")
    names = _stored_key(doc["head_name"]) + ("\n" + _stored_key(latin) if latin else "")
    phone = doc.get("phone") or ""  # E.164 or nothing
    # Both +855 12 345 678 and 012 345 678 must find it: keep the national form too.
    national = "0" + phone[4:] if phone.startswith("+855") else ""
    return names, phone[1:] + "\n" + national


def _compact(name: str) -> str:
    """A name as duplicates are compared: case-folded, ASCII digits, no spaces at all."""
    return "".join(search_key(name).split())


class _Haystack:
    """Many short texts joined into one string, so that finding a substring in all of them is
    one ``str.find`` scan in C rather than a Python loop over the rows."""

    def __init__(self, ids: list[str], texts: list[str]) -> None:
        self.ids = ids
        self.starts: list[int] = []
        pos = 0
        for text in texts:
            self.starts.append(pos)
            pos += len(text) + 1
        self.text = "\x00".join(texts)

    def rows_containing(self, needle: str) -> Iterator[str]:
        find, starts, end = self.text.find, self.starts, len(self.text)
        pos = find(needle)
        while pos != -1:
            i = bisect.bisect_right(starts, pos) - 1
            yield self.ids[i]
            pos = find(needle, starts[i + 1] if i + 1 < len(starts) else end)


class HouseholdIndex:
    """Name keys, phone digits and village of every household, for search and area lists.

    Substring search runs over two haystacks (names, phones) whose rows are in name order, so
    a search stops after ``limit`` matches however common the name is. Households saved since
    the haystacks were built are kept in ``_fresh`` and scanned in Python (their rows in the
    haystacks are skipped as stale); the haystacks are rebuilt, lazily, once ``_fresh`` grows.
    """

    rebuild_after = 500  # fresh rows (or 1/20 of all rows, if more) before the haystacks are rebuilt

    def __init__(self) -> None:
        self._rows: dict[str, tuple[str, str, str, str]] = {}  # id -> (names, phones, village, sort key)
        self._by_village: dict[str, set[str]] = {}
        self._haystacks: Optional[tuple[_Haystack, _Haystack]] = None
        self._fresh: dict[str, tuple[str, str, str, str]] = {}

    def put(self, record_id: str, doc: Mapping[str, Any]) -> None:
        names, phones = household_keys(doc)
        old = self._rows.get(record_id)
        if old is not None:
            self._by_village[old[2]].discard(record_id)
        row = (names, phones, doc["village_code"], names.partition("\n")[0])
        self._rows[record_id] = row
        self._by_village.setdefault(row[2], set()).add(record_id)
        if self._haystacks is not None:
            self._fresh[record_id] = row
            if len(self._fresh) > max(self.rebuild_after, len(self._rows) // 20):
                self._haystacks = None

    def _search_in(self) -> tuple[_Haystack, _Haystack, dict[str, tuple[str, str, str, str]]]:
        haystacks, fresh = self._haystacks, self._fresh
        if haystacks is None:
            self._fresh = fresh = {}
            ids = sorted(list(self._rows), key=lambda i: (self._rows[i][3], i))  # list(): saves may run meanwhile
            rows = [self._rows[i] for i in ids]
            haystacks = self._haystacks = (_Haystack(ids, [r[0] for r in rows]), _Haystack(ids, [r[1] for r in rows]))
        return haystacks[0], haystacks[1], fresh

    def search(self, text: str, *, area_code: str = "", limit: int = 50) -> list[str]:
        key = search_key(text)
        digits = digits_only(text)
        # Treat the text as a phone number only when it looks like one (mostly digits).
        as_phone = len(digits) >= 3 and len(digits) >= len(key.replace(" ", "").replace("-", "").replace("+", "")) - 1
        rows = self._rows
        if not key and area_code:
            hits = [(rows[rid][3], rid) for rid in self.in_area(area_code)]
            return [rid for _, rid in heapq.nsmallest(limit, hits)]
        names, phones, fresh = self._search_in()
        streams = [iter(names.ids) if not key else names.rows_containing(key)]
        if as_phone:
            streams.append(phones.rows_containing(digits))
        found: set[str] = set()
        for stream in streams:  # each stream is in name order: the first ``limit`` of each suffice
            taken = 0
            for rid in stream:
                if taken >= limit:
                    break
                if rid in fresh or rid not in rows or (area_code and not rows[rid][2].startswith(area_code)):
                    continue
                found.add(rid)
                taken += 1
        for rid, row in list(fresh.items()):
            if (not area_code or row[2].startswith(area_code)) and (
                not key or key in row[0] or (as_phone and digits in row[1])
            ):
                found.add(rid)
        return [rid for _, rid in heapq.nsmallest(limit, ((rows[rid][3], rid) for rid in found))]

    def count(self, text: str, *, area_code: str = "") -> int:
        """How many households ``search`` would find without a limit (the list's "N found")."""
        if not search_key(text):
            return len(self._rows) if not area_code else len(self.in_area(area_code))
        return len(self.search(text, area_code=area_code, limit=len(self._rows) or 1))

    def likely_duplicates(self, village_code: str, names: Iterable[str], phone: str) -> list[str]:
        """Ids in ``village_code`` with the same phone, or a name equal to one of ``names`` in either
        script's field, ignoring case, spaces and Khmer/ASCII digits. Reads one village's rows only."""
        wanted = {_compact(n) for n in names if _compact(n)}
        digits = digits_only(phone)
        national = "0" + digits[3:] if digits.startswith("855") else digits
        out = []
        for rid in sorted(self._by_village.get(village_code, set()).copy()):
            row = self._rows.get(rid)
            if row is None:
                continue
            same_name = any(_compact(n) in wanted for n in row[0].split("\n"))
            same_phone = any(len(p) >= 6 and p in row[1].split("\n") for p in (digits, national))
            if same_name or same_phone:
                out.append(rid)
        return out

    def in_area(self, area_code: str) -> list[str]:
        return [rid for village, ids in list(self._by_village.items()) if village.startswith(area_code)
                for rid in ids.copy()]

    def village_codes(self) -> dict[str, int]:
        return {village: len(ids) for village, ids in list(self._by_village.items()) if ids}


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
