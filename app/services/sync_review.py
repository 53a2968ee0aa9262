"""What is still on the device: counts by state, rejected records to fix, conflicts to decide."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Optional

from app.services.edits import OnSaved, nothing_to_do, notify_saved
from records.models import Record, SyncState, utcnow
from storage.repository import Store
from sync import conflicts
from sync.outbox import OutboxCounts, outbox_counts
from sync.runner import LAST_SUCCESS_KEY

RECORD_KINDS = ("household", "visit", "meeting", "concern")


@dataclass(frozen=True)
class RejectedItem:
    kind: str
    record_id: str
    household_id: str  # where to open it: the household, or the household of a visit/concern
    visit_id: str  # the visit to open for a visit or a concern; "" for a household
    title: str  # head name (a meeting's title), for the list
    code: str
    reason: str
    field: str
    meeting_id: str = ""  # the meeting to open for a meeting or a concern raised at one


@dataclass(frozen=True)
class FieldDiff:
    field: str
    mine: Any
    server: Any

    @property
    def differs(self) -> bool:
        return self.mine != self.server


@dataclass(frozen=True)
class ConflictItem:
    kind: str
    record_id: str
    household_id: str
    title: str
    server_rev: int
    fields: list[FieldDiff]  # every content field, both versions


# Bookkeeping that is not what the official typed; hidden in the side-by-side view.
_HIDDEN_FIELDS = {"id", "rev", "created_at", "updated_at", "device_id", "author", "sync_state", "server_rev",
                  "sync_error", "commune_code", "district_code", "province_code"}


class SyncReview:
    def __init__(self, store: Store, *, clock: Callable = utcnow, on_saved: OnSaved = nothing_to_do):
        self.store = store
        self.clock = clock
        self.on_saved = on_saved  # keeping this device's version makes it pending again

    def counts(self) -> OutboxCounts:
        return outbox_counts(self.store)

    def rejected(self) -> list[RejectedItem]:
        out = []
        for kind in RECORD_KINDS:
            for record in self.store.repository_for(kind).in_state(SyncState.rejected):
                error = record.sync_error or {}
                household_id, visit_id = _where(record)
                meeting_id = _meeting_of(record)
                out.append(RejectedItem(
                    kind=kind, record_id=record.id, household_id=household_id, visit_id=visit_id,
                    title=self._title(household_id, meeting_id), code=str(error.get("code") or ""),
                    reason=str(error.get("reason") or ""), field=str(error.get("field") or ""),
                    meeting_id=meeting_id,
                ))
        return out

    def conflicts(self) -> list[ConflictItem]:
        out = []
        for copy in self.store.conflicts.all():
            local = self.store.repository_for(copy.record_type).find(copy.record_id)
            if local is None or local.sync_state != SyncState.conflict:
                continue  # already decided (a copy left behind by an interrupted decision)
            mine = local.wire()
            names = [k for k in dict.fromkeys([*mine, *copy.server_data]) if k not in _HIDDEN_FIELDS]
            household_id, _ = _where(local)
            out.append(ConflictItem(
                kind=copy.record_type, record_id=copy.record_id, household_id=household_id,
                title=self._title(household_id, _meeting_of(local)), server_rev=copy.server_rev,
                fields=[FieldDiff(n, mine.get(n), copy.server_data.get(n)) for n in names],
            ))
        return out

    def keep_local(self, record_id: str) -> Record:
        """Send this device's version again, now based on the server's revision (it wins)."""
        kept = conflicts.keep_local(self.store, record_id)
        notify_saved(self.on_saved)
        return kept

    def keep_server(self, record_id: str) -> Record:
        """Take the server's version as it is; this device's edits are dropped."""
        return conflicts.keep_server(self.store, record_id)

    def last_success(self) -> Optional[datetime]:
        raw = self.store.meta.get(LAST_SUCCESS_KEY)
        try:
            return datetime.fromisoformat(raw) if raw else None
        except (TypeError, ValueError):
            return None

    def _title(self, household_id: str, meeting_id: str = "") -> str:
        h = self.store.households.find(household_id) if household_id else None
        if h is None and meeting_id:
            m = self.store.meetings.find(meeting_id)
            return m.title if m else ""
        return h.head_name if h else ""


def _where(record: Record) -> tuple[str, str]:
    if record.kind == "household":
        return record.id, ""
    if record.kind == "meeting":
        return "", ""
    if record.kind == "visit":
        return getattr(record, "household_id"), record.id
    return getattr(record, "household_id") or "", getattr(record, "visit_id") or ""


def _meeting_of(record: Record) -> str:
    if record.kind == "meeting":
        return record.id
    return getattr(record, "meeting_id", None) or ""

