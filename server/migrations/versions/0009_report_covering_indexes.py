"""On PostgreSQL the report's (type, area, day) indexes carry every column the report counts (INCLUDE), and
hold only the records it reads (visits, concerns, meetings), so a national quarter is an index-only scan.

Without them the report read every row of a national quarter from the table: 3.1 s at 400,000 households,
0.37 s with them (bench/report_bench.py). SQLite has no INCLUDE: its indexes are unchanged. The columns are
server.tables.REPORT_INCLUDE; the report's SQL is server/report.py.

Revision ID: 0009_report_covering_indexes
Revises: 0008_report_sections
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_report_covering_indexes"
down_revision = "0008_report_sections"
branch_labels = None
depends_on = None

INCLUDE = ["province_code", "district_code", "commune_code", "village_code", "household_id", "category",
           "priority", "status", "source", "institution_id", "resolved_on", "due_on", "told_on", "raised_on"]
INDEXES = {"ix_records_type_day": ["type", "visited_on"],
           "ix_records_type_province_day": ["type", "province_code", "visited_on"],
           "ix_records_type_district_day": ["type", "district_code", "visited_on"]}
READ = "type IN ('visit', 'concern', 'meeting')"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="records")
        op.create_index(name, "records", columns, postgresql_include=INCLUDE, postgresql_where=sa.text(READ))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="records")
        op.create_index(name, "records", columns)
