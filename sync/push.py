"""The push: every pending record to the server in batches, the answers saved as they come.

Households go before visits before concerns (sync/decisions.py plans the batches). A batch is
marked ``sending`` durably before its request leaves; no answer puts it back to ``pending``;
a batch the server finds too large (413) goes again in halves. One batch is on the wire at a
time while the next one is read, marked and encoded and the answers to the previous one saved.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Optional

from records.models import SyncState
from storage.repository import ConflictCopy, Store, SyncCopy
from sync import decisions
from sync.report import Progress, SyncProgress, SyncReport
from sync.transport import PushBody, Refused, SyncError, Transport, Unreachable

Answers = list[dict[str, Any]]


@dataclass(frozen=True)
class _OnWire:
    """A batch whose request is out: the records as marked, the answer to come, its outbox size."""

    marked: list[SyncCopy]
    future: Future
    size: int


class PushBatches:
    """One push of a store's outbox; ``run`` fills the report and emits progress."""

    def __init__(self, store: Store, transport: Transport, *, device_id: str, batch_size: int,
                 now: Callable[[], datetime]):
        self.store = store
        self.transport = transport
        self.device_id = device_id
        self.batch_size = batch_size
        self.now = now

    def run(self, report: SyncReport, emit: Progress) -> None:
        outbox = [(kind, record_id) for kind in decisions.TYPE_ORDER
                  for record_id in self.store.repository_for(kind).ids_in_state(*decisions.outbox_states())]
        report.total += len(outbox)  # a sync that heals a repaired store pushes twice
        emit(SyncProgress("push", 0, report.total))
        # One batch on the wire at a time (the server must hold a batch's households before the
        # next batch's visits arrive); the device's own work overlaps it: the next batch is read,
        # marked and encoded, and the answers to the previous one saved, while a batch is on the wire.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="phum-push") as wire:
            on_wire: Optional[_OnWire] = None
            for batch in decisions.plan_batches(outbox, batch_size=self.batch_size):
                marked = self._mark_sending(batch)
                answered: Optional[tuple[_OnWire, Optional[Answers]]] = None
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
        with self.store.write_lock:
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

    def _send(self, marked: list[SyncCopy], body: Optional[PushBody] = None) -> Answers:
        if not marked:
            return []
        return self.transport.send_push(body or self._encode(marked))

    def _answer(self, on_wire: _OnWire, report: SyncReport) -> Optional[Answers]:
        """The answers to a batch on the wire; None when it had to go again in halves (done)."""
        return self._results_or_halves(on_wire.marked, on_wire.future.result, report)

    def _done_with(self, on_wire: _OnWire, results: Optional[Answers], report: SyncReport, emit: Progress) -> None:
        if results is not None:
            self._apply_results(on_wire.marked, results, report)
        report.sent += on_wire.size
        emit(SyncProgress("push", report.sent, report.total))

    def _push_batch(self, marked: list[SyncCopy], report: SyncReport) -> None:
        """Send records already marked ``sending`` and apply the answers."""
        results = self._results_or_halves(marked, lambda: self._send(marked), report)
        if results is not None:
            self._apply_results(marked, results, report)

    def _results_or_halves(self, marked: list[SyncCopy], answer: Callable[[], Answers],
                           report: SyncReport) -> Optional[Answers]:
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

    def _apply_results(self, sent: list[SyncCopy], results: Answers, report: SyncReport) -> None:
        by_id = {str(r.get("id")): r for r in results}
        now = self.now()
        with self.store.write_lock:
            to_save: list[SyncCopy] = []
            copies: list[ConflictCopy] = []
            for record, current in zip(sent, self._current(sent)):
                result = by_id.get(record.id)
                if result is None:
                    raise Unreachable(f"push answer has no result for {record.id}", code="bad_response")
                outcome = decisions.apply_push_result(record, current, result, now=now)
                report.count_push(record.kind, record.id, outcome.kind, code=outcome.code, reason=outcome.reason,
                                  field=outcome.field)
                if outcome.record is not None:
                    to_save.append(outcome.record)
                if outcome.conflict is not None:
                    copies.append(outcome.conflict)
            for copy in copies:  # the server's copy first: a record in conflict always has one
                self.store.conflicts.put(copy)
            if to_save:
                self.store.save_sync(*to_save)

    def _unmark(self, sent: list[SyncCopy]) -> None:
        """No answer for this batch: back to pending (the server may have it; resending is harmless)."""
        with self.store.write_lock:
            back = [decisions.unmark_sending(r, current) for r, current in zip(sent, self._current(sent))]
            back = [r for r in back if r is not None]
            if back:
                self.store.save_sync(*back)
