"""Keeping a form's draft in the device store while it is typed (debounced), offering it back
when the form opens again, and removing it on save or discard."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional

from app.services.drafts import Draft, DraftService

QUIET_S = 0.6  # a pause in typing this long writes the draft: one small fsync'd line, not one per key


class DraftKeeper:
    """``changes()`` is the form's draft: what differs from what it opened with ({} = nothing)."""

    def __init__(self, service: Optional[DraftService], key: str, changes: Callable[[], dict[str, Any]], *,
                 quiet_s: float = QUIET_S):
        self.service = service
        self.key = key
        self.changes = changes
        self.quiet_s = quiet_s
        self._timer: Optional[threading.Timer] = None
        self._due = 0.0
        self._lock = threading.Lock()
        # A draft left by an earlier visit to this form (or a killed app): the form offers it back.
        self.offered: Optional[Draft] = service.find(key) if service is not None else None

    def typed(self) -> None:
        """Something changed: write the draft once typing pauses (one timer thread per pause, not per key)."""
        if self.service is None:
            return
        with self._lock:
            self._due = time.monotonic() + self.quiet_s
            if self._timer is None:
                self._arm(self.quiet_s)

    def _arm(self, delay: float) -> None:
        self._timer = threading.Timer(delay, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            left = self._due - time.monotonic()
            if left > 0:  # typed again meanwhile: wait for the pause
                self._arm(left)
                return
            self._timer = None
        self.flush()

    def flush(self) -> None:
        """Write the draft now (or remove it when nothing is changed any more)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self.service is None:
                return
            changes = self.changes()
            if changes:
                self.service.keep(self.key, changes)
            elif self.offered is None:  # an earlier draft not yet taken up or refused stays
                self.service.drop(self.key)

    def drop(self) -> None:
        """Saved or discarded: no draft any more."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self.offered = None
            if self.service is not None:
                self.service.drop(self.key)

    def take_offer(self) -> Optional[dict[str, Any]]:
        """The offered draft's fields, once (the form applies them)."""
        offered, self.offered = self.offered, None
        return offered.fields if offered else None
