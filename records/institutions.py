"""Institutions a concern can be referred to: reference data like the gazetteer.

Ministries, provincial departments, district and commune administrations, One Window Service
offices and partners, each with Khmer and English names, where it works (an area code, "" for
the whole country) and the concern categories it usually handles. The server holds the list
(seeded from ``institutions_seed.csv`` beside this module, extended by its administrator);
devices pull it and ship the same seed, so a referral can name one offline before any sync.
One checker (``check_row``) for the seed, the administrator's CSV and what a device pulls.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

from records.areas import is_code, level_of
from records.text import clean_text

SEED_CSV = Path(__file__).with_name("institutions_seed.csv")
CSV_COLUMNS = ["id", "kind", "area_code", "categories", "name_en", "name_km"]
KINDS: tuple[str, ...] = ("ministry", "agency", "provincial_administration", "provincial_department",
                          "district_administration", "one_window", "commune_administration", "ngo")
MAX_NAME = 200
_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,47}")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class InstitutionError(ValueError):
    """A row that is not a usable institution; the message names the row and the rule."""


@dataclass(frozen=True)
class Institution:
    id: str
    kind: str
    area_code: str  # "" = the whole country; else a province (2), district (4) or commune (6) code
    categories: tuple[str, ...]
    name_en: str
    name_km: str

    @property
    def level(self) -> str:
        """national, province, district or commune: the level of the area it works in."""
        return level_of(self.area_code) if self.area_code else "national"

    def name(self, lang: str) -> str:
        return (self.name_km if lang == "km" else self.name_en) or self.name_en or self.name_km

    def handles(self, category: str) -> bool:
        return category in self.categories

    def works_in(self, code: str) -> bool:
        """Does it serve ``code`` (a village or area): nationwide, or its area contains it."""
        return code.startswith(self.area_code)

    def wire(self) -> dict[str, Any]:
        out = asdict(self)
        out["categories"] = list(self.categories)
        out["level"] = self.level
        return out


def _categories() -> frozenset[str]:
    from records.models import ConcernCategory  # records.models does not import this module

    return frozenset(c.value for c in ConcernCategory)


def _name(value: Any, what: str) -> str:
    text = clean_text(str(value or ""))
    if _CONTROLS.search(text):
        raise InstitutionError(f"{what} has control characters")
    if len(text) > MAX_NAME:
        raise InstitutionError(f"{what} is longer than {MAX_NAME} characters")
    return text


def is_institution_id(text: str) -> bool:
    return bool(_ID.fullmatch(text))


def check_row(row: dict[str, Any]) -> Institution:
    """One institution from a CSV row or a pulled object; InstitutionError says what is wrong."""
    ident = str(row.get("id") or "").strip()
    if not _ID.fullmatch(ident):
        raise InstitutionError(f"id {ident!r}: 2-48 lower-case letters, digits or dashes")
    kind = str(row.get("kind") or "").strip()
    if kind not in KINDS:
        raise InstitutionError(f"{ident}: kind {kind!r} is not one of {', '.join(KINDS)}")
    area = str(row.get("area_code") or "").strip()
    if area and not (is_code(area) and len(area) <= 6):
        raise InstitutionError(f"{ident}: area_code {area!r} is not a province, district or commune code")
    raw = row.get("categories") or ""
    codes = raw.split() if isinstance(raw, str) else [str(c) for c in raw]
    unknown = sorted(set(codes) - _categories())
    if unknown:
        raise InstitutionError(f"{ident}: unknown categories {', '.join(unknown)}")
    name_en, name_km = _name(row.get("name_en"), f"{ident}: name_en"), _name(row.get("name_km"), f"{ident}: name_km")
    if not name_en or not name_km:
        raise InstitutionError(f"{ident}: both name_en and name_km are needed")
    return Institution(ident, kind, area, tuple(dict.fromkeys(codes)), name_en, name_km)


def read_csv_text(text: str, where: str = "csv") -> list[Institution]:
    """Institutions of a CSV (columns id,kind,area_code,categories,name_en,name_km; categories space-separated)."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or [h.strip() for h in reader.fieldnames][:len(CSV_COLUMNS)] != CSV_COLUMNS:
        raise InstitutionError(f"{where}: header must be {','.join(CSV_COLUMNS)}")
    out: list[Institution] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        try:
            institution = check_row(row)
        except InstitutionError as exc:
            raise InstitutionError(f"{where}:{line}: {exc}") from None
        if institution.id in seen:
            raise InstitutionError(f"{where}:{line}: id {institution.id} appears twice")
        seen.add(institution.id)
        out.append(institution)
    return out


def version_of(institutions: Iterable[Institution]) -> str:
    """A version that changes exactly when the list does (devices compare it before pulling)."""
    rows = sorted((i.wire() for i in institutions), key=lambda r: r["id"])
    return "inst-" + hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def seed() -> tuple[Institution, ...]:
    """The list that ships with Phum (server and devices alike)."""
    return tuple(read_csv_text(SEED_CSV.read_text(encoding="utf-8"), SEED_CSV.name))


SEED_SOURCE = "Phum seed list"


@lru_cache(maxsize=1)
def seed_version() -> str:
    return version_of(seed())


def for_referral(institutions: Iterable[Institution], category: str, village_code: str,
                 lang: str = "en") -> list[Institution]:
    """The referral picker's order: those handling ``category`` where the concern is first (closest
    level first), then the others that work there, then the rest; by name within each group."""
    def rank(i: Institution) -> tuple:
        here = i.works_in(village_code)
        group = 0 if (here and i.handles(category)) else 1 if here else 2
        return (group, -len(i.area_code), i.name(lang))

    return sorted(institutions, key=rank)


def find(institutions: Iterable[Institution], institution_id: Optional[str]) -> Optional[Institution]:
    return next((i for i in institutions if i.id == institution_id), None) if institution_id else None
