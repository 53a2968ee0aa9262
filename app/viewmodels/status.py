"""What every screen shows at all times: reachability, unsynced records, a running sync.

Holds AutoSync's latest status object (sync/auto.py: online from the reachability probe,
running, progress, last report, a refused token) instead of copying its fields, and recounts
what waits for the server after every local save; each open screen subscribes and redraws
its badge, banner and progress bar.
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Callable, Optional

from app.services.sync_review import SyncReview
from sync.auto import SyncStatus
from sync.outbox import OutboxCounts
from sync.report import SyncProgress, SyncReport

Listener = Callable[[], None]


class AppStatus:
    def __init__(self, review: SyncReview):
        self.review = review
        self.sync = SyncStatus()  # AutoSync's, replaced (never edited) on each of its changes
        self.counts: OutboxCounts = review.counts()
        self._stored_success: Optional[datetime] = review.last_success()  # before AutoSync has read it
        self._listeners: list[Listener] = []
        self._changed_syncs = 0
        self._lock = threading.Lock()

    @property
    def online(self) -> Optional[bool]:
        """None: not asked yet (or no server set)."""
        return self.sync.online

    @property
    def offline(self) -> bool:
        return self.sync.online is False

    @property
    def running(self) -> bool:
        return self.sync.running

    @property
    def progress(self) -> Optional[SyncProgress]:
        return self.sync.progress if self.sync.running else None

    @property
    def last_report(self) -> Optional[SyncReport]:
        return self.sync.last_report

    @property
    def changed_syncs(self) -> int:
        """How many syncs so far changed the device's records (SyncReport.changed_device): a screen
        showing records repaints when this moves, not for every sync that ran."""
        return self._changed_syncs

    @property
    def last_success_at(self) -> Optional[datetime]:
        return self.sync.last_success_at or self._stored_success

    @property
    def needs_sign_in(self) -> bool:
        return self.sync.needs_sign_in

    @property
    def pending(self) -> int:
        """What the badge counts: records not on the server yet (waiting, rejected or in conflict)."""
        c = self.counts
        return c.total_pending + c.total_rejected + c.total_conflicts

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def changed(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:  # noqa: BLE001 - a closed tab must not stop the others' updates
                pass

    def records_changed(self) -> None:
        """After a local save: recount what waits for the server."""
        self.counts = self.review.counts()
        self.changed()

    def apply_sync_status(self, status: SyncStatus) -> None:
        """AutoSync's view of things (called on the event loop on every change it makes)."""
        report = status.last_report
        if report is not None and report is not self.sync.last_report and report.changed_device:
            self._changed_syncs += 1
        self.sync = status
        # AutoSync counts only when its loop looks; with nothing counted yet, ours stays right.
        self.counts = status.counts if (status.counts.pending or status.counts.rejected) else self.review.counts()
        self.changed()
