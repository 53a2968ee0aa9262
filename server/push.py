"""Push: a batch of records in, one answer per record; nothing lost, nothing stored twice.

Rules (docs/sync-protocol.md "Push"): households, then visits, then concerns; each record
in its own savepoint. A version is *accepted* when the server has no such record or it
was edited from the server's current rev (``base_rev``), or when it continues the very
edit the server holds (same device, same base, higher rev: a retry whose first answer was
lost after an edit on the device). Same content as any version the server accepted before
is a *duplicate*. Anything else is a *conflict*: the incoming version is kept aside.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Optional

from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DataError, IntegrityError

from app.models import (
    ERROR_CODES,
    RECORD_TYPES,
    Concern,
    ConcernStatus,
    Household,
    Record,
    field_errors,
    utcnow,
)
from server.auth import OFFICE_ROLES, Actor
from server.db import Database, SerialSession
from server.reference import VillageCodes
from server.schemas import PushRecord
from server.tables import AuditEntry, ConflictRevision, RecordRow

TYPE_ORDER = {"household": 0, "visit": 1, "concern": 2}
# Reporting a concern to national level is a district decision.
OFFICE_ONLY_STATUSES = {ConcernStatus.escalated}


@dataclass(frozen=True)
class Stored:
    """What the push needs to know of a record the server holds."""

    id: str
    type: str
    village_code: str
    household_id: str
    server_rev: int
    rev: int
    base_rev: Optional[int]
    device_id: str
    content_hash: str
    data: str


class Rejected(Exception):
    def __init__(self, code: str, field: Optional[str], reason: str):
        super().__init__(reason)
        self.code, self.field, self.reason = code, field, reason


def canonical(model: Record) -> tuple[str, str]:
    """The stored form of a record (sorted-key JSON of its wire form) and its sha256."""
    text = json.dumps(model.wire(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def first_problem(exc: ValidationError) -> Rejected:
    errors = field_errors(exc)
    field, code = next(iter(errors.items()))
    message = next((e["msg"] for e in exc.errors() if e["loc"] and str(e["loc"][0]) == field), None)
    reason = ERROR_CODES.get(code) or message or exc.errors()[0]["msg"]
    if message and code not in ERROR_CODES:
        reason = message
    return Rejected(code, None if field == "__all__" else field, reason)


def _uuid_or_none(value: Any) -> Optional[str]:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


def _stored(row) -> Stored:
    return Stored(row.id, row.type, row.village_code, row.household_id, row.server_rev, row.rev, row.base_rev,
                  row.device_id, row.content_hash, row.data)


_COLUMNS = (RecordRow.id, RecordRow.type, RecordRow.village_code, RecordRow.household_id, RecordRow.server_rev,
            RecordRow.rev, RecordRow.base_rev, RecordRow.device_id, RecordRow.content_hash, RecordRow.data)


class _Batch:
    def __init__(self, tx: SerialSession, actor: Actor, device_id: str, villages: Optional[frozenset[str]]):
        self.tx, self.s = tx, tx.session
        self.actor, self.device_id, self.villages = actor, device_id, villages
        self.now: datetime = utcnow()
        self.cache: dict[str, Optional[Stored]] = {}

    # ------------------------------------------------------------ lookups

    def prefetch(self, items: list[PushRecord]) -> None:
        ids: set[str] = set()
        for item in items:
            for value in (item.id, item.data.get("household_id"), item.data.get("visit_id")):
                norm = _uuid_or_none(value)
                if norm:
                    ids.add(norm)
        found: dict[str, Optional[Stored]] = {i: None for i in ids}
        id_list = sorted(ids)
        for start in range(0, len(id_list), 500):
            for row in self.s.execute(select(*_COLUMNS).where(RecordRow.id.in_(id_list[start:start + 500]))):
                found[row.id] = _stored(row)
        self.cache.update(found)

    def get(self, record_id: str) -> Optional[Stored]:
        if record_id not in self.cache:
            row = self.s.execute(select(*_COLUMNS).where(RecordRow.id == record_id)).first()
            self.cache[record_id] = _stored(row) if row else None
        return self.cache[record_id]

    # ------------------------------------------------------------ one record

    def one(self, item: PushRecord) -> dict:
        try:
            return self._one(item)
        except Rejected as r:
            return _result(item, "rejected", code=r.code, field=r.field, reason=r.reason)

    def _one(self, item: PushRecord) -> dict:
        cls = RECORD_TYPES.get(item.type)
        if cls is None:
            raise Rejected("type_unknown", "type", f"Unknown record type {item.type!r}.")
        data = {k: v for k, v in item.data.items() if k not in Record.LOCAL_FIELDS}
        try:
            model = cls.model_validate(data)
        except ValidationError as exc:
            raise first_problem(exc) from None
        if model.id != _uuid_or_none(item.id):
            raise Rejected("id_mismatch", "id", f"The envelope's id {item.id!r} is not the record's id {model.id}.")
        if model.rev != item.rev:
            raise Rejected("id_mismatch", "rev", f"The envelope's rev {item.rev} is not the record's rev {model.rev}.")
        existing = self.get(model.id)
        if existing is not None and existing.type != item.type:
            raise Rejected("id_mismatch", "id", f"Id {model.id} belongs to a {existing.type} on the server.")
        village, household_id = self._place(model)
        if not self.actor.covers(village) or (existing is not None and not self.actor.covers(existing.village_code)):
            raise Rejected("outside_area", "village_code" if isinstance(model, Household) else "household_id",
                           f"Village {village} is outside your area {self.actor.area_code or '(none)'}.")
        self._check_role(model, existing)
        text, digest = canonical(model)
        if existing is None:
            return self._store(item, model, text, digest, village, household_id, None)
        if existing.content_hash == digest or self._accepted_before(model.id, digest):
            return _result(item, "duplicate", server_rev=existing.server_rev)
        fast_forward = (existing.device_id == self.device_id != "" and existing.base_rev == item.base_rev
                        and model.rev > existing.rev)
        if item.base_rev == existing.server_rev or fast_forward:
            return self._store(item, model, text, digest, village, household_id, existing)
        return self._conflict(item, model, text, digest, existing)

    def _place(self, model: Record) -> tuple[str, str]:
        """(village code, household id) of a record: a visit or concern lives where its household does."""
        if isinstance(model, Household):
            if self.villages is not None and model.village_code not in self.villages:
                raise Rejected("village_code_invalid", "village_code",
                               f"Village code {model.village_code} is not in the server's gazetteer.")
            return model.village_code, model.id
        household = self.get(model.household_id)
        if household is None or household.type != "household":
            raise Rejected("household_missing", "household_id",
                           f"The server has no household {model.household_id}; send it first.")
        if isinstance(model, Concern):
            visit = self.get(model.visit_id)
            if visit is None or visit.type != "visit":
                raise Rejected("visit_missing", "visit_id", f"The server has no visit {model.visit_id}; send it first.")
            if visit.household_id != model.household_id:
                raise Rejected("visit_missing", "visit_id",
                               f"Visit {model.visit_id} belongs to another household than {model.household_id}.")
        return household.village_code, household.id

    def _check_role(self, model: Record, existing: Optional[Stored]) -> None:
        if not isinstance(model, Concern) or self.actor.role in OFFICE_ROLES:
            return
        before = json.loads(existing.data).get("status") if existing else None
        if model.status in OFFICE_ONLY_STATUSES and before != model.status.value:
            raise Rejected("forbidden_role", "status",
                           f"Only a supervisor or admin may mark a concern {model.status.value}.")

    def _accepted_before(self, record_id: str, digest: str) -> bool:
        return self.s.execute(select(AuditEntry.id).where(
            AuditEntry.record_id == record_id, AuditEntry.content_hash == digest,
            AuditEntry.action.in_(("push", "status"))).limit(1)).first() is not None

    # ------------------------------------------------------------ writes

    def _store(self, item: PushRecord, model: Record, text: str, digest: str, village: str, household_id: str,
               existing: Optional[Stored]) -> dict:
        seq = self.tx.next_seq()
        server_rev = 1 if existing is None else existing.server_rev + 1
        values = dict(type=item.type, village_code=village, household_id=household_id, server_rev=server_rev,
                      rev=model.rev, base_rev=item.base_rev, device_id=self.device_id, content_hash=digest,
                      data=text, updated_at=self.now, seq=seq)
        try:
            with self.s.begin_nested():
                if existing is None:
                    self.s.execute(insert(RecordRow).values(id=model.id, **values))
                else:
                    self.s.execute(update(RecordRow).where(RecordRow.id == model.id).values(**values))
                self._audit("push", item.type, model.id, model.rev, server_rev, digest, seq)
                if existing is not None and existing.type == "household" and existing.village_code != village:
                    self._move_children(model.id, village)
        except (IntegrityError, DataError) as exc:
            raise Rejected("record_unstorable", None, f"The server could not store this record: {exc.orig}") from None
        self.cache[model.id] = Stored(model.id, item.type, village, household_id, server_rev, model.rev,
                                      item.base_rev, self.device_id, digest, text)
        return _result(item, "accepted", server_rev=server_rev)

    def _move_children(self, household_id: str, village: str) -> None:
        """A household that moved takes its visits and concerns along; they are pulled again where it went."""
        children = self.s.execute(select(RecordRow.id).where(RecordRow.household_id == household_id,
                                                             RecordRow.type != "household")).scalars().all()
        for child_id in children:
            self.s.execute(update(RecordRow).where(RecordRow.id == child_id)
                           .values(village_code=village, seq=self.tx.next_seq()))
            cached = self.cache.get(child_id)
            if cached is not None:
                self.cache[child_id] = replace(cached, village_code=village)

    def _conflict(self, item: PushRecord, model: Record, text: str, digest: str, existing: Stored) -> dict:
        known = self.s.execute(select(ConflictRevision.id).where(ConflictRevision.record_id == model.id,
                                                                 ConflictRevision.content_hash == digest)).first()
        if known is None:
            with self.s.begin_nested():
                self.s.execute(insert(ConflictRevision).values(
                    record_id=model.id, type=item.type, rev=model.rev, base_rev=item.base_rev,
                    server_rev_at_arrival=existing.server_rev, content_hash=digest, data=text,
                    username=self.actor.username, device_id=self.device_id, received_at=self.now))
                self._audit("conflict", item.type, model.id, model.rev, existing.server_rev, digest, None)
        return _result(item, "conflict", server_rev=existing.server_rev, code="conflict",
                       reason=f"Changed on the server since rev {item.base_rev}; the server's rev is "
                              f"{existing.server_rev}. Your version is kept on the server for review.",
                       current={"server_rev": existing.server_rev, "data": json.loads(existing.data)})

    def _audit(self, action: str, record_type: str, record_id: str, rev: int, server_rev: int, digest: str,
               seq: Optional[int]) -> None:
        self.s.execute(insert(AuditEntry).values(
            at=self.now, username=self.actor.username, device_id=self.device_id, action=action,
            record_type=record_type, record_id=record_id, rev=rev, server_rev=server_rev, content_hash=digest,
            seq=seq))


def _result(item: PushRecord, status: str, *, server_rev: Optional[int] = None, code: Optional[str] = None,
            field: Optional[str] = None, reason: Optional[str] = None, current: Optional[dict] = None) -> dict:
    return {"id": item.id, "type": item.type, "status": status, "server_rev": server_rev, "code": code,
            "reason": reason, "field": field, "current": current}


def push(db: Database, actor: Actor, device_id: str, items: list[PushRecord], villages: VillageCodes) -> list[dict]:
    """Apply a batch; returns one result per item, in request order."""
    results: list[Optional[dict]] = [None] * len(items)
    order = sorted(range(len(items)), key=lambda i: (TYPE_ORDER.get(items[i].type, 3), i))
    with db.serial() as tx:
        batch = _Batch(tx, actor, device_id, villages.current(tx.session))
        batch.prefetch(items)
        for i in order:
            results[i] = batch.one(items[i])
    return results  # type: ignore[return-value]

