"""Functional: real devices (TinyStore on disk) syncing with the real server on 127.0.0.1."""
from __future__ import annotations

import asyncio
import shutil
import time

import pytest

from records.models import ConcernStatus, SyncState
from sync.auto import AutoSync
from sync.conflicts import keep_local
from storage.memory import MemoryStore
from sync.account import SyncAccount
from sync.transport import AuthError, RequestsSend, RetryLater, Transport
from tests.support.live_server import live_server
from tests.sync.devices import DEMO_VILLAGE, OTHER_VILLAGE, ServerDb, make_device
from tests.support.records import concern, day_of_work, household, visit

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def server():
    with live_server() as srv:
        yield srv


@pytest.fixture
def devices(tmp_path, server):
    made = []

    def make(name="phone", who=None, **kw):
        who = who or server.official
        device = make_device(tmp_path, name, server.base_url, who.username, who.password, **kw)
        made.append(device)
        return device

    yield make
    for device in made:
        device.account.runner() and device.account.runner().transport.close()
        device.store.close()


def test_a_days_work_goes_up_and_comes_down_on_another_device(devices, server):
    phone, desktop = devices("phone"), devices("desktop")
    work = day_of_work(4, village=DEMO_VILLAGE)
    phone.store.save(*work)
    report = phone.sync()
    assert report.ok, report.errors
    assert report.accepted == 16 and not report.rejected and not report.conflicts
    assert {r.sync_state for r in phone.all()} == {SyncState.synced}
    assert all(phone.get(r).server_rev == 1 for r in work)
    on_server = ServerDb(server.db_url).records()
    assert all(on_server[r.id][1:] == (1, 1) for r in work)

    assert desktop.sync().ok
    for record in work:
        copy = desktop.get(record)
        assert copy.sync_state == SyncState.synced and copy.wire() == record.wire()
    assert desktop.store.areas.info() is not None and desktop.store.areas.get(DEMO_VILLAGE) is not None


def test_rejected_records_come_back_with_their_reasons(devices):
    phone = devices()
    good = household(1, village=DEMO_VILLAGE)
    elsewhere = household(2, village=OTHER_VILLAGE)
    unknown_village = household(3, village="01029999")
    orphan_visit = visit(household(4, village=DEMO_VILLAGE))  # its household never leaves the phone
    phone.store.save(good, elsewhere, unknown_village, orphan_visit)
    report = phone.sync()
    assert report.accepted == 1 and report.deferred == 1
    reasons = {r.record_id: (r.code, r.field) for r in report.rejected}
    assert reasons == {elsewhere.id: ("outside_area", "village_code"),
                       unknown_village.id: ("village_code_invalid", "village_code")}
    assert phone.get(elsewhere).sync_state == SyncState.rejected
    assert phone.get(elsewhere).sync_error["code"] == "outside_area" and phone.get(elsewhere).sync_error["reason"]
    assert phone.get(orphan_visit).sync_state == SyncState.pending


def test_a_fixed_rejected_record_goes_through(devices):
    phone = devices()
    h = household(5, village="01029999")
    phone.store.save(h)
    phone.sync()
    phone.store.save_edit(phone.get(h).edited(village_code=DEMO_VILLAGE))
    report = phone.sync()
    assert report.accepted == 1 and phone.get(h).sync_state == SyncState.synced


def test_two_devices_editing_one_household_end_in_a_conflict_nobody_loses(devices, server):
    phone, desktop = devices("phone"), devices("desktop")
    h = household(6, village=DEMO_VILLAGE)
    phone.store.save(h)
    phone.sync()
    desktop.sync()
    desktop.store.save_edit(desktop.get(h).edited(members=8))
    phone.store.save_edit(phone.get(h).edited(members=3))
    assert desktop.sync().accepted == 1
    report = phone.sync()
    assert report.conflicts == [h.id]
    assert phone.get(h).sync_state == SyncState.conflict and phone.get(h).members == 3
    kept = phone.store.conflicts.find(h.id)
    assert kept.server_data["members"] == 8 and kept.server_rev == 2
    assert ServerDb(server.db_url).conflict_revisions() >= 1  # the phone's version is kept on the server too

    keep_local(phone.store, h.id)  # the supervisor chose the phone's version
    assert phone.sync().accepted == 1
    assert ServerDb(server.db_url).records()[h.id][2] == 3
    assert desktop.sync().pulled >= 1 and desktop.get(h).members == 3


def test_a_record_edited_while_it_is_being_sent_goes_back_to_pending_then_up(tmp_path, server):
    real = RequestsSend()
    phone_box = {}

    def send(request):
        response = real(request)
        if request.url.endswith("/sync/push") and "edited" not in phone_box:
            phone_box["edited"] = True
            device = phone_box["device"]
            device.store.save_edit(device.store.households.get(phone_box["id"]).edited(members=9))
        return response

    device = make_device(tmp_path, "phone", server.base_url, server.official.username, server.official.password,
                         send=send)
    try:
        h = household(7, village=DEMO_VILLAGE)
        phone_box.update(device=device, id=h.id)
        device.store.save(h)
        report = device.sync()
        assert report.requeued == 1
        local = device.get(h)
        assert local.sync_state == SyncState.pending and local.server_rev == 1 and local.rev == 2
        assert device.sync().accepted == 1
        assert ServerDb(server.db_url).records()[h.id][1:] == (2, 2)
        assert device.get(h).sync_state == SyncState.synced
    finally:
        device.store.close()
        real.close()


def test_a_status_change_at_the_district_office_reaches_the_phone(devices, server):
    phone = devices()
    h = household(8, village=DEMO_VILLAGE)
    v = visit(h)
    c = concern(h, v)
    phone.store.save(h, v, c)
    phone.sync()
    office = Transport(server.base_url, token=server.login(server.supervisor, "office-pc"))
    answer = office.change_concern_status(c.id, "referred", note="sent on", referred_to="Provincial water dept")
    office.close()
    assert answer["server_rev"] == 2
    report = phone.sync()
    assert report.ok and report.pulled >= 1
    local = phone.get(c)
    assert local.status == ConcernStatus.referred and local.referred_to == "Provincial water dept"
    assert local.server_rev == 2 and local.sync_state == SyncState.synced
    assert [e.to_status for e in local.history] == [ConcernStatus.open, ConcernStatus.referred]


def test_a_status_change_made_while_the_phone_edited_the_concern_is_a_conflict(devices, server):
    phone = devices()
    h = household(9, village=DEMO_VILLAGE)
    v = visit(h)
    c = concern(h, v)
    phone.store.save(h, v, c)
    phone.sync()
    office = Transport(server.base_url, token=server.login(server.supervisor, "office-pc"))
    office.change_concern_status(c.id, "in_progress", note="on it")
    office.close()
    phone.store.save_edit(phone.get(c).edited(description="Well is dry and the pump is broken"))
    report = phone.sync()
    assert report.conflicts == [c.id]
    assert phone.get(c).description.endswith("broken")
    assert phone.store.conflicts.find(c.id).server_data["status"] == "in_progress"


def test_an_official_pulls_only_records_of_their_area(devices, server):
    phone = devices("phone")
    mine = household(10, village=DEMO_VILLAGE)
    phone.store.save(mine)
    phone.sync()
    other = server.create_user("official-pp", "password-pp-1", "official", "12")
    far = devices("far-phone", who=other)
    assert far.sync().ok
    assert far.store.households.find(mine.id) is None


def test_a_revoked_token_asks_for_sign_in_and_keeps_the_work(devices, server):
    phone = devices()
    h = household(11, village=DEMO_VILLAGE)
    phone.store.save(h)
    elsewhere = Transport(server.base_url, token=phone.runner.transport.token)
    elsewhere.logout()  # e.g. the administrator disabled the device's session
    report = phone.sync()
    assert isinstance(report.error, AuthError) and report.error.status == 401
    assert phone.get(h).sync_state == SyncState.pending


def test_an_expired_token_stops_auto_sync_until_the_user_signs_in_again(tmp_path):
    with live_server(extra_args=["--token-ttl", "1"]) as srv:
        device = make_device(tmp_path, "phone", srv.base_url, srv.official.username, srv.official.password)
        try:
            device.store.save(household(12, village=DEMO_VILLAGE))
            time.sleep(1.5)  # the token lives one second
            auto = AutoSync(device.store, device.account.runner)
            asyncio.run(auto.step())
            assert auto.status.needs_sign_in and auto.status.counts.total_pending == 1
            device.account.sign_in(srv.base_url, srv.official.username, srv.official.password)
            asyncio.run(auto.step())
            assert not auto.status.needs_sign_in and auto.status.counts.total_pending == 0
        finally:
            device.store.close()


def test_signing_in_with_a_wrong_password_again_and_again_is_slowed_down(tmp_path, server):
    who = server.create_user("official-typo", "right-password-1", "official", "010201")
    account = SyncAccount(MemoryStore(), settings_path=tmp_path / "device.json")
    errors = []
    for _ in range(7):
        try:
            account.sign_in(server.base_url, who.username, "wrong-password")
        except (AuthError, RetryLater) as exc:
            errors.append(exc)
    assert isinstance(errors[0], AuthError) and errors[0].code == "login_failed"
    assert isinstance(errors[-1], RetryLater) and errors[-1].retry_after and errors[-1].retry_after > 0
    assert account.runner() is None


def test_a_lost_answer_then_a_district_change_ends_with_the_districts_version_on_the_phone(tmp_path, server):
    real = RequestsSend()
    lose = {"next_push": True}

    def send(request):
        response = real(request)
        if request.url.endswith("/sync/push") and lose["next_push"]:
            lose["next_push"] = False
            raise ConnectionResetError("the answer never arrived")  # the server has committed
        return response

    phone = make_device(tmp_path, "phone", server.base_url, server.official.username, server.official.password,
                        send=send)
    try:
        h = household(13, village=DEMO_VILLAGE)
        v = visit(h)
        c = concern(h, v)
        phone.store.save(h, v, c)
        assert not phone.sync().ok
        office = Transport(server.base_url, token=server.login(server.supervisor, "office-pc"))
        office.change_concern_status(c.id, "in_progress", note="the district took it")
        office.close()
        report = phone.sync()  # the retry is a duplicate of rev 1; the pull brings rev 2
        assert report.ok and report.duplicates == 3 and not report.conflicts
        local = phone.get(c)
        assert local.status == ConcernStatus.in_progress and local.server_rev == 2
        assert local.sync_state == SyncState.synced
    finally:
        phone.store.close()
        real.close()


def test_a_phone_restored_from_an_older_backup_gets_its_own_newer_versions_back(tmp_path, server):
    # Why pull sends a device its own accepted versions too: they are how a store that went back
    # in time (a restored backup, a recovery after damage) catches up. device.json, and so the
    # device id, stays the same meanwhile.
    who = server.official

    def phone():
        return make_device(tmp_path, "phone", server.base_url, who.username, who.password)

    def close(device):
        device.account.runner().transport.close()
        device.store.close()

    device = phone()
    h = household(1, village=DEMO_VILLAGE, members=1)
    device.store.save(h)
    assert device.sync().accepted == 1
    device_id = device.account.device_id
    close(device)
    records = tmp_path / "phone" / "records"
    shutil.copytree(records, tmp_path / "backup")
    device = phone()
    device.store.save_edit(device.get(h).edited(members=5))
    assert device.sync().accepted == 1
    close(device)
    shutil.rmtree(records)
    shutil.copytree(tmp_path / "backup", records)
    restored = phone()
    try:
        assert restored.account.device_id == device_id and restored.get(h).members == 1
        assert restored.sync().ok
        got = restored.get(h)
        assert (got.members, got.server_rev, got.sync_state) == (5, 2, SyncState.synced)
    finally:
        close(restored)
