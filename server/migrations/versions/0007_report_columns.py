"""Records get the activity report's facts as typed columns, indexed by type and day per area.

visited_on (a visit's day; a concern's visit's day), visit_id, category, priority, status and
resolved_on (the Cambodian day of a concern's last move to resolved), filled here from each row's
JSON the way server.tables.report_columns fills them on push. Self-contained; the backfill reads
every visit and concern once (on a national database: plan it like 0002, docs/server.md).

Revision ID: 0007_report_columns
Revises: 0006_report_submissions
Create Date: 2026-12-03
"""
import json
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0007_report_columns"
down_revision = "0006_report_submissions"
branch_labels = None
depends_on = None

COLUMNS = {"visited_on": sa.Date, "visit_id": sa.String(36), "category": sa.String(16),
           "priority": sa.String(16), "status": sa.String(16), "resolved_on": sa.Date}
# Type first: an index led by the area column would be taken by pulls of that area instead of its
# (code, seq) index (tests/server/test_pull_plans.py); the report filters type by equality anyway.
INDEXES = {"ix_records_type_day": ["type", "visited_on"],
           "ix_records_type_province_day": ["type", "province_code", "visited_on"],
           "ix_records_type_district_day": ["type", "district_code", "visited_on"],
           "ix_records_visit_id": ["visit_id"]}
BATCH = 5000


def upgrade() -> None:
    from records.report import resolved_on

    with op.batch_alter_table("records") as batch:
        for name, kind in COLUMNS.items():
            batch.add_column(sa.Column(name, kind, nullable=True))
    conn = op.get_bind()
    records = sa.table("records", sa.column("id"), sa.column("type"), sa.column("data"),
                       *(sa.column(name) for name in COLUMNS))
    for kind in ("visit", "concern"):
        last = ""
        while True:
            rows = conn.execute(sa.select(records.c.id, records.c.data).where(
                records.c.type == kind, records.c.id > last).order_by(records.c.id).limit(BATCH)).all()
            if not rows:
                break
            last = rows[-1].id
            updates = []
            for rid, text in rows:
                d = json.loads(text)
                if kind == "visit":
                    updates.append({"b_id": rid, "visited_on": date.fromisoformat(d["visited_on"])})
                else:
                    updates.append({"b_id": rid, "visit_id": d["visit_id"],
                                    "category": d["category"], "priority": d["priority"], "status": d["status"],
                                    "resolved_on": resolved_on(d["status"], d.get("history") or [],
                                                               None if not d.get("updated_at") else
                                                               _when(d["updated_at"]))})
            names = [k for k in updates[0] if k != "b_id"]
            conn.execute(records.update().where(records.c.id == sa.bindparam("b_id"))
                         .values({n: sa.bindparam(n) for n in names}), updates)
    # A concern's day is its visit's (by primary key, in the database: no map of every visit in memory).
    visits = sa.table("records", sa.column("id"), sa.column("visited_on")).alias("v")
    conn.execute(records.update().where(records.c.type == "concern").values(
        visited_on=sa.select(visits.c.visited_on).where(visits.c.id == records.c.visit_id).scalar_subquery()))
    for name, columns in INDEXES.items():
        op.create_index(name, "records", columns)


def _when(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="records")
    with op.batch_alter_table("records") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
