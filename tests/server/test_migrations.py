"""The Alembic migrations make exactly the schema the code's tables describe, run again safely, and keep rows."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server.auth import Actor
from server.db import SEQ, Database
from server.migrate import alembic_config, current_revision, head_revision, upgrade
from server.pull import pull
from server.tables import Base, Counter


def test_migrations_build_the_schema_of_the_tables_and_can_be_rerun_and_undone(new_db_url):
    db = Database(new_db_url())
    try:
        assert upgrade(db) == ("", head_revision())
        assert upgrade(db) == (head_revision(), head_revision())  # every start runs it: a no-op
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                           Base.metadata)
        assert differences == []
        config = alembic_config(db)
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert current_revision(db) == ""
        upgrade(db)
        with db.session() as s:  # the seq counter row is there again
            assert s.execute(sa.select(Counter.value).where(Counter.name == SEQ)).scalar_one() == 0
        with db.serial() as tx:
            assert tx.next_seq() > 0
    finally:
        db.dispose()


def test_records_stored_before_the_area_columns_are_pulled_by_their_area_after_the_upgrade(new_db_url):
    db = Database(new_db_url())
    try:
        config = alembic_config(db)
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001_initial")
        now = datetime.now(timezone.utc)
        villages = ["01020101", "01020102", "01020201", "01030101", "02010101"]
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO records (id, type, village_code, household_id, server_rev, rev, base_rev, device_id,"
                " content_hash, data, updated_at, seq) VALUES (:id, 'household', :v, :id, 1, 1, NULL, 'd', 'h',"
                " '{}', :now, :seq)"),
                [{"id": f"r{i}", "v": v, "now": now, "seq": i + 1} for i, v in enumerate(villages)])
            conn.execute(sa.text("UPDATE counters SET value = :n WHERE name = 'seq'"), {"n": len(villages)})
        assert upgrade(db) == ("0001_initial", head_revision())
        with db.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT village_code, province_code, district_code, commune_code"
                                          " FROM records ORDER BY seq")).all()
            assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    Base.metadata) == []
        assert [tuple(row) for row in stored] == [(v, v[:2], v[:4], v[:6]) for v in villages]
        for area in ("", "01", "0102", "010201", "02", "0104"):
            actor = Actor(user_id=1, username="u", full_name="", role="official", area_code=area, device_id="d",
                          token_hash="t")
            page = json.loads(pull(db, actor, None, 100))
            assert [c["id"] for c in page["changes"]] == [f"r{i}" for i, v in enumerate(villages)
                                                          if v.startswith(area)], area
    finally:
        db.dispose()


def test_concerns_stored_before_due_dates_get_one_and_a_device_resending_them_is_answered_duplicate(new_db_url):
    from records.followup import due_date
    from records.models import Concern, Priority
    from server.push import push
    from server.push_rules import canonical
    from server.reference import VillageCodes
    from server.schemas import PushRecord
    from tests.server.client import envelope
    from tests.support.records import family

    db = Database(new_db_url())
    try:
        config = alembic_config(db)
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0004_followup_reference")
        h, v, c = family()
        urgent = c.model_copy(update={"priority": Priority.urgent, "due_on": None})  # as an older app made it
        admin = Actor(1, "admin", "Admin", "admin", "", "d", "x")
        # Stored as a server of that schema stored them (today's push also fills later migrations' columns).
        now = datetime.now(timezone.utc)
        with db.engine.begin() as conn:
            for seq, r in enumerate((h, v, urgent), start=1):
                data, digest = canonical(r)
                conn.execute(sa.text(
                    "INSERT INTO records (id, type, village_code, province_code, district_code, commune_code,"
                    " household_id, server_rev, rev, base_rev, device_id, content_hash, data, updated_at, seq)"
                    " VALUES (:id, :type, :v, :p, :d, :c, :h, 1, :rev, NULL, 'd', :digest, :data, :now, :seq)"),
                    {"id": r.id, "type": r.kind, "v": h.village_code, "p": h.village_code[:2],
                     "d": h.village_code[:4], "c": h.village_code[:6], "h": h.id, "rev": r.rev, "digest": digest,
                     "data": data, "now": now, "seq": seq})
        with db.engine.connect() as conn:
            before = conn.execute(sa.text("SELECT data, seq FROM records WHERE id = :id"), {"id": c.id}).one()
        assert "due_on" not in json.loads(before.data)
        assert upgrade(db) == ("0004_followup_reference", head_revision())
        with db.engine.connect() as conn:
            after = conn.execute(sa.text("SELECT data, content_hash, seq, rev FROM records WHERE id = :id"),
                                 {"id": c.id}).one()
        migrated = Concern.model_validate(json.loads(after.data))
        assert migrated.due_on == due_date(urgent) == urgent.created_at.date() + timedelta(days=3)
        assert (after.seq, after.rev) == (before.seq, urgent.rev)  # nothing for devices to pull again
        assert canonical(migrated)[1] == after.content_hash
        # The device's store migration gave its copy the same date: a resend is the same content.
        resent = push(db, admin, [PushRecord.model_validate(envelope(migrated))], VillageCodes())
        assert resent[0]["status"] == "duplicate"
    finally:
        db.dispose()


def test_concerns_stored_before_forums_read_as_household_visits_with_a_hash_a_retry_still_matches(new_db_url):
    from records.models import Concern, ConcernSource
    from server.push_rules import canonical
    from tests.support.records import family

    db = Database(new_db_url())
    try:
        config = alembic_config(db)
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002_area_columns")
        h, v, c = family()
        old = {k: val for k, val in c.wire().items() if k not in ("source", "meeting_id", "raised_by", "anonymous")}
        now = datetime.now(timezone.utc)
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO records (id, type, village_code, province_code, district_code, commune_code,"
                " household_id, server_rev, rev, base_rev, device_id, content_hash, data, updated_at, seq)"
                " VALUES (:id, 'concern', :v, :p, :d, :c, :h, 1, 1, NULL, 'd', 'old', :data, :now, 1)"),
                {"id": c.id, "v": h.village_code, "p": h.village_code[:2], "d": h.village_code[:4],
                 "c": h.village_code[:6], "h": h.id, "data": json.dumps(old), "now": now})
        with db.engine.begin() as conn:  # to the meetings' migration: later ones add other fields (due_on)
            config.attributes["connection"] = conn
            command.upgrade(config, "0003_meetings")
        with db.engine.connect() as conn:
            data, digest = conn.execute(sa.text("SELECT data, content_hash FROM records")).one()
        stored = json.loads(data)
        assert stored["source"] == "household_visit" and stored["meeting_id"] is None
        # A device of the last version retrying this concern sends it without the new fields: the same hash.
        assert (data, digest) == canonical(Concern.model_validate(old))
        assert Concern.model_validate(stored).source == ConcernSource.household_visit
    finally:
        db.dispose()
