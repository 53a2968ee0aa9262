"""The sync runner: the thin loop that does the I/O the pure rules in sync/decisions.py decide.

One sync = push every pending record in batches, then pull pages until the server has no
more, then refresh the gazetteer if the server has another version. Every step is
resumable: records are marked ``sending`` durably before their batch goes out, and the
pull cursor moves only after its page is saved.
"""
from __future__ import annotations

import logging
import threading
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Optional

from records.models import Record, SyncState, utcnow
from storage.repository import Area, ConflictCopy, NotFoundError, StoreError, Store, SyncCopy
from sync import decisions
from sync.outbox import store_lock
from sync.transport import PushBody, Refused, SyncError, Transport, Unreachable

log = logging.getLogger("phum.sync")

CURSOR_KEY = "sync.cursor"
LAST_SUCCESS_KEY = "sync.last_success_at"
DEFAULT_PULL_LIMIT = 500


class SyncInProgress(RuntimeError):
    """Another sync of the same store is running in this process."""


@dataclass(frozen=True)
class SyncProgress:
    """One progress event for the UI: ``phase`` is push | pull | reference | done."""

    phase: str
    sent: int = 0
    total: int = 0
    pulled: int = 0

    @property
    def fraction(self) -> Optional[float]:
        """Share of the push done (None while pulling: the total is not known)."""
        if self.phase == "done":
            return 1.0
        if self.phase == "push":
            return self.sent / self.total if self.total else 1.0
        return None


@dataclass(frozen=True)
class RejectedRecord:
    record_type: str
    record_id: str
    code: str
    reason: str
    field: str = ""


@dataclass
class SyncReport:
    """What one sync did. ``error`` is set when the sync stopped early (the rest waits for the next one)."""

    started_at: datetime
    finished_at: Optional[datetime] = None
    total: int = 0  # records in the outbox when the sync started
    sent: int = 0  # of those, how many got an answer
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RejectedRecord] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # record ids now in conflict (push or pull)
    deferred: int = 0  # still pending: their household/visit is not on the server yet
    requeued: int = 0  # edited while being sent: the newer edit is pending
    pulled: int = 0  # server changes saved locally (new or updated records)
    gazetteer_version: Optional[str] = None  # set when a new gazetteer was loaded
    errors: list[str] = field(default_factory=list)
    error: Optional[Exception] = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "total": self.total,
            "sent": self.sent,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.__dict__ for r in self.rejected],
            "conflicts": list(self.conflicts),
            "deferred": self.deferred,
            "requeued": self.requeued,
            "pulled": self.pulled,
            "gazetteer_version": self.gazetteer_version,
            "errors": list(self.errors),
        }


Progress = Callable[[SyncProgress], None]

_sync_locks: "weakref.WeakKeyDictionary[Store, threading.Lock]" = weakref.WeakKeyDictionary()
_sync_locks_guard = threading.Lock()


def sync_lock(store: Store) -> threading.Lock:
    """One sync at a time per store, process-wide (Android may run main() twice in one process)."""
    with _sync_locks_guard:
        lock = _sync_locks.get(store)
        if lock is None:
            lock = _sync_locks[store] = threading.Lock()
        return lock


def cursor_key(server_url: str, username: str) -> str:
    """The pull cursor belongs to one server and one user's area."""
    return f"{CURSOR_KEY}:{server_url}:{username}"


class SyncRunner:
    def __init__(
        self,
        store: Store,
        transport: Transport,
        *,
        device_id: str,
        batch_size: int = decisions.DEFAULT_BATCH_SIZE,
        pull_limit: int = DEFAULT_PULL_LIMIT,
        cursor_key: str = CURSOR_KEY,
        now: Callable[[], datetime] = utcnow,
    ):
        self.store = store
        self.transport = transport
        self.device_id = device_id
        self.batch_size = decisions.clamp_batch_size(batch_size)
        self.pull_limit = max(1, min(1000, pull_limit))
        self.cursor_key = cursor_key
        self.now = now

    # ---------------------------------------------------------------- one sync

    def sync_now(self, progress: Optional[Progress] = None) -> SyncReport:
        """Push, pull, refresh reference data; never raises for network or server trouble
        (it is in ``report.error``). Raises SyncInProgress when a sync is already running."""
        lock = sync_lock(self.store)
        if not lock.acquire(blocking=False):
            raise SyncInProgress("a sync is already running")
        report = SyncReport(started_at=self.now())
        emit = _safe(progress)
        try:
            self.push(report, emit)
            self.pull(report, emit)
            self.refresh_reference(report, emit)
            self.store.meta.set(LAST_SUCCESS_KEY, self.now().isoformat())
        except SyncError as exc:
            log.info("sync stopped: %s", exc)
            report.error = exc
            report.errors.append(str(exc))
        finally:
            report.finished_at = self.now()
            lock.release()
            emit(SyncProgress("done", report.sent, report.total, report.pulled))
        return report

    # ---------------------------------------------------------------- push

    def push(self, report: SyncReport, emit: Progress) -> None:
        outbox = [(kind, record_id) for kind in decisions.TYPE_ORDER
                  for record_id in self.store.repository_for(kind).ids_in_state(*decisions.outbox_states())]
        report.total = len(outbox)
        emit(SyncProgress("push", 0, report.total))
        # One batch on the wire at a time (the server must hold a batch's households before the
        # next batch's visits arrive); the device's own work overlaps it: the next batch is read,
        # marked and encoded, and the answers to the previous one saved, while a batch is on the wire.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="phum-push") as wire:
            on_wire: Optional[_OnWire] = None
            for batch in decisions.plan_batches(outbox, batch_size=self.batch_size):
                marked = self._mark_sending(batch)
                answered: Optional[tuple[_OnWire, Optional[list[dict[str, Any]]]]] = None
                try:
                    body = self._encode(marked)
                    if on_wire is not None:
                        answered = (on_wire, self._answer(on_wire, report))
                except BaseException:
                    self._unmark(marked)
                    raise
                on_wire = _OnWire(marked, wire.submit(self._send, marked, body), len(batch))
                if answered is not None:
                    self._done_with(*answered, report, emit)
            if on_wire is not None:
                self._done_with(on_wire, self._answer(on_wire, report), report, emit)

    def _mark_sending(self, batch: list[tuple[str, str]]) -> list[SyncCopy]:
        with store_lock(self.store):
            # Read at the last moment: an edit saved since the sync started goes out, not an older copy.
            current = self.store.sync_copies(batch)
            marked = [decisions.mark_sending(r) for r in current if r is not None and r.sync_state in (
                SyncState.pending, SyncState.sending)]
            if marked:
                self.store.save_sync(*marked)  # durable before the request leaves: a crash resumes from here
        return marked

    def _encode(self, marked: list[SyncCopy]) -> Optional[PushBody]:
        if not marked:
            return None
        return self.transport.encode_push([decisions.push_entry(r) for r in marked], device_id=self.device_id)

    def _send(self, marked: list[SyncCopy], body: Optional[PushBody] = None) -> list[dict[str, Any]]:
        if not marked:
            return []
        return self.transport.send_push(body or self._encode(marked))

    def _answer(self, on_wire: "_OnWire", report: SyncReport) -> Optional[list[dict[str, Any]]]:
        """The answers to a batch on the wire; None when it had to go again in halves (done)."""
        return self._results_or_halves(on_wire.marked, on_wire.future.result, report)

    def _done_with(self, on_wire: "_OnWire", results: Optional[list[dict[str, Any]]], report: SyncReport,
                   emit: Progress) -> None:
        if results is not None:
            self._apply_results(on_wire.marked, results, report)
        report.sent += on_wire.size
        emit(SyncProgress("push", report.sent, report.total))

    def _push_batch(self, marked: list[SyncCopy], report: SyncReport) -> None:
        """Send records already marked ``sending`` and apply the answers."""
        results = self._results_or_halves(marked, lambda: self._send(marked), report)
        if results is not None:
            self._apply_results(marked, results, report)

    def _results_or_halves(self, marked: list[SyncCopy], answer: Callable[[], list[dict[str, Any]]],
                           report: SyncReport) -> Optional[list[dict[str, Any]]]:
        """The answers; a batch too large for the server (413) goes again in halves (then None).
        No answer: the batch goes back to pending and the error goes up."""
        try:
            return answer()
        except Refused as exc:
            if exc.status == 413 and len(marked) > 1:
                half = len(marked) // 2
                self._push_batch(marked[:half], report)
                self._push_batch(marked[half:], report)
                return None
            self._unmark(marked)
            raise
        except SyncError:
            self._unmark(marked)
            raise

    def _current(self, sent: list[SyncCopy]) -> list[Optional[SyncCopy]]:
        """The sync bookkeeping of the records we sent, as stored now (an edit may have come meanwhile)."""
        return self.store.sync_copies([(r.kind, r.id) for r in sent])

    def _apply_results(self, sent: list[SyncCopy], results: list[dict[str, Any]], report: SyncReport) -> None:
        by_id = {str(r.get("id")): r for r in results}
        now = self.now()
        with store_lock(self.store):
            to_save: list[SyncCopy] = []
            copies: list[ConflictCopy] = []
            for record, current in zip(sent, self._current(sent)):
                result = by_id.get(record.id)
                if result is None:
                    raise Unreachable(f"push answer has no result for {record.id}", code="bad_response")
                outcome = decisions.apply_push_result(record, current, result, now=now)
                self._tally(record, outcome, report)
                if outcome.record is not None:
                    to_save.append(outcome.record)
                if outcome.conflict is not None:
                    copies.append(outcome.conflict)
            for copy in copies:  # the server's copy first: a record in conflict always has one
                self.store.conflicts.put(copy)
            if to_save:
                self.store.save_sync(*to_save)

    def _tally(self, record: SyncCopy, outcome: decisions.PushOutcome, report: SyncReport) -> None:
        if outcome.kind == "accepted":
            report.accepted += 1
        elif outcome.kind == "duplicate":
            report.duplicates += 1
        elif outcome.kind == "rejected":
            report.rejected.append(RejectedRecord(record.kind, record.id, outcome.code, outcome.reason,
                                                  outcome.field))
        elif outcome.kind == "conflict":
            report.conflicts.append(record.id)
        elif outcome.kind == "deferred":
            report.deferred += 1
        elif outcome.kind == "requeued":
            report.requeued += 1

    def _unmark(self, sent: list[SyncCopy]) -> None:
        """No answer for this batch: back to pending (the server may have it; resending is harmless)."""
        with store_lock(self.store):
            back = [decisions.unmark_sending(r, current) for r, current in zip(sent, self._current(sent))]
            back = [r for r in back if r is not None]
            if back:
                self.store.save_sync(*back)

    # ---------------------------------------------------------------- pull

    def pull(self, report: SyncReport, emit: Progress) -> None:
        cursor = self.store.meta.get(self.cursor_key)
        restarted = False
        emit(SyncProgress("pull", report.sent, report.total, report.pulled))
        while True:
            try:
                page = self.transport.pull(cursor, limit=self.pull_limit)
            except Refused as exc:
                if exc.code == "bad_cursor" and not restarted:
                    # A cursor the server cannot read (e.g. its database was rebuilt): start over;
                    # applying a change twice is harmless.
                    cursor, restarted = None, True
                    continue
                raise
            self._apply_page(page.get("changes") or [], report)
            next_cursor = page.get("next_cursor")
            if next_cursor is not None and next_cursor != cursor:
                self.store.meta.set(self.cursor_key, next_cursor)  # only now: the page is on disk
            emit(SyncProgress("pull", report.sent, report.total, report.pulled))
            if not page.get("has_more"):
                return
            if next_cursor is None or next_cursor == cursor:
                raise Unreachable("pull says has_more but the cursor did not move", code="bad_response")
            cursor = next_cursor

    def _apply_page(self, changes: list[dict[str, Any]], report: SyncReport) -> None:
        now = self.now()
        with store_lock(self.store):
            staged: dict[str, Record] = {}
            copies: list[ConflictCopy] = []
            for change in changes:
                record_id, kind = str(change.get("id")), str(change.get("type"))
                if kind not in decisions.TYPE_ORDER:
                    report.errors.append(f"pulled a change of unknown type {kind!r} ({record_id})")
                    continue
                current = staged.get(record_id) or self._find(kind, record_id)
                outcome = decisions.apply_pulled_change(current, change, now=now)
                if outcome.kind in ("new", "updated"):
                    report.pulled += 1
                elif outcome.kind == "conflict":
                    if record_id not in report.conflicts:
                        report.conflicts.append(record_id)
                elif outcome.kind == "invalid":
                    report.errors.append(f"could not apply a pulled change: {outcome.reason}")
                if outcome.record is not None:
                    staged[record_id] = outcome.record
                if outcome.conflict is not None:
                    copies.append(outcome.conflict)
            for copy in copies:
                self.store.conflicts.put(copy)
            if staged:
                self.store.save(*staged.values())  # one atomic, durable save per page

    # ---------------------------------------------------------------- reference data

    def refresh_reference(self, report: SyncReport, emit: Progress) -> None:
        """Load the server's gazetteer when its version differs from ours."""
        info = self.store.areas.info()
        answer = self.transport.reference_areas(version=info.version if info else None)
        if not isinstance(answer, dict):
            raise Unreachable("reference answer is not an object", code="bad_response")
        areas = answer.get("areas") or []
        if not answer.get("changed") or not areas:
            return  # never replace a gazetteer with nothing
        emit(SyncProgress("reference", report.sent, report.total, report.pulled))
        try:
            loaded = self.store.load_gazetteer(
                (Area(code=str(a["code"]), level=str(a["level"]), parent_code=a.get("parent_code") or None,
                      name_en=str(a.get("name_en") or ""), name_km=str(a.get("name_km") or "")) for a in areas),
                source=str(answer.get("source") or "server"), version=str(answer.get("version") or ""))
        except (StoreError, KeyError, TypeError) as exc:
            report.errors.append(f"gazetteer {answer.get('version')} not loaded: {exc}")
            return
        report.gazetteer_version = loaded.version

    # ---------------------------------------------------------------- conflicts

    def keep_local(self, record_id: str) -> Record:
        return keep_local(self.store, record_id)

    def keep_server(self, record_id: str) -> Record:
        return keep_server(self.store, record_id)

    def _find(self, kind: str, record_id: str) -> Optional[Record]:
        return self.store.repository_for(kind).find(record_id)


def keep_local(store: Store, record_id: str) -> Record:
    """Resolve a conflict with the device's version: it goes to the server again, based on the server's rev."""
    with store_lock(store):
        copy = _conflict(store, record_id)
        current = store.repository_for(copy.record_type).get(record_id)
        kept = decisions.keep_local(current, copy)
        store.save(kept)
        store.conflicts.remove(record_id)
    return kept


def keep_server(store: Store, record_id: str) -> Record:
    """Resolve a conflict with the server's version: it replaces the device's copy."""
    with store_lock(store):
        copy = _conflict(store, record_id)
        kept = decisions.keep_server(copy)
        store.save(kept)
        store.conflicts.remove(record_id)
    return kept


def _conflict(store: Store, record_id: str) -> ConflictCopy:
    copy = store.conflicts.find(record_id)
    if copy is None:
        raise NotFoundError(f"no conflict kept for {record_id}")
    return copy


@dataclass(frozen=True)
class _OnWire:
    """A batch whose request is out: the records as marked, the answer to come, its outbox size."""

    marked: list[SyncCopy]
    future: Future
    size: int


def _safe(progress: Optional[Progress]) -> Progress:
    """A progress callback that cannot break the sync (a closed page, a UI bug)."""

    def emit(event: SyncProgress) -> None:
        if progress is None:
            return
        try:
            progress(event)
        except Exception:  # noqa: BLE001 - the UI's trouble must not stop a sync
            log.exception("sync progress callback failed")

    return emit
