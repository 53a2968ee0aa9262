"""What the follow-up list needs of each concern, kept beside the store's documents.

A district office holds 100,000 concerns: building every record to find the overdue ones
would take seconds. The store keeps these few facts per concern (updated on every save), so
the list is one pass over small tuples and only the rows shown are built as records.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NamedTuple, Optional

from records.followup import DEFAULT_DUE_DAYS


class FollowupFacts(NamedTuple):
    id: str
    household_id: str
    status: str
    category: str
    priority: str
    due: int  # date.toordinal() of its due date
    institution_id: Optional[str]
    needs_telling: bool  # resolved, and no feedback since
    created_at: str  # ISO, UTC
    source: Optional[str]  # where it was raised (a field the meetings work adds; None before it)


def _due(doc: dict[str, Any]) -> int:
    if doc.get("due_on"):
        return date.fromisoformat(doc["due_on"]).toordinal()
    raised = date.fromisoformat(str(doc["created_at"])[:10])  # as records.followup.due_date
    return (raised + timedelta(days=DEFAULT_DUE_DAYS.get(doc.get("priority"), 30))).toordinal()


def _needs_telling(doc: dict[str, Any]) -> bool:
    if doc["status"] != "resolved":
        return False
    for entry in reversed(doc.get("history") or ()):  # as records.followup.needs_telling
        if entry.get("feedback") is not None:
            return False
        if entry.get("to_status") == "resolved" and entry.get("from_status") != "resolved":
            return True
    return True


def facts_of(record_id: str, doc: dict[str, Any]) -> FollowupFacts:
    return FollowupFacts(record_id, doc["household_id"], doc["status"], doc["category"], doc.get("priority", "normal"),
                         _due(doc), doc.get("institution_id"), _needs_telling(doc), str(doc["created_at"]),
                         doc.get("source"))
