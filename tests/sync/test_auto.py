"""AutoSync: when it syncs, how it backs off, and that it never runs twice."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from records.models import SyncState
from storage.memory import MemoryStore
from sync.auto import AutoSync, running_autosync
from sync.runner import SyncRunner
from sync.transport import Transport
from tests.sync.fakes import FakeServer, json_response
from tests.support.records import day_of_work, household, visit


class FakeTime:
    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)


class Rig:
    """A store, a FakeServer behind a real Transport, a runner factory and a fake clock."""

    def __init__(self, **auto_kw) -> None:
        self.store = MemoryStore()
        self.server = FakeServer()
        self.time = FakeTime()
        self.token = "token-1"
        self.offline = False
        self._runner = None
        self.auto = AutoSync(self.store, self.make_runner, clock=self.time.clock, sleep=self.time.sleep,
                             rand=lambda: 1.0, base_delay=5, max_delay=300, **auto_kw)

    def send(self, request):
        if self.offline:
            raise ConnectionRefusedError("no route")
        return self.server(request)

    def make_runner(self):
        if self.token is None:
            return None
        if self._runner is None or self._runner.transport.token != self.token:
            transport = Transport("http://127.0.0.1:8000", token=self.token, send=self.send)
            self._runner = SyncRunner(self.store, transport, device_id="d")
        return self._runner

    def pushes(self) -> int:
        return sum(1 for r in self.server.requests if r.url.endswith("/sync/push"))


def run(coro):
    return asyncio.run(coro)


def test_it_syncs_when_the_server_is_reachable_and_something_is_pending():
    rig = Rig()
    rig.store.save(*day_of_work(3))
    delay = run(rig.auto.step())
    status = rig.auto.status
    assert status.online is True and status.last_report.accepted == 12
    assert status.counts.total_pending == 0 and status.last_success_at is not None
    assert delay == rig.auto.poll_interval
    assert {r.sync_state for r in rig.store.households.all()} == {SyncState.synced}


def test_while_offline_it_waits_longer_and_longer_up_to_a_cap():
    rig = Rig()
    rig.store.save(household())
    rig.offline = True
    delays = []
    for _ in range(9):
        delays.append(run(rig.auto.step()))
        rig.time.t += delays[-1]
    assert delays == [5, 10, 20, 40, 80, 160, 300, 300, 300]  # jitter at its top edge
    assert rig.auto.status.online is False and rig.pushes() == 0


def test_while_backing_off_it_does_not_knock_before_the_time_is_up():
    rig = Rig()
    rig.store.save(household())
    rig.offline = True

    async def scenario():
        first = await rig.auto.step()
        rig.time.t += first / 2
        return first, await rig.auto.step()

    first, second = run(scenario())
    assert second == pytest.approx(first / 2)
    assert len(rig.server.requests) == 0


def test_a_trigger_after_connectivity_returns_syncs_at_once_despite_the_backoff():
    rig = Rig()
    rig.store.save(household())
    rig.offline = True
    for _ in range(4):
        rig.time.t += run(rig.auto.step())
    rig.time.t += 1  # well inside the next wait
    rig.offline = False
    rig.auto.trigger()
    run(rig.auto.step())
    assert rig.auto.status.online is True and rig.pushes() == 1


def test_the_servers_retry_after_is_honoured_even_when_triggered():
    rig = Rig()
    rig.store.save(household())
    rig.server.faults = [json_response(503, None, {"retry-after": "120"})]
    delay = run(rig.auto.step())
    assert delay >= 120 and rig.auto.status.online is True
    rig.auto.trigger()
    rig.time.t += 60
    assert run(rig.auto.step()) == pytest.approx(60)
    assert rig.pushes() == 0
    rig.time.t += 60
    run(rig.auto.step())
    assert rig.pushes() == 1


def test_with_nothing_pending_it_does_not_knock_until_the_next_pull():
    rig = Rig(poll_interval=30)
    run(rig.auto.step())  # first look: pulls once
    requests = len(rig.server.requests)
    for _ in range(4):
        rig.time.t += 30
        run(rig.auto.step())
    assert rig.server.requests[requests:] == []  # the reachability probe asks /health, not the loop


def test_the_probe_coming_back_online_syncs_at_once_despite_the_backoff():
    rig = Rig()
    rig.store.save(household())
    rig.offline = True
    for _ in range(4):
        rig.time.t += run(rig.auto.step())
    rig.time.t += 1  # well inside the next wait
    published = []
    rig.auto.subscribe(published.append)
    rig.auto.set_online(False)  # the probe says what the loop knows: nothing new to publish
    assert len(published) == 1
    rig.offline = False
    rig.auto.set_online(True)
    assert published[-1].online is True
    run(rig.auto.step())
    assert rig.pushes() == 1


def test_records_waiting_for_their_household_do_not_make_it_sync_again_and_again():
    rig = Rig()
    h = household()
    v = visit(h)
    rig.store.save(h, v)
    rig.server.force[h.id] = {"status": "rejected", "code": "phone_invalid", "reason": "bad", "field": "phone"}
    run(rig.auto.step())
    assert rig.auto.status.counts.total_pending == 1  # the visit waits for its household
    for _ in range(3):
        rig.time.t += 30
        run(rig.auto.step())
    assert rig.pushes() == 1


def test_district_changes_are_pulled_periodically_even_with_nothing_to_push():
    rig = Rig(pull_interval=600)
    run(rig.auto.step())
    rig.time.t += 601
    run(rig.auto.step())
    assert sum(1 for r in rig.server.requests if "/sync/pull" in r.url) == 2


def test_a_refused_token_asks_for_sign_in_and_stops_knocking_until_a_new_one():
    rig = Rig()
    rig.store.save(household())
    rig.server.valid_tokens = set()
    run(rig.auto.step())
    assert rig.auto.status.needs_sign_in is True
    before = len(rig.server.requests)
    rig.auto.trigger()
    run(rig.auto.step())
    assert len(rig.server.requests) == before
    rig.server.valid_tokens = {"token-2"}
    rig.token = "token-2"
    run(rig.auto.step())
    assert rig.auto.status.needs_sign_in is False and rig.auto.status.last_report.accepted == 1


def test_signed_out_it_does_nothing_but_count():
    rig = Rig()
    rig.token = None
    rig.store.save(household())
    run(rig.auto.step())
    assert rig.auto.status.signed_in is False and rig.auto.status.counts.total_pending == 1
    assert rig.server.requests == []


def test_listeners_see_every_change_and_a_broken_one_is_dropped():
    rig = Rig()
    rig.store.save(household())
    seen = []
    rig.auto.subscribe(seen.append)

    def broken(status):
        if status.running:
            raise RuntimeError("page closed")

    rig.auto.subscribe(broken)
    run(rig.auto.step())
    assert any(s.running for s in seen) and seen[-1].running is False
    assert broken not in rig.auto._listeners


def test_progress_reaches_the_status_while_syncing():
    rig = Rig()
    rig.store.save(*day_of_work(3))
    phases = []
    rig.auto.subscribe(lambda s: phases.append(s.progress.phase) if s.progress else None)
    run(rig.auto.step())
    assert "push" in phases and "pull" in phases


def test_the_loop_runs_until_stopped_and_a_second_loop_in_the_process_does_not_start():
    rig = Rig(poll_interval=30)
    rig.store.save(household())
    second = AutoSync(rig.store, rig.make_runner, clock=rig.time.clock, sleep=rig.time.sleep)

    async def scenario():
        task = asyncio.create_task(rig.auto.run())
        while len(rig.time.slept) < 2:
            await asyncio.sleep(0)
        assert running_autosync() is rig.auto
        await asyncio.wait_for(second.run(), 1)  # returns at once: main() ran again
        rig.auto.stop()
        await asyncio.wait_for(task, 1)

    run(scenario())
    assert rig.pushes() == 1 and running_autosync() is None


def test_a_trigger_wakes_a_sleeping_loop():
    rig = Rig(poll_interval=3600)

    async def real_sleep(seconds):
        await asyncio.sleep(seconds)

    rig.auto.sleep = real_sleep

    async def scenario():
        task = asyncio.create_task(rig.auto.run())
        await asyncio.sleep(0.2)  # first look done, now asleep for an hour
        rig.store.save(household())
        threading.Thread(target=rig.auto.trigger).start()  # from another thread, like a Flet handler
        for _ in range(100):
            if rig.pushes():
                break
            await asyncio.sleep(0.02)
        rig.auto.stop()
        await asyncio.wait_for(task, 2)

    run(scenario())
    assert rig.pushes() == 1


def test_sync_now_and_the_loop_never_sync_at_the_same_time():
    rig = Rig()
    rig.store.save(*day_of_work(2))
    active, overlaps = [0], [0]
    real = rig.send

    def slow_send(request):
        if request.url.endswith("/sync/push"):
            active[0] += 1
            overlaps[0] = max(overlaps[0], active[0])
            time.sleep(0.05)
            active[0] -= 1
        return real(request)

    rig.send = slow_send
    rig._runner = None

    async def scenario():
        await asyncio.gather(rig.auto.sync_now(), rig.auto.step(), rig.auto.sync_now())

    run(scenario())
    assert overlaps[0] == 1


def test_a_sync_runs_off_the_event_loop():
    rig = Rig()
    rig.store.save(household())
    ticks = [0]
    real = rig.send

    def slow_send(request):
        time.sleep(0.2)
        return real(request)

    rig.send = slow_send

    async def ticker():
        while True:
            ticks[0] += 1
            await asyncio.sleep(0.01)

    async def scenario():
        t = asyncio.create_task(ticker())
        await rig.auto.sync_now()
        t.cancel()

    run(scenario())
    assert ticks[0] > 20  # the UI's loop kept running while the sync waited on the network


def test_a_loop_left_behind_by_a_dead_event_loop_does_not_block_a_new_one():
    rig = Rig()
    dead = asyncio.new_event_loop()
    stale = AutoSync(rig.store, rig.make_runner)
    assert stale._claim()
    stale._loop = dead  # its event loop went away without the loop ending cleanly
    dead.close()
    rig.store.save(household())

    async def scenario():
        task = asyncio.create_task(rig.auto.run())
        while not rig.time.slept:
            await asyncio.sleep(0)
        assert running_autosync() is rig.auto
        rig.auto.stop()
        await asyncio.wait_for(task, 1)

    run(scenario())
    assert rig.pushes() == 1
