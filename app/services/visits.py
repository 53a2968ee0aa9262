"""A visit and the concerns raised during it, saved together or not at all."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from pydantic import ValidationError

from records.followup import DueDays, due_from_priority
from records.models import Concern, ConcernCategory, Priority, Record, Visit, field_errors, utcnow
from app.services.actor import ActorSource
from app.services.edits import OnSaved, ensure_unchanged, nothing_to_do, notify_saved
from storage.followup_reference import load_due_days
from storage.repository import Store


@dataclass
class ConcernInput:
    """One concern as typed on the visit screen; ``id`` is set when it already exists."""

    category: Optional[str]
    description: str
    priority: str = "normal"
    id: Optional[str] = None


@dataclass
class VisitErrors(Exception):
    """Field -> code for the visit, and one such map per concern (same order as given)."""

    visit: dict[str, str] = field(default_factory=dict)
    concerns: list[dict[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.visit) or any(self.concerns)


class VisitService:
    def __init__(self, store: Store, actor: ActorSource, *, clock: Callable = utcnow,
                 on_saved: OnSaved = nothing_to_do):
        self.store = store
        self.actor = actor
        self.clock = clock
        self.on_saved = on_saved

    def load(self, visit_id: str) -> tuple[Visit, list[Concern]]:
        visit = self.store.visits.get(visit_id)
        return visit, sorted(self.store.concerns.for_visit(visit_id), key=lambda c: c.created_at)

    def save(
        self,
        household_id: str,
        values: dict[str, Any],
        concerns: list[ConcernInput],
        *,
        visit_id: Optional[str] = None,
        opened: Iterable[Record] = (),
    ) -> tuple[Visit, list[Concern]]:
        """Validate everything first, then write the visit and all its concerns in ONE store.save.

        Raises VisitErrors (nothing saved) when the visit or any concern is invalid.
        ``opened`` are the visit and concerns as the form loaded them: when a field the form
        edits changed in the store since then, ChangedSinceOpened (nothing saved) carries the
        stored copy. A concern whose status the office changed meanwhile is not refused: the
        form does not edit the status, and the edit goes on top of the stored copy.
        """
        with self.store.write_lock:  # no sync answer lands between the checks and the save
            visit, made, changed = self._save(household_id, values, concerns, visit_id, {r.id: r for r in opened})
        if changed:
            notify_saved(self.on_saved)
        return visit, made

    def _save(self, household_id: str, values: dict[str, Any], concerns: list[ConcernInput],
              visit_id: Optional[str], opened: dict[str, Record]) -> tuple[Visit, list[Concern], bool]:
        actor = self.actor()
        now = self.clock()
        errors = VisitErrors(concerns=[{} for _ in concerns])
        visit: Optional[Visit] = None
        changed: list[Record] = []
        try:
            if visit_id:
                current = self.store.visits.get(visit_id)
                if _same(current, values):
                    visit = current
                else:
                    ensure_unchanged(opened.get(visit_id), current, values)
                    visit = current.edited(at=now, **values)
            else:
                visit = Visit(household_id=household_id, created_at=now, updated_at=now,
                              device_id=actor.device_id, author=actor.username, **values)
        except ValidationError as exc:
            errors.visit = field_errors(exc)
        if visit is not None and (not visit_id or visit.rev != self.store.visits.get(visit_id).rev):
            changed.append(visit)

        made: list[Concern] = []
        due_days = load_due_days(self.store)  # the table pulled from the server (or the defaults)
        for i, item in enumerate(concerns):
            data = {"description": item.description, "priority": item.priority}
            if item.category:
                data["category"] = item.category  # left out when not chosen: reported as "required"
            try:
                if item.id:
                    current_c = self.store.concerns.get(item.id)
                    if _same(current_c, data):
                        made.append(current_c)
                        continue
                    ensure_unchanged(opened.get(item.id), current_c, ("category", "description", "priority"))
                    concern = current_c.edited(at=now, **data, **_due_after_edit(current_c, data, due_days))
                else:
                    concern = Concern.raise_new(
                        by=actor.signature, at=now, due_days=due_days,
                        household_id=household_id, visit_id=visit.id if visit else _placeholder_id(),
                        device_id=actor.device_id, **data,
                    )
                made.append(concern)
                changed.append(concern)
            except ValidationError as exc:
                errors.concerns[i] = field_errors(exc)
        if errors:
            raise errors
        assert visit is not None
        if changed:
            saved = {r.id: r for r in self.store.save_edit(*changed)}
            visit = saved.get(visit.id, visit)
            made = [saved.get(c.id, c) for c in made]
        return visit, made, bool(changed)


def _same(current: Record, values: dict[str, Any]) -> bool:
    try:
        probe = type(current).model_validate({**current.model_dump(), **values})
    except ValidationError:
        return False
    return all(getattr(probe, k) == getattr(current, k) for k in values)


def _due_after_edit(current: Concern, data: dict[str, Any], table: DueDays) -> dict[str, Any]:
    """A new priority or category moves the due date, unless a referral set its own expected date."""
    if current.expected_on is not None:
        return {}
    try:
        category, priority = ConcernCategory(data.get("category", current.category)), Priority(data["priority"])
    except (KeyError, ValueError):
        return {}  # the record's validation names the bad value
    if (category, priority) == (current.category, current.priority) and current.due_on is not None:
        return {}
    return {"due_on": due_from_priority(current.created_at.date(), category.value, priority.value, table)}


def _placeholder_id() -> str:
    # Lets a concern be validated (and its errors shown) even when the visit itself is invalid.
    return "00000000-0000-4000-8000-000000000000"
