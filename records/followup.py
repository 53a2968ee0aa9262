"""Following a concern up: the due-date table, due dates, overdue, and what "to follow up" means.

Pure functions over a Concern with the day injected (``today``), so the phone, the district
desktop and the server reach the same answer. The records' own rules (a referral's
institution, feedback, an escalation's summary) are in records/models.py with the Concern.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:  # records.models imports this module for the due date of a new concern
    from records.models import Concern

PRIORITIES: tuple[str, ...] = ("urgent", "high", "normal", "low")
# Days from the day a concern is raised to the day it is due, by priority (issue 11).
DEFAULT_DUE_DAYS: dict[str, int] = {"urgent": 3, "high": 7, "normal": 30, "low": 60}
MIN_DAYS, MAX_DAYS = 1, 365
DUE_SOON_DAYS = 7  # "due soon" on the follow-up list: due within this many days
DEFAULT_VERSION = "due-defaults"


class DueDaysError(ValueError):
    """An override that is not a usable due-date rule."""


def _categories() -> frozenset[str]:
    from records.models import ConcernCategory

    return frozenset(c.value for c in ConcernCategory)


def check_override(category: Any, priority: Any, days: Any) -> tuple[str, str, int]:
    category, priority = str(category or "").strip(), str(priority or "").strip()
    if category not in _categories():
        raise DueDaysError(f"unknown category {category!r}")
    if priority not in PRIORITIES:
        raise DueDaysError(f"unknown priority {priority!r}")
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise DueDaysError(f"days must be a whole number from {MIN_DAYS} to {MAX_DAYS}, not {days!r}")
    return category, priority, days


@dataclass(frozen=True)
class DueDays:
    """The defaults by priority and an administrator's overrides by (category, priority)."""

    overrides: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def days(self, category: str, priority: str) -> int:
        return self.overrides.get((category, priority), DEFAULT_DUE_DAYS[priority])

    @property
    def version(self) -> str:
        if not self.overrides:
            return DEFAULT_VERSION
        rows = sorted([c, p, d] for (c, p), d in self.overrides.items())
        return "due-" + hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]

    def wire(self) -> dict[str, Any]:
        return {"version": self.version, "defaults": dict(DEFAULT_DUE_DAYS),
                "overrides": [{"category": c, "priority": p, "days": d}
                              for (c, p), d in sorted(self.overrides.items())]}

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> "DueDays":
        """From pulled or stored rows ({category, priority, days}); DueDaysError names a bad one."""
        out: dict[tuple[str, str], int] = {}
        for row in rows:
            category, priority, days = check_override(row.get("category"), row.get("priority"), row.get("days"))
            out[(category, priority)] = days
        return cls(out)


DEFAULTS = DueDays()


def drop_unset(dumped: Any, names: Iterable[str]) -> Any:
    """A dump without the follow-up fields left unset: records made before them keep their stored form."""
    if isinstance(dumped, dict):
        for name in names:
            if dumped.get(name, 0) is None:
                del dumped[name]
    return dumped


def due_from_priority(raised: date, category: str, priority: str, table: DueDays = DEFAULTS) -> date:
    return raised + timedelta(days=table.days(category, priority))


# ---------------------------------------------------------------- where a concern stands

CLOSED = frozenset({"resolved", "escalated"})  # overdue no more: solved, or handed to the level above


class State:
    """A concern's place on the follow-up list, most pressing first."""

    overdue = "overdue"
    due_soon = "due_soon"
    tell_household = "tell_household"  # resolved, and the household was not told since
    on_track = "on_track"
    done = "done"

    ORDER = (overdue, due_soon, tell_household, on_track, done)


def due_date(concern: "Concern") -> date:
    """Its due date; a concern from an older app without one is due by its priority's default."""
    if concern.due_on is not None:
        return concern.due_on
    return due_from_priority(concern.created_at.date(), concern.category.value, concern.priority.value)


def is_overdue(concern: "Concern", today: date) -> bool:
    """Not resolved or escalated by its due date."""
    return concern.status.value not in CLOSED and today > due_date(concern)


def days_overdue(concern: "Concern", today: date) -> int:
    return max(0, (today - due_date(concern)).days) if concern.status.value not in CLOSED else 0


def age_days(concern: "Concern", today: date) -> int:
    return max(0, (today - concern.created_at.date()).days)


def needs_telling(concern: "Concern") -> bool:
    """Resolved, and no feedback to the household recorded since the last move to resolved."""
    if concern.status.value != "resolved":
        return False
    for entry in reversed(concern.history):
        if entry.feedback is not None:
            return False
        if entry.is_move and entry.to_status.value == "resolved":
            return True
    return True


def state(concern: "Concern", today: date) -> str:
    if is_overdue(concern, today):
        return State.overdue
    if needs_telling(concern):
        return State.tell_household
    if concern.status.value in CLOSED:
        return State.done
    if (due_date(concern) - today).days <= DUE_SOON_DAYS:
        return State.due_soon
    return State.on_track


def to_follow_up(concern: "Concern", today: date) -> bool:
    """On the "to follow up" list: overdue, due soon, or the household still to be told."""
    return state(concern, today) in (State.overdue, State.due_soon, State.tell_household)


def sort_key(concern: "Concern", today: date) -> tuple:
    """Overdue first (longest overdue first), then due soon (soonest first), then the household to tell."""
    place = State.ORDER.index(state(concern, today))
    return (place, due_date(concern).toordinal(), concern.created_at)


def last_step(concern: "Concern"):
    """The newest history entry (who did what, when), or None for a concern without history."""
    return concern.history[-1] if concern.history else None


def last_feedback(concern: "Concern"):
    return next((e.feedback for e in reversed(concern.history) if e.feedback is not None), None)


def escalation_of(concern: "Concern"):
    """The summary that went up with its last move to escalated (None for one escalated before summaries)."""
    for entry in reversed(concern.history):
        if entry.is_move and entry.to_status.value == "escalated":
            return entry.escalation, entry
    return None, None
