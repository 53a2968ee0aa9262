"""Records get the typed columns of the report's meetings and follow-up sections, filled from their JSON.

A concern: meeting_id, source, institution_id, due_on (records.followup.due_date: the stored due date,
else raised + the priority's days), raised_on (created_at's UTC date, as records.followup.age_days),
told_on (the household told the outcome since the last resolution), and resolved_on again (0007 took
telling the household, a resolved-to-resolved step, for the resolution); its visited_on, empty until now for
a concern raised at no visit, becomes its meeting's day (else the Cambodian day it was raised). A
meeting: meeting_kind, status, planned_on, held_on, public_total, public_women, officials_present,
and visited_on = its effective day (held, else postponed to, else planned). Filled the way
server.tables.report_columns fills them on push; the backfill reads every concern and meeting once.
Self-contained but for records.report's pure readers of stored fields (as 0007).

Revision ID: 0008_report_sections
Revises: 0007_report_columns
Create Date: 2026-12-04
"""
import json
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0008_report_sections"
down_revision = "0007_report_columns"
branch_labels = None
depends_on = None

COLUMNS = {"meeting_id": sa.String(36), "source": sa.String(16), "institution_id": sa.String(48),
           "due_on": sa.Date, "raised_on": sa.Date, "told_on": sa.Date, "meeting_kind": sa.String(16),
           "planned_on": sa.Date, "held_on": sa.Date, "public_total": sa.Integer, "public_women": sa.Integer,
           "officials_present": sa.Integer}
INDEXES = {"ix_records_meeting_id": ["meeting_id"]}
DUE_DAYS = {"urgent": 3, "high": 7, "normal": 30, "low": 60}  # records.followup.DEFAULT_DUE_DAYS, frozen
ICT = timezone(timedelta(hours=7))
BATCH = 5000


def _day(value):
    return None if not value else date.fromisoformat(str(value)[:10])


def _when(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def _concern(d: dict) -> dict:
    from records.report import resolved_on, told_on

    raised = _when(d["created_at"]).astimezone(timezone.utc).date()
    due = _day(d.get("due_on")) or raised + timedelta(days=DUE_DAYS.get(d.get("priority"), DUE_DAYS["normal"]))
    values = {"meeting_id": d.get("meeting_id"), "source": d.get("source") or "household_visit",
              "institution_id": d.get("institution_id"), "due_on": due, "raised_on": raised,
              "told_on": told_on(d.get("status", ""), d.get("history") or []),
              # Again: 0007 took a feedback step (resolved to resolved) for the day it was resolved.
              "resolved_on": resolved_on(d.get("status", ""), d.get("history") or [],
                                         _when(d["updated_at"]) if d.get("updated_at") else None)}
    if not d.get("visit_id") and not d.get("meeting_id"):  # counts on the Cambodian day it was raised
        values["visited_on"] = _when(d["created_at"]).astimezone(ICT).date()
    return values


def _meeting(d: dict) -> dict:
    return {"meeting_kind": d.get("meeting_kind") or "public_forum", "status": d.get("status") or "planned",
            "planned_on": _day(d.get("planned_on")), "held_on": _day(d.get("held_on")),
            "visited_on": _day(d.get("held_on")) or _day(d.get("postponed_to")) or _day(d.get("planned_on")),
            "public_total": int(d.get("public_total") or 0), "public_women": int(d.get("public_women") or 0),
            "officials_present": sum(1 for i in d.get("invitations") or () if i.get("attended"))}


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        for name, kind in COLUMNS.items():
            batch.add_column(sa.Column(name, kind, nullable=True))
    conn = op.get_bind()
    names = [*COLUMNS, "visited_on", "status", "visit_id", "resolved_on"]
    records = sa.table("records", sa.column("id"), sa.column("type"), sa.column("data"),
                       *(sa.column(name) for name in names))
    for kind, fill in (("meeting", _meeting), ("concern", _concern)):
        last = ""
        while True:
            rows = conn.execute(sa.select(records.c.id, records.c.data).where(
                records.c.type == kind, records.c.id > last).order_by(records.c.id).limit(BATCH)).all()
            if not rows:
                break
            last = rows[-1].id
            # Grouped by the names filled: one executemany per shape.
            shapes: dict[tuple, list] = {}
            for rid, text in rows:
                values = fill(json.loads(text))
                shapes.setdefault(tuple(values), []).append({"b_id": rid, **values})
            for shape, updates in shapes.items():
                conn.execute(records.update().where(records.c.id == sa.bindparam("b_id"))
                             .values({n: sa.bindparam(n) for n in shape}), updates)
    # A concern raised at a meeting (and at no visit) counts on its meeting's day.
    meetings = sa.table("records", sa.column("id"), sa.column("visited_on")).alias("m")
    conn.execute(records.update().where(records.c.type == "concern", records.c.meeting_id.is_not(None),
                                        records.c.visit_id.is_(None)).values(
        visited_on=sa.select(meetings.c.visited_on).where(meetings.c.id == records.c.meeting_id).scalar_subquery()))
    for name, columns in INDEXES.items():
        op.create_index(name, "records", columns)


def downgrade() -> None:
    conn = op.get_bind()
    records = sa.table("records", sa.column("type"), sa.column("visited_on"), sa.column("status"),
                       sa.column("visit_id"))
    # As 0007 left them: meetings had no report columns, a concern raised at no visit no day.
    conn.execute(records.update().where(records.c.type == "meeting").values(visited_on=None, status=None))
    conn.execute(records.update().where(records.c.type == "concern", records.c.visit_id.is_(None))
                 .values(visited_on=None))
    for name in INDEXES:
        op.drop_index(name, table_name="records")
    with op.batch_alter_table("records") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
