"""Reference data served to devices: the gazetteer (areas) and the concern categories."""
from __future__ import annotations

import json
import threading
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.catalog import load_catalog
from records.models import ConcernCategory
from server.db import Database
from server.tables import Area, Gazetteer

def categories() -> list[dict]:
    """The concern categories, named as the app names them (one catalogue: assets/i18n)."""
    en, km = load_catalog("en"), load_catalog("km")
    return [{"code": c.value, "name_en": en[f"category.{c.value}"], "name_km": km[f"category.{c.value}"]}
            for c in ConcernCategory]


def _current(session: Session) -> Optional[Gazetteer]:
    return session.execute(select(Gazetteer).where(Gazetteer.current.is_(True))
                           .order_by(Gazetteer.id.desc()).limit(1)).scalars().first()


class VillageCodes:
    """The village codes of the current gazetteer, cached per version (the admin CLI may load a new one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: Optional[str] = None
        self._codes: Optional[frozenset[str]] = None

    def current(self, session: Session) -> Optional[frozenset[str]]:
        """None when no gazetteer is loaded (then any 8-digit code is taken)."""
        # Asked on every push: only the version, on the connection (no ORM object to build).
        version = session.connection().execute(
            select(Gazetteer.version).where(Gazetteer.current.is_(True)).order_by(Gazetteer.id.desc()).limit(1)
        ).scalar()
        if version is None:
            return None
        with self._lock:
            if self._version != version:
                self._codes = frozenset(session.execute(select(Area.code).where(Area.level == "village")).scalars())
                self._version = version
            return self._codes


class AreasCache:
    """The areas answer as JSON text, built once per gazetteer version (16k rows)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Optional[tuple[str, str]] = None
        self._body: str = ""

    def body(self, db: Database, known_version: Optional[str]) -> str:
        with db.session() as s:
            gazetteer = _current(s)
            if gazetteer is None:
                return json.dumps({"version": "", "source": "", "changed": known_version not in (None, ""),
                                   "areas": []})
            if known_version == gazetteer.version:
                return json.dumps({"version": gazetteer.version, "source": gazetteer.source, "changed": False,
                                   "areas": []}, ensure_ascii=False)
            with self._lock:
                if self._key != (gazetteer.version, gazetteer.source):
                    rows = s.execute(select(Area.code, Area.level, Area.parent_code, Area.name_en, Area.name_km)
                                     .order_by(Area.code)).all()
                    self._body = json.dumps({
                        "version": gazetteer.version, "source": gazetteer.source, "changed": True,
                        "areas": [{"code": r.code, "level": r.level, "parent_code": r.parent_code,
                                   "name_en": r.name_en, "name_km": r.name_km} for r in rows],
                    }, ensure_ascii=False, separators=(",", ":"))
                    self._key = (gazetteer.version, gazetteer.source)
                return self._body
