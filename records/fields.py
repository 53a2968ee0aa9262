"""Field types and error codes of the records: what each field accepts and the code it fails with.

Every rule that can fail raises a pydantic error whose ``type`` is a stable code from
``ERROR_CODES`` (e.g. ``phone_invalid``); the UI translates codes, never messages.
``records.models`` builds the records from these types.
"""
from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Optional

import phonenumbers
from pydantic import AfterValidator, BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError

from records.ids import canonical_id
from records.institutions import is_institution_id  # the reference list's own rule for its ids
from records.text import clean_line, clean_text, to_ascii_digits

# Stable error codes -> English fallback text (translations live in assets/i18n).
ERROR_CODES: dict[str, str] = {
    "required": "This field is required.",
    "name_empty": "Enter a name.",
    "name_too_long": "Name is longer than 120 characters.",
    "text_too_long": "Text is too long.",
    "text_invalid": "This text has broken characters; type it again.",
    "text_control_chars": "This text has invisible control characters; type it again.",
    "name_one_line": "A name is one line: remove the line break.",
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
    "outside_area": "This record is outside your area.",  # the server's push code, also refused at entry
    # follow-up (issue 11)
    "institution_invalid": "Choose an institution from the list, or Other and type its name.",
    "institution_unknown": "This institution is not in the list; choose another one, or Other.",
    "due_before_raised": "The due date cannot be before the concern was raised.",
    "expected_before_raised": "The expected date cannot be before the concern was raised.",
    "feedback_before_raised": "The household cannot have been told before the concern was raised.",
    "feedback_not_a_move": "Telling the household does not change the status.",
    "escalation_required": "Escalating needs the summary for the level above.",
    "escalation_level_required": "Choose the level the concern is escalated to.",
    "escalation_summary_required": "Say what was tried locally, who was urged, why it could not be solved "
                                   "and what is asked of the level above.",
    "escalation_not_escalating": "A summary for the level above goes only with a move to escalated.",
    # ---- concerns raised at forums and meetings (issue 10)
    "concern_visit_required": "A concern from a household visit names its household and visit.",
    "concern_meeting_required": "A concern from a forum or meeting names the meeting.",
    "concern_link_required": "Link the concern to a household or a meeting.",
    "concern_raised_by_required": "Say who raised it, or mark it anonymous.",
    "concern_anonymous_named": "An anonymous concern has no name.",
    # ---- meetings (issue 10, records/meetings.py)
    "meeting_title_empty": "Give the meeting a title.",
    "meeting_area_level": "The area code does not match the meeting's level ({length} digits).",
    "meeting_agenda_minutes_invalid": "Planned minutes are between 1 and {max}.",
    "meeting_invitation_area_outside": "An invited working group is inside the meeting's area.",
    "meeting_invitation_duplicate": "{name} is already invited.",
    "meeting_count_invalid": "Enter a number of people from 0 to 100,000.",
    "meeting_women_over_total": "More women than people in all.",
    "meeting_postponed_date_required": "Give the new date of the postponed meeting.",
    "meeting_postponed_not_later": "The new date is after the planned date.",
    "meeting_cancel_reason_required": "Say why the meeting is cancelled.",
    "meeting_held_date_required": "Give the day the meeting was held.",
    "meeting_not_held": "Mark the meeting held first.",
    "meeting_not_closed": "Closed minutes say who closed them and when.",
    "meeting_status_transition": "A held or cancelled meeting keeps its status.",
    "meeting_minutes_closed": "The minutes are closed: add a correction instead.",
    "meeting_addendum_before_close": "Corrections are added after the minutes are closed.",
    "meeting_addendum_empty": "Write the correction.",
    "meeting_decision_text_empty": "Write the decision.",
    "meeting_decision_owner_required": "Name who is responsible for the decision.",
    "meeting_decision_done_date_required": "Give the day it was done.",
    "meeting_decision_drop_reason_required": "Say why it was dropped.",
    "meeting_target_invalid": "A yearly target is 12 or 24 meetings.",
    "meeting_time_invalid": "Enter a time like 08:30.",
    # The activity report (records/report.py, GET /reports/activity).
    "period_invalid": "Not a period: choose a month, a quarter, a year or two dates.",
    "area_invalid": "Not an area code.",
    "area_forbidden": "That area is outside yours.",
    "period_not_over": "This period has not ended yet: submit its report from its last day on.",
    "format_invalid": "The report comes as json, csv, xlsx or pdf.",
}

MAX_NAME = 120
MAX_TEXT = 4000

# Control characters (C0, DEL, C1) never belong in what an official types. Free text may hold
# tabs and line breaks; names may hold neither a line break (``name_one_line``) nor a control;
# a tab in a name is whitespace and is folded to a space like any other.
_CONTROLS_IN_FREE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\n\r\u2028\u2029]")  # what a keyboard or a paste puts between lines
_CONTROLS_IN_A_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def problem(code: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(code, ERROR_CODES[code], ctx or None)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)




# ---------------------------------------------------------------- field types


def _encodable(text: str) -> str:
    """A lone surrogate (JSON "\\ud800") is no character: it cannot be stored or sent as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise problem("text_invalid") from None
    return text


def _one_line(value: Any) -> str:
    """Text that must be one line without controls: ids of people and devices, institutions."""
    text = _encodable(str(value))
    if _CONTROLS_IN_A_LINE.search(text.replace("\t", " ")):
        raise problem("text_control_chars")
    return text


def _name(value: Any) -> str:
    if value is None:
        raise problem("name_empty")
    text = _encodable(str(value))
    if _LINE_BREAKS.search(text):
        raise problem("name_one_line")
    if _CONTROLS_IN_A_LINE.search(text.replace("\t", " ")):
        raise problem("text_control_chars")
    text = clean_text(text)
    if not text:
        raise problem("name_empty")
    if len(text) > MAX_NAME:
        raise problem("name_too_long", max=MAX_NAME)
    return text


def _free_text(value: Any) -> str:
    # Notes keep their line breaks and tabs; each line is otherwise cleaned like a name.
    text = "" if value is None else _encodable(str(value))
    if _CONTROLS_IN_FREE_TEXT.search(text):
        raise problem("text_control_chars")
    text = "\n".join(clean_line(line) for line in text.splitlines()).strip()
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
    """Whole numbers typed with Khmer digits are numbers too; 2.5 people is no number."""
    if isinstance(value, float) and not value.is_integer():
        raise problem("number_invalid")
    if isinstance(value, str):
        text = to_ascii_digits(value).strip()
        if not text.lstrip("-").isdigit():
            raise problem("number_invalid")
        return int(text)
    return value


def _institution_id(value: Any) -> str:
    text = str(value).strip()
    if not is_institution_id(text):
        raise problem("institution_invalid")
    return text


Name = Annotated[str, BeforeValidator(_name)]
InstitutionId = Annotated[str, BeforeValidator(_institution_id)]
OneLine = Annotated[str, BeforeValidator(_one_line)]
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


def field_errors(exc: ValidationError) -> dict[str, str]:
    """{field name: error code} for showing errors at the field; first error per field wins.

    Model-level rules are reported on the field they concern.
    """
    model_rule_field = {
        "follow_up_before_visit": "follow_up_on",
        "referred_to_required": "referred_to",
        "status_transition": "status",
        "gps_invalid": "gps",
        "due_before_raised": "due_on",
        "expected_before_raised": "expected_on",
        "feedback_before_raised": "feedback",
        "feedback_not_a_move": "feedback",
        "escalation_required": "escalation",
        "escalation_level_required": "escalation",
        "escalation_summary_required": "escalation",
        "escalation_not_escalating": "escalation",
        # ---- meetings and forum concerns (issue 10)
        "concern_visit_required": "visit_id",
        "concern_meeting_required": "meeting_id",
        "concern_link_required": "household_id",
        "concern_raised_by_required": "raised_by",
        "concern_anonymous_named": "raised_by",
        "meeting_area_level": "area_code",
        "meeting_invitation_area_outside": "invitations",
        "meeting_invitation_duplicate": "invitations",
        "meeting_postponed_date_required": "postponed_to",
        "meeting_postponed_not_later": "postponed_to",
        "meeting_cancel_reason_required": "cancel_reason",
        "meeting_held_date_required": "held_on",
        "meeting_not_held": "status",
        "meeting_not_closed": "minutes_closed_by",
        "meeting_women_over_total": "public_women",
        "meeting_addendum_before_close": "addenda",
    }
    out: dict[str, str] = {}
    for err in exc.errors():
        code = err["type"]
        if code == "missing":
            code = "required"
        elif code not in ERROR_CODES:
            code = {"int_parsing": "number_invalid", "int_type": "number_invalid", "enum": "choice_invalid",
                    "date_from_datetime_parsing": "date_invalid", "date_parsing": "date_invalid",
                    "date_type": "date_invalid", "int_from_float": "number_invalid"}.get(code, code)
        loc = err["loc"]
        field = str(loc[0]) if loc else model_rule_field.get(code, "__all__")
        out.setdefault(field, code)
    return out
