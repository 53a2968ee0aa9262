"""Concerns stored before due dates get one: the day they were raised + their priority's days (issue 11).

The days are frozen here as they were (urgent 3, high 7, normal 30, low 60) and match the
device's store migration 0003_concern_due_dates, so a synced concern stays equal on both
sides. The stored JSON gains "due_on" and its content hash is computed again the way a push
computes it (sorted-key compact JSON, sha256), so a device sending the same concern is answered
duplicate. Neither rev nor seq moves: devices give their copies the same date themselves.
Self-contained: reads and writes only the records table.

Revision ID: 0005_concern_due_dates
Revises: 0004_followup_reference
Create Date: 2026-12-03
"""
import hashlib
import json
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005_concern_due_dates"
down_revision = "0004_followup_reference"
branch_labels = None
depends_on = None

DUE_DAYS = {"urgent": 3, "high": 7, "normal": 30, "low": 60}
PAGE = 2000


def _canonical(data: dict) -> tuple[str, str]:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rewrite(change) -> None:
    conn = op.get_bind()
    records = sa.table("records", sa.column("id"), sa.column("type"), sa.column("data"),
                       sa.column("content_hash"))
    after = ""
    while True:
        rows = conn.execute(sa.select(records.c.id, records.c.data).where(
            records.c.type == "concern", records.c.id > after).order_by(records.c.id).limit(PAGE)).all()
        if not rows:
            return
        updates = []
        for record_id, text in rows:
            data = json.loads(text)
            if change(data):
                new_text, digest = _canonical(data)
                updates.append({"b_id": record_id, "b_data": new_text, "b_hash": digest})
        if updates:
            conn.execute(records.update().where(records.c.id == sa.bindparam("b_id")).values(
                data=sa.bindparam("b_data"), content_hash=sa.bindparam("b_hash")), updates)
        after = rows[-1][0]


def _add_due_date(data: dict) -> bool:
    if data.get("due_on") or not data.get("created_at"):
        return False
    raised = date.fromisoformat(str(data["created_at"])[:10])
    data["due_on"] = (raised + timedelta(days=DUE_DAYS.get(data.get("priority"), DUE_DAYS["normal"]))).isoformat()
    return True


def _drop_due_date(data: dict) -> bool:
    return data.pop("due_on", None) is not None


def upgrade() -> None:
    _rewrite(_add_due_date)


def downgrade() -> None:
    _rewrite(_drop_due_date)
