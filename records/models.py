"""The records: the one definition of "valid", used by the app, the store and the server.

Longer than our usual module on purpose: the three records, their history steps and their rules
read together as the one definition of valid; due dates and overdue live in records/followup.py.

Households, visits and concerns with their rules; the field types and error codes they are
built from are in records/fields.py (re-exported here: ``from records.models import ERROR_CODES``).
"""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, ClassVar, Optional

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    computed_field,
    field_validator,
    model_serializer,
    model_validator,
)

from records.areas import parent_code
from records.followup import DEFAULTS, DueDays, drop_unset, due_from_priority
from records.fields import (  # noqa: F401  (ERROR_CODES, MAX_*, normalize_phone, field_errors: re-exported)
    ERROR_CODES,
    MAX_NAME,
    MAX_TEXT,
    FreeText,
    InstitutionId,
    Name,
    OneLine,
    PastDate,
    Phone,
    RecordId,
    UtcDateTime,
    VillageCode,
    _int_from_text,
    _name,
    field_errors,
    normalize_phone,
    problem,
    utcnow,
)
from records.ids import new_id  # noqa: F401  (re-exported for record makers)
from records.text import clean_text


# ---------------------------------------------------------------- enums


class SyncState(str, Enum):
    pending = "pending"
    sending = "sending"
    synced = "synced"
    rejected = "rejected"
    conflict = "conflict"


class Vulnerability(str, Enum):
    idpoor = "idpoor"  # holds an IDPoor / Equity card
    disability = "disability"
    elderly_headed = "elderly_headed"
    female_headed = "female_headed"
    child_headed = "child_headed"
    chronic_illness = "chronic_illness"
    landless = "landless"


class VisitKind(str, Enum):
    household_visit = "household_visit"
    public_forum = "public_forum"


class ConcernCategory(str, Enum):
    water = "water"
    roads = "roads"
    irrigation = "irrigation"
    land = "land"
    documents = "documents"  # civil registration, One Window services
    health = "health"
    education = "education"
    agriculture = "agriculture"
    disaster_aid = "disaster_aid"  # floods, drought aid
    security = "security"
    electricity = "electricity"
    other = "other"


class ConcernSource(str, Enum):
    household_visit = "household_visit"
    public_forum = "public_forum"
    meeting = "meeting"
    other = "other"


class Priority(str, Enum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class ConcernStatus(str, Enum):
    open = "open"
    in_progress = "in_progress"
    referred = "referred"
    resolved = "resolved"
    escalated = "escalated"


class FeedbackChannel(str, Enum):
    visit = "visit"
    phone = "phone"
    forum = "forum"
    letter = "letter"


class FeedbackAnswer(str, Enum):
    satisfied = "satisfied"
    not_satisfied = "not_satisfied"
    no_answer = "no_answer"


class EscalationLevel(str, Enum):
    province = "province"
    national_working_group = "national_working_group"


# Allowed lifecycle: open -> in_progress -> referred -> resolved | escalated; reopen allowed.
ALLOWED_TRANSITIONS: dict[ConcernStatus, frozenset[ConcernStatus]] = {
    ConcernStatus.open: frozenset({ConcernStatus.in_progress, ConcernStatus.referred, ConcernStatus.resolved,
                                   ConcernStatus.escalated}),
    ConcernStatus.in_progress: frozenset({ConcernStatus.referred, ConcernStatus.resolved, ConcernStatus.escalated,
                                          ConcernStatus.open}),
    ConcernStatus.referred: frozenset({ConcernStatus.resolved, ConcernStatus.escalated, ConcernStatus.in_progress,
                                       ConcernStatus.open}),
    ConcernStatus.resolved: frozenset({ConcernStatus.open}),
    ConcernStatus.escalated: frozenset({ConcernStatus.open, ConcernStatus.resolved}),
}


def can_change_status(current: ConcernStatus, new: ConcernStatus) -> bool:
    return new in ALLOWED_TRANSITIONS[current]


# ---------------------------------------------------------------- records


class Gps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    lat: float
    lon: float
    accuracy_m: Optional[float] = None

    @model_validator(mode="after")
    def _in_range(self) -> "Gps":
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180) or (
            self.accuracy_m is not None and self.accuracy_m < 0
        ):
            raise problem("gps_invalid")
        return self


class Record(BaseModel):
    """Fields every record carries. ``sync_state`` and ``server_rev`` are local bookkeeping."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, frozen=True, use_enum_values=False)
    kind: ClassVar[str] = "record"
    # Fields that exist only on the device and never travel to the server.
    LOCAL_FIELDS: ClassVar[frozenset[str]] = frozenset({"sync_state", "server_rev", "sync_error"})

    id: RecordId = Field(default_factory=new_id)
    rev: int = Field(default=1, ge=1)
    created_at: UtcDateTime = Field(default_factory=utcnow)
    updated_at: UtcDateTime = Field(default_factory=utcnow)
    device_id: OneLine = Field(default="", max_length=64)
    author: OneLine = Field(default="", max_length=MAX_NAME)
    sync_state: SyncState = SyncState.pending
    server_rev: Optional[int] = None  # the server's rev this copy was last based on
    sync_error: Optional[dict[str, Any]] = None  # {"code", "reason", "field"} of the last rejection

    def edited(self, *, at: Optional[datetime] = None, **changes: Any) -> "Record":
        """A new validated copy with ``changes`` applied: rev +1, updated_at, back to pending."""
        data = self.model_dump()
        data.update(changes)
        data["rev"] = self.rev + 1
        data["updated_at"] = at or utcnow()
        data["sync_state"] = SyncState.pending
        data["sync_error"] = None
        return type(self).model_validate(data)

    def wire(self) -> dict[str, Any]:
        """What travels to the server: JSON-safe, without local bookkeeping."""
        return self.model_dump(mode="json", exclude=set(self.LOCAL_FIELDS))

    def to_doc(self) -> dict[str, Any]:
        """JSON-safe form for the local store."""
        return self.model_dump(mode="json")

    @classmethod
    def from_doc(cls, doc: dict[str, Any]):
        return cls.model_validate(doc)


class Household(Record):
    kind: ClassVar[str] = "household"

    head_name: Name
    head_name_latin: Optional[str] = None  # optional romanised spelling, for offices that search in Latin
    phone: Phone = None
    members: Annotated[int, BeforeValidator(_int_from_text)] = 1
    village_code: VillageCode
    address: FreeText = ""
    gps: Optional[Gps] = None
    vulnerabilities: list[Vulnerability] = Field(default_factory=list)
    consent_to_contact: bool = False

    @field_validator("head_name_latin", mode="before")
    @classmethod
    def _latin(cls, value: Any) -> Optional[str]:
        if value is None or not clean_text(str(value)):
            return None
        return _name(value)

    @field_validator("members")
    @classmethod
    def _members(cls, value: int) -> int:
        if value < 1:
            raise problem("members_too_few")
        if value > 99:
            raise problem("members_too_many")
        return value

    @field_validator("vulnerabilities")
    @classmethod
    def _unique_flags(cls, value: list[Vulnerability]) -> list[Vulnerability]:
        return sorted(set(value), key=lambda v: v.value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def commune_code(self) -> str:
        return parent_code(self.village_code, "commune")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def district_code(self) -> str:
        return parent_code(self.village_code, "district")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def province_code(self) -> str:
        return parent_code(self.village_code, "province")

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        # Derived codes are output only; accept them back from a dump without complaint.
        if isinstance(data, dict) and any(k in data for k in ("commune_code", "district_code", "province_code")):
            data = {k: v for k, v in data.items() if k not in ("commune_code", "district_code", "province_code")}
        return data


class Visit(Record):
    kind: ClassVar[str] = "visit"

    household_id: RecordId
    visited_on: PastDate
    officials: list[Name] = Field(default_factory=list)
    visit_kind: VisitKind = VisitKind.household_visit
    notes: FreeText = ""
    follow_up_on: Optional[date] = None

    @field_validator("officials")
    @classmethod
    def _officials(cls, value: list[str]) -> list[str]:
        if not value:
            raise problem("officials_required")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _follow_up(self) -> "Visit":
        if self.follow_up_on is not None and self.follow_up_on < self.visited_on:
            raise problem("follow_up_before_visit")
        return self


class Feedback(BaseModel):
    """The household (or the forum) was told the outcome: when, how, and what they said."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    told_on: PastDate
    channel: FeedbackChannel
    answer: FeedbackAnswer


class Escalation(BaseModel):
    """What the level above needs to act on a concern the area could not solve."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    level: Optional[EscalationLevel] = None
    tried_locally: FreeText = ""
    who_was_urged: FreeText = ""
    why_not_solved: FreeText = ""
    ask: FreeText = ""  # what is asked of the national level

    @model_validator(mode="after")
    def _complete(self) -> "Escalation":
        if self.level is None:
            raise problem("escalation_level_required")
        if not all((self.tried_locally, self.who_was_urged, self.why_not_solved, self.ask)):
            raise problem("escalation_summary_required")
        return self


class StatusChange(BaseModel):
    """One entry in a concern's history: who moved it from what to what, when, and why.

    A follow-up step that is no move (feedback to the household) keeps the status: from = to.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    at: UtcDateTime
    by: Name
    from_status: Optional[ConcernStatus]
    to_status: ConcernStatus
    note: FreeText = ""
    referred_to: Optional[OneLine] = None
    # ---- follow-up steps (issue 11); left out of the stored form when unset, so older entries keep their form
    institution_id: Optional[InstitutionId] = None  # a referral to a listed institution
    expected_on: Optional[date] = None  # the date the referral asked for
    feedback: Optional[Feedback] = None  # a step telling the household the outcome
    escalation: Optional[Escalation] = None  # the summary sent up with a move to escalated

    FOLLOWUP_FIELDS: ClassVar[tuple[str, ...]] = ("institution_id", "expected_on", "feedback", "escalation")

    @model_validator(mode="after")
    def _step(self) -> "StatusChange":
        if self.feedback is not None and self.from_status != self.to_status:
            raise problem("feedback_not_a_move")
        if self.escalation is not None and self.to_status != ConcernStatus.escalated:
            raise problem("escalation_not_escalating")
        return self

    @model_serializer(mode="wrap")
    def _without_unset_steps(self, handler):
        return drop_unset(handler(self), self.FOLLOWUP_FIELDS)

    @property
    def is_move(self) -> bool:
        return self.feedback is None


class Concern(Record):
    kind: ClassVar[str] = "concern"

    # A concern raised at a forum or meeting may name no household and has no visit (see _links).
    household_id: Optional[RecordId] = None
    visit_id: Optional[RecordId] = None
    category: ConcernCategory
    description: FreeText
    priority: Priority = Priority.normal
    status: ConcernStatus = ConcernStatus.open
    referred_to: Optional[OneLine] = None
    history: list[StatusChange] = Field(default_factory=list)
    # ---- follow-up (issue 11; rules and due dates in records/followup.py); unset ones are left out of the
    # stored form, so a concern made before them keeps its form and content hash
    due_on: Optional[date] = None  # from the priority's due days, or the referral's expected date
    institution_id: Optional[InstitutionId] = None  # referred to a listed institution (else: referred_to text)
    expected_on: Optional[date] = None  # the date the referral asked the institution to act by

    FOLLOWUP_FIELDS: ClassVar[tuple[str, ...]] = ("due_on", "institution_id", "expected_on")

    @model_serializer(mode="wrap")
    def _without_unset_followup(self, handler):
        return drop_unset(handler(self), self.FOLLOWUP_FIELDS)

    # ---- where it was raised (issue 10: forums and meetings); existing concerns read as household visits
    source: ConcernSource = ConcernSource.household_visit
    meeting_id: Optional[RecordId] = None
    raised_by: Optional[str] = None  # a name; None with ``anonymous`` for someone who gave none
    anonymous: bool = False

    @field_validator("raised_by", mode="before")
    @classmethod
    def _raised_by(cls, value: Any) -> Optional[str]:
        if value is None or not clean_text(str(value)):
            return None
        return _name(value)

    @model_validator(mode="after")
    def _links(self) -> "Concern":
        """A household visit's concern names its household and visit; a forum's or meeting's, the meeting."""
        if self.visit_id is not None and self.household_id is None:
            raise problem("concern_visit_required")
        if self.source == ConcernSource.household_visit and (self.visit_id is None or self.household_id is None):
            raise problem("concern_visit_required")
        if self.source in (ConcernSource.public_forum, ConcernSource.meeting) and self.meeting_id is None:
            raise problem("concern_meeting_required")
        if self.source == ConcernSource.other and self.household_id is None and self.meeting_id is None:
            raise problem("concern_link_required")
        if self.anonymous and self.raised_by:
            raise problem("concern_anonymous_named")
        if self.meeting_id is not None and not self.anonymous and not self.raised_by:
            raise problem("concern_raised_by_required")
        return self
    # ---- end of issue 10's block

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        if not value:
            raise problem("description_empty")
        return value

    @model_validator(mode="after")
    def _history_consistent(self) -> "Concern":
        if self.status == ConcernStatus.referred and not self.referred_to:
            raise problem("referred_to_required")
        previous: Optional[ConcernStatus] = None
        for entry in self.history:
            if entry.from_status != previous or (
                previous is not None and entry.is_move and not can_change_status(previous, entry.to_status)
            ):
                raise problem("status_transition")
            previous = entry.to_status
        if self.history and previous != self.status:
            raise problem("status_transition")
        raised = self.created_at.date()
        if self.expected_on is not None and self.expected_on < raised:
            raise problem("expected_before_raised")
        if self.due_on is not None and self.due_on < raised:
            raise problem("due_before_raised")
        if any(e.feedback is not None and e.feedback.told_on < raised for e in self.history):
            raise problem("feedback_before_raised")
        return self

    @classmethod
    def raise_new(cls, *, by: str, at: Optional[datetime] = None, due_days: Optional[DueDays] = None,
                  **fields: Any) -> "Concern":
        """A new open concern with its first history entry, due by its priority (``due_days``: the pulled table)."""
        when = at or utcnow()
        fields.setdefault("created_at", when)
        fields.setdefault("updated_at", when)
        fields.setdefault("author", by)
        if "due_on" not in fields and fields.get("category") is not None:
            try:
                fields["due_on"] = due_from_priority(
                    fields["created_at"].date(), ConcernCategory(fields["category"]).value,
                    Priority(fields.get("priority", Priority.normal)).value, due_days or DEFAULTS)
            except (ValueError, AttributeError):
                pass  # a bad category or priority is reported by the record's own validation
        entry = StatusChange(at=when, by=by, from_status=None, to_status=ConcernStatus.open)
        return cls(history=[entry], status=ConcernStatus.open, **fields)

    def change_status(
        self,
        to: ConcernStatus,
        *,
        by: str,
        note: str = "",
        referred_to: Optional[str] = None,
        at: Optional[datetime] = None,
        institution_id: Optional[str] = None,
        expected_on: Optional[date] = None,
        escalation: Optional[Escalation | dict] = None,
    ) -> "Concern":
        """Move along the lifecycle, appending who/when/why to the history.

        A referral names the institution as text (``referred_to``) and, when it is a listed one,
        its id; its ``expected_on`` becomes the due date. A move to escalated carries the
        summary for the level above (``escalation``).
        """
        to = ConcernStatus(to)
        if not can_change_status(self.status, to):
            raise _invalid("status_transition", "status", to.value)
        when = at or utcnow()
        referred = clean_text(referred_to) if referred_to else None
        referring = to == ConcernStatus.referred
        if referring and not referred:
            raise _invalid("referred_to_required", "referred_to", referred_to)
        if to == ConcernStatus.escalated and escalation is None:
            raise _invalid("escalation_required", "escalation", None)
        entry = StatusChange(at=when, by=by, from_status=self.status, to_status=to, note=note, referred_to=referred,
                             institution_id=institution_id if referring else None,
                             expected_on=expected_on if referring else None,
                             escalation=escalation if to == ConcernStatus.escalated else None)
        changes: dict[str, Any] = {"status": to}
        if referring:
            changes.update(referred_to=referred, institution_id=entry.institution_id, expected_on=entry.expected_on)
            if entry.expected_on is not None:
                changes["due_on"] = entry.expected_on
        return self._with_step(entry, by, when, **changes)

    def record_feedback(self, feedback: Feedback | dict, *, by: str, note: str = "",
                        at: Optional[datetime] = None) -> "Concern":
        """The household (or forum) was told the outcome: a history step that keeps the status."""
        when = at or utcnow()
        entry = StatusChange(at=when, by=by, from_status=self.status, to_status=self.status, note=note,
                             feedback=feedback)
        return self._with_step(entry, by, when)

    def _with_step(self, entry: StatusChange, by: str, when: datetime, **changes: Any) -> "Concern":
        history = [h.model_dump() for h in self.history] or [
            # Records made before history existed get their origin recorded, so the chain stays whole.
            StatusChange(at=self.created_at, by=self.author or by, from_status=None,
                         to_status=self.status).model_dump()
        ]
        return self.edited(at=when, history=history + [entry.model_dump()], **changes)


def _invalid(code: str, field_name: str, value: Any) -> ValidationError:
    return ValidationError.from_exception_data(
        "Concern", [{"type": problem(code), "loc": (field_name,), "input": value}])


RECORD_TYPES: dict[str, type[Record]] = {"household": Household, "visit": Visit, "concern": Concern}

# The meeting record lives in its own module and adds itself to RECORD_TYPES; imported last, so
# that any import of the records kernel knows every record type.
import records.meetings  # noqa: E402,F401
