"""One meeting: what can be done next, invitations with one tap each, counters, minutes, decisions, concerns;
and the fast entry of concerns from the floor during a forum, each saved as it is added."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Optional

from app.services.drafts import DraftService, meeting_key
from app.services.edits import ChangedSinceOpened, SaveFailed
from app.services.households import HouseholdRow, HouseholdService
from app.services.meetings import MeetingService
from app.services.parsing import InputError, parse_date, parse_whole_number
from app.viewmodels.drafts import DraftKeeper
from records.meetings import Answer, DecisionStatus, Invitation, Meeting, MeetingStatus
from records.models import Concern, ConcernCategory

CATEGORIES = [c.value for c in ConcernCategory]
ANSWERS = [a.value for a in Answer]


class MeetingDetailVM:
    def __init__(self, meetings: MeetingService, meeting_id: str, *, today: Callable[[], date] = date.today,
                 user_area: str = "", drafts: Optional[DraftService] = None):
        self.service = meetings
        self.meeting_id = meeting_id
        self.today = today
        self.user_area = user_area  # the signed-in user's area ("" = not signed in or the whole country)
        self.errors: dict[str, str] = {}
        self.meeting: Optional[Meeting] = None
        self.concerns: list[Concern] = []
        self.minutes = ""  # as typed, saved with save_minutes
        self.reload()
        # The minutes typed and not saved yet, kept in the device store: a forum's minutes outlive an app kill.
        self.draft = DraftKeeper(drafts, meeting_key(meeting_id),
                                 lambda: {"minutes": self.minutes} if self.minutes_changed else {})

    @property
    def minutes_changed(self) -> bool:
        """Minutes typed that differ from the stored ones, on a meeting whose minutes are still open."""
        return self.minutes_editable and (self.minutes or "") != (self.meeting.minutes or "")  # type: ignore[union-attr]

    def type_minutes(self, text: str) -> None:
        self.minutes = text
        self.draft.typed()

    @property
    def offers_draft(self) -> bool:
        return self.draft.offered is not None and self.minutes_editable

    def use_draft(self) -> None:
        fields = self.draft.take_offer() or {}
        if self.minutes_editable and isinstance(fields.get("minutes"), str):
            self.minutes = fields["minutes"]
            self.draft.typed()

    @property
    def found(self) -> bool:
        return self.meeting is not None

    def reload(self) -> None:
        self.meeting = self.service.find(self.meeting_id)
        self.concerns = self.service.concerns_of(self.meeting_id) if self.meeting else []
        self.minutes = self.meeting.minutes if self.meeting else ""

    # ------------------------------------------------------------ what the screen offers

    @property
    def can_edit(self) -> bool:
        """A meeting of an area above the user's that invites them is read here, edited by its organisers
        (the server answers outside_area: docs/sync-protocol.md "Meetings")."""
        return self.meeting is not None and self.meeting.area_code.startswith(self.user_area)

    def actions(self) -> list[str]:
        """The next steps of this meeting's life, in the order the screen shows them."""
        m = self.meeting
        if m is None or not self.can_edit:
            return []
        if m.status in (MeetingStatus.planned, MeetingStatus.postponed):
            return ["mark_held", "postpone", "cancel"]
        if m.status == MeetingStatus.held:
            return ["add_addendum"] if m.closed else ["close"]
        return []

    @property
    def held(self) -> bool:
        return self.meeting is not None and self.meeting.status == MeetingStatus.held

    @property
    def minutes_editable(self) -> bool:
        return self.held and self.can_edit and not self.meeting.closed  # type: ignore[union-attr]

    def invited_before(self) -> list[Invitation]:
        """People invited to this area's meetings before and not to this one, to add with one tap."""
        m = self.meeting
        if m is None:
            return []
        return [p for p in self.service.invited_before(m.area_code)
                if not any(p.same_person(i) for i in m.invitations)]

    # ------------------------------------------------------------ doing it (each saves at once)

    def _do(self, action: Callable[[], Meeting]) -> bool:
        try:
            self.meeting = action()
        except ChangedSinceOpened as exc:
            self.reload()
            self.errors = dict(exc.errors)
            return False
        except SaveFailed as exc:
            self.errors = dict(exc.errors)
            return False
        self.errors = {}
        self.concerns = self.service.concerns_of(self.meeting_id)
        return True

    def _date(self, text: str, field: str) -> Optional[date]:
        try:
            return parse_date(text)
        except InputError as exc:
            self.errors = {field: exc.code}
            return None

    def mark_held(self, text: str = "") -> bool:
        day = self._date(text, "held_on") if text else self.today()
        return day is not None and self._do(lambda: self.service.mark_held(self.meeting_id, day))

    def postpone(self, text: str) -> bool:
        day = self._date(text, "postponed_to")
        return day is not None and self._do(lambda: self.service.postpone(self.meeting_id, day))

    def cancel(self, reason: str) -> bool:
        return self._do(lambda: self.service.cancel(self.meeting_id, reason))

    def set_answer(self, invitation_id: str, answer: str) -> bool:
        return self._do(lambda: self.service.set_answer(self.meeting_id, invitation_id, answer))

    def toggle_attended(self, invitation_id: str) -> bool:
        return self._do(lambda: self.service.toggle_attended(self.meeting_id, invitation_id))

    def invite_again(self, people: list[Invitation]) -> bool:
        return self._do(lambda: self.service.invite(self.meeting_id, people))

    def invite(self, name: str, position: str = "", institution: str = "",
               invitee_kind: str = "responsible_official") -> bool:
        person = {"name": name, "position": position, "institution": institution, "invitee_kind": invitee_kind}
        return self._do(lambda: self.service.invite(self.meeting_id, [person]))

    def count(self, which: str, by: int) -> bool:
        """+1 / -1 on the public counters (total, women); women never above the total."""
        m = self.meeting
        if m is None:
            return False
        total, women = m.public_total, m.public_women
        if which == "total":
            total = max(0, total + by)
            women = min(women, total)
        else:
            women = max(0, women + by)
            total = max(total, women)
        return self._do(lambda: self.service.set_attendance(self.meeting_id, total=total, women=women))

    def set_counts(self, total: str, women: str) -> bool:
        try:
            numbers = parse_whole_number(total), parse_whole_number(women or "0")
        except InputError as exc:
            self.errors = {"public_total": exc.code}
            return False
        return self._do(lambda: self.service.set_attendance(self.meeting_id, total=numbers[0], women=numbers[1]))

    def save_minutes(self) -> bool:
        opened = self.meeting
        if not self._do(lambda: self.service.set_minutes(self.meeting_id, self.minutes, opened=opened)):
            return False
        self.draft.drop()
        return True

    def close(self) -> bool:
        if self.minutes_changed:
            if not self.save_minutes():  # what is typed is what gets frozen
                return False
        return self._do(lambda: self.service.close(self.meeting_id))

    def add_addendum(self, text: str) -> bool:
        return self._do(lambda: self.service.add_addendum(self.meeting_id, text))

    def add_decision(self, text: str, owner_name: str, owner_institution: str = "", due: str = "",
                     concern_ids: Optional[list[str]] = None) -> bool:
        due_on = None
        if due:
            due_on = self._date(due, "decisions")
            if due_on is None:
                return False
        values = {"text": text, "owner_name": owner_name, "owner_institution": owner_institution, "due_on": due_on,
                  "concern_ids": list(concern_ids or [])}
        return self._do(lambda: self.service.add_decision(self.meeting_id, values))

    def decision_done(self, decision_id: str) -> bool:
        return self._do(lambda: self.service.set_decision_status(
            self.meeting_id, decision_id, DecisionStatus.done.value, done_on=self.today()))

    def decision_dropped(self, decision_id: str, reason: str) -> bool:
        return self._do(lambda: self.service.set_decision_status(
            self.meeting_id, decision_id, DecisionStatus.dropped.value, reason=reason))


@dataclass
class ConcernDraft:
    category: str = ""
    description: str = ""
    raised_by: str = ""
    anonymous: bool = False
    household: Optional[HouseholdRow] = None


class ForumConcernsVM:
    """During a forum: one concern after another, each on disk when "Add" is tapped; the form clears."""

    def __init__(self, meetings: MeetingService, households: HouseholdService, meeting_id: str):
        self.service = meetings
        self.households = households
        self.meeting_id = meeting_id
        self.meeting = meetings.find(meeting_id)
        self.draft = ConcernDraft()
        self.errors: dict[str, str] = {}
        self.added: list[Concern] = meetings.concerns_of(meeting_id) if self.meeting else []
        self.matches: list[HouseholdRow] = []

    @property
    def has_typed(self) -> bool:
        """A concern being written down and not added yet."""
        return bool(self.draft.description.strip() or self.draft.raised_by.strip())

    def set(self, name: str, value: Any) -> None:
        setattr(self.draft, name, value)
        self.errors.pop(name, None)
        if name == "anonymous" and value:
            self.draft.raised_by = ""
            self.errors.pop("raised_by", None)

    def search_household(self, text: str) -> list[HouseholdRow]:
        area = self.meeting.area_code if self.meeting else ""
        self.matches = self.households.search(text, area_code=area, limit=8) if text.strip() else []
        return self.matches

    def link_household(self, household: Optional[HouseholdRow]) -> None:
        self.draft.household = household
        self.matches = []
        if household is not None and not self.draft.raised_by and not self.draft.anonymous:
            self.draft.raised_by = household.head_name  # the head raised it, unless told otherwise

    def add(self) -> bool:
        d = self.draft
        try:
            concern = self.service.add_concern(
                self.meeting_id, category=d.category or None, description=d.description, raised_by=d.raised_by,
                anonymous=d.anonymous, household_id=d.household.id if d.household else None)
        except SaveFailed as exc:
            self.errors = dict(exc.errors)
            return False
        self.added.append(concern)
        self.errors = {}
        self.draft = ConcernDraft(category=d.category)  # the same topic often comes again: keep the chip
        return True
