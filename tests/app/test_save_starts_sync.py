"""A local save starts a sync at once: a saved visit does not wait for the next poll."""
from __future__ import annotations

import asyncio
import time
from datetime import date

import pytest

from app.composition import AppConfig, AppContext
from app.services.visits import ConcernInput
from records.models import SyncState
from sync.account import SyncAccount
from tests.app.conftest import VILLAGE
from tests.app.flet_session import LoopThread
from tests.sync.fakes import FakeServer

POLL_S = 3600.0  # the next poll is an hour away: only the save itself can start the sync in time


@pytest.fixture
def loop():
    runner = LoopThread()
    yield runner
    runner.close()


@pytest.fixture
def app(store, tmp_path, loop):
    # The transport seam: no network, answers like the central server; the official's area holds VILLAGE.
    server = FakeServer(area_code=VILLAGE[:4])
    account = SyncAccount(store, settings_path=tmp_path / "device.json", send=server)
    account.sign_in("http://127.0.0.1:8000", "demo-official", "secret")
    ctx = AppContext(store, account, AppConfig(data_dir=tmp_path, poll_s=POLL_S, probe_s=POLL_S))
    loop.call(lambda: asyncio.ensure_future(ctx.auto.run()))
    wait_until(lambda: ctx.auto.status.last_report is not None)  # the sync every start makes
    yield ctx, server
    loop.call(ctx.auto.stop)


def wait_until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("not within the time allowed")


def pushed(server: FakeServer) -> set[str]:
    return {entry["id"] for batch in server.pushed_batches for entry in batch}


def test_a_saved_household_and_visit_reach_the_server_without_waiting_for_the_poll(app, store):
    ctx, server = app
    household = ctx.households.save({"head_name": "សុខ ដារ៉ា", "head_name_latin": "Sok Dara", "members": 4,
                                     "village_code": VILLAGE})
    wait_until(lambda: household.id in pushed(server))

    visit, concerns = ctx.visits.save(household.id, {"visited_on": date(2026, 3, 1), "officials": ["Demo Official"]},
                                      [ConcernInput("water", "The well is dry")])
    wait_until(lambda: {visit.id, concerns[0].id} <= pushed(server))
    wait_until(lambda: store.visits.get(visit.id).sync_state == SyncState.synced)
    assert store.households.get(household.id).sync_state == SyncState.synced


def test_an_untouched_form_saved_again_starts_no_sync(app):
    ctx, server = app
    household = ctx.households.save({"head_name": "Sok Dara", "members": 4, "village_code": VILLAGE})
    wait_until(lambda: household.id in pushed(server))
    wait_until(lambda: not ctx.auto.status.running)
    requests = len(server.requests)
    ctx.households.save({"head_name": "Sok Dara", "members": 4, "village_code": VILLAGE}, household_id=household.id)
    time.sleep(0.3)
    assert len(server.requests) == requests
