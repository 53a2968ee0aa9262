"""Initial schema: users, tokens, login attempts, records, conflict revisions, audit log, areas.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("full_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("area_code", sa.String(8), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("remote_addr", sa.String(64), nullable=False),
    )
    op.create_index("ix_login_attempts_username_at", "login_attempts", ["username", "at"])
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(counters, [{"name": "seq", "value": 0}])
    op.create_table(
        "records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("village_code", sa.String(8), nullable=False),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("server_rev", sa.Integer, nullable=False),
        sa.Column("rev", sa.Integer, nullable=False),
        sa.Column("base_rev", sa.Integer, nullable=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
    )
    op.create_index("ix_records_village_seq", "records", ["village_code", "seq"])
    op.create_table(
        "conflict_revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("record_id", sa.String(36), nullable=False, index=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("rev", sa.Integer, nullable=False),
        sa.Column("base_rev", sa.Integer, nullable=True),
        sa.Column("server_rev_at_arrival", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.UniqueConstraint("record_id", "content_hash", name="uq_conflict_record_content"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("record_type", sa.String(16), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("rev", sa.Integer, nullable=False),
        sa.Column("server_rev", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_audit_record_hash", "audit_log", ["record_id", "content_hash"])
    op.create_table(
        "areas",
        sa.Column("code", sa.String(8), primary_key=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(8), nullable=True),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("name_km", sa.String(200), nullable=False),
    )
    op.create_table(
        "gazetteers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("loaded_at", TS, nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    for table in ("gazetteers", "areas", "audit_log", "conflict_revisions", "records", "counters",
                  "login_attempts", "tokens", "users"):
        op.drop_table(table)
