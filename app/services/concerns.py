"""Concerns across households: filter them and move them along their lifecycle."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Optional

from pydantic import ValidationError

from app.services.actor import ActorSource
from app.services.followup import OTHER, FollowupReference
from app.services.edits import ChangedSinceOpened, OnSaved, SaveFailed, nothing_to_do, notify_saved
from storage.repository import Store
from records.models import (ALLOWED_TRANSITIONS, Concern, ConcernCategory, ConcernStatus, Household, can_change_status,
                            field_errors, utcnow)
from records.meetings import Meeting
from records.roles import may_set_status


@dataclass(frozen=True)
class ConcernRow:
    concern: Concern
    household_id: str
    head_name: str
    village_code: str
    raised_on: date  # the day of the visit (meeting) it was raised at (a paper form is typed days later)
    meeting_id: str = ""  # raised at a forum or meeting: which one
    meeting_title: str = ""


class ConcernService:
    def __init__(self, store: Store, actor: ActorSource, *, clock: Callable = utcnow,
                 on_saved: OnSaved = nothing_to_do, reference: Optional[FollowupReference] = None):
        self.store = store
        self.actor = actor
        self.clock = clock
        self.on_saved = on_saved
        self.reference = reference or FollowupReference(store)

    def list(
        self,
        *,
        status: Optional[ConcernStatus] = None,
        category: Optional[ConcernCategory] = None,
        area_code: str = "",
        limit: int = 200,
    ) -> tuple[list[ConcernRow], int]:
        """Matching concerns newest first (at most ``limit``) and how many match in all."""
        households: Optional[set[str]] = None
        meetings: Optional[set[str]] = None
        if area_code:
            households = {h.id for h in self.store.households.in_area(area_code)}
            meetings = {m.id for m in self.store.meetings.all() if m.area_code.startswith(area_code)}
        found = self.store.concerns.filtered(
            statuses=[status] if status else (),
            categories=[category] if category else (),
            household_ids=households,
            meeting_ids=meetings,
        )
        heads: dict[Optional[str], Optional[Household]] = {None: None}
        visit_days: dict[Optional[str], Optional[date]] = {None: None}
        met: dict[Optional[str], Optional[Meeting]] = {None: None}
        rows = []
        for concern in found[:limit]:
            if concern.household_id not in heads:
                heads[concern.household_id] = self.store.households.find(concern.household_id)
            if concern.visit_id not in visit_days:
                visit = self.store.visits.find(concern.visit_id)
                visit_days[concern.visit_id] = visit.visited_on if visit else None
            if concern.meeting_id not in met:
                met[concern.meeting_id] = self.store.meetings.find(concern.meeting_id)
            h, m = heads[concern.household_id], met[concern.meeting_id]
            raised = visit_days[concern.visit_id] or (m.effective_on if m else None) or concern.created_at.date()
            rows.append(ConcernRow(concern, concern.household_id or "", h.head_name if h else "",
                                   h.village_code if h else (m.area_code if m else ""), raised,
                                   meeting_id=concern.meeting_id or "", meeting_title=m.title if m else ""))
        return rows, len(found)

    def get(self, concern_id: str) -> Optional[Concern]:
        return self.store.concerns.find(concern_id)

    @staticmethod
    def next_statuses(concern: Concern, *, role: str = "admin") -> list[ConcernStatus]:
        """Where the lifecycle lets this concern go next and ``role`` may move it, in lifecycle order."""
        allowed = ALLOWED_TRANSITIONS[concern.status]
        return [s for s in ConcernStatus if s in allowed and may_set_status(role, concern.status, s)]

    def choices(self, concern: Concern) -> list[ConcernStatus]:
        """The moves the signed-in user may make on this concern."""
        return self.next_statuses(concern, role=self.actor().role)

    def change_status(
        self, concern_id: str, to: ConcernStatus | str, *, note: str = "", referred_to: str = "",
        opened: Optional[Concern] = None, institution_id: str = "", expected_on: Optional[date] = None,
        escalation: Optional[dict] = None,
    ) -> Concern:
        """Append to the history and save; raises SaveFailed (nothing saved) for a move not allowed.

        The move is made on the stored copy, so a change pulled since the form showed
        ``opened`` stays in the history; when that change means the move is no longer allowed
        (the office resolved it meanwhile), ChangedSinceOpened carries the stored copy.
        Officials may not escalate: that is the district office's decision. A referral names a
        listed institution by id (its English name goes in ``referred_to`` for readers without the
        list) or, with ``institution_id`` "other" or empty, the typed ``referred_to``.
        """
        try:
            target = ConcernStatus(to)
        except ValueError:
            raise SaveFailed({"status": "choice_invalid"}) from None
        actor = self.actor()
        if not may_set_status(actor.role, None, target):
            raise SaveFailed({"status": "escalate_office_only"})
        listed = None
        if target == ConcernStatus.referred and institution_id and institution_id != OTHER:
            listed = self.reference.institution(institution_id)
            if listed is None:
                raise SaveFailed({"institution_id": "institution_unknown"})
            referred_to = listed.name_en
        with self.store.write_lock:  # no sync answer lands between the read and the save
            concern = self.store.concerns.get(concern_id)
            if opened is not None and opened.status != concern.status and not can_change_status(concern.status,
                                                                                                 target):
                raise ChangedSinceOpened(concern, ["status"], at="status")
            try:
                changed = concern.change_status(
                    target, by=actor.signature, note=note or "", referred_to=referred_to or None, at=self.clock(),
                    institution_id=listed.id if listed else None, expected_on=expected_on,
                    escalation=_escalation(escalation) if target == ConcernStatus.escalated else None,
                )
            except ValidationError as exc:
                raise SaveFailed(field_errors(exc)) from None
            saved = self.store.save_edit(changed)[0]
        notify_saved(self.on_saved)
        return saved


def _escalation(typed: Optional[dict]) -> Optional[dict]:
    """The summary as typed (None when nothing was: the record says escalation_required)."""
    if not typed or not any((str(v or "").strip() for v in typed.values())):
        return None
    return {k: (v or None) if k == "level" else (v or "") for k, v in typed.items()}
