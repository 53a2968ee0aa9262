"""One record the database refuses never fails the batch: only it (and what needs it) is rejected.

The API validates everything a database could refuse, so the refusal is made here by
damaging the database (a stray row and a unique index that make the second household's
row a duplicate), calling the push code directly on a real database of each backend.
"""
from __future__ import annotations

from sqlalchemy import func, insert, select, text

from records.models import utcnow
from server import gazetteer
from server.auth import Actor
from server.db import Database
from server.migrate import upgrade
from server.push import push
from server.push_rules import canonical
from server.reference import VillageCodes
from server.schemas import PushRecord
from server.tables import RecordRow, area_columns
from tests.server.client import envelope
from tests.support.records import family, household


def _actor() -> Actor:
    return Actor(user_id=1, username="tester", full_name="Tester", role="supervisor", area_code="0102",
                 device_id="d", token_hash="x")


def test_a_record_the_database_refuses_is_rejected_alone_with_the_records_that_need_it(new_db_url):
    db = Database(new_db_url())
    try:
        upgrade(db)
        gazetteer.load(db, gazetteer.builtin())
        first = household()
        h, v, c = family()
        last = household()
        with db.session() as s:
            # A stray row with the second household's content hash, which the database now keeps unique.
            s.execute(insert(RecordRow).values(
                id="00000000-0000-4000-8000-000000000001", type="household", village_code="01020101",
                **area_columns("01020101"),
                household_id="00000000-0000-4000-8000-000000000001", server_rev=1, rev=1, base_rev=None,
                device_id="", content_hash=canonical(h)[1], data="{}", updated_at=utcnow(), seq=-1))
            s.execute(text("CREATE UNIQUE INDEX ix_stray_content ON records (content_hash)"))
        items = [PushRecord.model_validate(envelope(r)) for r in (first, h, v, c, last)]
        results = push(db, _actor(), items, VillageCodes())
        assert [(r["status"], r["code"]) for r in results] == [
            ("accepted", None), ("rejected", "record_unstorable"), ("rejected", "household_missing"),
            ("rejected", "household_missing"), ("accepted", None)]
        assert results[3]["field"] == "household_id"
        with db.session() as s:
            stored = set(s.execute(select(RecordRow.id)).scalars())
            assert {first.id, last.id} <= stored and not {h.id, v.id, c.id} & stored
            assert s.execute(select(func.count()).select_from(RecordRow)).scalar_one() == 3
    finally:
        db.dispose()
