"""Drafts: what a form holds while it is being typed, kept in the device store so an app kill
(Android closes apps in the background) loses nothing. Apart from the records: never synced,
never counted as pending, sealed with the rest of the records store."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Optional

from records.fields import utcnow
from storage.repository import Store


@dataclass(frozen=True)
class Draft:
    fields: dict[str, Any]  # the form's own snapshot (JSON types), as its view-model made it
    saved_at: datetime


class DraftService:
    def __init__(self, store: Store, clock: Callable[[], datetime] = utcnow):
        self.store = store
        self.clock = clock

    def keep(self, key: str, fields: dict[str, Any]) -> None:
        """One journal line, fsync'd like every write of the store (the caller debounces)."""
        self.store.drafts.put(key, {"fields": fields, "saved_at": self.clock().isoformat()})

    def find(self, key: str) -> Optional[Draft]:
        doc = self.store.drafts.find(key)
        if not doc or not isinstance(doc.get("fields"), dict):
            return None
        try:
            saved_at = datetime.fromisoformat(doc.get("saved_at", ""))
        except ValueError:
            saved_at = self.clock()
        return Draft(doc["fields"], saved_at)

    def drop(self, key: str) -> None:
        self.store.drafts.remove(key)


def household_key(household_id: Optional[str]) -> str:
    return f"household:{household_id or 'new'}"


def visit_key(household_id: str, visit_id: Optional[str]) -> str:
    return f"visit:{visit_id}" if visit_id else f"visit:new:{household_id}"


def concern_status_key(concern_id: str) -> str:
    return f"concern-status:{concern_id}"


def concern_feedback_key(concern_id: str) -> str:
    return f"concern-feedback:{concern_id}"


def meeting_key(meeting_id: str) -> str:
    return f"meeting:{meeting_id}"
