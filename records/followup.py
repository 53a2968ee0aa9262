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
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional

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


def due_from_priority(raised: date, category: str, priority: str, table: DueDays = DEFAULTS) -> date:
    return raised + timedelta(days=table.days(category, priority))
