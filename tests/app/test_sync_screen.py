"""The sync screen's decisions (who, which button, which message) and the store's repair notice."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.composition import AppConfig, AppContext
from app.i18n import Translator
from app.services.sync_review import SyncReview
from app.viewmodels.status import AppStatus
from app.viewmodels.sync_screen import SyncScreenVM, repair_notice
from storage.journal import SNAPSHOT
from storage.repository import RecoveryReport
from storage.tiny import TinyStore
from sync.account import SyncAccount
from sync.auto import SyncStatus
from sync.runner import SyncProgress, SyncReport
from tests.support.records import sok_dara
from tests.app.flet_session import app_session

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def status(store):
    return AppStatus(SyncReview(store))


@pytest.fixture
def vm(ctx, status):
    async def sync_now():
        raise AssertionError("not pressed in these tests")

    return SyncScreenVM(ctx.review, status, ctx.account, sync_now)


def test_signed_out_the_screen_offers_the_way_to_sign_in(vm):
    assert vm.offer_sign_in and not vm.can_sync
    assert vm.who().key == "sync.not_signed_in"
    assert vm.last_success().key == "sync.never" and vm.button_key == "sync.now"


def test_while_a_sync_runs_the_button_says_so_and_the_last_outcome_stays(vm, status):
    status.apply_sync_status(SyncStatus(last_report=SyncReport(started_at=WHEN, finished_at=WHEN, sent=3,
                                                                accepted=3), last_success_at=WHEN))
    assert vm.result().key == "sync.result_ok" and vm.result().params["sent"] == 3
    assert vm.last_success().params == {"when": WHEN}
    vm.begin_sync()
    status.apply_sync_status(SyncStatus(running=True, progress=SyncProgress("push", sent=1, total=4),
                                        last_report=status.last_report, last_success_at=WHEN))
    assert vm.button_key == "sync.running" and not vm.can_sync
    value, caption = vm.progress()
    assert value == 0.25 and caption.key == "sync.progress_push"
    assert vm.result().key == "sync.result_ok"  # what was there stays while the bar speaks


def test_the_lists_are_read_again_once_per_finished_sync(vm, status, store):
    first = SyncReport(started_at=WHEN, finished_at=WHEN)
    status.apply_sync_status(SyncStatus(last_report=first))
    vm.status_changed()
    calls = []
    vm.reload = lambda: calls.append(1)
    vm.status_changed()
    status.apply_sync_status(SyncStatus(running=True, last_report=first))
    vm.status_changed()
    assert calls == []  # same report, then a sync still running: nothing to read yet
    status.apply_sync_status(SyncStatus(last_report=SyncReport(started_at=WHEN, finished_at=WHEN)))
    vm.status_changed()
    assert calls == [1]


def test_the_app_status_holds_autosyncs_status_and_follows_the_probe(ctx):
    assert ctx.status.sync is ctx.auto.status
    ctx.auto.set_online(False)
    assert ctx.status.sync is ctx.auto.status and ctx.status.offline
    ctx.auto.set_online(True)
    assert ctx.status.online is True and not ctx.status.offline


def test_a_healthy_store_has_no_repair_notice():
    assert repair_notice(RecoveryReport()) is None and repair_notice(None) is None


def test_the_repair_notice_says_how_many_came_back_and_where_the_copy_is(tmp_path):
    report = RecoveryReport(damaged_files=[str(tmp_path / "records" / "damaged" / "x-snapshot.jsonl"),
                                           str(tmp_path / "records" / "damaged" / "x-journal-000002.jsonl")],
                            records_recovered=7)
    notice = repair_notice(report)
    assert notice.key == "sync.store_repaired"
    assert notice.params == {"count": 7, "folder": str(tmp_path / "records" / "damaged")}


def damaged_store(tmp_path, households: int) -> TinyStore:
    """A store whose snapshot was cut in half while the app was closed."""
    store = TinyStore(tmp_path / "records", tmp_path / "reference")
    store.save(*[sok_dara(head_name=f"Household {i}") for i in range(households)])
    store.compact()
    store.close()
    snapshot = tmp_path / "records" / SNAPSHOT
    snapshot.write_bytes(snapshot.read_bytes()[: snapshot.stat().st_size // 2])
    return TinyStore(tmp_path / "records", tmp_path / "reference")


def opened(store, tmp_path) -> AppContext:
    return AppContext(store, SyncAccount(store, settings_path=tmp_path / "device.json"),
                      AppConfig(data_dir=tmp_path, autosync=False, probe_s=3600))


@pytest.mark.parametrize("lang", ["km", "en"])
def test_a_store_repaired_on_start_is_reported_on_the_sync_screen(tmp_path, lang):
    store = damaged_store(tmp_path, 20)
    ctx = opened(store, tmp_path)
    ctx.set_language(lang)
    try:
        assert store.recovery.had_damage
        recovered = store.recovery.records_recovered
        assert 0 < recovered
        with app_session(ctx, route="/sync") as s:
            assert s.shown("store-repaired")
            expected = Translator(lang)("sync.store_repaired", count=recovered,
                                        folder=str(tmp_path / "records" / "damaged"))
            assert s.get("store-repaired").value == expected
            assert str(tmp_path / "records" / "damaged") in s.texts()
    finally:
        ctx.close()


def test_a_clean_store_shows_no_repair_notice(tmp_path):
    store = TinyStore(tmp_path / "records", tmp_path / "reference")
    store.save(sok_dara())
    ctx = opened(store, tmp_path)
    try:
        with app_session(ctx, route="/sync") as s:
            assert "sync-card" in s.ids() and not s.shown("store-repaired")
            assert "store-repaired-card" not in s.ids()
    finally:
        ctx.close()
