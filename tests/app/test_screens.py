"""Every screen built on a real flet Session (fake client), its handlers fired as the client would."""
from __future__ import annotations

import flet as ft
import pytest

from app.i18n import Translator
from records.models import ConcernStatus
from tests.app.conftest import VILLAGE
from tests.support.records import sok_dara, visit_with_concerns
from tests.app.flet_session import app_session

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


@pytest.fixture(params=["phone", "desktop"])
def size(request):
    return SIZES[request.param]


@pytest.fixture
def seeded(store):
    h = sok_dara()
    visit, concerns = visit_with_concerns(h, 2)
    store.save(h, visit, *concerns)
    return h, visit, concerns


def test_every_route_renders_in_both_layouts_and_languages(ctx, seeded, size):
    h, visit, concerns = seeded
    routes = ["/households", "/households/new", f"/households/{h.id}", f"/households/{h.id}/edit",
              f"/households/{h.id}/visit", f"/households/{h.id}/visits/{visit.id}", "/concerns",
              f"/concerns/{concerns[0].id}", "/reports", "/sync", "/settings", "/no/such/page"]
    for lang in ("km", "en"):
        ctx.set_language(lang)
        with app_session(ctx, route="/households", width=size[0], height=size[1]) as s:
            for route in routes:
                s.go(route)
                view = s.page.views[-1]
                assert view.route == route
                phone = size[0] <= 600
                assert isinstance(view.navigation_bar, ft.NavigationBar) == phone
                assert "pending-badge" in s.ids()
            assert s.client.bytes_sent > 0


def test_households_empty_state_then_add(ctx):
    with app_session(ctx, route="/households") as s:
        assert "empty-state" in s.ids()
        s.click("empty-add-household")
        assert s.route == "/households/new"


def test_new_household_invalid_phone_then_valid(ctx, store):
    tr = Translator("km")
    with app_session(ctx, route="/households/new") as s:
        s.type("household-head-name", "សុខ ដារ៉ា")
        s.type("household-phone", "០១២ ៣៤")
        s.type("village-filter", "អូរធំ")
        assert "village-match-0" in s.ids()
        s.click("village-match-0")
        assert s.get("village-province").value == "01" and s.get("village-village").value == VILLAGE
        s.click("save-household")
        assert s.get("household-phone").error == tr.error("phone_too_short")
        assert store.households.count() == 0 and s.route == "/households/new"
        s.type("household-phone", "០១២ ៣៤៥ ៦៧៨")
        assert s.get("household-phone").error is None  # fixing the field clears its message
        s.submit("household-phone")  # Enter moves on to the next field: it never leaves the form
        assert s.route == "/households/new" and store.households.count() == 0
        s.click("save-household")
        saved = store.households.all()[0]
        assert s.route == f"/households/{saved.id}" and saved.phone == "+85512345678"
        assert ctx.status.pending == 1


def test_cascading_dropdowns_on_the_form(ctx, store):
    with app_session(ctx, route="/households/new", width=1280) as s:
        s.type("household-head-name", "Keo Lina")
        s.select("village-province", "01")
        assert s.get("village-district").disabled is False
        s.select("village-district", "0102")
        s.select("village-commune", "010201")
        s.select("village-village", VILLAGE)
        s.click("save-household")
        assert store.households.all()[0].village_code == VILLAGE


def test_visit_with_two_concerns_from_the_detail_screen(ctx, store):
    h = sok_dara()
    store.save(h)
    with app_session(ctx, route=f"/households/{h.id}") as s:
        assert "no-visits" in s.ids()
        s.click("new-visit")
        assert s.route == f"/households/{h.id}/visit"
        s.type("visit-officials", "Chan Sophea, Keo Lina")  # nobody signed in on this device: no default
        for i, (category, text) in enumerate([("water", "well broken"), ("roads", "mud road")]):
            s.click("add-concern")
            s.click(f"concern-{i}-category-{category}")
            s.type(f"concern-{i}-description", text)
        s.click("concern-1-priority-urgent")
        s.click("visit-kind-public_forum")
        s.click("save-visit")
        assert s.route == f"/households/{h.id}"
        assert {"visit-0", "concern-0-0", "concern-0-1"} <= s.ids()
    concerns = store.concerns.for_household(h.id)
    assert {(c.category.value, c.priority.value) for c in concerns} == {("water", "normal"), ("roads", "urgent")}
    assert store.visits.all()[0].visit_kind.value == "public_forum"


def test_visit_errors_show_at_the_fields(ctx, store):
    h = sok_dara()
    store.save(h)
    with app_session(ctx, route=f"/households/{h.id}/visit") as s:
        s.type("visit-visited-on", "៣១/០២/២០២៦")
        s.click("add-concern")
        s.click("save-visit")
        tr = Translator("km")
        assert s.get("visit-visited-on").error == tr.error("date_invalid")
        assert s.get("concern-0-description").error == tr.error("description_empty")
        assert store.visits.count() == 0


def test_change_a_concern_status(ctx, seeded, store):
    _, _, concerns = seeded
    with app_session(ctx, route=f"/concerns/{concerns[0].id}", width=1280) as s:
        s.click("status-to-referred")
        assert "status-referred-to" not in s.ids()  # a listed institution first; its name only for "other"
        s.select("status-institution", "other")
        s.type("status-referred-to", "PDRD")
        s.type("status-note", "letter sent")
        s.click("change-status")
        assert store.concerns.get(concerns[0].id).status == ConcernStatus.referred
        assert "status-to-resolved" in s.ids() and "status-to-referred" not in s.ids()


def test_refer_to_a_listed_institution_then_tell_the_household(ctx, seeded, store):
    _, _, concerns = seeded
    with app_session(ctx, route=f"/concerns/{concerns[0].id}", width=1280) as s:
        assert "concern-due" in s.ids()
        s.click("status-to-referred")
        s.select("status-institution", "bmc-dowram")
        s.type("status-expected-on", "20/12/2026")
        s.click("change-status")
        stored = store.concerns.get(concerns[0].id)
        assert (stored.institution_id, stored.due_on.isoformat()) == ("bmc-dowram", "2026-12-20")
        assert stored.referred_to.startswith("Banteay Meanchey Provincial Department of Water")
        s.click("feedback-channel-phone")
        s.click("feedback-answer-satisfied")
        s.click("record-feedback")
        told = store.concerns.get(concerns[0].id).history[-1].feedback
        assert (told.channel.value, told.answer.value) == ("phone", "satisfied")


def test_filters_on_the_concerns_screen(ctx, seeded):
    with app_session(ctx, route="/concerns", width=1280) as s:
        assert {"concern-row-0", "concern-row-1", "concern-pick"} <= s.ids()
        s.select("filter-category", "water")
        assert "concern-row-1" not in s.ids()
        s.select("filter-status", "resolved")
        assert "empty-state" in s.ids()


def test_language_switch_and_layout_switch(ctx):
    with app_session(ctx, route="/settings") as s:
        s.click("lang-en")
        assert ctx.language == "en"
        assert s.page.views[-1].appbar.title.value == "Settings"
        s.resize(1280, 800)
        assert s.page.views[-1].navigation_bar is None
        s.resize(390, 844)
        assert isinstance(s.page.views[-1].navigation_bar, ft.NavigationBar)


def test_offline_banner_and_badge_follow_the_status(ctx, seeded):
    with app_session(ctx, route="/households") as s:
        assert not s.shown("offline-banner")
        s.runner.call(lambda: ctx.auto.set_online(False))
        s.runner.settle()
        assert s.shown("offline-banner")
        assert s.find("pending-badge").content.controls[1].value == "៤"
        s.runner.call(lambda: ctx.auto.set_online(True))
        s.runner.settle()
        assert not s.shown("offline-banner")


def test_sync_now_without_sign_in_says_so(ctx, seeded):
    with app_session(ctx, route="/sync") as s:
        assert s.get("sync-now").disabled is True
        assert "go-sign-in" in s.ids()
        s.click("go-sign-in")
        assert s.route == "/settings"


def test_list_grows_a_page_at_a_time(ctx, store):
    store.save(*[sok_dara(head_name=f"Name {i:03d}", phone=None) for i in range(120)])
    with app_session(ctx, route="/households") as s:  # a phone: 25 rows at a time
        assert "household-row-24" in s.ids() and "household-row-25" not in s.ids()
        s.click("show-more")
        assert "household-row-49" in s.ids() and "household-row-50" not in s.ids()
        s.type("household-search", "Name 11")
        assert "household-row-9" in s.ids() and "household-row-10" not in s.ids()


@pytest.mark.parametrize("lang, locale", [("km", ("km", "KH")), ("en", ("en", "US"))])
def test_the_date_picker_speaks_the_ui_language(ctx, store, lang, locale):
    h = sok_dara()
    store.save(h)
    ctx.set_language(lang)
    with app_session(ctx, route=f"/households/{h.id}/visit") as s:
        assert (s.page.locale_configuration.current_locale.language_code,
                s.page.locale_configuration.current_locale.country_code) == locale
        s.click("pick-visited-on")
        picker = s.page._dialogs.controls[-1]
        assert isinstance(picker, ft.DatePicker)
        assert (picker.locale.language_code, picker.locale.country_code) == locale
