"""The sync runner: one sync = push, then pull, then reference data, in that order.

Push every pending record in batches (sync/push.py), then pull pages until the server has no
more, then refresh the gazetteer, the institutions and the due-date table if the server has
another version. Every step is resumable: records are marked ``sending`` durably before their batch goes out, and the
pull cursor moves only after its page is saved. The rules are in sync/decisions.py, the
report types in sync/report.py, a supervisor's conflict decisions in sync/conflicts.py.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable, Optional

from records.models import Record, SyncState, utcnow
from storage import followup_reference
from storage.repository import Area, ConflictCopy, StoreError, Store
from sync import decisions
from sync.push import PushBatches
from sync.report import Progress, SyncProgress, SyncReport, safe_progress
from sync.transport import Refused, SyncError, Transport, Unreachable

log = logging.getLogger("phum.sync")

CURSOR_KEY = "sync.cursor"
LAST_SUCCESS_KEY = "sync.last_success_at"
DEFAULT_PULL_LIMIT = 500


class SyncInProgress(RuntimeError):
    """Another sync of the same store is running in this process."""


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
        lock = self.store.sync_lock  # one sync at a time per store, process-wide
        if not lock.acquire(blocking=False):
            raise SyncInProgress("a sync is already running")
        report = SyncReport(started_at=self.now())
        emit = safe_progress(progress)
        try:
            self.push(report, emit)
            if self.store.repair_pending() is not None:
                self.heal(report, emit)
            else:
                self.pull(report, emit)
            self.refresh_reference(report, emit)
            self.refresh_followup_reference(report)
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
        PushBatches(self.store, self.transport, device_id=self.device_id, batch_size=self.batch_size,
                    now=self.now).run(report, emit)

    # ---------------------------------------------------------------- pull

    def heal(self, report: SyncReport, emit: Progress) -> None:
        """After the store repaired damage on open: make the device whole again.

        Records lost with the damaged file are on the server, but the pull cursor is past them:
        pull the area from the start (a change is applied only where the device holds nothing
        newer, sync/decisions.py). A synced record the server did not send back may be missing
        there (the device's copy was its only one): send it again (the server answers duplicate
        for what it holds). Done once: the store forgets the repair only when all of it worked.
        """
        seen: set[str] = set()
        self.pull(report, emit, from_start=True, seen=seen)
        lost_upstream = [(kind, record_id) for kind in decisions.TYPE_ORDER
                         for record_id in self.store.repository_for(kind).ids_in_state(SyncState.synced)
                         if record_id not in seen]
        if lost_upstream:
            with self.store.write_lock:
                copies = [c for c in self.store.sync_copies(lost_upstream) if c is not None]
                self.store.save_sync(*(c.model_copy(update={"sync_state": SyncState.pending}) for c in copies))
            report.resent_after_repair = len(copies)
            self.push(report, emit)
        self.store.repair_done()
        report.healed = True

    def pull(self, report: SyncReport, emit: Progress, *, from_start: bool = False,
             seen: Optional[set[str]] = None) -> None:
        cursor = None if from_start else self.store.meta.get(self.cursor_key)
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
            changes = page.get("changes") or []
            if seen is not None:
                seen.update(str(change.get("id")) for change in changes)
            self._apply_page(changes, report)
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
        with self.store.write_lock:
            staged: dict[str, Record] = {}
            copies: list[ConflictCopy] = []
            for change in changes:
                record_id, kind = str(change.get("id")), str(change.get("type"))
                if kind not in decisions.TYPE_ORDER:
                    report.errors.append(f"pulled a change of unknown type {kind!r} ({record_id})")
                    continue
                current = staged.get(record_id) or self._find(kind, record_id)
                outcome = decisions.apply_pulled_change(current, change, now=now)
                report.count_pull(record_id, outcome.kind, reason=outcome.reason)
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

    def refresh_followup_reference(self, report: SyncReport) -> None:
        """Institutions and the due-date table, when the server has another version (storage/followup_reference.py)."""
        for name, ask, version, save in (
                ("institutions", self.transport.reference_institutions, followup_reference.institutions_version,
                 followup_reference.save_institutions),
                ("due days", self.transport.reference_due_days, followup_reference.due_days_version,
                 followup_reference.save_due_days)):
            answer = ask(version=version(self.store))
            if not isinstance(answer, dict):
                raise Unreachable(f"{name} answer is not an object", code="bad_response")
            try:
                saved = save(self.store, answer)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:  # a bad list: the old one stays
                report.errors.append(f"{name} {answer.get('version')} not loaded: {exc}")
                continue
            if saved is not None:
                report.reference_versions[name] = saved

    def _find(self, kind: str, record_id: str) -> Optional[Record]:
        return self.store.repository_for(kind).find(record_id)
