"""Institutions a concern is referred to, the administrator's due-date rules, and their versions.

Empty tables: until an administrator loads institutions the server serves the seed list that
ships with Phum (records/institutions_seed.csv); without due-date rules, the defaults.

Revision ID: 0004_followup_reference
Revises: 0003_meetings
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_followup_reference"
down_revision = "0003_meetings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "institutions",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("area_code", sa.String(6), nullable=False),
        sa.Column("categories", sa.String(400), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("name_km", sa.String(200), nullable=False),
    )
    op.create_table(
        "due_days",
        sa.Column("category", sa.String(16), primary_key=True),
        sa.Column("priority", sa.String(8), primary_key=True),
        sa.Column("days", sa.Integer, nullable=False),
    )
    op.create_table(
        "reference_sets",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("reference_sets", "due_days", "institutions"):
        op.drop_table(table)
