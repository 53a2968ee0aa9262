"""Report submissions (frozen per area and period) and the administrator's server settings.

Self-contained (new tables only): other migrations may be renumbered around it.

Revision ID: 0006_report_submissions
Revises: 0005_concern_due_dates
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_report_submissions"
down_revision = "0005_concern_due_dates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("area_code", sa.String(8), nullable=False),
        sa.Column("period", sa.String(24), nullable=False),
        sa.Column("submitted_by", sa.String(64), nullable=False),
        sa.Column("submitted_name", sa.String(120), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("figures", sa.Text, nullable=False),
    )
    op.create_index("ix_report_submissions_period_area", "report_submissions", ["period", "area_code", "id"])
    op.create_table(
        "server_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("server_settings")
    op.drop_index("ix_report_submissions_period_area", table_name="report_submissions")
    op.drop_table("report_submissions")
