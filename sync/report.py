"""What a sync tells the UI: the outcome of each record, progress events and the report of one sync.

``Outcome`` is shared by the rules (sync/decisions.py says what each answer or pulled change
does), the runner (which counts them) and the report; it is a str enum, so the server's
words ("accepted", "duplicate", "rejected", "conflict") compare equal to it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Callable, Optional

log = logging.getLogger("phum.sync")


class Outcome(str, Enum):
    """What one push answer or one pulled change did to the local copy."""

    # push: the server's answers
    accepted = "accepted"
    duplicate = "duplicate"
    rejected = "rejected"
    conflict = "conflict"  # also a pulled change that met unsynced local edits
    # push: what the device makes of an answer
    deferred = "deferred"  # waits for its household or visit to reach the server
    requeued = "requeued"  # edited while sending: the newer edit still has to go
    gone = "gone"  # the local record is no longer there
    # pull
    new = "new"
    updated = "updated"
    unchanged = "unchanged"
    invalid = "invalid"  # the server sent something the device's models refuse

    def __str__(self) -> str:
        return self.value


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
    reference_versions: dict[str, str] = field(default_factory=dict)  # institutions / due days newly loaded
    healed: bool = False  # this sync made a repaired store whole again (area pulled from the start)
    resent_after_repair: int = 0  # synced records the server did not send back, sent again
    errors: list[str] = field(default_factory=list)
    error: Optional[Exception] = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def changed_device(self) -> bool:
        """True when this sync changed what the device holds or shows of its records: a record
        sent (its mark), refused, in conflict or edited meanwhile, a change pulled, a store healed,
        a new gazetteer or reference list. A sync that found nothing to do changed nothing."""
        return bool(self.accepted or self.duplicates or self.rejected or self.conflicts or self.requeued
                    or self.pulled or self.healed or self.resent_after_repair or self.gazetteer_version
                    or self.reference_versions)

    def count_push(self, record_type: str, record_id: str, outcome: Outcome, *, code: str = "", reason: str = "",
                   field: str = "") -> None:
        """Count one push answer as the rules read it."""
        if outcome == Outcome.accepted:
            self.accepted += 1
        elif outcome == Outcome.duplicate:
            self.duplicates += 1
        elif outcome == Outcome.rejected:
            self.rejected.append(RejectedRecord(record_type, record_id, code, reason, field))
        elif outcome == Outcome.conflict:
            self.conflicts.append(record_id)
        elif outcome == Outcome.deferred:
            self.deferred += 1
        elif outcome == Outcome.requeued:
            self.requeued += 1

    def count_pull(self, record_id: str, outcome: Outcome, *, reason: str = "") -> None:
        """Count one pulled change as the rules read it."""
        if outcome in (Outcome.new, Outcome.updated):
            self.pulled += 1
        elif outcome == Outcome.conflict:
            if record_id not in self.conflicts:
                self.conflicts.append(record_id)
        elif outcome == Outcome.invalid:
            self.errors.append(f"could not apply a pulled change: {reason}")

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
            "reference_versions": dict(self.reference_versions),
            "errors": list(self.errors),
        }


Progress = Callable[[SyncProgress], None]


def safe_progress(progress: Optional[Progress]) -> Progress:
    """A progress callback that cannot break the sync (a closed page, a UI bug)."""

    def emit(event: SyncProgress) -> None:
        if progress is None:
            return
        try:
            progress(event)
        except Exception:  # noqa: BLE001 - the UI's trouble must not stop a sync
            log.exception("sync progress callback failed")

    return emit
