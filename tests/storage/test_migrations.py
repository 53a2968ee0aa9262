"""Schema migrations: named, applied in order, once, atomically, and recorded in the store."""
from __future__ import annotations

import pytest

from storage.memory import MemoryStore
from storage.migrations import MIGRATIONS, Migration
from tests.storage.conftest import NOW, open_tiny
from tests.support.records import household


def rename_address_to_details(table):
    """An example of a real schema change: households get "address_details" for "address"."""
    ops = []
    for key, doc in table("households").items():
        if "address" in doc:
            new = {k: v for k, v in doc.items() if k != "address"} | {"address_details": doc["address"]}
            ops.append(["put", "households", key, new])
    return ops


def test_migrations_run_in_order_and_are_recorded_with_what_they_changed(tmp_path):
    seen = []

    def note(name):
        return Migration(name, lambda table: seen.append(name) or [])

    store = open_tiny(tmp_path, migrations=[*MIGRATIONS, note("0002_b"), note("0003_a")])
    assert seen == ["0002_b", "0003_a"]
    assert store.applied_migrations() == [m.name for m in MIGRATIONS] + ["0002_b", "0003_a"]
    row = store.db.storage.table("migrations")["0003_a"]
    assert row == {"name": "0003_a", "seq": len(MIGRATIONS) + 2, "applied_at": NOW.isoformat(), "changed": 0}
    store.close()


def test_a_migration_runs_once_and_a_new_one_runs_on_the_next_start(tmp_path):
    store = open_tiny(tmp_path)
    hs = [household(i, address=f"ផ្ទះលេខ {i}") for i in range(3)]
    store.save(*hs)
    store.close()
    runs = []

    def counted(table):
        runs.append(1)
        return rename_address_to_details(table)

    migrations = [*MIGRATIONS, Migration("0002_address_details", counted)]
    for _ in range(2):
        store = open_tiny(tmp_path, migrations=migrations)
        store.close()
    assert runs == [1]
    store = open_tiny(tmp_path, migrations=migrations)
    doc = store.db.storage.table("households")[hs[1].id]
    assert doc["address_details"] == "ផ្ទះលេខ 1" and "address" not in doc
    assert store.db.storage.table("migrations")["0002_address_details"]["changed"] == 3
    store.close()


def test_a_failing_migration_changes_nothing_and_is_not_recorded(tmp_path):
    store = open_tiny(tmp_path)
    h = household(address="ផ្ទះ")
    store.save(h)
    store.close()

    def half_done_then_fails(table):
        rename_address_to_details(table)
        raise RuntimeError("bug in migration")

    with pytest.raises(RuntimeError):
        open_tiny(tmp_path, migrations=[*MIGRATIONS, Migration("0002_x", half_done_then_fails)])
    store = open_tiny(tmp_path)
    assert store.applied_migrations() == [m.name for m in MIGRATIONS]
    assert store.households.get(h.id) == h
    store.close()


def test_a_store_from_a_newer_version_says_so(tmp_path):
    open_tiny(tmp_path, migrations=[*MIGRATIONS, Migration("0099_future", lambda t: [])]).close()
    store = open_tiny(tmp_path)
    assert "0099_future" in " ".join(store.recovery.messages)
    store.close()


def test_migration_names_must_be_unique():
    with pytest.raises(ValueError):
        MemoryStore(migrations=[*MIGRATIONS, *MIGRATIONS])


def test_the_shipped_migrations_have_ordered_unique_names():
    names = [m.name for m in MIGRATIONS]
    assert names == sorted(set(names))
    assert all(n[:4].isdigit() and n[4] == "_" for n in names)


def test_concerns_saved_before_due_dates_get_one_from_the_day_raised_and_their_priority(tmp_path):
    from datetime import date

    from records.followup import due_date
    from tests.support.records import concern, visit

    h = household()
    v = visit(h)
    urgent, low = concern(h, v, 1, priority="urgent"), concern(h, v, 2, priority="low")
    before = [m for m in MIGRATIONS if m.name != "0003_concern_due_dates"]
    store = open_tiny(tmp_path, migrations=before)
    store.save(h, v, *(c.model_copy(update={"due_on": None}) for c in (urgent, low)))
    assert store.concerns.get(urgent.id).due_on is None
    store.close()
    store = open_tiny(tmp_path)
    assert store.concerns.get(urgent.id).due_on == date(2026, 3, 4)  # raised 1 March, urgent: 3 days
    assert store.concerns.get(low.id).due_on == date(2026, 4, 30)
    assert store.concerns.get(low.id).rev == low.rev and store.concerns.get(low.id).sync_state == low.sync_state
    assert due_date(store.concerns.get(low.id)) == due_date(low)
    assert store.db.storage.table("migrations")["0003_concern_due_dates"]["changed"] == 2
    store.close()


def test_concerns_saved_before_forums_existed_read_as_raised_at_a_household_visit(tmp_path):
    from records.models import ConcernSource
    from storage.migrations import CONCERN_SOURCE_DEFAULTS
    from tests.support.records import family

    before = [m for m in MIGRATIONS if m.name == "0001_initial"]
    store = open_tiny(tmp_path, migrations=before)
    h, v, c = family()
    store.save(h, v, c)
    old_doc = {k: val for k, val in c.to_doc().items() if k not in CONCERN_SOURCE_DEFAULTS}
    store.db.storage.commit([["put", "concerns", c.id, old_doc]])  # as a device of the last version wrote it
    store.close()
    store = open_tiny(tmp_path)
    doc = store.db.storage.table("concerns")[c.id]
    assert doc["source"] == "household_visit" and doc["meeting_id"] is None and doc["anonymous"] is False
    assert store.concerns.get(c.id).source == ConcernSource.household_visit
    assert store.concerns.get(c.id).wire() == c.wire()
    assert store.db.storage.table("migrations")["0002_concern_source"]["changed"] == 1
    store.close()
