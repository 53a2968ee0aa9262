"""Functional: syncing over a link that drops, delays, errs and cuts answers after the server
committed, and through a server killed mid-batch. Nothing lost, nothing stored twice."""
from __future__ import annotations

import asyncio
import random
import threading

import pytest

from records.models import SyncState
from sync.auto import AutoSync
from sync.transport import RequestsSend, Unreachable
from tests.support.live_server import live_server
from tests.sync.devices import DEMO_VILLAGE, Device, ServerDb, make_device
from tests.sync.faulty_proxy import FaultyProxy
from tests.support.records import day_of_work

pytestmark = pytest.mark.timeout(300)

BAD_LINK = {"drop": 0.1, "delay": 0.1, "error": 0.1, "busy": 0.1, "cut": 0.15}


@pytest.fixture
def server():
    with live_server() as srv:
        yield srv


def assert_exactly_once_at_latest_rev(device: Device, db: ServerDb) -> None:
    local = {r.id: r for r in device.all()}
    on_server = db.records()
    assert set(local) <= set(on_server)
    for record_id, record in local.items():
        assert record.sync_state == SyncState.synced, record_id
        _, rev, server_rev = on_server[record_id]
        assert rev == record.rev and server_rev == record.server_rev, record_id
    accepted = db.accepted_versions()
    for record_id in local:
        revs = accepted[record_id]
        assert len(revs) == len(set(revs)), f"{record_id} stored twice: {revs}"
    assert db.conflict_revisions() == 0  # a retry is never mistaken for someone else's change


def test_a_bad_link_ends_with_every_record_on_the_server_once_at_its_latest_rev(tmp_path, server):
    with FaultyProxy(server.port, script=["pass"], faults=BAD_LINK, seed=11, retry_after_s=0) as proxy:
        phone = make_device(tmp_path, "phone", proxy.url, server.official.username, server.official.password,
                            timeout=(2.0, 10.0), batch_size=5)
        try:
            work = day_of_work(30, village=DEMO_VILLAGE)
            phone.store.save(*work)
            rng = random.Random(5)
            for round_ in range(3):  # the official keeps working between attempts
                phone.sync()
                for record in rng.sample(work, 12):
                    current = phone.get(record)
                    changes = {"notes": f"round {round_}"} if record.kind == "visit" else (
                        {"members": 1 + round_} if record.kind == "household" else {"priority": "high"})
                    phone.store.save_edit(current.edited(**changes))
            reports = phone.sync_until_done()
            assert_exactly_once_at_latest_rev(phone, ServerDb(server.db_url))
            assert len(ServerDb(server.db_url).records()) == 120
            assert any(not r.ok for r in reports) or proxy.stats["requests"] > 0
        finally:
            phone.store.close()
    for fault in BAD_LINK:
        assert proxy.stats[fault] > 0, f"the link never did {fault}: {dict(proxy.stats)}"


def test_auto_sync_gets_everything_through_a_bad_link_by_itself(tmp_path, server):
    with FaultyProxy(server.port, script=["pass"], faults=BAD_LINK, seed=23, retry_after_s=1) as proxy:
        phone = make_device(tmp_path, "phone", proxy.url, server.official.username, server.official.password,
                            timeout=(2.0, 10.0), batch_size=20)
        try:
            phone.store.save(*day_of_work(15, village=DEMO_VILLAGE))
            clock = [0.0]
            waits: list[float] = []

            async def quick_sleep(seconds):
                waits.append(seconds)
                clock[0] += seconds  # time flies for the loop's deadlines; the test does not wait it out
                await asyncio.sleep(0.01)

            auto = AutoSync(phone.store, phone.account.runner, clock=lambda: clock[0], sleep=quick_sleep,
                            base_delay=1, max_delay=30)

            def watch(status):
                if status.last_report is not None and status.last_report.ok and status.counts.total_pending == 0:
                    auto.stop()

            auto.subscribe(watch)

            async def scenario():
                await asyncio.wait_for(auto.run(), 120)

            asyncio.run(scenario())
            assert auto.status.online is True and auto.status.last_success_at is not None
            assert_exactly_once_at_latest_rev(phone, ServerDb(server.db_url))
            if proxy.stats["busy"]:
                assert any(w >= 1 for w in waits)  # Retry-After: 1 was honoured
        finally:
            phone.store.close()


def test_a_server_killed_mid_batch_and_restarted_loses_and_duplicates_nothing(tmp_path, server):
    real = RequestsSend()
    pushes = [0]
    kill_on = {2: 0.0, 4: 0.05, 6: 0.1, 8: 0.15, 10: 0.2}  # push number -> seconds after the request leaves

    def send(request):
        if request.url.endswith("/sync/push"):
            pushes[0] += 1
            if pushes[0] in kill_on:
                process = server.process  # this one: a late timer must not kill the restarted server
                threading.Timer(kill_on[pushes[0]], lambda: process.poll() is None and process.kill()).start()
        return real(request)

    phone = make_device(tmp_path, "phone", server.base_url, server.official.username, server.official.password,
                        send=send, timeout=(2.0, 20.0), batch_size=250)
    try:
        work = day_of_work(500, village=DEMO_VILLAGE)  # 2,000 records, 8 batches
        phone.store.save(*work)
        kills = 0
        for _ in range(10):
            report = phone.sync()
            if report.ok and not phone.in_state(SyncState.pending, SyncState.sending):
                break
            assert isinstance(report.error, Unreachable), report.errors
            kills += 1
            server.kill()  # (already dead) make sure before starting again
            server.start()
        assert kills >= 2
        assert_exactly_once_at_latest_rev(phone, ServerDb(server.db_url))
        assert len(ServerDb(server.db_url).records()) == 2000
    finally:
        phone.store.close()
        real.close()
