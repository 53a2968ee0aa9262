"""Signing out with unsent records warns with their number; the records are then hidden, not deleted."""
from __future__ import annotations

import pytest

from app.composition import AppConfig, AppContext
from app.i18n import Translator
from sync.account import SyncAccount
from tests.app.conftest import VILLAGE
from tests.app.flet_session import app_session
from tests.support.records import sok_dara, visit_with_concerns
from tests.sync.fakes import FakeServer


@pytest.fixture
def signed_in(store, tmp_path):
    server = FakeServer(area_code=VILLAGE[:4])
    account = SyncAccount(store, settings_path=tmp_path / "device.json", send=server)
    ctx = AppContext(store, account, AppConfig(data_dir=tmp_path, autosync=False, probe_s=3600))
    ctx.account.sign_in("http://127.0.0.1:8000", "demo-official", "secret")
    yield ctx, server
    ctx.auto.stop()


def test_signed_out_the_records_are_hidden_but_kept_until_the_next_sign_in(signed_in, store):
    ctx, _ = signed_in
    h = sok_dara()
    visit, concerns = visit_with_concerns(h, 1)
    store.save(h, visit, *concerns)
    assert ctx.account.unsent_count() == 3 and not ctx.account.records_hidden
    ctx.account.sign_out()
    assert ctx.account.records_hidden
    assert store.households.get(h.id) is not None and ctx.account.unsent_count() == 3
    ctx.account.sign_in("http://127.0.0.1:8000", "demo-official", "secret")
    assert not ctx.account.records_hidden


def test_a_device_never_signed_in_shows_its_records(ctx, store):
    store.save(sok_dara())
    assert not ctx.account.records_hidden


@pytest.mark.parametrize("lang, width", [("km", 390), ("en", 1280)])
def test_sign_out_warns_with_the_unsent_count_then_lists_and_detail_routes_show_nothing(signed_in, store, lang,
                                                                                         width):
    ctx, _ = signed_in
    ctx.set_language(lang)
    tr = Translator(lang)
    h = sok_dara()
    visit, concerns = visit_with_concerns(h, 2)
    store.save(h, visit, *concerns)
    with app_session(ctx, route="/settings", width=width) as s:
        s.click("sign-out")
        assert s.shown("sign-out-warning")
        assert tr("fieldcheck.sign_out_unsent", count=4) in s.texts()
        s.click("sign-out-cancel")
        assert ctx.account.user is not None  # cancelled: still signed in
        s.click("sign-out")
        s.click("sign-out-confirm")
        assert ctx.account.user is None and ctx.account.records_hidden
        for route in ("/households", f"/households/{h.id}", f"/households/{h.id}/visits/{visit.id}", "/concerns",
                      f"/concerns/{concerns[0].id}", f"/households/{h.id}/edit"):
            s.go(route)
            assert s.shown("records-hidden"), route
            assert h.head_name not in s.texts() and "household-row-0" not in s.ids()
        s.go("/sync")
        assert h.head_name not in s.texts()
    assert store.households.get(h.id) is not None  # kept on the device


def test_sign_out_with_everything_sent_asks_nothing(signed_in):
    ctx, _ = signed_in
    with app_session(ctx, route="/settings") as s:
        s.click("sign-out")
        assert not s.shown("sign-out-warning")
        assert ctx.account.user is None
