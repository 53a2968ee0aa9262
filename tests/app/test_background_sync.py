"""Sign-in, "Sync now", auto-sync and the offline flag, against the real server on 127.0.0.1."""
from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest

from app.composition import AppConfig, AppContext
from app.viewmodels.settings import SettingsVM
from app.viewmodels.sync_screen import SyncScreenVM
from sync.account import SyncAccount
from tests.support.records import sok_dara, visit_with_concerns
from tests.app.flet_session import LoopThread
from tests.support.live_server import free_port, live_server

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server():
    with live_server() as srv:
        yield srv


@pytest.fixture
def loop():
    runner = LoopThread()
    yield runner
    runner.close()


def make_ctx(store, tmp_path, **config) -> AppContext:
    cfg = AppConfig(data_dir=tmp_path, **{"autosync": False, "probe_s": 3600, **config})
    return AppContext(store, SyncAccount(store, settings_path=tmp_path / "device.json"), cfg)


def held_ids(server) -> set[str]:
    token = server.login(server.supervisor)
    request = urllib.request.Request(f"{server.api_url}/sync/pull?limit=1000",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return {c["id"] for c in json.load(answer)["changes"]}


def wait_until(check, timeout=20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("url,username,password,field,code", [
    ("not a url", "u", "p", "server_url", "server_url_invalid"),
    ("http://phum.example.org", "u", "p", "server_url", "server_url_insecure"),
    (None, "", "p", "username", "required"),
    (None, "demo-official", "wrong", "password", "login_failed"),
    ("closed", "demo-official", "x", "server_url", "server_unreachable"),
])
def test_sign_in_errors_land_at_their_field(server, store, tmp_path, loop, url, username, password, field, code):
    ctx = make_ctx(store, tmp_path)
    vm = SettingsVM(ctx.account, ctx.areas, "km")
    vm.set("server_url", {None: server.base_url, "closed": f"http://127.0.0.1:{free_port()}"}.get(url, url))
    vm.set("username", username)
    vm.set("password", password)
    assert loop.run(vm.sign_in()) is False
    assert vm.errors == {field: code}
    assert vm.user is None


def test_sign_in_sync_now_and_sign_out(server, store, tmp_path, loop):
    ctx = make_ctx(store, tmp_path)
    vm = SettingsVM(ctx.account, ctx.areas, "km")
    vm.set("server_url", server.base_url)
    vm.set("username", server.official.username)
    vm.set("password", server.official.password)
    assert loop.run(vm.sign_in()) and vm.user.role == "official" and vm.password == ""
    h = sok_dara(head_name="Sync Now Household")
    visit, concerns = visit_with_concerns(h, 2)
    ctx.households.store.save(h, visit, *concerns)
    ctx.saved()
    assert ctx.status.pending == 4
    screen = SyncScreenVM(ctx.review, ctx.status, ctx.account, ctx.auto.sync_now)
    assert screen.can_sync and screen.count_rows()[3] == ("concern", 2, 0, 0)
    progress = []
    unsubscribe = ctx.auto.subscribe(lambda status: progress.append(status.progress))
    message = loop.run(screen.sync_now())
    unsubscribe()
    assert message.key == "sync.result_ok" and message.params["sent"] == 4 and message.params["accepted"] == 4
    assert any(p is not None and p.phase == "push" for p in progress)
    assert ctx.status.pending == 0 and ctx.status.last_success_at is not None
    assert {h.id, visit.id, *(c.id for c in concerns)} <= held_ids(server)
    loop.run(vm.sign_out())
    assert vm.user is None and not screen.can_sync
    assert loop.run(screen.sync_now()).key == "sync.need_sign_in"


def test_auto_sync_sends_without_a_button_and_the_offline_flag_follows_the_server(store, tmp_path, loop):
    with live_server() as server:
        ctx = make_ctx(store, tmp_path, autosync=True, poll_s=0.5, probe_s=0.3)
        ctx.account.sign_in(server.base_url, server.official.username, server.official.password)
        loop.call(lambda: ctx.start_background(lambda fn, *a: asyncio.ensure_future(fn(*a))))
        wait_until(lambda: ctx.status.online is True)
        h = sok_dara(head_name="Auto Household")
        store.save(h)
        loop.call(ctx.saved)
        loop.call(ctx.auto.trigger)
        wait_until(lambda: h.id in held_ids(server))
        wait_until(lambda: ctx.status.pending == 0)

        server.stop()
        wait_until(lambda: ctx.status.online is False)
        offline = sok_dara(head_name="Saved Offline")
        store.save(offline)
        loop.call(ctx.saved)
        assert ctx.status.pending == 1

        server.start()  # a connection appears: the waiting record goes without anyone pressing a button
        wait_until(lambda: ctx.status.online is True)
        wait_until(lambda: offline.id in held_ids(server), timeout=30)
        loop.call(ctx.auto.stop)
        ctx.reachability.stop()
