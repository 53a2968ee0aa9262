"""The follow-up reference data on the server: institutions and due-date rules, read, loaded, served.

Until an administrator loads institutions the server serves the seed list that ships with
Phum; the first load starts from that seed and adds or replaces rows by id (an institution
is never removed: concerns already referred to it keep naming it). Due-date rules override
the defaults of records/followup.py per category and priority.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from records.followup import DueDays, check_override
from records.institutions import (SEED_SOURCE, Institution, InstitutionError, check_row, read_csv_text, seed,
                                  version_of)
from server.db import Database
from server.tables import Area, DueDaysRow, InstitutionRow, ReferenceSet

INSTITUTIONS = "institutions"


def _rows(session: Session) -> list[Institution]:
    return [check_row({"id": r.id, "kind": r.kind, "area_code": r.area_code, "categories": r.categories,
                       "name_en": r.name_en, "name_km": r.name_km})
            for r in session.execute(select(InstitutionRow).order_by(InstitutionRow.id)).scalars()]


def current(session: Session) -> tuple[str, str, list[Institution]]:
    """(version, source, institutions) the server serves: the loaded list, or the seed."""
    loaded = session.get(ReferenceSet, INSTITUTIONS)
    if loaded is None:
        return version_of(seed()), SEED_SOURCE, list(seed())
    return loaded.version, loaded.source, _rows(session)


def read_csv(path: Path) -> list[Institution]:
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InstitutionError(f"{path}: not UTF-8 ({exc})") from None
    return read_csv_text(text, str(path))


def load(db: Database, institutions: list[Institution], source: str) -> dict:
    """Add or replace ``institutions`` by id (the seed first if nothing was loaded yet)."""
    with db.session() as s:
        if s.execute(select(Area.code).limit(1)).first() is not None:  # a gazetteer is loaded: areas must exist
            codes = {i.area_code for i in institutions if i.area_code}
            known = set(s.execute(select(Area.code).where(Area.code.in_(codes))).scalars()) if codes else set()
            unknown = sorted(codes - known)
            if unknown:
                raise InstitutionError(f"area codes not in the server's gazetteer: {', '.join(unknown[:20])}")
        start = s.get(ReferenceSet, INSTITUTIONS) is None
        by_id = {i.id: i for i in (seed() if start else _rows(s))}
        added = sum(1 for i in institutions if i.id not in by_id)
        by_id.update({i.id: i for i in institutions})
        s.execute(delete(InstitutionRow))
        s.add_all(InstitutionRow(id=i.id, kind=i.kind, area_code=i.area_code, categories=" ".join(i.categories),
                                 name_en=i.name_en, name_km=i.name_km) for i in by_id.values())
        version = version_of(by_id.values())
        s.merge(ReferenceSet(name=INSTITUTIONS, version=version, source=source[:200]))
    return {"version": version, "source": source, "count": len(by_id), "added": added,
            "replaced": len(institutions) - added}


def due_days(session: Session) -> DueDays:
    return DueDays({(r.category, r.priority): r.days for r in session.execute(select(DueDaysRow)).scalars()})


def set_due_days(db: Database, category: str, priority: str, days: Optional[int]) -> DueDays:
    """Override the due days of one category and priority; ``days`` None goes back to the default."""
    if days is None:
        category, priority, _ = check_override(category, priority, 1)
    else:
        category, priority, days = check_override(category, priority, days)
    with db.session() as s:
        row = s.get(DueDaysRow, (category, priority))
        if days is None:
            if row is not None:
                s.delete(row)
        elif row is None:
            s.add(DueDaysRow(category=category, priority=priority, days=days))
        else:
            row.days = days
    with db.session() as s:
        return due_days(s)


class InstitutionIds:
    """The ids a referral may name (the loaded list, or the seed), cached per version for every push."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: Optional[str] = None
        self._ids: frozenset[str] = frozenset()

    def current(self, session: Session) -> frozenset[str]:
        version = session.connection().execute(
            select(ReferenceSet.version).where(ReferenceSet.name == INSTITUTIONS)).scalar()
        with self._lock:
            if version is None:
                return frozenset(i.id for i in seed())
            if self._version != version:
                self._ids = frozenset(session.execute(select(InstitutionRow.id)).scalars())
                self._version = version
            return self._ids


class InstitutionsCache:
    """The institutions answer as JSON text, built once per version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: Optional[str] = None
        self._body = ""

    def body(self, db: Database, known_version: Optional[str]) -> str:
        with db.session() as s:
            loaded = s.get(ReferenceSet, INSTITUTIONS)
            version = loaded.version if loaded else version_of(seed())
            source = loaded.source if loaded else SEED_SOURCE
            if known_version == version:
                return json.dumps({"version": version, "source": source, "changed": False, "institutions": []},
                                  ensure_ascii=False)
            with self._lock:
                if self._version != version:
                    _, _, rows = current(s)
                    self._body = json.dumps({"version": version, "source": source, "changed": True,
                                             "institutions": [i.wire() for i in rows]},
                                            ensure_ascii=False, separators=(",", ":"))
                    self._version = version
                return self._body


def due_days_answer(db: Database, known_version: Optional[str]) -> dict:
    with db.session() as s:
        table = due_days(s)
    return {**table.wire(), "changed": known_version != table.version}
