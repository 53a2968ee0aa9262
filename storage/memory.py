"""MemoryStore: the in-memory fake of the store, for tests of services, sync and views.

It keeps records as JSON documents (like the real store) so that what a test reads back
went through the same to_doc/from_doc round trip.
"""
from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Optional

from app.models import Concern, ConcernCategory, ConcernStatus, Household, Record, SyncState, Visit
from storage.repository import (
    Area,
    AreaRepository,
    ConcernRepository,
    ConflictCopy,
    ConflictRepository,
    GazetteerInfo,
    HouseholdRepository,
    MetaRepository,
    RecoveryReport,
    Store,
    VisitRepository,
)
from storage.search import AreaIndex, HouseholdIndex


class _Docs:
    """id -> JSON document of one record type, with the model to rebuild it."""

    def __init__(self, model: type[Record]):
        self.model = model
        self.docs: dict[str, dict[str, Any]] = {}

    def find(self, record_id: str):
        doc = self.docs.get(record_id)
        return None if doc is None else self.model.from_doc(doc)

    def all(self) -> list:
        return [self.model.from_doc(d) for d in self.docs.values()]

    def ids_in_state(self, *states: SyncState) -> list[str]:
        wanted = {SyncState(s).value for s in states}
        return [i for i, d in self.docs.items() if d["sync_state"] in wanted]

    def where(self, keep: Callable[[dict[str, Any]], bool]) -> list:
        return [self.model.from_doc(d) for d in self.docs.values() if keep(d)]


class MemoryHouseholds(HouseholdRepository):
    def __init__(self) -> None:
        self._docs = _Docs(Household)
        self.index = HouseholdIndex()

    def put(self, record: Household) -> None:
        self._docs.docs[record.id] = record.to_doc()
        self.index.put(record)

    def find(self, record_id: str) -> Optional[Household]:
        return self._docs.find(record_id)

    def all(self) -> list[Household]:
        return self._docs.all()

    def count(self) -> int:
        return len(self._docs.docs)

    def ids_in_state(self, *states: SyncState) -> list[str]:
        return self._docs.ids_in_state(*states)

    def search(self, text: str, *, area_code: str = "", limit: int = 50) -> list[Household]:
        return [self.get(i) for i in self.index.search(text, area_code=area_code, limit=limit)]

    def in_area(self, area_code: str) -> list[Household]:
        return [self.get(i) for i in self.index.in_area(area_code)]

    def village_codes_in_use(self) -> dict[str, int]:
        return self.index.village_codes()


class MemoryVisits(VisitRepository):
    def __init__(self) -> None:
        self._docs = _Docs(Visit)

    def put(self, record: Visit) -> None:
        self._docs.docs[record.id] = record.to_doc()

    def find(self, record_id: str) -> Optional[Visit]:
        return self._docs.find(record_id)

    def all(self) -> list[Visit]:
        return self._docs.all()

    def count(self) -> int:
        return len(self._docs.docs)

    def ids_in_state(self, *states: SyncState) -> list[str]:
        return self._docs.ids_in_state(*states)

    def for_household(self, household_id: str) -> list[Visit]:
        visits = self._docs.where(lambda d: d["household_id"] == household_id)
        return sorted(visits, key=lambda v: (v.visited_on, v.created_at), reverse=True)


class MemoryConcerns(ConcernRepository):
    def __init__(self) -> None:
        self._docs = _Docs(Concern)

    def put(self, record: Concern) -> None:
        self._docs.docs[record.id] = record.to_doc()

    def find(self, record_id: str) -> Optional[Concern]:
        return self._docs.find(record_id)

    def all(self) -> list[Concern]:
        return self._docs.all()

    def count(self) -> int:
        return len(self._docs.docs)

    def ids_in_state(self, *states: SyncState) -> list[str]:
        return self._docs.ids_in_state(*states)

    def for_household(self, household_id: str) -> list[Concern]:
        return _newest_first(self._docs.where(lambda d: d["household_id"] == household_id))

    def for_visit(self, visit_id: str) -> list[Concern]:
        return _newest_first(self._docs.where(lambda d: d["visit_id"] == visit_id))

    def filtered(
        self,
        *,
        statuses: Iterable[ConcernStatus] = (),
        categories: Iterable[ConcernCategory] = (),
        household_ids: Optional[set[str]] = None,
    ) -> list[Concern]:
        st = {ConcernStatus(s).value for s in statuses}
        cat = {ConcernCategory(c).value for c in categories}
        return _newest_first(
            self._docs.where(
                lambda d: (not st or d["status"] in st)
                and (not cat or d["category"] in cat)
                and (household_ids is None or d["household_id"] in household_ids)
            )
        )

    def open_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for d in self._docs.docs.values():
            if d["status"] != ConcernStatus.resolved.value:
                counts[d["household_id"]] = counts.get(d["household_id"], 0) + 1
        return counts


def _newest_first(concerns: list[Concern]) -> list[Concern]:
    return sorted(concerns, key=lambda c: c.created_at, reverse=True)


class MemoryAreas(AreaRepository):
    def __init__(self) -> None:
        self._index = AreaIndex()
        self._info: Optional[GazetteerInfo] = None

    def replace_all(self, areas: Iterable[Area], *, source: str, version: str) -> GazetteerInfo:
        self._index = AreaIndex(areas)
        counts: dict[str, int] = {}
        for a in self._index.by_code.values():
            counts[a.level] = counts.get(a.level, 0) + 1
        self._info = GazetteerInfo(source=source, version=version, loaded_at=datetime.now(timezone.utc),
                                   counts=counts)
        return self._info

    def get(self, code: str) -> Optional[Area]:
        return self._index.by_code.get(code)

    def children(self, parent_code: Optional[str]) -> list[Area]:
        return list(self._index.by_parent.get(parent_code or None, []))

    def search_villages(self, text: str, *, within: str = "", limit: int = 50) -> list[Area]:
        return self._index.search_villages(text, within=within, limit=limit)

    def info(self) -> Optional[GazetteerInfo]:
        return self._info

    def count(self) -> int:
        return len(self._index.by_code)


class MemoryMeta(MetaRepository):
    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self._values.get(key, default))

    def set(self, key: str, value: Any) -> None:
        self._values[key] = copy.deepcopy(value)


class MemoryConflicts(ConflictRepository):
    def __init__(self) -> None:
        self._copies: dict[str, ConflictCopy] = {}

    def put(self, copy_: ConflictCopy) -> None:
        self._copies[copy_.record_id] = copy_

    def find(self, record_id: str) -> Optional[ConflictCopy]:
        return self._copies.get(record_id)

    def remove(self, record_id: str) -> None:
        self._copies.pop(record_id, None)

    def all(self) -> list[ConflictCopy]:
        return list(self._copies.values())


class MemoryStore(Store):
    def __init__(self) -> None:
        self.households = MemoryHouseholds()
        self.visits = MemoryVisits()
        self.concerns = MemoryConcerns()
        self.areas = MemoryAreas()
        self.meta = MemoryMeta()
        self.conflicts = MemoryConflicts()
        self.recovery = RecoveryReport()

    def save(self, *records: Record) -> None:
        for record in records:
            self.repository_for(record).put(record)  # type: ignore[attr-defined]

    def applied_migrations(self) -> list[str]:
        return []
