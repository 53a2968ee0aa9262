"""The repositories over tables of JSON documents, shared by MemoryStore and TinyStore.

A store is named tables (dict: key -> JSON document) behind a ``Tables`` source that also
makes a list of operations durable (``commit``). TinyStore's source is a JournalStorage (a
TinyDB storage: journal + fsync); MemoryStore's just applies the operations. So the fake and
the real store answer every query with the same code and differ only in what reaches a disk.
Records are always read back through their model: what a caller gets went through the same
to_doc/from_doc round trip in both.

(Over 300 lines on purpose: one small class per repository, each a few lines, kept beside
the DocStore that owns their tables and the one commit they share.)
"""
from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from operator import itemgetter
from typing import Any, Callable, ClassVar, Iterable, Optional, Protocol

from records.meetings import Meeting
from records.models import Concern, ConcernCategory, ConcernStatus, Household, Record, SyncState, Visit, utcnow
from storage.journal import Op, apply_ops
from storage.followup_index import FollowupFacts, FollowupIndex, FollowupPage, Key
from storage.migrations import MIGRATIONS, Migration, applied_names, run_migrations
from storage.repository import (
    Area,
    AreaRepository,
    ConcernRepository,
    ConflictCopy,
    ConflictRepository,
    DraftRepository,
    REPAIR_PENDING_KEY,
    GazetteerInfo,
    HouseholdRepository,
    MeetingRepository,
    MetaRepository,
    RecordRepository,
    RecoveryReport,
    Store,
    SyncCopy,
    VisitRepository,
)
from storage.search import AreaIndex, HouseholdIndex

Clock = Callable[[], datetime]


class Tables(Protocol):
    def table(self, name: str) -> dict[str, Any]:
        """The live dict of a table (key -> document)."""

    def commit(self, ops: list[Op]) -> None:
        """Apply ``ops`` as one atomic step (durably, for a real store)."""


class MemoryTables:
    """Tables that live only in memory."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {}

    def table(self, name: str) -> dict[str, Any]:
        return self.tables.setdefault(name, {})

    def commit(self, ops: list[Op]) -> None:
        # Same JSON round trip as the journal, so the fake rejects what the disk would.
        apply_ops(self.tables, json.loads(json.dumps(ops)))


class _Grouping:
    """Which records share a value of one field (a visit's household, a concern's visit...)."""

    def __init__(self) -> None:
        self._value_of: dict[str, Any] = {}
        self._members: dict[Any, set[str]] = {}

    def put(self, record_id: str, value: Any) -> None:
        old = self._value_of.get(record_id)
        if old == value and record_id in self._value_of:
            return
        if record_id in self._value_of:
            self._members[old].discard(record_id)
        self._value_of[record_id] = value
        self._members.setdefault(value, set()).add(record_id)

    def ids(self, value: Any) -> set[str]:
        return self._members.get(value, set()).copy()  # a copy: another thread may be saving

    def counts(self) -> dict[Any, int]:
        return {value: len(ids) for value, ids in list(self._members.items()) if ids}


class DocRecords(RecordRepository):
    """A record type over its table; subclasses keep their secondary indexes in ``_index``."""

    table: ClassVar[str]

    def __init__(self, tables: Tables) -> None:
        self._tables = tables
        for record_id, doc in list(self.docs.items()):
            self._index(record_id, doc)

    @property
    def docs(self) -> dict[str, Any]:
        """The live table (looked up each time: a migration may have replaced it)."""
        return self._tables.table(self.table)

    def _index(self, record_id: str, doc: dict[str, Any]) -> None:
        """Called after a document was stored (and for each one when the store opens)."""

    def find(self, record_id: str):
        doc = self.docs.get(record_id)
        return None if doc is None else self.model.from_doc(doc)

    def all(self) -> list:
        return [self.model.from_doc(d) for d in list(self.docs.values())]

    def count(self) -> int:
        return len(self.docs)

    def stored_fields(self, *names: str, ids: Optional[Iterable[str]] = None) -> list[tuple]:
        docs = self.docs
        chosen = list(docs.values()) if ids is None else [docs[i] for i in ids if i in docs]
        pick = itemgetter(*names)  # C speed: a report reads 100,000s of these
        try:
            return [pick(d) for d in chosen] if len(names) > 1 else [(pick(d),) for d in chosen]
        except KeyError:  # a document from before a field existed
            return [tuple(d.get(n) for n in names) for d in chosen]

    def ids_in_state(self, *states: SyncState) -> list[str]:
        wanted = {SyncState(s).value for s in states}
        return [i for i, d in list(self.docs.items()) if d["sync_state"] in wanted]

    def state_counts(self) -> dict[SyncState, int]:
        counted = Counter(d["sync_state"] for d in list(self.docs.values()))  # one pass, not one per state
        return {state: counted.get(state.value, 0) for state in SyncState}

    def _records(self, ids: Iterable[str]) -> list:
        docs = self.docs
        return [self.model.from_doc(docs[i]) for i in ids if i in docs]


class DocHouseholds(DocRecords, HouseholdRepository):
    table = "households"

    def __init__(self, tables: Tables) -> None:
        self.index = HouseholdIndex()
        super().__init__(tables)

    def _index(self, record_id: str, doc: dict[str, Any]) -> None:
        self.index.put(record_id, doc)

    def search(self, text: str, *, area_code: str = "", limit: int = 50) -> list[Household]:
        return self._records(self.index.search(text, area_code=area_code, limit=limit))

    def count_matching(self, text: str, *, area_code: str = "") -> int:
        return self.index.count(text, area_code=area_code)

    def likely_duplicates(self, village_code: str, names: list[str], phone: str) -> list[Household]:
        return self._records(self.index.likely_duplicates(village_code, names, phone))

    def in_area(self, area_code: str) -> list[Household]:
        return self._records(self.index.in_area(area_code))

    def ids_in_area(self, area_code: str) -> list[str]:
        return self.index.in_area(area_code)

    def village_codes_in_use(self) -> dict[str, int]:
        return self.index.village_codes()


class DocVisits(DocRecords, VisitRepository):
    table = "visits"

    def __init__(self, tables: Tables) -> None:
        self._by_household = _Grouping()
        super().__init__(tables)

    def _index(self, record_id: str, doc: dict[str, Any]) -> None:
        self._by_household.put(record_id, doc["household_id"])

    def for_household(self, household_id: str) -> list[Visit]:
        visits = self._records(self._by_household.ids(household_id))
        return sorted(visits, key=lambda v: (v.visited_on, v.created_at), reverse=True)


class DocConcerns(DocRecords, ConcernRepository):
    table = "concerns"

    def __init__(self, tables: Tables) -> None:
        self._by_household = _Grouping()
        self._by_visit = _Grouping()
        self._by_meeting = _Grouping()
        self._unresolved = _Grouping()  # household id, or None once resolved
        self._followup = FollowupIndex()
        super().__init__(tables)

    def _index(self, record_id: str, doc: dict[str, Any]) -> None:
        self._by_household.put(record_id, doc["household_id"])
        self._by_visit.put(record_id, doc["visit_id"])
        self._by_meeting.put(record_id, doc.get("meeting_id"))
        resolved = doc["status"] == ConcernStatus.resolved.value
        self._unresolved.put(record_id, None if resolved else doc["household_id"])
        self._followup.put(record_id, doc)

    def followup_facts(self) -> list[FollowupFacts]:
        return list(self._followup.facts.values())

    def followup(self, today: int, soon: int, *, keys: tuple[Key, ...] = (),
                 household_ids: Optional[Iterable[str]] = None, limit: int = 50) -> FollowupPage:
        ids = None
        if household_ids is not None:
            ids = [i for h in household_ids for i in self._by_household.ids(h)]
        return self._followup.query(today, soon, keys=keys, ids=ids, limit=limit)

    def followup_keys(self, kind: str) -> list[str]:
        return self._followup.keys(kind)

    def escalated_ids(self, household_ids: Optional[Iterable[str]] = None) -> list[str]:
        if household_ids is None:
            return list(self._followup.escalated)
        return [i for h in household_ids for i in self._by_household.ids(h) if i in self._followup.escalated]

    def for_household(self, household_id: str) -> list[Concern]:
        return _newest_first(self._records(self._by_household.ids(household_id)))

    def for_visit(self, visit_id: str) -> list[Concern]:
        return _newest_first(self._records(self._by_visit.ids(visit_id)))

    def ids_for_visits(self, visit_ids: Iterable[str]) -> list[str]:
        members = self._by_visit._members
        return [i for v in visit_ids if (found := members.get(v)) for i in list(found)]

    def visit_of_concerns(self, visit_ids: Iterable[Optional[str]]) -> list[tuple[str, Optional[str]]]:
        members = self._by_visit._members
        return [(i, v) for v in visit_ids if (found := members.get(v)) for i in list(found)]

    def ids_for_meetings(self, meeting_ids: Iterable[str]) -> list[str]:
        members = self._by_meeting._members
        return [i for m in meeting_ids if (found := members.get(m)) for i in list(found)]

    def followup_facts_of(self, ids: Iterable[str]) -> list[FollowupFacts]:
        facts, ids = self._followup.facts, list(ids)
        try:
            return list(map(facts.__getitem__, ids))  # C speed: the report reads 100,000s of these
        except KeyError:  # one removed meanwhile
            return [f for i in ids if (f := facts.get(i)) is not None]

    def filtered(
        self,
        *,
        statuses: Iterable[ConcernStatus] = (),
        categories: Iterable[ConcernCategory] = (),
        household_ids: Optional[set[str]] = None,
        meeting_ids: Optional[set[str]] = None,
    ) -> list[Concern]:
        st = {ConcernStatus(s).value for s in statuses}
        cat = {ConcernCategory(c).value for c in categories}
        docs = self.docs
        if household_ids is None and meeting_ids is None:
            candidates: Iterable[str] = list(docs)
        else:
            candidates = {i for h in household_ids or () for i in self._by_household.ids(h)}
            candidates |= {i for m in meeting_ids or () for i in self._by_meeting.ids(m)}
        ids = [
            i for i in candidates
            if (d := docs.get(i)) is not None and (not st or d["status"] in st) and (not cat or d["category"] in cat)
        ]
        return _newest_first(self._records(ids))

    def open_counts(self) -> dict[str, int]:
        counts = self._unresolved.counts()
        counts.pop(None, None)
        return counts

    def for_meeting(self, meeting_id: str) -> list[Concern]:
        return _newest_first(self._records(self._by_meeting.ids(meeting_id)))


class DocMeetings(DocRecords, MeetingRepository):
    table = "meetings"

    def __init__(self, tables: Tables) -> None:
        self._by_month = _Grouping()  # "YYYY-MM" of the planned day: a quarter's schedule reads three
        super().__init__(tables)

    def _index(self, record_id: str, doc: dict[str, Any]) -> None:
        self._by_month.put(record_id, doc["planned_on"][:7])

    def planned_between(self, first: date, last: date, *, area_code: str = "") -> list[Meeting]:
        months, day = [], first.replace(day=1)
        while day <= last:
            months.append(day.isoformat()[:7])
            day = (day + timedelta(days=32)).replace(day=1)
        lo, hi, docs = first.isoformat(), last.isoformat(), self.docs
        ids = [i for month in months for i in self._by_month.ids(month)
               if (d := docs.get(i)) is not None and lo <= d["planned_on"] <= hi
               and d["area_code"].startswith(area_code)]
        return sorted(self._records(ids), key=lambda m: (m.planned_on, m.planned_time or time.min, m.title))

    def latest_in(self, area_code: str, *, before: Optional[date] = None) -> Optional[Meeting]:
        limit = before.isoformat() if before else "9999"
        docs = [d for d in list(self.docs.values()) if d["area_code"] == area_code and d["planned_on"] < limit]
        if not docs:
            return None
        return Meeting.from_doc(max(docs, key=lambda d: (d["planned_on"], d["created_at"])))


def _newest_first(concerns: list[Concern]) -> list[Concern]:
    return sorted(concerns, key=lambda c: c.created_at, reverse=True)


class DocAreas(AreaRepository):
    """The gazetteer: table "areas" (code -> area) and "gazetteer" (key "info")."""

    def __init__(self, tables: Tables, clock: Clock) -> None:
        self._tables = tables
        self._clock = clock
        self._index: Optional[AreaIndex] = None  # built on first use: opening stays fast

    def _areas(self) -> AreaIndex:
        if self._index is None:
            self._index = AreaIndex(Area(**doc) for doc in self._tables.table("areas").values())
        return self._index

    def replace_all(self, areas: Iterable[Area], *, source: str, version: str) -> GazetteerInfo:
        docs: dict[str, dict[str, Any]] = {}
        counts: dict[str, int] = {}
        for a in areas:
            docs[a.code] = {"code": a.code, "level": a.level, "parent_code": a.parent_code or None,
                            "name_en": a.name_en, "name_km": a.name_km}
        for doc in docs.values():
            counts[doc["level"]] = counts.get(doc["level"], 0) + 1
        info = GazetteerInfo(source=source, version=version, loaded_at=self._clock(), counts=counts)
        self._tables.commit([
            ["replace", "areas", docs],
            ["put", "gazetteer", "info", {"source": source, "version": version,
                                          "loaded_at": info.loaded_at.isoformat(), "counts": counts}],
        ])
        self._index = None
        return info

    def get(self, code: str) -> Optional[Area]:
        doc = self._tables.table("areas").get(code)
        return None if doc is None else Area(**doc)

    def children(self, parent_code: Optional[str]) -> list[Area]:
        return list(self._areas().by_parent.get(parent_code or None, []))

    def search_villages(self, text: str, *, within: str = "", limit: int = 50) -> list[Area]:
        return self._areas().search_villages(text, within=within, limit=limit)

    def info(self) -> Optional[GazetteerInfo]:
        doc = self._tables.table("gazetteer").get("info")
        if doc is None:
            return None
        return GazetteerInfo(source=doc["source"], version=doc["version"],
                             loaded_at=datetime.fromisoformat(doc["loaded_at"]), counts=dict(doc["counts"]))

    def count(self) -> int:
        return len(self._tables.table("areas"))


class DocMeta(MetaRepository):
    table = "meta"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def get(self, key: str, default: Any = None) -> Any:
        doc = self._tables.table(self.table).get(key)
        return copy.deepcopy(default) if doc is None else copy.deepcopy(doc["value"])

    def set(self, key: str, value: Any) -> None:
        self._tables.commit([["put", self.table, key, {"value": value}]])


class DocDrafts(DraftRepository):
    table = "drafts"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def put(self, key: str, draft: dict[str, Any]) -> None:
        self._tables.commit([["put", self.table, key, {"value": draft}]])

    def find(self, key: str) -> Optional[dict[str, Any]]:
        doc = self._tables.table(self.table).get(key)
        return None if doc is None else copy.deepcopy(doc["value"])

    def remove(self, key: str) -> None:
        if key in self._tables.table(self.table):
            self._tables.commit([["del", self.table, key]])

    def keys(self) -> list[str]:
        return sorted(self._tables.table(self.table))


class DocConflicts(ConflictRepository):
    table = "conflicts"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def put(self, copy_: ConflictCopy) -> None:
        self._tables.commit([["put", self.table, copy_.record_id, {
            "record_type": copy_.record_type, "record_id": copy_.record_id, "server_data": copy_.server_data,
            "server_rev": copy_.server_rev, "detected_at": copy_.detected_at.isoformat()}]])

    def find(self, record_id: str) -> Optional[ConflictCopy]:
        doc = self._tables.table(self.table).get(record_id)
        return None if doc is None else _conflict(doc)

    def remove(self, record_id: str) -> None:
        if record_id in self._tables.table(self.table):
            self._tables.commit([["del", self.table, record_id]])

    def all(self) -> list[ConflictCopy]:
        return [_conflict(d) for d in list(self._tables.table(self.table).values())]


def _conflict(doc: dict[str, Any]) -> ConflictCopy:
    return ConflictCopy(record_type=doc["record_type"], record_id=doc["record_id"],
                        server_data=copy.deepcopy(doc["server_data"]), server_rev=doc["server_rev"],
                        detected_at=datetime.fromisoformat(doc["detected_at"]))


class DocStore(Store):
    """Everything a Store is, over two table sources: the officials' records and, apart from
    them, the reference data (the gazetteer), so that loading one never slows the other."""

    def __init__(
        self,
        records: Tables,
        reference: Tables,
        *,
        migrations: Iterable[Migration] = MIGRATIONS,
        clock: Clock = utcnow,
        recovery: Optional[RecoveryReport] = None,
    ) -> None:
        super().__init__()
        self._records = records
        self.clock = clock
        self.recovery = recovery or RecoveryReport()
        self.recovery.messages += run_migrations(records, list(migrations), clock)
        self.households = DocHouseholds(records)
        self.visits = DocVisits(records)
        self.concerns = DocConcerns(records)
        self.meetings = DocMeetings(records)
        self.meta = DocMeta(records)
        self.conflicts = DocConflicts(records)
        self.drafts = DocDrafts(records)
        self.areas = DocAreas(reference, clock)
        if self.recovery.had_damage:  # durably: a kill before the next sync must not forget it
            self.meta.set(REPAIR_PENDING_KEY, {"damaged_files": list(self.recovery.damaged_files),
                                               "records_recovered": self.recovery.records_recovered,
                                               "at": clock().isoformat()})

    def save(self, *records: Record) -> None:
        """All ``records`` in one atomic commit; the indexes follow once it is done."""
        stored = [(self.repository_for(r), r.id, r.to_doc()) for r in records]
        self._records.commit([["put", repo.table, record_id, doc] for repo, record_id, doc in stored])
        for repo, record_id, _ in stored:
            repo._index(record_id, repo.docs[record_id])  # the latest, should two threads save at once

    def sync_copies(self, entries: Iterable[tuple[str, str]]) -> list[Optional[SyncCopy]]:
        out: list[Optional[SyncCopy]] = []
        for kind, record_id in entries:
            doc = self.repository_for(kind).docs.get(record_id)
            out.append(None if doc is None else SyncCopy(
                kind, record_id, doc["rev"], SyncState(doc["sync_state"]), doc["server_rev"],
                copy.deepcopy(doc["sync_error"]),
                {k: v for k, v in doc.items() if k not in Record.LOCAL_FIELDS}))
        return out

    def save_sync(self, *copies: SyncCopy) -> None:
        """One atomic commit of whole documents (the journal's unit), changed only in their sync
        fields. No index follows: none is built on those fields (ids_in_state reads the documents)."""
        ops: list[Op] = []
        for c in copies:
            repo = self.repository_for(c.kind)
            doc = repo.docs.get(c.id)
            if doc is None or doc["rev"] != c.rev:
                continue
            ops.append(["put", repo.table, c.id, {**doc, "sync_state": SyncState(c.sync_state).value,
                                                  "server_rev": c.server_rev,
                                                  "sync_error": copy.deepcopy(c.sync_error)}])
        self._records.commit(ops)

    def applied_migrations(self) -> list[str]:
        return applied_names(self._records)
