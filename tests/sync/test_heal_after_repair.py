"""A store that repaired damage on open is made whole again by its next sync (real server)."""
from __future__ import annotations

import pytest

from records.models import SyncState
from storage.tiny import TinyStore
from sync.account import SyncAccount
from tests.support.live_server import live_server
from tests.sync.devices import DEMO_VILLAGE, Device, make_device
from tests.support.records import day_of_work, household

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def server():
    with live_server() as srv:
        yield srv


def damage_newest_journal(root) -> None:
    journals = sorted((root / "records").glob("journal-*"), key=lambda p: p.stat().st_mtime)
    newest = [p for p in journals if p.stat().st_size][-1]
    newest.write_bytes(b"\0" * newest.stat().st_size)  # a zeroed file of the same size


def reopen(tmp_path, name) -> Device:
    root = tmp_path / name
    store = TinyStore(root / "records", root / "reference")
    return Device(name, store, SyncAccount(store, settings_path=root / "device.json"))


def test_records_lost_to_a_damaged_journal_come_back_from_the_server(tmp_path, server):
    phone = make_device(tmp_path, "phone", server.base_url, server.official.username, server.official.password)
    work = day_of_work(3, village=DEMO_VILLAGE)
    phone.store.save(*work)
    assert phone.sync().ok
    phone.store.close()
    damage_newest_journal(tmp_path / "phone")

    phone = reopen(tmp_path, "phone")
    try:
        assert phone.store.recovery.had_damage
        assert phone.store.repair_pending()["damaged_files"]
        missing = [r for r in work if phone.store.repository_for(r).find(r.id) is None]
        assert missing, "the damage should have cost records"

        report = phone.sync()
        assert report.ok, report.errors
        assert report.healed
        for record in work:
            copy = phone.get(record)
            assert copy.sync_state == SyncState.synced and copy.wire() == record.wire()
        assert phone.store.repair_pending() is None

        again = phone.sync()  # the repair is healed once, not at every sync
        assert again.ok and not again.healed and again.pulled == 0
    finally:
        phone.account.runner().transport.close()
        phone.store.close()


def test_a_synced_record_the_server_does_not_send_back_is_sent_again(tmp_path, server):
    phone = make_device(tmp_path, "desk", server.base_url, server.official.username, server.official.password)
    phone.store.save(*day_of_work(1, village=DEMO_VILLAGE))
    assert phone.sync().ok
    # Marked synced on the device, but the server never got it (its copy was the device's only one).
    only_here = household(77, village=DEMO_VILLAGE).model_copy(update={"sync_state": SyncState.synced, "server_rev": 1})
    phone.store.save(only_here)
    phone.store.close()
    damage_newest_journal(tmp_path / "desk")
    phone = reopen(tmp_path, "desk")
    try:
        assert phone.store.repair_pending() is not None
        phone.store.save(only_here)  # what the repair kept of it
        report = phone.sync()
        assert report.ok, report.errors
        assert report.healed and report.resent_after_repair >= 1
        assert phone.get(only_here).sync_state == SyncState.synced
        assert phone.store.repair_pending() is None
    finally:
        phone.account.runner().transport.close()
        phone.store.close()


def test_a_sync_that_fails_midway_keeps_the_repair_for_the_next_one(tmp_path, server):
    phone = make_device(tmp_path, "tab", server.base_url, server.official.username, server.official.password)
    phone.store.save(*day_of_work(1, village=DEMO_VILLAGE))
    assert phone.sync().ok
    phone.store.close()
    damage_newest_journal(tmp_path / "tab")
    phone = reopen(tmp_path, "tab")
    try:
        runner = phone.account.runner()
        real_pull = runner.transport.pull

        def broken_pull(*a, **kw):
            from sync.transport import Unreachable
            raise Unreachable("link down", code="unreachable")

        runner.transport.pull = broken_pull
        assert not runner.sync_now().ok
        assert phone.store.repair_pending() is not None
        runner.transport.pull = real_pull
        assert runner.sync_now().healed
    finally:
        phone.account.runner().transport.close()
        phone.store.close()
