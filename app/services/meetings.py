"""Forums and meetings on the device: plan, hold, count, minute, close, decide, and the concerns raised.

Every change is made on the stored copy under the store's write lock and saved at once
(``Store.save_edit``), so a tap on "came" or a concern typed during a forum is on disk when the
screen says so. A change the record's rules refuse, or one that would touch closed minutes
(``records.meetings.edit_problem``, the server's rule too), raises SaveFailed with the code.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable, Optional

from pydantic import ValidationError

from app.services.actor import ActorSource
from app.services.edits import OnSaved, SaveFailed, ensure_unchanged, nothing_to_do, notify_saved
from records.meetings import (
    DEFAULT_YEARLY_TARGET,
    Answer,
    Decision,
    Invitation,
    Meeting,
    MeetingKind,
    MeetingStatus,
    check_yearly_target,
    edit_problem,
    quarter_bounds,
)
from records.models import Concern, ConcernSource, field_errors, utcnow
from storage.repository import Store

TARGET_KEY = "meetings.yearly_target"  # meta: {area code: 12 | 24}


@dataclass(frozen=True)
class YearProgress:
    held: int
    planned: int  # planned or postponed, not yet held
    target: int


def _errors(exc: ValidationError) -> SaveFailed:
    return SaveFailed(field_errors(exc))


class MeetingService:
    def __init__(self, store: Store, actor: ActorSource, *, clock: Callable = utcnow,
                 on_saved: OnSaved = nothing_to_do):
        self.store = store
        self.actor = actor
        self.clock = clock
        self.on_saved = on_saved

    # ------------------------------------------------------------ reading

    def find(self, meeting_id: str) -> Optional[Meeting]:
        return self.store.meetings.find(meeting_id)

    def quarter(self, year: int, quarter: int, *, area_code: str = "") -> list[Meeting]:
        first, last = quarter_bounds(year, quarter)
        return self.store.meetings.planned_between(first, last, area_code=area_code)

    def concerns_of(self, meeting_id: str) -> list[Concern]:
        return sorted(self.store.concerns.for_meeting(meeting_id), key=lambda c: c.created_at)

    def decisions_answering(self, concern: Concern) -> list[Decision]:
        """The decisions of the concern's meeting that say they answer it (the other way of the link)."""
        meeting = self.store.meetings.find(concern.meeting_id) if concern.meeting_id else None
        return [d for d in meeting.decisions if concern.id in d.concern_ids] if meeting else []

    def last_invitees(self, area_code: str, *, before: Optional[date] = None) -> list[Invitation]:
        """Who the area's last meeting invited, offered again: new invitations, nobody answered or came yet."""
        last = self.store.meetings.latest_in(area_code, before=before)
        return [] if last is None else [_fresh(i) for i in last.invitations]

    def invited_before(self, area_code: str) -> list[Invitation]:
        """Everyone the meetings of this area invited, once each, most recent first."""
        seen: list[Invitation] = []
        meetings = sorted((m for m in self.store.meetings.all() if m.area_code == area_code),
                          key=lambda m: m.planned_on, reverse=True)
        for m in meetings:
            for inv in m.invitations:
                if not any(inv.same_person(s) for s in seen):
                    seen.append(_fresh(inv))
        return seen

    def yearly_target(self, area_code: str) -> int:
        return int((self.store.meta.get(TARGET_KEY) or {}).get(area_code, DEFAULT_YEARLY_TARGET))

    def set_yearly_target(self, area_code: str, value: Any) -> int:
        try:
            target = check_yearly_target(value)
        except ValueError:
            raise SaveFailed({"target": "meeting_target_invalid"}) from None
        targets = dict(self.store.meta.get(TARGET_KEY) or {})
        targets[area_code] = target
        self.store.meta.set(TARGET_KEY, targets)
        return target

    def year_progress(self, area_code: str, year: int) -> YearProgress:
        meetings = self.store.meetings.planned_between(date(year, 1, 1), date(year, 12, 31), area_code=area_code)
        own = [m for m in meetings if m.area_code == area_code]
        return YearProgress(held=sum(m.status == MeetingStatus.held for m in own),
                            planned=sum(m.status in (MeetingStatus.planned, MeetingStatus.postponed) for m in own),
                            target=self.yearly_target(area_code))

    # ------------------------------------------------------------ planning

    def plan(self, values: dict[str, Any], *, invitations: Iterable[Invitation] = ()) -> Meeting:
        """A new planned meeting (the form's values), saved; SaveFailed with field codes when invalid."""
        actor, now = self.actor(), self.clock()
        data = {"organiser": actor.display_name or actor.signature, **values,
                "invitations": [i.model_dump() for i in invitations] + list(values.get("invitations") or [])}
        try:
            meeting = Meeting(created_at=now, updated_at=now, device_id=actor.device_id, author=actor.username,
                              **data)
        except ValidationError as exc:
            raise _errors(exc) from None
        saved = self.store.save_edit(meeting)[0]
        notify_saved(self.on_saved)
        return saved

    # ------------------------------------------------------------ changing a meeting

    def change(self, meeting_id: str, make: Callable[[Meeting], Meeting], *, opened: Optional[Meeting] = None,
               fields: Iterable[str] = ()) -> Meeting:
        """``make(stored)`` -> the next version, checked and saved; the one way every action below saves."""
        with self.store.write_lock:  # no sync answer lands between the read and the save
            current = self.store.meetings.get(meeting_id)
            ensure_unchanged(opened, current, fields)
            try:
                changed = make(current)
            except ValidationError as exc:
                raise _errors(exc) from None
            broken = edit_problem(current.wire(), changed.wire())
            if broken is not None:
                code, field_name = broken
                raise SaveFailed({field_name: code})
            saved = self.store.save_edit(changed)[0]
        notify_saved(self.on_saved)
        return saved

    def edit(self, meeting_id: str, *, opened: Optional[Meeting] = None, **values: Any) -> Meeting:
        """Plain field changes (title, date, place, agenda…), refused when another edit came meanwhile."""
        return self.change(meeting_id, lambda m: m.edited(at=self.clock(), **values), opened=opened, fields=values)

    def mark_held(self, meeting_id: str, on: date) -> Meeting:
        return self.change(meeting_id, lambda m: m.mark_held(on, at=self.clock()))

    def postpone(self, meeting_id: str, to: Optional[date]) -> Meeting:
        if to is None:
            raise SaveFailed({"postponed_to": "meeting_postponed_date_required"})
        return self.change(meeting_id, lambda m: m.postpone(to, at=self.clock()))

    def cancel(self, meeting_id: str, reason: str) -> Meeting:
        return self.change(meeting_id, lambda m: m.cancel(reason, at=self.clock()))

    def set_attendance(self, meeting_id: str, *, total: Any, women: Any) -> Meeting:
        return self.edit(meeting_id, public_total=total, public_women=women)

    def set_answer(self, meeting_id: str, invitation_id: str, answer: str) -> Meeting:
        return self._invitation(meeting_id, invitation_id, answer=Answer(answer))

    def toggle_attended(self, meeting_id: str, invitation_id: str) -> Meeting:
        m = self.store.meetings.get(meeting_id)
        came = next((i.attended for i in m.invitations if i.id == invitation_id), False)
        return self._invitation(meeting_id, invitation_id, attended=not came)

    def invite(self, meeting_id: str, people: Iterable[Invitation | dict[str, Any]]) -> Meeting:
        today = self.clock().date()
        new = [p.model_dump() if isinstance(p, Invitation) else dict(p) for p in people]
        for person in new:
            person.setdefault("invited_on", today)
        return self.change(meeting_id, lambda m: m.edited(
            at=self.clock(), invitations=[i.model_dump() for i in m.invitations] + new))

    def _invitation(self, meeting_id: str, invitation_id: str, **changes: Any) -> Meeting:
        def make(m: Meeting) -> Meeting:
            invitations = [i.model_copy(update=changes) if i.id == invitation_id else i for i in m.invitations]
            return m.edited(at=self.clock(), invitations=[i.model_dump() for i in invitations])
        return self.change(meeting_id, make)

    def set_minutes(self, meeting_id: str, text: str, *, opened: Optional[Meeting] = None) -> Meeting:
        return self.change(meeting_id, lambda m: m.edited(at=self.clock(), minutes=text), opened=opened,
                           fields=("minutes",))

    def close(self, meeting_id: str) -> Meeting:
        """Freeze the minutes (transparency: later corrections are addenda)."""
        def make(m: Meeting) -> Meeting:
            if m.status != MeetingStatus.held:
                raise SaveFailed({"status": "meeting_not_held"})
            return m.close_minutes(by=self.actor().signature, at=self.clock())
        return self.change(meeting_id, make)

    def add_addendum(self, meeting_id: str, text: str) -> Meeting:
        return self.change(meeting_id, lambda m: m.add_addendum(text, by=self.actor().signature, at=self.clock()))

    def add_decision(self, meeting_id: str, values: dict[str, Any]) -> Meeting:
        return self.change(meeting_id, lambda m: m.edited(
            at=self.clock(), decisions=[d.model_dump() for d in m.decisions] + [values]))

    def set_decision_status(self, meeting_id: str, decision_id: str, status: str, *, done_on: Optional[date] = None,
                            reason: str = "") -> Meeting:
        def make(m: Meeting) -> Meeting:
            decisions = [d.model_dump() | ({"status": status, "done_on": done_on, "drop_reason": reason}
                                           if d.id == decision_id else {}) for d in m.decisions]
            return m.edited(at=self.clock(), decisions=decisions)
        return self.change(meeting_id, make)

    # ------------------------------------------------------------ concerns from the floor

    def add_concern(self, meeting_id: str, *, category: Optional[str], description: str, raised_by: str = "",
                    anonymous: bool = False, household_id: Optional[str] = None) -> Concern:
        """One concern raised at the meeting, saved at once (the next one can be typed while it syncs)."""
        meeting = self.store.meetings.get(meeting_id)
        actor = self.actor()
        source = ConcernSource.public_forum if meeting.meeting_kind == MeetingKind.public_forum \
            else ConcernSource.meeting
        data: dict[str, Any] = {"description": description, "source": source, "meeting_id": meeting.id,
                                "raised_by": None if anonymous else raised_by, "anonymous": anonymous,
                                "household_id": household_id or None, "device_id": actor.device_id}
        if category:
            data["category"] = category  # left out when not chosen: reported as "required"
        if household_id and self.store.households.find(household_id) is None:
            raise SaveFailed({"household_id": "household_missing"})
        try:
            concern = Concern.raise_new(by=actor.signature, at=self.clock(), **data)
        except ValidationError as exc:
            raise _errors(exc) from None
        saved = self.store.save_edit(concern)[0]
        notify_saved(self.on_saved)
        return saved


def _fresh(invitation: Invitation) -> Invitation:
    """The same person invited again: a new invitation, not answered, not come yet."""
    return Invitation(name=invitation.name, position=invitation.position, institution=invitation.institution,
                      invitee_kind=invitation.invitee_kind, area_code=invitation.area_code)

