"""Push: a batch of records in, one answer per record; nothing lost, nothing stored twice.

The rules (docs/sync-protocol.md "Push") live in server/push_rules.py, pure; this module
reads the facts they need (households, then visits, then concerns), and writes the verdicts.

Writing: each record's decision is made first and its rows are queued. The queue is
written in one savepoint with executemany (fast: one statement per table). Should the
database refuse any row, that savepoint is rolled back and every record is written again
in its own savepoint, so only the refused record (and records that needed it) is rejected.

Concurrency (docs/server.md "How changes are numbered"): batches run in parallel on
PostgreSQL. Each record is validated and encoded before the transaction opens; inside it the
rows the batch names are read FOR UPDATE, in id order, so two batches touching one record
decide one after the other on what the first wrote. Two batches creating the same new id at
once cannot both insert it: the loser finds the row there after its insert fails, and its
whole batch is decided again (as after a deadlock), now seeing that row.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any, Optional

from sqlalchemy import bindparam, select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from records.areas import parents
from records.ids import canonical_id
from records.models import Record, utcnow
from server.auth import Actor
from server.db import Database, SerialSession
from server.push_rules import Answer, Caller, Facts, Prepared, Rejected, Stored, Verdict, decide, prepare
from server.institutions import InstitutionIds
from server.reference import VillageCodes
from server.schemas import PushRecord
from server.tables import (
    AREA_LEVELS, AuditEntry, ConflictRevision, MeetingInvite, RecordRow, area_columns, report_columns,
)

TYPE_ORDER = {"household": 0, "visit": 1, "meeting": 2, "concern": 3}
_PARENTS = {"household": (), "visit": ("household_id",), "meeting": (),
            "concern": ("household_id", "visit_id", "meeting_id")}

_RECORDS = RecordRow.__table__
_INSERT_RECORD = _RECORDS.insert()
_UPDATE_RECORD = _RECORDS.update().where(_RECORDS.c.id == bindparam("b_id")).values(
    {c.name: bindparam(f"b_{c.name}") for c in _RECORDS.c if c.name != "id"})
_MOVE_CHILD = _RECORDS.update().where(_RECORDS.c.id == bindparam("b_id")).values(
    village_code=bindparam("b_village_code"), seq=bindparam("b_seq"),
    **{f"{level}_code": bindparam(f"b_{level}_code") for level in AREA_LEVELS})
# A visit's new day reaches the report columns of the concerns raised at it.
_CONCERN_DAYS = _RECORDS.update().where(_RECORDS.c.visit_id == bindparam("b_visit_id"),
                                        _RECORDS.c.type == "concern").values(visited_on=bindparam("b_day"))
# So does a meeting's new day (held, postponed) reach the concerns raised at it without a visit.
_MEETING_CONCERN_DAYS = _RECORDS.update().where(
    _RECORDS.c.meeting_id == bindparam("b_meeting_id"), _RECORDS.c.type == "concern",
    _RECORDS.c.visit_id.is_(None)).values(visited_on=bindparam("b_day"))
_INSERT_AUDIT = AuditEntry.__table__.insert()
_INSERT_CONFLICT = ConflictRevision.__table__.insert()
_RETRIES = 5  # a batch decided again after losing a race for a new id or a deadlock; more is a real fault
_RETRY_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
_INVITES = MeetingInvite.__table__
_DELETE_INVITES = _INVITES.delete().where(_INVITES.c.record_id == bindparam("b_record_id"))
_INSERT_INVITE = _INVITES.insert()
# Without the record's JSON: only a conflict answer and a concern's status check need it (read then).
_COLUMNS = (RecordRow.id, RecordRow.type, RecordRow.village_code, RecordRow.household_id, RecordRow.server_rev,
            RecordRow.rev, RecordRow.base_rev, RecordRow.device_id, RecordRow.content_hash)


class _Raced(Exception):
    """Another batch committed a record this one took for new: decide the batch again."""


@dataclass
class _Queued:
    """The rows one record's answer depends on, and the records it needs."""

    index: int
    record_id: str
    needs: tuple[str, ...]
    rows: list[tuple[Any, dict]] = field(default_factory=list)


def _result(item: PushRecord, status: str, *, server_rev: Optional[int] = None, code: Optional[str] = None,
            field: Optional[str] = None, reason: Optional[str] = None, current: Optional[dict] = None) -> dict:
    return {"id": item.id, "type": item.type, "status": status, "server_rev": server_rev, "code": code,
            "reason": reason, "field": field, "current": current}


class _Batch:
    def __init__(self, tx: SerialSession, actor: Actor, villages: Optional[frozenset[str]],
                 institutions: Optional[frozenset[str]] = None):
        self.tx = tx
        self.institutions = institutions
        self.c = tx.session.connection()  # Core on the session's connection: statements compile once
        # The device is the one the token was signed in on: a body cannot name another (server/api.py).
        self.actor, self.device_id, self.villages = actor, actor.device_id, villages
        self.caller = Caller(actor.role, actor.area_code, actor.device_id)
        self.now: datetime = utcnow()
        self.cache: dict[str, Optional[Stored]] = {}
        self.queue: list[_Queued] = []
        self.accepted_now: dict[tuple[str, str], int] = {}  # (id, content hash) -> server rev, this batch
        self.conflicts_now: set[tuple[str, str]] = set()
        self.visit_days: dict[str, Any] = {}  # visit or meeting id -> its day, for its concerns' report columns

    # ------------------------------------------------------------ lookups

    def prefetch(self, items: list[PushRecord]) -> None:
        ids: set[str] = set()
        for item in items:
            for value in (item.id, item.data.get("household_id"), item.data.get("visit_id"),
                          item.data.get("meeting_id")):
                norm = None if value is None else canonical_id(value)
                if norm:
                    ids.add(norm)
        found: dict[str, Optional[Stored]] = {i: None for i in ids}
        id_list = sorted(ids)
        for start in range(0, len(id_list), 500):
            # Locked in id order (SQLite: the whole database already is): concurrent batches never interleave a record.
            query = (select(*_COLUMNS).where(RecordRow.id.in_(id_list[start:start + 500])).order_by(RecordRow.id)
                     .with_for_update())
            for row in self.c.execute(query):
                found[row.id] = Stored(*row)
        self.cache.update(found)

    def get(self, record_id: str) -> Optional[Stored]:
        if record_id not in self.cache:
            row = self.c.execute(select(*_COLUMNS).where(RecordRow.id == record_id)).first()
            self.cache[record_id] = Stored(*row) if row else None
        return self.cache[record_id]

    def visit_day(self, visit_id: Optional[str]):
        """The day of a stored visit or meeting (its ``visited_on`` column)."""
        if visit_id is None:
            return None
        if visit_id not in self.visit_days:
            self.visit_days[visit_id] = self.c.execute(
                select(RecordRow.visited_on).where(RecordRow.id == visit_id)).scalar()
        return self.visit_days[visit_id]

    def data(self, stored: Stored) -> dict:
        """The stored record's JSON, read when first needed."""
        if stored.data is None:
            text = self.c.execute(select(RecordRow.data).where(RecordRow.id == stored.id)).scalar_one()
            stored = self.cache[stored.id] = stored._replace(data=text)
        return json.loads(stored.data)

    # ------------------------------------------------------------ decisions

    def decide(self, index: int, item: PushRecord, prepared: Prepared) -> dict:
        try:
            if prepared.rejected is not None:
                raise prepared.rejected
            return self._decide(index, item, prepared)
        except Rejected as r:
            return _result(item, "rejected", code=r.code, field=r.field, reason=r.reason)

    def _decide(self, index: int, item: PushRecord, prepared: Prepared) -> dict:
        model, text, digest = prepared.model, prepared.text, prepared.digest
        assert model is not None
        existing = self.get(model.id)
        facts = Facts(
            item=item, model=model, digest=digest, caller=self.caller, existing=existing,
            household=self._parent(model, "household_id"), visit=self._parent(model, "visit_id"),
            meeting=self._parent(model, "meeting_id"), gazetteer=self.villages,
            institutions=self.institutions if getattr(model, "institution_id", None) else None,
            accepted_before=lambda: self._accepted_before(model.id, digest),
            status_before=lambda: self.data(existing).get("status"),
            stored_data=lambda: self.data(existing) if existing is not None else None)
        verdict = decide(facts)
        if verdict.answer is Answer.accepted:
            return self._accept(index, item, model, text, digest, verdict.village_code, verdict.household_id,
                                existing)
        if verdict.answer is Answer.conflict:
            return self._conflict(index, item, model, text, digest, existing, verdict)
        return _result(item, verdict.answer.value, server_rev=verdict.server_rev, code=verdict.code,
                       field=verdict.field, reason=verdict.reason)

    def _parent(self, model: Record, name: str) -> Optional[Stored]:
        """The stored row a record names in ``name`` (household_id, visit_id, meeting_id), if it names one."""
        if model.kind == "household" or name not in _PARENTS[model.kind]:
            return None
        value = getattr(model, name, None)
        return self.get(value) if value else None

    def _accepted_before(self, record_id: str, digest: str) -> Optional[int]:
        """The server rev an earlier accepted version with this content got, if any."""
        if (record_id, digest) in self.accepted_now:
            return self.accepted_now[(record_id, digest)]
        return self.c.execute(select(AuditEntry.server_rev).where(
            AuditEntry.record_id == record_id, AuditEntry.content_hash == digest,
            AuditEntry.action.in_(("push", "status"))).order_by(AuditEntry.id).limit(1)).scalar()

    # ------------------------------------------------------------ queued writes

    def _needs(self, model: Record) -> tuple[str, ...]:
        return tuple(getattr(model, name) for name in _PARENTS[model.kind])

    def _accept(self, index: int, item: PushRecord, model: Record, text: str, digest: str, village: str,
                household_id: str, existing: Optional[Stored]) -> dict:
        seq = self.tx.next_seq()
        server_rev = 1 if existing is None else existing.server_rev + 1
        values = dict(type=item.type, village_code=village, **area_columns(village), household_id=household_id,
                      server_rev=server_rev,
                      rev=model.rev, base_rev=item.base_rev, device_id=self.device_id, content_hash=digest,
                      data=text, updated_at=self.now, seq=seq,
                      **report_columns(model, self._report_day(model)))
        queued = _Queued(index, model.id, self._needs(model))
        if existing is None:
            queued.rows.append((_INSERT_RECORD, {"id": model.id, **values}))
        else:
            queued.rows.append((_UPDATE_RECORD, {"b_id": model.id, **{f"b_{k}": v for k, v in values.items()}}))
        queued.rows.append((_INSERT_AUDIT, self._audit("push", item.type, model.id, model.rev, server_rev, digest,
                                                       seq)))
        if existing is not None and existing.type == "household" and existing.village_code != village:
            queued.rows += self._move_children(model.id, village)
        if model.kind == "meeting":
            queued.rows += _invite_rows(model.id, model.invited_areas)
        if model.kind == "visit":
            self.visit_days[model.id] = model.visited_on
            if existing is not None:
                queued.rows.append((_CONCERN_DAYS, {"b_visit_id": model.id, "b_day": model.visited_on}))
        if model.kind == "meeting":
            self.visit_days[model.id] = model.effective_on
            if existing is not None:
                queued.rows.append((_MEETING_CONCERN_DAYS, {"b_meeting_id": model.id, "b_day": model.effective_on}))
        self.queue.append(queued)
        self.accepted_now[(model.id, digest)] = server_rev
        self.cache[model.id] = Stored(model.id, item.type, village, household_id, server_rev, model.rev,
                                      item.base_rev, self.device_id, digest, text)
        return _result(item, "accepted", server_rev=server_rev)

    def _report_day(self, model: Record):
        """The day a concern counts on in the report: its visit's, else its meeting's (report_columns)."""
        if model.kind != "concern":
            return None
        return self.visit_day(model.visit_id) if model.visit_id else self.visit_day(model.meeting_id)

    def _move_children(self, household_id: str, village: str) -> list[tuple[Any, dict]]:
        """A household that moved takes its visits and concerns along; they are pulled again where it went."""
        rows = []
        children = self.c.execute(select(RecordRow.id).where(RecordRow.household_id == household_id,
                                                             RecordRow.type != "household")).scalars().all()
        for child_id in children:
            rows.append((_MOVE_CHILD, {"b_id": child_id, "b_village_code": village, "b_seq": self.tx.next_seq(),
                                       **{f"b_{k}": v for k, v in area_columns(village).items()}}))
            cached = self.cache.get(child_id)
            if cached is not None:
                self.cache[child_id] = cached._replace(village_code=village)
        return rows

    def _conflict(self, index: int, item: PushRecord, model: Record, text: str, digest: str,
                  existing: Stored, verdict: Verdict) -> dict:
        key = (model.id, digest)
        if key not in self.conflicts_now and self.c.execute(select(ConflictRevision.id).where(
                ConflictRevision.record_id == model.id, ConflictRevision.content_hash == digest)).first() is None:
            self.conflicts_now.add(key)
            queued = _Queued(index, model.id, ())
            queued.rows.append((_INSERT_CONFLICT, dict(
                record_id=model.id, type=item.type, rev=model.rev, base_rev=item.base_rev,
                server_rev_at_arrival=existing.server_rev, content_hash=digest, data=text,
                username=self.actor.username, device_id=self.device_id, received_at=self.now)))
            queued.rows.append((_INSERT_AUDIT, self._audit("conflict", item.type, model.id, model.rev,
                                                           existing.server_rev, digest, None)))
            self.queue.append(queued)
        return _result(item, "conflict", server_rev=verdict.server_rev, code=verdict.code, reason=verdict.reason,
                       current={"server_rev": existing.server_rev, "data": self.data(existing)})

    def _audit(self, action: str, record_type: str, record_id: str, rev: int, server_rev: int, digest: str,
               seq: Optional[int]) -> dict:
        return dict(at=self.now, username=self.actor.username, device_id=self.device_id, action=action,
                    record_type=record_type, record_id=record_id, rev=rev, server_rev=server_rev,
                    content_hash=digest, seq=seq)

    def _check_race(self) -> None:
        """After a refused write: raise _Raced if a record this batch took for new is there now (another's)."""
        new_ids = [params["id"] for queued in self.queue for statement, params in queued.rows
                   if statement is _INSERT_RECORD]
        for start in range(0, len(new_ids), 500):
            if self.c.execute(select(RecordRow.id).where(RecordRow.id.in_(new_ids[start:start + 500]))).first():
                raise _Raced()

    def write(self, results: list[Optional[dict]], items: list[PushRecord]) -> None:
        """Write the queue; on a refusal, record by record (see the module doc)."""
        rows = [row for queued in self.queue for row in queued.rows]
        # Same statement, consecutive after a stable sort by statement kind: inserts before updates of a record.
        order = {id(_INSERT_RECORD): 0, id(_UPDATE_RECORD): 1, id(_MOVE_CHILD): 2, id(_CONCERN_DAYS): 2.5,
                 id(_MEETING_CONCERN_DAYS): 2.6,
                 id(_INSERT_AUDIT): 3, id(_INSERT_CONFLICT): 4, id(_DELETE_INVITES): 5, id(_INSERT_INVITE): 6}
        rows.sort(key=lambda row: order[id(row[0])])
        try:
            with self.c.begin_nested():
                for statement, group in groupby(rows, key=lambda row: row[0]):
                    self.c.execute(statement, [params for _, params in group])
            return
        except (IntegrityError, DataError):
            self._check_race()
        failed: set[str] = set()
        for queued in self.queue:
            item = items[queued.index]
            try:
                for name, needed in zip(("household", "visit", "meeting"), queued.needs):
                    if needed in failed:
                        raise Rejected(f"{name}_missing", f"{name}_id",
                                       f"The {name} this record belongs to could not be stored.")
                with self.c.begin_nested():
                    for statement, params in queued.rows:
                        self.c.execute(statement, params)
            except (IntegrityError, DataError) as exc:
                failed.add(queued.record_id)
                results[queued.index] = _result(item, "rejected", code="record_unstorable",
                                                reason=f"The server could not store this record: {exc.orig}")
            except Rejected as r:
                failed.add(queued.record_id)
                results[queued.index] = _result(item, "rejected", code=r.code, field=r.field, reason=r.reason)


def _invite_rows(meeting_id: str, areas: list[str]) -> list[tuple[Any, dict]]:
    """The meeting's invited areas and their parents: server/pull.py finds it by the caller's area code."""
    codes = sorted({code for area in areas for code in parents(area)})
    return [(_DELETE_INVITES, {"b_record_id": meeting_id})] + [
        (_INSERT_INVITE, {"record_id": meeting_id, "area_code": code}) for code in codes]


def push(db: Database, actor: Actor, items: list[PushRecord], villages: VillageCodes,
         institutions: Optional[InstitutionIds] = None) -> list[dict]:
    """Apply a batch from the actor's device (the token's); returns one result per item, in request order."""
    order = sorted(range(len(items)), key=lambda i: (TYPE_ORDER.get(items[i].type, 3), i))
    prepared = [prepare(item) for item in items]  # the CPU-heavy part, outside the transaction
    for attempt in range(1, _RETRIES + 1):
        try:
            return _push_once(db, actor, items, villages, order, prepared, institutions)
        except (_Raced, OperationalError) as exc:
            again = isinstance(exc, _Raced) or getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES
            if not again or attempt == _RETRIES:
                raise
    raise AssertionError("unreachable")


def _push_once(db: Database, actor: Actor, items: list[PushRecord], villages: VillageCodes, order: list[int],
               prepared: list[Prepared], institutions: Optional[InstitutionIds]) -> list[dict]:
    results: list[Optional[dict]] = [None] * len(items)
    with db.serial() as tx:
        listed = institutions.current(tx.session) if institutions is not None and any(
            item.type == "concern" and item.data.get("institution_id") for item in items) else None
        batch = _Batch(tx, actor, villages.current(tx.session), listed)
        batch.prefetch(items)
        for i in order:
            results[i] = batch.decide(i, items[i], prepared[i])
        batch.write(results, items)
    return results  # type: ignore[return-value]
