"""What every screen shows at all times: reachability, unsynced records, a running sync.

Fed by AutoSync's status (sync/auto.py), by the reachability probe, and by every local
save; each open screen subscribes and redraws its badge, banner and progress bar.
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
        self.online: Optional[bool] = None  # None: not asked yet (or no server set)
        self.running = False
        self.progress: Optional[SyncProgress] = None
        self.counts: OutboxCounts = review.counts()
        self.last_success_at: Optional[datetime] = review.last_success()
        self.last_report: Optional[SyncReport] = None
        self.last_error = ""
        self.needs_sign_in = False
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        """What the badge counts: records not on the server yet (waiting, rejected or in conflict)."""
        c = self.counts
        return c.total_pending + c.total_rejected + c.total_conflicts

    @property
    def offline(self) -> bool:
        return self.online is False

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

    def set_online(self, online: Optional[bool]) -> None:
        if online != self.online:
            self.online = online
            self.changed()

    def apply_sync_status(self, status: SyncStatus) -> None:
        """AutoSync's view of things (called on the event loop on every change it makes)."""
        if status.online is not None:
            self.online = status.online
        self.running = status.running
        self.progress = status.progress if status.running else None
        self.counts = status.counts if (status.counts.pending or status.counts.rejected) else self.review.counts()
        self.last_success_at = status.last_success_at or self.last_success_at
        self.last_report = status.last_report or self.last_report
        self.last_error = status.last_error
        self.needs_sign_in = status.needs_sign_in
        self.changed()
