"""Records to CSV for the administrator: one type with its fields as columns, or all types with JSON data."""
from __future__ import annotations

import csv
import json
from typing import Iterator, Optional, TextIO

from sqlalchemy import select

from records.models import RECORD_TYPES
from server.db import Database
from server.tables import RecordRow, area_after

META = ["type", "id", "village_code", "server_rev", "rev", "server_updated_at"]


def _columns(record_type: str) -> list[str]:
    model = RECORD_TYPES[record_type]
    fields = [name for name in model.model_fields if name not in model.LOCAL_FIELDS]
    computed = list(model.model_computed_fields)
    return fields + computed


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(db: Database, record_type: Optional[str], area: str, batch: int = 2000) -> Iterator[RecordRow]:
    after = 0
    while True:
        with db.session() as s:
            where, order = area_after(area, after)
            query = select(RecordRow).where(where).order_by(*order).limit(batch)
            if record_type:
                query = query.where(RecordRow.type == record_type)
            rows = s.execute(query).scalars().all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def export_csv(db: Database, out: TextIO, record_type: Optional[str] = None, area: str = "") -> int:
    """Write the records (latest state) as CSV; returns how many rows were written.

    ``area``: a province, district, commune or village code ("" = the whole country); anything else
    raises ValueError before anything is written.
    """
    area_after(area, 0)  # a bad area raises here, before the header is written
    writer = csv.writer(out)
    data_columns = _columns(record_type) if record_type else ["data"]
    writer.writerow(META + data_columns)
    count = 0
    for row in _rows(db, record_type, area):
        data = json.loads(row.data)
        meta = [row.type, row.id, row.village_code, row.server_rev, row.rev, row.updated_at.isoformat()]
        cells = [_cell(data.get(c)) for c in data_columns] if record_type else [row.data]
        writer.writerow([_cell(v) for v in meta] + cells)
        count += 1
    return count
