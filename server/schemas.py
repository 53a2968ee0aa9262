"""Request and response bodies of the API (docs/sync-protocol.md); they make the OpenAPI schema."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from records.models import MAX_TEXT, ConcernStatus


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a client bug: say so (422)


class ErrorDetail(BaseModel):
    code: str
    reason: str


class ErrorBody(BaseModel):
    detail: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]
    version: str


# Length-limited and patterned strings also refuse a lone surrogate ("\ud800": not UTF-8) with 422.
# Printable text only: PostgreSQL cannot store NUL and no device id or username needs control characters.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


# A pull cursor as server/pull.py makes it: base64url, unpadded, of "p1:" and the change number's
# digits (up to 20; tests/server/test_pull.py checks the two agree). Each 3 digits make 4
# characters; a last 1 digit makes 2, a last 2 make 3.
_DIGITS3 = "(?:[MN][DTjz]|O[DT])[AEIMQUYcgk][w-z0-5]"
_TAIL = "(?:[MN][AQgw]|O[AQ]|(?:[MN][DTjz]|O[DT])[AEIMQUYcgk])"
CURSOR_PATTERN = f"^(?:cDE6(?:(?:{_DIGITS3}){{1,6}}{_TAIL}?|{_TAIL}))?$"  # empty: from the start


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=64, pattern=PRINTABLE)
    password: str = Field(min_length=1, max_length=256)
    device_id: str = Field(default="", max_length=64, pattern=PRINTABLE)


class UserOut(BaseModel):
    username: str
    full_name: str
    role: Literal["official", "supervisor", "admin"]
    area_code: str


class LoginResponse(BaseModel):
    token: str
    expires_at: datetime
    user: UserOut


class PushRecord(Strict):
    type: str = Field(max_length=32)
    id: str = Field(max_length=64)
    rev: int = Field(ge=1, le=2**31 - 1)
    base_rev: Optional[int] = Field(default=None, ge=1, le=2**31 - 1)
    data: dict[str, Any]


class PushRequest(Strict):
    device_id: str = Field(default="", max_length=64, pattern=PRINTABLE)
    records: list[PushRecord]


class CurrentRecord(BaseModel):
    server_rev: int
    data: dict[str, Any]


class PushResult(BaseModel):
    id: str
    type: str
    status: Literal["accepted", "duplicate", "rejected", "conflict"]
    server_rev: Optional[int] = None
    code: Optional[str] = None
    reason: Optional[str] = None
    field: Optional[str] = None
    current: Optional[CurrentRecord] = None


class PushResponse(BaseModel):
    results: list[PushResult]


class Change(BaseModel):
    type: Literal["household", "visit", "meeting", "concern"]
    id: str
    server_rev: int
    data: dict[str, Any]


class PullResponse(BaseModel):
    changes: list[Change]
    next_cursor: str = Field(pattern=CURSOR_PATTERN)  # what a client sends back as `cursor`
    has_more: bool


class AreaOut(BaseModel):
    code: str
    level: Literal["province", "district", "commune", "village"]
    parent_code: Optional[str]
    name_en: str
    name_km: str


class AreasResponse(BaseModel):
    version: str
    source: str
    changed: bool
    areas: list[AreaOut]


class CategoryOut(BaseModel):
    code: str
    name_en: str
    name_km: str


class CategoriesResponse(BaseModel):
    categories: list[CategoryOut]


class InstitutionOut(BaseModel):
    id: str
    kind: str
    level: str  # national | province | district | commune
    area_code: str  # "" = the whole country
    categories: list[str]
    name_en: str
    name_km: str


class InstitutionsResponse(BaseModel):
    version: str
    source: str
    changed: bool
    institutions: list[InstitutionOut]


class DueDaysOverride(BaseModel):
    category: str
    priority: str
    days: int


class DueDaysResponse(BaseModel):
    version: str
    changed: bool
    defaults: dict[str, int]  # priority -> days
    overrides: list[DueDaysOverride]


class EscalationIn(Strict):
    level: Optional[str] = Field(default=None, max_length=32)
    tried_locally: str = Field(default="", max_length=MAX_TEXT)
    who_was_urged: str = Field(default="", max_length=MAX_TEXT)
    why_not_solved: str = Field(default="", max_length=MAX_TEXT)
    ask: str = Field(default="", max_length=MAX_TEXT)


class StatusRequest(Strict):
    status: ConcernStatus
    note: str = Field(default="", max_length=MAX_TEXT)
    referred_to: Optional[str] = Field(default=None, max_length=200)
    # follow-up (issue 11): a listed institution, the date asked for, the summary sent up with an escalation
    institution_id: Optional[str] = Field(default=None, max_length=48)
    expected_on: Optional[date] = None
    escalation: Optional[EscalationIn] = None


class RecordOut(BaseModel):
    server_rev: int
    data: dict[str, Any]


class ConflictOut(BaseModel):
    record_id: str
    type: str
    rev: int
    base_rev: Optional[int]
    server_rev_at_arrival: int
    username: str
    device_id: str
    received_at: datetime
    data: dict[str, Any]


class ConflictsResponse(BaseModel):
    conflicts: list[ConflictOut]


class SubmitReportRequest(BaseModel):
    """POST /reports/submissions: the period (2026-03, 2026-Q1, 2026 or from..to) of your area's report."""

    model_config = ConfigDict(extra="forbid")
    period: str = Field(max_length=40)
    note: str = Field(default="", max_length=2000)


class ActivityReport(BaseModel):
    """GET /reports/activity as JSON (records/report.py builds it; docs/server.md "Activity report")."""

    model_config = ConfigDict(extra="allow")
    area: dict[str, Any]
    period: dict[str, Any]
    generated_at: str
    figures: dict[str, Any]
    resolution_days: dict[str, int]
    by_category: dict[str, int]
    by_priority: dict[str, int]
    visits_by_month: dict[str, int]
    sub_area_level: Optional[str]
    sub_areas: list[dict[str, Any]]
    escalated: list[dict[str, Any]]


REPORT_FILE_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     "application/pdf")


class SubmissionOut(BaseModel):
    """One area's report for a period as the level above sees it (``submitted`` false: none yet)."""

    area_code: str
    name: Optional[str] = None
    period: Optional[str] = None
    submitted: bool
    submitted_at: Optional[str] = None  # the first submission: it decides on time
    on_time: Optional[bool] = None
    corrected_at: Optional[str] = None  # the latest, when it was submitted again
    submitted_by: Optional[str] = None
    submitted_name: Optional[str] = None
    note: Optional[str] = None
    submissions: int = 0
    figures: Optional[dict[str, Any]] = None  # the report as submitted (GET /reports/activity's JSON)


class SubmissionsOverview(BaseModel):
    area: dict[str, str]
    period: str
    due: str  # the last day a submission is on time (the period's end + the administrator's day limit)
    own: Optional[SubmissionOut]
    sub_area_level: Optional[str]
    sub_areas: list[SubmissionOut]
    expected: int
    submitted: int
    on_time: int
    reporting_rate: Optional[float]  # % of the sub-areas that submitted
    compiled: dict[str, Any]  # the report compiled from the sub-areas' submissions
