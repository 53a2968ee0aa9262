"""Forums and meetings (issue 10): concerns say where they were raised; meetings name the areas they invite.

Every stored concern gets `source: household_visit` and no meeting, raiser or anonymity, as a
concern saved today without them reads (records/models.py); its content hash is computed again
from the new canonical JSON, so a late retry of the old version is still told a duplicate.
`meeting_invites` lists, for each meeting, the areas whose working groups it invites and
their parent areas: a pull finds the meetings above the caller's area that invite it, or an
area inside it, by one equality on the index (docs/sync-protocol.md "Meetings").

Self-contained (no import of records/): the canonical form is written out as server/push_rules.py
makes it. Revision numbers may be renumbered when merged beside another 0003.

Revision ID: 0003_meetings
Revises: 0002_area_columns
Create Date: 2026-12-03
"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0003_meetings"
down_revision = "0002_area_columns"
branch_labels = None
depends_on = None

CONCERN_DEFAULTS = {"source": "household_visit", "meeting_id": None, "raised_by": None, "anonymous": False}
NEW_FIELDS = tuple(CONCERN_DEFAULTS)


def _canonical(data: dict) -> tuple[str, str]:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rewrite_concerns(change) -> None:
    records = sa.table("records", sa.column("id"), sa.column("type"), sa.column("data"), sa.column("content_hash"))
    conn = op.get_bind()
    last = ""
    while True:  # in pages of ids: a national database does not fit in memory at once
        rows = conn.execute(sa.select(records.c.id, records.c.data).where(
            records.c.type == "concern", records.c.id > last).order_by(records.c.id).limit(1000)).all()
        if not rows:
            return
        updates = []
        for record_id, data in rows:
            new = change(json.loads(data))
            if new is not None:
                text, digest = _canonical(new)
                updates.append({"b_id": record_id, "b_data": text, "b_hash": digest})
        if updates:
            conn.execute(records.update().where(records.c.id == sa.bindparam("b_id")).values(
                data=sa.bindparam("b_data"), content_hash=sa.bindparam("b_hash")), updates)
        last = rows[-1][0]


def upgrade() -> None:
    _rewrite_concerns(lambda d: None if set(NEW_FIELDS) <= d.keys() else {**CONCERN_DEFAULTS, **d})
    op.create_table(
        "meeting_invites",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("area_code", sa.String(8), primary_key=True),
    )
    op.create_index("ix_meeting_invites_area", "meeting_invites", ["area_code", "record_id"])


def downgrade() -> None:
    op.drop_index("ix_meeting_invites_area", table_name="meeting_invites")
    op.drop_table("meeting_invites")
    # Only concerns that still read as before (a household visit's) can go back to the old form.
    _rewrite_concerns(lambda d: {k: v for k, v in d.items() if k not in NEW_FIELDS}
                      if all(d.get(k) == v for k, v in CONCERN_DEFAULTS.items()) else None)
