"""What to send and what each answer means: pure functions, no store, no network, no clock.

The outbox is the records' ``sync_state`` (pending -> sending -> synced | rejected |
conflict). The runner (sync/runner.py, sync/push.py) reads records, calls these, and saves what
they return; every rule about sync states lives here so it is tested without I/O.

The push rules read and copy only a record's sync bookkeeping: they take a Record or the
store's SyncCopy of one (the same fields, read without building the model) and return the
same kind.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Optional, Union

from pydantic import ValidationError

from records.models import RECORD_TYPES, Record, SyncState
from storage.repository import ConflictCopy, SyncCopy
from sync.report import Outcome

Sendable = Union[Record, SyncCopy]

# The server handles households, then visits, then meetings, then concerns; sending in that order
# means a record's household (a concern's meeting) is always in the same batch or an earlier one.
TYPE_ORDER = ("household", "visit", "meeting", "concern")
DEFAULT_BATCH_SIZE = 500  # the most the server takes: fewer round trips on slow links, fewer fsyncs
MAX_BATCH_SIZE = 500  # the server's limit (413 batch_too_large above it)
# Answers that mean "send me again later", not "this record is wrong".
WAIT_FOR_PARENT = frozenset({"household_missing", "visit_missing", "meeting_missing"})
UNSYNCED = (SyncState.pending, SyncState.sending, SyncState.rejected)


# ---------------------------------------------------------------- what to send


def outbox_states(*, resuming: bool = True) -> tuple[SyncState, ...]:
    """States to send: pending, plus ``sending`` left over from an interrupted sync.

    Only one sync runs at a time, so a ``sending`` record found when a sync starts was
    being sent when the app died; sending it again is safe (the server answers duplicate).
    """
    return (SyncState.pending, SyncState.sending) if resuming else (SyncState.pending,)


def clamp_batch_size(size: int) -> int:
    return max(1, min(MAX_BATCH_SIZE, int(size)))


def plan_batches(outbox: Iterable[tuple[str, str]], *, batch_size: int = DEFAULT_BATCH_SIZE
                 ) -> list[list[tuple[str, str]]]:
    """(type, id) of the records to send, households before visits before concerns, in batches."""
    size = clamp_batch_size(batch_size)
    ordered = sorted(outbox, key=lambda entry: TYPE_ORDER.index(entry[0]))  # stable: store order within a type
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def push_entry(record: Sendable) -> dict[str, Any]:
    """A record as it goes in a push batch."""
    return {"type": record.kind, "id": record.id, "rev": record.rev, "base_rev": record.server_rev,
            "data": record.wire()}


def mark_sending(record: Sendable) -> Sendable:
    return record.model_copy(update={"sync_state": SyncState.sending, "sync_error": None})


def unmark_sending(sent: Sendable, current: Optional[Sendable]) -> Optional[Sendable]:
    """After a batch that got no answer: back to pending, unless it was edited meanwhile."""
    if current is None or current.sync_state != SyncState.sending or current.rev != sent.rev:
        return None
    return current.model_copy(update={"sync_state": SyncState.pending})


# ---------------------------------------------------------------- push answers


@dataclass(frozen=True)
class PushOutcome:
    """What one push answer does to the local copy, and how the report counts it.

    ``kind``: accepted | duplicate | rejected | conflict | deferred (waits for its parent) |
    requeued (edited while sending: accepted, but the newer edit still has to go) | gone.
    """

    kind: Outcome
    record: Optional[Sendable] = None  # to save; None = nothing to write
    conflict: Optional[ConflictCopy] = None  # to keep for a supervisor
    code: str = ""
    reason: str = ""
    field: str = ""


def apply_push_result(sent: Sendable, current: Optional[Sendable], result: dict[str, Any], *,
                      now: datetime) -> PushOutcome:
    """How the answer to ``sent`` changes ``current`` (the local copy as it is now)."""
    status = result.get("status")
    if current is None:
        return PushOutcome(Outcome.gone)
    edited_meanwhile = current.rev != sent.rev
    if status in (Outcome.accepted, Outcome.duplicate):
        server_rev = int(result["server_rev"])
        if edited_meanwhile:
            # The server has what we sent; the newer edit is based on it and still has to go.
            return PushOutcome(Outcome.requeued, current.model_copy(update={
                "server_rev": server_rev, "sync_state": SyncState.pending}))
        return PushOutcome(Outcome(status), current.model_copy(update={
            "server_rev": server_rev, "sync_state": SyncState.synced, "sync_error": None}))
    if status == Outcome.rejected:
        code = str(result.get("code") or "rejected")
        reason = str(result.get("reason") or "")
        field = str(result.get("field") or "")
        if code in WAIT_FOR_PARENT:
            back = None if edited_meanwhile else current.model_copy(update={"sync_state": SyncState.pending})
            return PushOutcome(Outcome.deferred, back, code=code, reason=reason, field=field)
        if edited_meanwhile:
            # The newer edit may already fix what was wrong: send it before calling it rejected.
            return PushOutcome(Outcome.requeued, None, code=code, reason=reason, field=field)
        error = {"code": code, "reason": reason, "field": field or None}
        return PushOutcome(Outcome.rejected, current.model_copy(update={
            "sync_state": SyncState.rejected, "sync_error": error}), code=code, reason=reason, field=field)
    if status == Outcome.conflict:
        server = result.get("current") or {}
        copy = ConflictCopy(record_type=sent.kind, record_id=sent.id, server_data=dict(server.get("data") or {}),
                            server_rev=int(server.get("server_rev") or 0), detected_at=now)
        return PushOutcome(Outcome.conflict, current.model_copy(update={"sync_state": SyncState.conflict}), copy)
    raise ValueError(f"unknown push status {status!r} for {sent.id}")


# ---------------------------------------------------------------- pulled changes


@dataclass(frozen=True)
class PullOutcome:
    """``kind``: new | updated | unchanged | conflict | invalid."""

    kind: Outcome
    record: Optional[Record] = None
    conflict: Optional[ConflictCopy] = None
    reason: str = ""


def record_from_server(record_type: str, data: dict[str, Any], server_rev: int) -> Record:
    """The server's copy as a synced local record (raises ValidationError, KeyError)."""
    model = RECORD_TYPES[record_type]
    doc = {k: v for k, v in data.items() if k not in Record.LOCAL_FIELDS}
    doc.update(sync_state=SyncState.synced, server_rev=int(server_rev), sync_error=None)
    return model.model_validate(doc)


def apply_pulled_change(current: Optional[Record], change: dict[str, Any], *, now: datetime) -> PullOutcome:
    """How one pulled change lands on the local copy. Unsynced local edits are never overwritten."""
    record_type, server_rev = change.get("type"), int(change.get("server_rev") or 0)
    data = change.get("data") or {}
    if current is not None:
        known = current.server_rev or 0
        if server_rev < known or (server_rev == known and current.sync_state != SyncState.synced):
            return PullOutcome(Outcome.unchanged)  # older, or the version our local edit is based on
        if server_rev == known and _same_content(data, current):
            return PullOutcome(Outcome.unchanged)  # the echo of our own push
    try:
        incoming = record_from_server(str(record_type), data, server_rev)
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        return PullOutcome(Outcome.invalid, reason=f"{record_type} {change.get('id')}: {_short(exc)}")
    if current is None:
        return PullOutcome(Outcome.new, incoming)
    if current.sync_state == SyncState.synced:
        # Same rev and content: the echo of our own push. Same rev, other content: a retry was
        # answered "duplicate" with a newer server rev; the server's copy is the truth.
        if server_rev == current.server_rev and incoming.wire() == current.wire():
            return PullOutcome(Outcome.unchanged)
        return PullOutcome(Outcome.updated, incoming)
    if current.sync_state in UNSYNCED or current.sync_state == SyncState.conflict:
        copy = ConflictCopy(record_type=incoming.kind, record_id=incoming.id, server_data=dict(data),
                            server_rev=server_rev, detected_at=now)
        flagged = None if current.sync_state == SyncState.conflict else current.model_copy(
            update={"sync_state": SyncState.conflict})
        return PullOutcome(Outcome.conflict, flagged, copy)
    return PullOutcome(Outcome.updated, incoming)  # a state this module does not know: the server wins


def _same_content(data: dict[str, Any], current: Record) -> bool:
    wire = current.wire()
    return all(data.get(k) == v for k, v in wire.items())


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in exc.errors()[:3])
    return f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------- conflicts


def keep_local(current: Record, copy: ConflictCopy) -> Record:
    """The supervisor keeps the device's version: send it again, now based on the server's rev."""
    server_rev_of_data = int(copy.server_data.get("rev") or 0)
    return current.model_copy(update={
        "sync_state": SyncState.pending, "server_rev": copy.server_rev, "sync_error": None,
        # Stay ahead of the server's edit counter so "latest rev" means the kept version.
        "rev": max(current.rev, server_rev_of_data) + 1,
    })


def keep_server(copy: ConflictCopy) -> Record:
    """The supervisor keeps the server's version: it replaces the local copy, synced."""
    return record_from_server(copy.record_type, copy.server_data, copy.server_rev)


# ---------------------------------------------------------------- retry timing


def backoff_delay(attempt: int, *, base: float = 2.0, cap: float = 300.0, retry_after: Optional[float] = None,
                  rand: Callable[[], float]) -> float:
    """Seconds to wait before try number ``attempt`` (1 = first retry).

    Exponential with full jitter (uniform in [0, min(cap, base * 2**(attempt-1))]), so many
    phones coming back online at once do not hit the server together; never shorter than
    the server's Retry-After.
    """
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    delay = rand() * ceiling
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return delay
