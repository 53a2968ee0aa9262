"""On a PostgreSQL database with a UTF-8 locale, a pull for any area reads its equality index, not the table.

`village_code LIKE '0102%'` can use no ordinary index outside locale C (and the other test
clusters are C): the pull and export read the stored area column's (code, seq) index instead,
from the cursor on (server/tables.py area_after).
"""
from __future__ import annotations

import json
from typing import Optional

import pytest
from sqlalchemy import event, text

from server.auth import Actor
from server.db import Database
from server.migrate import upgrade
from server.pull import encode_cursor, pull
from server.push import push
from server.reference import VillageCodes
from server.schemas import PushRecord
from tests.server.client import envelope
from tests.support.records import family

pytestmark = pytest.mark.postgres

FILL = 200_000  # rows spread over 25 provinces x 8 districts x 8 communes x 4 villages
# Village code of fill row i, in SQL: enough rows for the planner to weigh its choices as at scale.
_FILL_VILLAGE = ("lpad((1 + i % 25)::text, 2, '0') || lpad((1 + (i / 25) % 8)::text, 2, '0')"
                 " || lpad((1 + (i / 200) % 8)::text, 2, '0') || lpad((1 + (i / 1600) % 4)::text, 2, '0')")


def _actor(area: str) -> Actor:
    return Actor(user_id=1, username="planner", full_name="", role="supervisor", area_code=area, device_id="d",
                 token_hash="t")


@pytest.fixture(scope="module")
def utf8_db(pg_utf8_cluster):
    db = Database(pg_utf8_cluster.create_database(locale="C.UTF-8"))
    upgrade(db)
    yield db
    db.dispose()


def _fill(db: Database) -> list:
    """Households pushed the server's way (one moves commune, taking its visit and concern), then bulk rows."""
    families = [family(n, village=village) for n, village in enumerate(["01020101", "01020102", "01020201",
                                                                        "01030101", "02010101"] * 3)]
    items = [PushRecord.model_validate(envelope(r)) for f in families for r in f]
    assert {r["status"] for r in push(db, _actor(""), items, VillageCodes())} == {"accepted"}
    moved = families[0][0].edited(village_code="01030101")
    assert push(db, _actor(""), [PushRecord.model_validate(envelope(moved, base_rev=1))],
                VillageCodes())[0]["status"] == "accepted"
    with db.engine.begin() as conn:
        conn.execute(text(
            f"INSERT INTO records (id, type, village_code, province_code, district_code, commune_code, household_id,"
            f" server_rev, rev, device_id, content_hash, data, updated_at, seq)"
            f" SELECT md5(i::text), 'household', v, left(v, 2), left(v, 4), left(v, 6), md5(i::text), 1, 1, 'bulk',"
            f" 'h', '{{}}', now(), c.value + i"
            f" FROM (SELECT i, {_FILL_VILLAGE} AS v FROM generate_series(1, :n) AS i) AS fill,"
            f" counters AS c WHERE c.name = 'seq'"), {"n": FILL})
        conn.execute(text("UPDATE counters SET value = value + :n WHERE name = 'seq'"), {"n": FILL})
        conn.execute(text("ANALYZE records"))
    return families


def _pull_all(db: Database, area: str, cursor=None, limit: int = 500, *,
              invited: Optional[list] = None) -> tuple[list[str], list[str]]:
    """Every id the area's pull sends from the cursor, and the SQL of each page's query of the area
    (``invited`` gets the query of the meetings that invite it, server/pull.py)."""
    statements: list[tuple[str, dict]] = []

    def seen(conn, cursor_, statement, parameters, context, executemany):
        if "FROM records" in statement and "ORDER BY" in statement:
            if "meeting_invites" not in statement:
                statements.append((statement, parameters))
            elif invited is not None:
                invited.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        ids: list[str] = []
        while True:
            page = json.loads(pull(db, _actor(area), cursor, limit))
            ids += [c["id"] for c in page["changes"]]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return ids, statements
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def test_a_pull_for_a_commune_district_or_province_reads_its_index_and_sends_what_the_prefix_did(utf8_db):
    db = utf8_db
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
                            ).scalar_one() in ("C.UTF-8", "C.utf8")
    families = _fill(db)
    with db.engine.connect() as conn:
        last = conn.execute(text("SELECT value FROM counters WHERE name = 'seq'")).scalar_one()
    moved_children = {families[0][1].id, families[0][2].id}
    for level, area in (("commune", "010201"), ("district", "0102"), ("province", "01"), ("country", "")):
        ids, statements = _pull_all(db, area)
        with db.engine.connect() as conn:
            before = conn.execute(text("SELECT id FROM records WHERE village_code LIKE :prefix ORDER BY seq"),
                                  {"prefix": area + "%"}).scalars().all()
            recent, _ = _pull_all(db, area, encode_cursor(last - 5000))
            plans = ["\n".join(conn.exec_driver_sql("EXPLAIN " + sql, params).scalars())
                     for sql, params in statements]
        assert ids == before and len(ids) == len(set(ids)), level
        assert recent == before[len(before) - len(recent):] and 0 < len(recent) < len(before), level
        index = f"ix_records_{level}_seq" if level != "country" else "records_seq_key"
        for plan in plans:
            assert index in plan and "Seq Scan" not in plan, f"{level}:\n{plan}"
        if level == "commune":
            assert not moved_children & set(ids)  # they went with their household to 010301
        if area:  # the meetings above the area that invite it: found through the invites' index
            invited: list = []
            _pull_all(db, area, invited=invited)
            with db.engine.connect() as conn:
                for sql, params in invited:
                    plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql, params).scalars())
                    assert "ix_meeting_invites_area" in plan and "Seq Scan on records" not in plan, plan
    moved_to, _ = _pull_all(db, "010301")
    assert moved_children <= set(moved_to)
