"""What the server answers to one pushed version, decided from facts: no database, no clock.

docs/sync-protocol.md "Push", rule by rule, the way sync/decisions.py holds the device's
rules. server/push.py reads the facts (the stored rows a record names, the caller, the
gazetteer), calls ``validate`` then ``decide``, and writes what the verdict says.
tests/server/test_push_rules.py has one row per rule.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import Enum
from typing import Callable, NamedTuple, Optional

from pydantic import ValidationError

from records.areas import covers
from records.ids import canonical_id
from records.meetings import edit_problem
from records.models import ERROR_CODES, RECORD_TYPES, ConcernStatus, Record, field_errors
from records.roles import may_set_status
from server.schemas import PushRecord


class Answer(str, Enum):
    accepted = "accepted"
    duplicate = "duplicate"
    conflict = "conflict"
    rejected = "rejected"


class Stored(NamedTuple):
    """What the push needs to know of a record the server holds (or will once the batch is written)."""

    id: str
    type: str
    village_code: str  # a meeting's: its area code (2, 4, 6 or 8 digits)
    household_id: str  # a meeting's: its own id; a concern raised at one: the meeting's id
    server_rev: int
    rev: int
    base_rev: Optional[int]
    device_id: str
    content_hash: str
    data: Optional[str] = None  # the stored JSON, when already at hand (server/push.py reads it lazily)


@dataclass(frozen=True)
class Caller:
    """Who pushes: the token's role, area and device (bound at sign-in)."""

    role: str
    area_code: str
    device_id: str

    def covers(self, village_code: str) -> bool:
        return covers(self.area_code, village_code)


@dataclass(frozen=True)
class Verdict:
    answer: Answer
    server_rev: Optional[int] = None  # duplicate: the rev that content got; conflict: the server's current rev
    code: Optional[str] = None
    field: Optional[str] = None
    reason: Optional[str] = None
    village_code: str = ""  # accepted: where the record lives (a visit or concern: its household's village)
    household_id: str = ""


class Rejected(Exception):
    def __init__(self, code: str, field: Optional[str], reason: str):
        super().__init__(reason)
        self.code, self.field, self.reason = code, field, reason

    def verdict(self) -> Verdict:
        return Verdict(Answer.rejected, code=self.code, field=self.field, reason=self.reason)


def _no_answer() -> None:
    return None


@dataclass(frozen=True)
class Facts:
    """Everything ``decide`` looks at. The two callables cost a query: asked only when a rule needs them."""

    item: PushRecord
    model: Record
    digest: str  # sha256 of the record's canonical JSON
    caller: Caller
    existing: Optional[Stored] = None  # the server's row with the record's id
    household: Optional[Stored] = None  # the row with the visit's or concern's household_id
    visit: Optional[Stored] = None  # the row with the concern's visit_id
    meeting: Optional[Stored] = None  # the row with the concern's meeting_id
    gazetteer: Optional[frozenset[str]] = None  # the village codes the server knows; None: none loaded
    institutions: Optional[frozenset[str]] = None  # ids of the institutions the server lists; None: not checked
    accepted_before: Callable[[], Optional[int]] = _no_answer  # server rev an earlier accepted equal content got
    status_before: Callable[[], Optional[str]] = _no_answer  # the stored concern's status
    stored_data: Callable[[], Optional[dict]] = _no_answer  # the stored record's wire form (a meeting's rules)


TEXT_INVALID = "text_invalid"
TEXT_INVALID_REASON = "The text holds a character that is not Unicode text (a lone surrogate)."
OUTSIDE_AREA_REASON = "This record is outside your area."  # names no village: it may be another area's


def first_problem(exc: ValidationError) -> Rejected:
    errors = field_errors(exc)
    field_name, code = next(iter(errors.items()))
    if code == "string_unicode":  # pydantic's word for a lone surrogate in a constrained string
        code = TEXT_INVALID
    message = next((e["msg"] for e in exc.errors() if e["loc"] and str(e["loc"][0]) == field_name), None)
    # A rule's own message has its values filled in ("… (6 digits)"); the code's text is the template.
    filled = next((e["msg"] for e in exc.errors() if e["type"] == code), None)
    reason = filled or ERROR_CODES.get(code) or message or exc.errors()[0]["msg"]
    return Rejected(code, None if field_name == "__all__" else field_name, reason)


def canonical(model: Record) -> tuple[str, str]:
    """The stored form of a record (sorted-key JSON of its wire form) and its sha256; text_invalid if unencodable."""
    wire = model.wire()
    text = json.dumps(wire, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in the JSON) that the record's rules let through
        field_name = next((k for k, v in wire.items() if not _encodable(v)), None)
        raise Rejected(TEXT_INVALID, field_name, TEXT_INVALID_REASON) from None
    return text, hashlib.sha256(encoded).hexdigest()


def _encodable(value: object) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def validate(item: PushRecord) -> Record:
    """The record an envelope carries, or Rejected: unknown type, invalid record, envelope not the record's."""
    cls = RECORD_TYPES.get(item.type)
    if cls is None:
        raise Rejected("type_unknown", "type", f"Unknown record type {item.type!r}.")
    data = item.data
    if not Record.LOCAL_FIELDS.isdisjoint(data):  # a device's local bookkeeping is not part of the record
        data = {k: v for k, v in data.items() if k not in Record.LOCAL_FIELDS}
    try:
        model = cls.model_validate(data)
    except ValidationError as exc:
        raise first_problem(exc) from None
    if model.id != canonical_id(item.id):
        raise Rejected("id_mismatch", "id", f"The envelope's id {item.id!r} is not the record's id {model.id}.")
    if model.rev != item.rev:
        raise Rejected("id_mismatch", "rev", f"The envelope's rev {item.rev} is not the record's rev {model.rev}.")
    return model


@dataclass(frozen=True)
class Prepared:
    """A pushed record validated and encoded (model, canonical JSON, sha256), or why it cannot be."""

    model: Optional[Record] = None
    text: str = ""
    digest: str = ""
    rejected: Optional[Rejected] = None


def prepare(item: PushRecord) -> Prepared:
    """``validate`` then ``canonical``: what needs no database, done before the push's transaction."""
    try:
        model = validate(item)
        text, digest = canonical(model)
        return Prepared(model, text, digest)
    except Rejected as r:
        return Prepared(rejected=r)


def decide(facts: Facts) -> Verdict:
    """accepted / duplicate / conflict / rejected(code, field) for a valid record (see ``validate``)."""
    try:
        return _decide(facts)
    except Rejected as r:
        return r.verdict()


def _decide(f: Facts) -> Verdict:
    model, existing = f.model, f.existing
    # Another area's records are answered as if they did not exist, and the answers name no village or
    # type: a parent there is "missing"; an id held there is outside_area like a household pushed there.
    outside = {"household": "village_code", "meeting": "area_code"}.get(model.kind, "household_id")
    if existing is not None and not f.caller.covers(existing.village_code):
        raise Rejected("outside_area", outside, OUTSIDE_AREA_REASON)
    if existing is not None and existing.type != f.item.type:
        raise Rejected("id_mismatch", "id", f"Id {model.id} belongs to a {existing.type} on the server.")
    village, household_id = _place(f)
    if not f.caller.covers(village):
        raise Rejected("outside_area", outside, OUTSIDE_AREA_REASON)
    _check_role(f)
    _check_followup(f)
    accepted = Verdict(Answer.accepted, village_code=village, household_id=household_id)
    if existing is None:  # nothing can be overwritten, whatever base_rev says
        return accepted
    if existing.content_hash == f.digest:
        return Verdict(Answer.duplicate, server_rev=existing.server_rev)
    accepted_as = f.accepted_before()
    if accepted_as is not None:
        # The rev this content got, not the current one: the device's copy is based on that, and a
        # pull brings the newer version (or an edit based on the old rev is a conflict, not a loss).
        return Verdict(Answer.duplicate, server_rev=accepted_as)
    if model.kind == "meeting":
        # Whatever the base: closed minutes and a final status are not changed by a push (docs "Meetings").
        broken = edit_problem(f.stored_data() or {}, model.wire())
        if broken is not None:
            code, field_name = broken
            raise Rejected(code, field_name, ERROR_CODES[code])
    if f.item.base_rev == existing.server_rev or continues_edit(f):
        return accepted
    return Verdict(Answer.conflict, server_rev=existing.server_rev, code="conflict",
                   reason=f"Changed on the server since rev {f.item.base_rev}; the server's rev is "
                          f"{existing.server_rev}. Your version is kept on the server for review.")


def continues_edit(f: Facts) -> bool:
    """The same device, from the same base, a higher rev: a resend after a lost answer plus a further edit."""
    existing = f.existing
    return (existing is not None and existing.device_id == f.caller.device_id != ""
            and existing.base_rev == f.item.base_rev and f.model.rev > existing.rev)


def _place(f: Facts) -> tuple[str, str]:
    """(village code, household id) of a record: a visit or concern lives where its household does."""
    model = f.model
    if model.kind == "household":
        if f.gazetteer is not None and model.village_code not in f.gazetteer:
            raise Rejected("village_code_invalid", "village_code",
                           f"Village code {model.village_code} is not in the server's gazetteer.")
        return model.village_code, model.id
    if model.kind == "meeting":
        if model.level.value == "village" and f.gazetteer is not None and model.area_code not in f.gazetteer:
            raise Rejected("village_code_invalid", "area_code",
                           f"Village code {model.area_code} is not in the server's gazetteer.")
        return model.area_code, model.id
    if model.kind == "concern" and model.meeting_id is not None:
        return _place_at_meeting(f)
    household = f.household
    if household is None or household.type != "household" or not f.caller.covers(household.village_code):
        raise Rejected("household_missing", "household_id",
                       f"The server has no household {model.household_id}; send it first.")
    if model.kind == "concern" and model.visit_id is not None:
        visit = f.visit
        if (visit is None or visit.type != "visit" or visit.household_id != model.household_id
                or not f.caller.covers(visit.village_code)):
            raise Rejected("visit_missing", "visit_id",
                           f"The server has no visit {model.visit_id} of household {model.household_id}; "
                           "send it first.")
    return household.village_code, household.id


def _place_at_meeting(f: Facts) -> tuple[str, str]:
    """A concern raised at a forum or meeting lives where the meeting does; a household it names must exist."""
    model, meeting = f.model, f.meeting
    if meeting is None or meeting.type != "meeting" or not f.caller.covers(meeting.village_code):
        raise Rejected("meeting_missing", "meeting_id",
                       f"The server has no meeting {model.meeting_id}; send it first.")
    household = f.household
    if model.household_id is not None and (household is None or household.type != "household"
                                           or not f.caller.covers(household.village_code)):
        raise Rejected("household_missing", "household_id",
                       f"The server has no household {model.household_id}; send it first.")
    return meeting.village_code, meeting.id


def _check_role(f: Facts) -> None:
    model = f.model
    if model.kind != "concern":
        return
    before = f.status_before() if f.existing is not None else None
    if not may_set_status(f.caller.role, ConcernStatus(before) if before else None, model.status):
        raise Rejected("forbidden_role", "status",
                       f"Only a supervisor or admin may mark a concern {model.status.value}.")


def _check_followup(f: Facts) -> None:
    """A referral names an institution the server lists; a new escalation carries its summary."""
    model = f.model
    if model.kind != "concern":
        return
    if model.institution_id and f.institutions is not None and model.institution_id not in f.institutions:
        raise Rejected("institution_unknown", "institution_id",
                       f"The server lists no institution {model.institution_id!r}; choose another one, or Other.")
    if model.status != ConcernStatus.escalated:
        return
    before = f.status_before() if f.existing is not None else None
    if before == ConcernStatus.escalated.value:
        return  # escalated earlier (perhaps before summaries existed): an edit keeping the status
    last = next((e for e in reversed(model.history) if e.is_move), None)
    if last is None or last.to_status != ConcernStatus.escalated or last.escalation is None:
        raise Rejected("escalation_required", "escalation", ERROR_CODES["escalation_required"])
