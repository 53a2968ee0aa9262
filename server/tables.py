"""The server's tables (SQLAlchemy 2). The schema itself is made by the Alembic migrations."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import and_, text, tuple_
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from records.areas import CODE_LENGTH, is_code, level_of, parent_code
from records.models import utcnow

# The levels a caller's area can be; each has its own code column on records, compared with `=`.
AREA_LEVELS: tuple[str, ...] = ("province", "district", "commune")


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which stores naive text) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(timezone.utc)
        # SQLite keeps text without an offset: store UTC wall time, read it back as UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect):
        process = super().bind_processor(dialect)
        last: list = [(None, None)]  # (value, bound): one tuple, swapped whole, so threads may share it

        def bind(value):
            # A push writes the same timestamp on a thousand rows: convert it once.
            seen, bound = last[0]
            if value is seen and value is not None:
                return bound
            bound = process(value)
            last[0] = (value, bound)
            return bound

        return bind

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16))  # official | supervisor | admin
    area_code: Mapped[str] = mapped_column(String(8), default="")  # "" = whole country (admin)
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Token(Base):
    __tablename__ = "tokens"
    # sha256 hex of the token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime, nullable=True)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)


class Counter(Base):
    """Single-row counters; the 'seq' row numbers changes (server/db.py: how, on each backend)."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


# What the report's (type, area, day) indexes carry on PostgreSQL, so a national quarter is read from the
# index alone (server/report.py; migration 0009). SQLite has no INCLUDE and ignores both.
REPORT_INCLUDE = ("province_code", "district_code", "commune_code", "village_code", "household_id", "category",
                  "priority", "status", "source", "institution_id", "resolved_on", "due_on", "told_on", "raised_on")
_REPORT_INDEX = {"postgresql_include": list(REPORT_INCLUDE),
                 "postgresql_where": text("type IN ('visit', 'concern', 'meeting')")}


class RecordRow(Base):
    """The current state of one record; pull reads this table, so only the latest state travels."""

    __tablename__ = "records"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    village_code: Mapped[str] = mapped_column(String(8))  # the household's, denormalised for area filters
    # Its first 2/4/6 digits, stored (area_columns) so that an area is one equality and one plan, in any locale.
    province_code: Mapped[str] = mapped_column(String(2))
    district_code: Mapped[str] = mapped_column(String(4))
    commune_code: Mapped[str] = mapped_column(String(6))
    household_id: Mapped[str] = mapped_column(String(36), index=True)  # itself for a household
    server_rev: Mapped[int] = mapped_column(Integer)
    rev: Mapped[int] = mapped_column(Integer)
    base_rev: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)  # what the accepted push was based on
    device_id: Mapped[str] = mapped_column(String(64), default="")  # device whose push made this version
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)  # canonical JSON of Record.wire()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    # The activity report's facts as typed columns (report_columns), so that it is SQL aggregates over
    # indexes, not JSON parsed per row: a visit's day; a concern's visit, its day, category, priority,
    # status and the Cambodian day it was resolved. None where they do not apply.
    visited_on: Mapped[Optional[date]] = mapped_column(Date, nullable=True)
    visit_id: Mapped[Optional[str]] = mapped_column(String(36), nullable=True)
    category: Mapped[Optional[str]] = mapped_column(String(16), nullable=True)
    priority: Mapped[Optional[str]] = mapped_column(String(16), nullable=True)
    status: Mapped[Optional[str]] = mapped_column(String(16), nullable=True)
    resolved_on: Mapped[Optional[date]] = mapped_column(Date, nullable=True)
    # Migration 0008 (the report's meetings and follow-up sections): a concern's meeting, source, listed
    # institution, due day (records.followup.due_date), raised day (created_at's UTC date, as
    # records.followup.age_days) and the day the household was told since its resolution; a meeting's
    # kind, planned and held days, public attendance and officials present (its status: ``status``,
    # its effective day, the day its concerns count on: ``visited_on``).
    meeting_id: Mapped[Optional[str]] = mapped_column(String(36), nullable=True)
    source: Mapped[Optional[str]] = mapped_column(String(16), nullable=True)
    institution_id: Mapped[Optional[str]] = mapped_column(String(48), nullable=True)
    due_on: Mapped[Optional[date]] = mapped_column(Date, nullable=True)
    raised_on: Mapped[Optional[date]] = mapped_column(Date, nullable=True)
    told_on: Mapped[Optional[date]] = mapped_column(Date, nullable=True)
    meeting_kind: Mapped[Optional[str]] = mapped_column(String(16), nullable=True)
    planned_on: Mapped[Optional[date]] = mapped_column(Date, nullable=True)
    held_on: Mapped[Optional[date]] = mapped_column(Date, nullable=True)
    public_total: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    public_women: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    officials_present: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    __table_args__ = (Index("ix_records_village_seq", "village_code", "seq"),
                      Index("ix_records_province_seq", "province_code", "seq"),
                      Index("ix_records_district_seq", "district_code", "seq"),
                      Index("ix_records_commune_seq", "commune_code", "seq"),
                      # The report's; on PostgreSQL covering its columns (migration 0009).
                      Index("ix_records_type_day", "type", "visited_on", **_REPORT_INDEX),
                      Index("ix_records_type_province_day", "type", "province_code", "visited_on", **_REPORT_INDEX),
                      Index("ix_records_type_district_day", "type", "district_code", "visited_on", **_REPORT_INDEX),
                      Index("ix_records_visit_id", "visit_id"),
                      Index("ix_records_meeting_id", "meeting_id"))


# Every report column, in the order of the migrations that made them: report_columns gives each of them for
# every record (None where it does not apply), so the insert and the update of any record bind the same names.
REPORT_COLUMNS: tuple[str, ...] = (
    "visited_on", "visit_id", "category", "priority", "status", "resolved_on",  # 0007
    "meeting_id", "source", "institution_id", "due_on", "raised_on", "told_on",  # 0008: concerns
    "meeting_kind", "planned_on", "held_on", "public_total", "public_women", "officials_present")  # 0008: meetings


def report_columns(record: Any, day: Optional[date]) -> dict[str, Any]:
    """The report columns of a validated record. ``day``: the day a concern counts on, its visit's or its
    meeting's (None for one raised at neither: the Cambodian day it was raised)."""
    from records.followup import due_date
    from records.report import local_date, officials_present, raised_day, resolved_on, told_on

    values: dict[str, Any] = dict.fromkeys(REPORT_COLUMNS)
    if record.kind == "visit":
        values["visited_on"] = record.visited_on
    elif record.kind == "concern":
        status = record.status.value
        history = [h.model_dump() for h in record.history]
        if day is None and record.visit_id is None and record.meeting_id is None:
            day = local_date(record.created_at)
        values.update(visited_on=day, visit_id=record.visit_id, category=record.category.value,
                      priority=record.priority.value, status=status,
                      resolved_on=resolved_on(status, history, record.updated_at),
                      meeting_id=record.meeting_id, source=record.source.value, institution_id=record.institution_id,
                      due_on=due_date(record), raised_on=raised_day(record.created_at),
                      told_on=told_on(status, history))
    elif record.kind == "meeting":
        values.update(visited_on=record.effective_on, status=record.status.value,
                      meeting_kind=record.meeting_kind.value, planned_on=record.planned_on, held_on=record.held_on,
                      public_total=record.public_total, public_women=record.public_women,
                      officials_present=officials_present([i.model_dump() for i in record.invitations]))
    return values


def area_columns(village_code: str) -> dict[str, str]:
    """The stored area columns of a record in this village (or area: a meeting's), "" for the levels below
    the area's own; every write of village_code writes these too."""
    return {f"{level}_code": parent_code(village_code, level) if len(village_code) >= CODE_LENGTH[level] else ""
            for level in AREA_LEVELS}


def _area_column(area_code: str):
    if not is_code(area_code):
        raise ValueError(f"not an area code: {area_code!r} (2, 4, 6 or 8 digits)")
    level = level_of(area_code)
    return RecordRow.village_code if level == "village" else getattr(RecordRow, f"{level}_code")


def in_area(area_code: str):
    """The records of an area: `<level>_code = area` (a village: village_code), or None for the whole country."""
    return _area_column(area_code) == area_code if area_code else None


def area_after(area_code: str, after: int, upto: Optional[int] = None) -> tuple[Any, tuple]:
    """(where, order by) of an area's records with after < seq (<= upto, if given), in seq order: one keyset page.

    Written `(code, seq) > (area, after) AND (code, seq) <= (area, upto) ORDER BY code, seq`, not `code = area
    AND seq > after ORDER BY seq`: with `=` PostgreSQL drops the constant column from the ORDER BY and may
    walk the seq index filtering the area instead (25× the page for a province, unbounded for an area idle
    since the cursor). This way only the (code, seq) index gives the rows and their order, so every
    area has that one plan, starting at the cursor and stopping at the area's end (SQLite likewise).
    Without upto the upper bound is `code <= area` (the area's end).
    """
    if not area_code:
        where = RecordRow.seq > after
        return (where if upto is None else and_(where, RecordRow.seq <= upto)), (RecordRow.seq,)
    column = _area_column(area_code)
    upper = column <= area_code if upto is None else tuple_(column, RecordRow.seq) <= (area_code, upto)
    return and_(tuple_(column, RecordRow.seq) > (area_code, after), upper), (column, RecordRow.seq)


class MeetingInvite(Base):
    """An area a meeting invites, or a parent of one: a pull of the caller's area finds by equality
    the meetings that invite it or an area inside it (docs/sync-protocol.md "Meetings")."""

    __tablename__ = "meeting_invites"
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    __table_args__ = (Index("ix_meeting_invites_area", "area_code", "record_id"),)


class ConflictRevision(Base):
    """An incoming version that lost to a newer server version: kept, never applied silently."""

    __tablename__ = "conflict_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    type: Mapped[str] = mapped_column(String(16))
    rev: Mapped[int] = mapped_column(Integer)
    base_rev: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    server_rev_at_arrival: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    username: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("record_id", "content_hash", name="uq_conflict_record_content"),)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(16))  # push | status | conflict
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(36))
    rev: Mapped[int] = mapped_column(Integer)
    server_rev: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), default="")  # lets a late retry be told from a conflict
    seq: Mapped[Optional[int]] = mapped_column(BigInteger, nullable=True)
    __table_args__ = (Index("ix_audit_record_hash", "record_id", "content_hash"),)


class Area(Base):
    __tablename__ = "areas"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[Optional[str]] = mapped_column(String(8), nullable=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    name_km: Mapped[str] = mapped_column(String(200), default="")


class Gazetteer(Base):
    """Which gazetteer the areas table holds, and the ones before it."""

    __tablename__ = "gazetteers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    counts: Mapped[str] = mapped_column(Text, default="{}")  # JSON {level: rows}
    current: Mapped[bool] = mapped_column(Boolean, default=True)


class InstitutionRow(Base):
    """An institution a concern can be referred to (records/institutions.py checks every row)."""

    __tablename__ = "institutions"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str] = mapped_column(String(6), default="")  # "" = the whole country
    categories: Mapped[str] = mapped_column(String(400), default="")  # space-separated category codes
    name_en: Mapped[str] = mapped_column(String(200))
    name_km: Mapped[str] = mapped_column(String(200))


class DueDaysRow(Base):
    """An administrator's due-date rule for one category and priority (the defaults are in records/followup.py)."""

    __tablename__ = "due_days"
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    priority: Mapped[str] = mapped_column(String(8), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)


class ReferenceSet(Base):
    """Which version of a small reference list the server holds ('institutions'); absent = the seed."""

    __tablename__ = "reference_sets"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
class ReportSubmission(Base):
    """A period's activity report as a supervisor submitted it for their area: frozen, never updated."""

    __tablename__ = "report_submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_code: Mapped[str] = mapped_column(String(8))  # "" = national
    period: Mapped[str] = mapped_column(String(24))  # records.report.Period.label
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_name: Mapped[str] = mapped_column(String(120), default="")
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[str] = mapped_column(Text)  # the report's JSON at submission
    __table_args__ = (Index("ix_report_submissions_period_area", "period", "area_code", "id"),)


class ServerSetting(Base):
    """Settings an administrator sets with the CLI (e.g. report.deadline_days)."""

    __tablename__ = "server_settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
