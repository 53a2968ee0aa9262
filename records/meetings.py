"""Public forums and working-group meetings: the Meeting record and the rules of its life.

A meeting belongs to one area at one level (village … province), is planned for a day, and
goes planned -> held | postponed (new date) | cancelled (reason). Once held it gets public
attendance, invitees marked present and minutes; closing it freezes the minutes, and later
corrections are addenda (who, when), never silent edits. ``edit_problem`` compares a stored
version with the next one: the device's service and the server's push rules both ask it, so
"closed minutes are immutable" has one definition. Error codes are in records/fields.py.
(Over 300 lines on purpose: the record, its parts and the rules that bind them, read in one place.)
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Annotated, Any, ClassVar, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from records.areas import CODE_LENGTH, is_code
from records.fields import FreeText, Name, OneLine, PastDate, RecordId, UtcDateTime, _int_from_text, _name, problem
from records.ids import new_id
from records.models import RECORD_TYPES, Gps, Record, utcnow
from records.text import clean_text


class MeetingKind(str, Enum):
    public_forum = "public_forum"
    working_group = "working_group"
    other = "other"  # e.g. a review meeting


class MeetingLevel(str, Enum):
    village = "village"
    commune = "commune"  # commune / sangkat
    district = "district"  # district / khan / municipality
    province = "province"  # province / capital


class MeetingStatus(str, Enum):
    planned = "planned"
    held = "held"
    postponed = "postponed"
    cancelled = "cancelled"


# planned -> held | postponed | cancelled; a postponed meeting may be postponed again. Held and
# cancelled are final: a meeting that did take place, or did not, stays so in the record.
MEETING_TRANSITIONS: dict[MeetingStatus, frozenset[MeetingStatus]] = {
    MeetingStatus.planned: frozenset({MeetingStatus.held, MeetingStatus.postponed, MeetingStatus.cancelled}),
    MeetingStatus.postponed: frozenset({MeetingStatus.held, MeetingStatus.postponed, MeetingStatus.cancelled}),
    MeetingStatus.held: frozenset(),
    MeetingStatus.cancelled: frozenset(),
}


class InviteeKind(str, Enum):
    responsible_official = "responsible_official"
    community_leader = "community_leader"
    civil_society = "civil_society"
    partner = "partner"
    other = "other"


class Answer(str, Enum):
    none = "none"
    accepted = "accepted"
    declined = "declined"


class DecisionStatus(str, Enum):
    open = "open"
    done = "done"
    dropped = "dropped"


YEARLY_TARGETS: tuple[int, ...] = (12, 24)  # monthly, or twice a month
DEFAULT_YEARLY_TARGET = 12
MAX_AGENDA_MINUTES = 600
MAX_PEOPLE = 100_000


def _optional_name(value: Any) -> Optional[str]:
    if value is None or not clean_text(str(value)):
        return None
    return _name(value)


OptionalName = Annotated[Optional[str], BeforeValidator(_optional_name)]
Count = Annotated[int, BeforeValidator(_int_from_text)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgendaItem(_Part):
    title: Name
    presenter: OptionalName = None
    planned_minutes: Optional[Count] = None

    @field_validator("planned_minutes")
    @classmethod
    def _minutes(cls, value: Optional[int]) -> Optional[int]:
        if value is not None and not 1 <= value <= MAX_AGENDA_MINUTES:
            raise problem("meeting_agenda_minutes_invalid", max=MAX_AGENDA_MINUTES)
        return value


class Invitation(_Part):
    id: RecordId = Field(default_factory=new_id)
    name: Name
    position: OptionalName = None
    institution: OptionalName = None  # free text (the institutions list of the follow-up work when it lands)
    invitee_kind: InviteeKind = InviteeKind.responsible_official
    # The working group of an area inside the meeting's: its users see the meeting (docs/sync-protocol.md).
    area_code: Optional[str] = None
    invited_on: Optional[date] = None
    answer: Answer = Answer.none
    attended: bool = False

    def same_person(self, other: "Invitation") -> bool:
        return (self.name.casefold(), (self.institution or "").casefold()) == (
            other.name.casefold(), (other.institution or "").casefold())


class Addendum(_Part):
    """A correction to closed minutes: appended, never edited."""

    at: UtcDateTime
    by: Name
    text: FreeText

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value:
            raise problem("meeting_addendum_empty")
        return value


class Decision(_Part):
    """A decision or action item: who does what by when, and the concerns it answers."""

    id: RecordId = Field(default_factory=new_id)
    text: FreeText
    owner_name: OptionalName = None
    owner_institution: OptionalName = None
    due_on: Optional[date] = None
    status: DecisionStatus = DecisionStatus.open
    done_on: Optional[date] = None
    drop_reason: FreeText = ""
    concern_ids: list[RecordId] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules(self) -> "Decision":
        if not self.text:
            raise problem("meeting_decision_text_empty")
        if not self.owner_name:
            raise problem("meeting_decision_owner_required")
        if self.status == DecisionStatus.done and self.done_on is None:
            raise problem("meeting_decision_done_date_required")
        if self.status == DecisionStatus.dropped and not self.drop_reason:
            raise problem("meeting_decision_drop_reason_required")
        return self


class Meeting(Record):
    kind: ClassVar[str] = "meeting"

    meeting_kind: MeetingKind = MeetingKind.public_forum
    level: MeetingLevel
    area_code: str
    title: str
    planned_on: date
    planned_time: Optional[time] = None
    place: FreeText = ""
    gps: Optional[Gps] = None
    status: MeetingStatus = MeetingStatus.planned
    postponed_to: Optional[date] = None
    cancel_reason: FreeText = ""
    held_on: Optional[PastDate] = None
    organiser: Name
    agenda: list[AgendaItem] = Field(default_factory=list)
    invitations: list[Invitation] = Field(default_factory=list)
    public_total: Count = 0
    public_women: Count = 0
    minutes: FreeText = ""
    minutes_closed_at: Optional[UtcDateTime] = None
    minutes_closed_by: Optional[OneLine] = None
    addenda: list[Addendum] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        if value is None or not clean_text(str(value)):
            raise problem("meeting_title_empty")
        return _name(value)

    @field_validator("area_code", mode="before")
    @classmethod
    def _area(cls, value: Any) -> str:
        return clean_text(str(value if value is not None else ""))

    @field_validator("public_total", "public_women")
    @classmethod
    def _people(cls, value: int) -> int:
        if not 0 <= value <= MAX_PEOPLE:
            raise problem("meeting_count_invalid")
        return value

    @model_validator(mode="after")
    def _rules(self) -> "Meeting":
        if not is_code(self.area_code, self.level.value):
            raise problem("meeting_area_level", length=CODE_LENGTH[self.level.value])
        for i, inv in enumerate(self.invitations):
            if inv.area_code is not None and not (is_code(inv.area_code) and inv.area_code.startswith(self.area_code)):
                raise problem("meeting_invitation_area_outside")
            if any(inv.same_person(other) for other in self.invitations[:i]):
                raise problem("meeting_invitation_duplicate", name=inv.name)
        held = self.status == MeetingStatus.held
        if self.status == MeetingStatus.postponed:
            if self.postponed_to is None:
                raise problem("meeting_postponed_date_required")
            if self.postponed_to <= self.planned_on:
                raise problem("meeting_postponed_not_later")
        if self.status == MeetingStatus.cancelled and not self.cancel_reason:
            raise problem("meeting_cancel_reason_required")
        if held and self.held_on is None:
            raise problem("meeting_held_date_required")
        if not held and (self.held_on is not None or self.public_total or self.public_women
                         or any(i.attended for i in self.invitations) or self.minutes_closed_at is not None):
            raise problem("meeting_not_held")
        if self.public_women > self.public_total:
            raise problem("meeting_women_over_total")
        if (self.minutes_closed_at is None) != (self.minutes_closed_by is None):
            raise problem("meeting_not_closed")
        if self.addenda and self.minutes_closed_at is None:
            raise problem("meeting_addendum_before_close")
        return self

    # ------------------------------------------------------------ reading

    @property
    def closed(self) -> bool:
        return self.minutes_closed_at is not None

    @property
    def invited_areas(self) -> list[str]:
        """Areas whose working groups are invited (their users see the meeting: docs/sync-protocol.md)."""
        return sorted({i.area_code for i in self.invitations if i.area_code})

    @property
    def effective_on(self) -> date:
        """The day it takes (or took) place: the held day, the new day of a postponed one, else the plan."""
        return self.held_on or self.postponed_to or self.planned_on

    def overdue(self, today: date) -> bool:
        """Planned, its day passed, and neither marked held nor postponed."""
        return self.status == MeetingStatus.planned and self.planned_on < today

    def attended_count(self) -> int:
        return sum(1 for i in self.invitations if i.attended)

    # ------------------------------------------------------------ changing (each a validated copy)

    def mark_held(self, on: date, *, at: Optional[datetime] = None) -> "Meeting":
        return self._moved(MeetingStatus.held, at, held_on=on)

    def postpone(self, to: date, *, at: Optional[datetime] = None) -> "Meeting":
        return self._moved(MeetingStatus.postponed, at, postponed_to=to)

    def cancel(self, reason: str, *, at: Optional[datetime] = None) -> "Meeting":
        return self._moved(MeetingStatus.cancelled, at, cancel_reason=reason)

    def close_minutes(self, *, by: str, at: Optional[datetime] = None) -> "Meeting":
        when = at or utcnow()
        return self.edited(at=when, minutes_closed_at=when, minutes_closed_by=by)

    def add_addendum(self, text: str, *, by: str, at: Optional[datetime] = None) -> "Meeting":
        when = at or utcnow()
        addendum = {"at": when, "by": by, "text": text}
        return self.edited(at=when, addenda=[a.model_dump() for a in self.addenda] + [addendum])

    def _moved(self, to: MeetingStatus, at: Optional[datetime], **changes: Any) -> "Meeting":
        if to not in MEETING_TRANSITIONS[self.status]:
            raise_problem("meeting_status_transition", "status", to.value)
        return self.edited(at=at, status=to, **changes)


def raise_problem(code: str, field: str, value: Any) -> None:
    """A ValidationError with ``code`` at ``field``, as the model's own rules raise."""
    from pydantic import ValidationError

    raise ValidationError.from_exception_data("Meeting", [{"type": problem(code), "loc": (field,), "input": value}])


def edit_problem(before: dict[str, Any], after: dict[str, Any]) -> Optional[tuple[str, str]]:
    """(code, field) when ``after`` may not follow the stored ``before`` (both wire forms), else None.

    The status moves only along MEETING_TRANSITIONS; once the minutes are closed they, their
    closing and every addendum stay exactly as they are (new addenda come after them).
    """
    old, new = MeetingStatus(before.get("status", "planned")), MeetingStatus(after.get("status", "planned"))
    if old != new and new not in MEETING_TRANSITIONS[old]:
        return "meeting_status_transition", "status"
    if before.get("minutes_closed_at") is None:
        return None
    # Both are dumps of validated records (Record.wire()): equal values have equal JSON.
    if any(before.get(k) != after.get(k) for k in ("minutes", "minutes_closed_at", "minutes_closed_by")):
        return "meeting_minutes_closed", "minutes"
    old_addenda = before.get("addenda") or []
    if (after.get("addenda") or [])[:len(old_addenda)] != old_addenda:
        return "meeting_minutes_closed", "addenda"
    return None


# ---------------------------------------------------------------- the schedule


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a quarter."""
    start = date(year, 3 * (quarter - 1) + 1, 1)
    end_month_start = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
    return start, end_month_start - timedelta(days=1)


def shift_quarter(year: int, quarter: int, by: int) -> tuple[int, int]:
    index = year * 4 + (quarter - 1) + by
    return index // 4, index % 4 + 1


def check_yearly_target(value: Any) -> int:
    """12 (monthly) or 24 (twice a month) meetings a year; anything else is refused."""
    try:
        number = int(_int_from_text(value))
    except (TypeError, ValueError):
        raise problem("meeting_target_invalid") from None
    if number not in YEARLY_TARGETS:
        raise problem("meeting_target_invalid")
    return number


RECORD_TYPES["meeting"] = Meeting
