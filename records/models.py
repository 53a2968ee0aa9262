"""The records: the one definition of "valid", used by the app, the store and the server.

Every rule that can fail raises a pydantic error whose ``type`` is a stable code from
``ERROR_CODES`` (e.g. ``phone_invalid``); the UI translates codes, never messages.
"""
from __future__ import annotations

import functools
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Annotated, Any, ClassVar, Optional

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from records.areas import parent_code
from records.ids import canonical_id, new_id  # noqa: F401  (new_id: re-exported for record makers)
from records.text import clean_text, to_ascii_digits

# Stable error codes -> English fallback text (translations live in assets/i18n).
ERROR_CODES: dict[str, str] = {
    "required": "This field is required.",
    "name_empty": "Enter a name.",
    "name_too_long": "Name is longer than 120 characters.",
    "text_too_long": "Text is too long.",
    "phone_bad_chars": "A phone number may only contain digits, spaces, dashes and a leading +.",
    "phone_too_short": "Phone number is too short.",
    "phone_too_long": "Phone number is too long.",
    "phone_invalid": "This is not a valid phone number.",
    "village_code_invalid": "Village code must be 8 digits.",
    "members_too_few": "A household has at least 1 member.",
    "members_too_many": "Members count looks wrong (more than 99).",
    "number_invalid": "Enter a whole number.",
    "date_in_future": "Date cannot be in the future.",
    "date_invalid": "Enter a valid date.",
    "follow_up_before_visit": "Follow-up date cannot be before the visit.",
    "gps_invalid": "GPS position is out of range.",
    "id_invalid": "Id must be a UUID.",
    "timestamp_naive": "Times must carry a timezone.",
    "status_transition": "This status change is not allowed.",
    "referred_to_required": "Say which institution the concern is referred to.",
    "officials_required": "Name at least one official present.",
    "description_empty": "Describe the concern.",
    "choice_invalid": "Choose one of the listed options.",
}

MAX_NAME = 120
MAX_TEXT = 4000


def problem(code: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(code, ERROR_CODES[code], ctx or None)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)




# ---------------------------------------------------------------- field types


def _name(value: Any) -> str:
    if value is None:
        raise problem("name_empty")
    text = clean_text(str(value))
    if not text:
        raise problem("name_empty")
    if len(text) > MAX_NAME:
        raise problem("name_too_long", max=MAX_NAME)
    return text


def _free_text(value: Any) -> str:
    # Notes keep their line breaks; each line is cleaned like a name.
    text = "" if value is None else "\n".join(clean_text(line) for line in str(value).splitlines()).strip()
    if len(text) > MAX_TEXT:
        raise problem("text_too_long", max=MAX_TEXT)
    return text


def normalize_phone(value: Any) -> Optional[str]:
    """Any reasonable way of typing a phone number -> E.164, or None when left empty.

    Khmer digits, spaces, dashes, dots, brackets and a leading 0 (national form) are
    accepted; numbers without + are read as Cambodian.
    """
    if value is None:
        return None
    return _normalize_phone_text(str(value))


@functools.lru_cache(maxsize=65536)
def _normalize_phone_text(value: str) -> Optional[str]:
    # Cached: every read of a stored household re-validates its phone, and parsing is the slow part.
    raw = to_ascii_digits(clean_text(value))
    if not raw:
        return None
    stripped = raw.replace(" ", "").replace("-", "").replace(".", "").replace("(", "").replace(")", "")
    body = stripped[1:] if stripped.startswith("+") else stripped
    if not body.isdigit():
        raise problem("phone_bad_chars")
    try:
        number = phonenumbers.parse(stripped, "KH")
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.TOO_LONG:
            raise problem("phone_too_long") from None
        raise problem("phone_too_short") from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in (phonenumbers.ValidationResult.TOO_SHORT, phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise problem("phone_too_short")
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        raise problem("phone_too_long")
    national = str(number.national_number)
    if number.country_code == 855 and len(national) < 8:
        raise problem("phone_too_short")
    if not phonenumbers.is_valid_number(number):
        raise problem("phone_invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _village_code(value: Any) -> str:
    code = to_ascii_digits(str(value if value is not None else "")).strip()
    if len(code) != 8 or not code.isdigit():
        raise problem("village_code_invalid")
    return code


def _uuid(value: Any) -> str:
    canonical = canonical_id(value)
    if canonical is None:
        raise problem("id_invalid")
    return canonical


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise problem("timestamp_naive")
    return value.astimezone(timezone.utc)


def _int_from_text(value: Any) -> Any:
    """Whole numbers typed with Khmer digits are numbers too."""
    if isinstance(value, str):
        text = to_ascii_digits(value).strip()
        if not text.lstrip("-").isdigit():
            raise problem("number_invalid")
        return int(text)
    return value


Name = Annotated[str, BeforeValidator(_name)]
FreeText = Annotated[str, BeforeValidator(_free_text)]
Phone = Annotated[Optional[str], BeforeValidator(normalize_phone)]
VillageCode = Annotated[str, BeforeValidator(_village_code)]
RecordId = Annotated[str, BeforeValidator(_uuid)]
UtcDateTime = Annotated[datetime, AfterValidator(_aware)]


def _not_future_date(value: date) -> date:
    # "Today" depends on where the device is; no place on earth is ahead of UTC+14.
    if value > (utcnow() + timedelta(hours=14)).date():
        raise problem("date_in_future")
    return value


PastDate = Annotated[date, AfterValidator(_not_future_date)]

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
    device_id: str = Field(default="", max_length=64)
    author: str = Field(default="", max_length=MAX_NAME)
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


class StatusChange(BaseModel):
    """One entry in a concern's history: who moved it from what to what, when, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    at: UtcDateTime
    by: Name
    from_status: Optional[ConcernStatus]
    to_status: ConcernStatus
    note: FreeText = ""
    referred_to: Optional[str] = None


class Concern(Record):
    kind: ClassVar[str] = "concern"

    household_id: RecordId
    visit_id: RecordId
    category: ConcernCategory
    description: FreeText
    priority: Priority = Priority.normal
    status: ConcernStatus = ConcernStatus.open
    referred_to: Optional[str] = None
    history: list[StatusChange] = Field(default_factory=list)

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
                previous is not None and not can_change_status(previous, entry.to_status)
            ):
                raise problem("status_transition")
            previous = entry.to_status
        if self.history and previous != self.status:
            raise problem("status_transition")
        return self

    @classmethod
    def raise_new(cls, *, by: str, at: Optional[datetime] = None, **fields: Any) -> "Concern":
        """A new open concern with its first history entry."""
        when = at or utcnow()
        fields.setdefault("created_at", when)
        fields.setdefault("updated_at", when)
        fields.setdefault("author", by)
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
    ) -> "Concern":
        """Move along the lifecycle, appending who/when/why to the history."""
        to = ConcernStatus(to)
        if not can_change_status(self.status, to):
            raise ValidationError.from_exception_data(
                "Concern", [{"type": problem("status_transition"), "loc": ("status",), "input": to.value}]
            )
        when = at or utcnow()
        referred = clean_text(referred_to) if referred_to else None
        if to == ConcernStatus.referred and not referred:
            raise ValidationError.from_exception_data(
                "Concern", [{"type": problem("referred_to_required"), "loc": ("referred_to",), "input": referred_to}]
            )
        entry = StatusChange(at=when, by=by, from_status=self.status, to_status=to, note=note, referred_to=referred)
        history = [h.model_dump() for h in self.history] or [
            # Records made before history existed get their origin recorded, so the chain stays whole.
            StatusChange(at=self.created_at, by=self.author or by, from_status=None,
                         to_status=self.status).model_dump()
        ]
        return self.edited(
            at=when,
            status=to,
            referred_to=referred if to == ConcernStatus.referred else self.referred_to,
            history=history + [entry.model_dump()],
        )


RECORD_TYPES: dict[str, type[Record]] = {"household": Household, "visit": Visit, "concern": Concern}


def field_errors(exc: ValidationError) -> dict[str, str]:
    """{field name: error code} for showing errors at the field; first error per field wins.

    Model-level rules are reported on the field they concern.
    """
    model_rule_field = {
        "follow_up_before_visit": "follow_up_on",
        "referred_to_required": "referred_to",
        "status_transition": "status",
        "gps_invalid": "gps",
    }
    out: dict[str, str] = {}
    for err in exc.errors():
        code = err["type"]
        if code == "missing":
            code = "required"
        elif code not in ERROR_CODES:
            code = {"int_parsing": "number_invalid", "int_type": "number_invalid", "enum": "choice_invalid",
                    "date_from_datetime_parsing": "date_invalid", "date_parsing": "date_invalid",
                    "date_type": "date_invalid"}.get(code, code)
        loc = err["loc"]
        field = str(loc[0]) if loc else model_rule_field.get(code, "__all__")
        out.setdefault(field, code)
    return out
