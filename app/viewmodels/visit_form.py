"""The visit screen: date, officials, kind, notes, follow-up, and any number of concerns."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Optional

from records.models import ConcernCategory, Concern, Priority, Record, Visit, VisitKind
from app.services.edits import ChangedSinceOpened
from app.services.households import HouseholdService
from app.services.parsing import InputError, parse_date, split_names
from app.services.drafts import DraftService, visit_key
from app.services.visits import ConcernInput, VisitErrors, VisitService
from app.viewmodels.drafts import DraftKeeper
from app.viewmodels.unsaved import UnsavedEdit

CATEGORIES = [c.value for c in ConcernCategory]
PRIORITIES = [p.value for p in Priority]
KINDS = [k.value for k in VisitKind]
VISIT_FIELDS = ("visited_on", "officials", "kind", "notes", "follow_up_on")
CONCERN_FIELDS = ("category", "description", "priority")


@dataclass
class ConcernDraft:
    category: str = ""
    description: str = ""
    priority: str = Priority.normal.value
    id: Optional[str] = None  # set for a concern that is already saved
    key: int = 0  # stable identity on screen while drafts are added and removed
    errors: dict[str, str] = field(default_factory=dict)


class VisitFormVM:
    def __init__(self, visits: VisitService, households: HouseholdService, household_id: str, *,
                 official: str = "", visit_id: Optional[str] = None, today: Callable[[], date] = date.today,
                 drafts: Optional[DraftService] = None):
        self.visits = visits
        self.household = households.find(household_id)
        self.household_id = household_id
        self.visit_id = visit_id
        self.errors: dict[str, str] = {}
        self.saved: Optional[tuple[Visit, list[Concern]]] = None
        self._next_key = 0
        self.concerns: list[ConcernDraft] = []
        # The visit and concerns as shown when the form opened: saving checks nobody changed them since.
        self.opened: list[Record] = []
        # After a save refused because the visit changed meanwhile: what the official had typed
        # that the reloaded form no longer shows, to make it again.
        self.unsaved: list[UnsavedEdit] = []
        if visit_id:
            self._show(*visits.load(visit_id))
        else:
            self.visited_on = today().strftime("%d/%m/%Y")
            self.officials = official
            self.kind = VisitKind.household_visit.value
            self.notes = ""
            self.follow_up_on = ""
        # The draft: what differs from what the form opened with, kept in the store as typed.
        self._initial = self.snapshot()
        self.draft = DraftKeeper(drafts, visit_key(household_id, visit_id), self.changes)

    def snapshot(self) -> dict[str, Any]:
        """Every field as the form holds it (JSON types), concerns in screen order."""
        out: dict[str, Any] = {name: getattr(self, name) for name in VISIT_FIELDS}
        out["concerns"] = [{"id": d.id, **{n: getattr(d, n) for n in CONCERN_FIELDS}} for d in self.concerns]
        return out

    def changes(self) -> dict[str, Any]:
        """The fields typed since the form opened (or was last saved); {} when nothing is."""
        now = self.snapshot()
        return {name: value for name, value in now.items() if self._initial.get(name) != value}

    @property
    def has_changes(self) -> bool:
        return bool(self.changes())

    def restore(self, fields: dict[str, Any]) -> None:
        """Put a kept draft's values back (the visit's fields; its concerns as they were listed)."""
        for name in VISIT_FIELDS:
            if isinstance(fields.get(name), str):
                setattr(self, name, fields[name])
        if isinstance(fields.get("concerns"), list):
            saved = {d.id: d for d in self.concerns if d.id}
            drafts = []
            for item in fields["concerns"]:
                if not isinstance(item, dict):
                    continue
                values = {n: str(item.get(n) or "") for n in CONCERN_FIELDS}
                values["priority"] = values["priority"] or Priority.normal.value
                known = saved.pop(item.get("id"), None)
                if known is not None:
                    for n, v in values.items():
                        setattr(known, n, v)
                    drafts.append(known)
                elif not item.get("id"):
                    drafts.append(self._draft(**values))
            self.concerns = drafts + list(saved.values())  # a saved concern is never dropped by a draft

    def use_draft(self) -> None:
        fields = self.draft.take_offer()
        if fields:
            self.restore(fields)

    def _show(self, visit: Visit, concerns: list[Concern]) -> None:
        """Fill the form from the stored visit and its concerns (drafts not saved yet are kept)."""
        for name, value in _visit_texts(visit).items():
            setattr(self, name, value)
        new = [d for d in self.concerns if not d.id]
        self.concerns = [self._draft(id=c.id, **_concern_texts(c)) for c in concerns] + new
        self.opened = [visit, *concerns]

    @property
    def found(self) -> bool:
        return self.household is not None

    def _draft(self, **values: Any) -> ConcernDraft:
        self._next_key += 1
        return ConcernDraft(key=self._next_key, **values)

    def set(self, name: str, value: Any) -> None:
        setattr(self, name, value)
        self.errors.pop(name, None)
        self.draft.typed()

    def add_concern(self) -> ConcernDraft:
        draft = self._draft()
        self.concerns.append(draft)
        self.draft.typed()
        return draft

    def remove_concern(self, key: int) -> None:
        # A saved concern is part of the record: it is closed through its status, not deleted here.
        self.concerns = [c for c in self.concerns if c.key != key or c.id]
        self.draft.typed()

    def set_concern(self, key: int, name: str, value: Any) -> None:
        for draft in self.concerns:
            if draft.key == key:
                setattr(draft, name, value)
                draft.errors.pop(name, None)
        self.draft.typed()

    def _values(self) -> tuple[dict[str, Any], dict[str, str]]:
        errors: dict[str, str] = {}
        values: dict[str, Any] = {"officials": split_names(self.officials), "visit_kind": self.kind,
                                  "notes": self.notes}
        for name in ("visited_on", "follow_up_on"):
            try:
                values[name] = parse_date(getattr(self, name), required=name == "visited_on")
            except InputError as exc:
                errors[name] = exc.code
        return values, errors

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(c.errors for c in self.concerns)

    def submit(self) -> bool:
        """Save the visit and all its concerns in one step, or nothing at all."""
        values, errors = self._values()
        for draft in self.concerns:
            draft.errors = {}
        try:
            if errors:
                # Check the concerns too, so every problem shows at once.
                raise VisitErrors(visit=errors, concerns=[_check_concern(d) for d in self.concerns])
            self.saved = self.visits.save(
                self.household_id, values,
                [ConcernInput(d.category or None, d.description, d.priority, d.id) for d in self.concerns],
                visit_id=self.visit_id, opened=self.opened,
            )
        except ChangedSinceOpened:
            self.reload()
            self.errors = {"__all__": ChangedSinceOpened.code}
            return False
        except VisitErrors as exc:
            self.errors = {**exc.visit}
            for draft, errs in zip(self.concerns, exc.concerns):
                draft.errors = dict(errs)
            return False
        self.errors = {}
        self.unsaved = []
        visit, concerns = self.saved
        self.visit_id = visit.id
        for draft, concern in zip(self.concerns, concerns):
            draft.id = concern.id
        self.opened = [visit, *concerns]
        self.draft.drop()
        self._initial = self.snapshot()
        return True

    def reload(self) -> None:
        """Show the stored visit and concerns again; keep aside the typed values they do not hold.

        Concerns added in this form and not saved yet stay as typed: nobody else has them.
        """
        assert self.visit_id is not None
        was = {r.id: _visit_texts(r) if isinstance(r, Visit) else _concern_texts(r) for r in self.opened}
        typed = {name: getattr(self, name) for name in VISIT_FIELDS}
        typed_concerns = {d.id: d for d in self.concerns if d.id}
        self._show(*self.visits.load(self.visit_id))
        unsaved = [UnsavedEdit("visit_kind" if name == "kind" else name, typed[name]) for name in VISIT_FIELDS
                   if typed[name] not in (was.get(self.visit_id, {}).get(name), getattr(self, name))]
        for number, draft in enumerate(self.concerns, start=1):
            mine, before = typed_concerns.get(draft.id), was.get(draft.id)
            if mine is None or before is None:
                continue
            unsaved += [UnsavedEdit(name, getattr(mine, name), concern=number) for name in CONCERN_FIELDS
                        if getattr(mine, name) not in (before[name], getattr(draft, name))]
        self.unsaved = unsaved
        # What was typed is listed in ``unsaved`` beside the stored values; new concerns stay unsaved.
        self._initial = self.snapshot()
        self._initial["concerns"] = [c for c in self._initial["concerns"] if c["id"]]

    @property
    def reloaded(self) -> bool:
        """The last save was refused because the visit changed since the form was opened."""
        return self.errors.get("__all__") == ChangedSinceOpened.code


def _visit_texts(visit: Visit) -> dict[str, str]:
    """A stored visit as the form's fields hold it."""
    return {
        "visited_on": visit.visited_on.strftime("%d/%m/%Y"),
        "officials": ", ".join(visit.officials),
        "kind": visit.visit_kind.value,
        "notes": visit.notes,
        "follow_up_on": visit.follow_up_on.strftime("%d/%m/%Y") if visit.follow_up_on else "",
    }


def _concern_texts(concern: Concern) -> dict[str, str]:
    return {"category": concern.category.value, "description": concern.description,
            "priority": concern.priority.value}


def _check_concern(draft: ConcernDraft) -> dict[str, str]:
    errors = {}
    if not draft.category:
        errors["category"] = "required"
    if not draft.description.strip():
        errors["description"] = "description_empty"
    return errors
