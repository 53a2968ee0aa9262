"""Records get province_code, district_code and commune_code, each indexed with seq.

A pull, export or /conflicts for an area is then `<level>_code = :area`: one plan for every
area and usable in any database locale (`LIKE 'prefix%'` uses no index outside locale C).
Existing rows are filled from their village code (its first 2, 4 and 6 digits, as
records.areas.parent_code); on a national database this rewrites every row and builds three
indexes while the records table is locked: plan the downtime (docs/server.md).

Revision ID: 0002_area_columns
Revises: 0001_initial
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_area_columns"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

COLUMNS = {"province_code": 2, "district_code": 4, "commune_code": 6}


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        for name, length in COLUMNS.items():
            batch.add_column(sa.Column(name, sa.String(length), nullable=True))
    records = sa.table("records", sa.column("village_code"), *(sa.column(name) for name in COLUMNS))
    op.execute(records.update().values(
        {name: sa.func.substr(records.c.village_code, 1, length) for name, length in COLUMNS.items()}))
    with op.batch_alter_table("records") as batch:
        for name, length in COLUMNS.items():
            batch.alter_column(name, existing_type=sa.String(length), nullable=False)
    for name in COLUMNS:
        op.create_index(f"ix_records_{name[:-len('_code')]}_seq", "records", [name, "seq"])


def downgrade() -> None:
    for name in COLUMNS:
        op.drop_index(f"ix_records_{name[:-len('_code')]}_seq", table_name="records")
    with op.batch_alter_table("records") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
