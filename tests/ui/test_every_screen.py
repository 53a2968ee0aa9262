"""Every screen in a real browser, at phone and desktop size (and Pixel 7 emulation), in Khmer
and English: it renders, nothing raises, phone touch targets are at least 48 px, and a
screenshot of each lands in ./screenshots/ for a person to look at.

The device starts with a store written by this test (households, a visit with concerns, a
record the server refused, a conflict) so that no screen is only its empty state.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sync.device import DeviceSettings, save_device_settings
from app.i18n import Translator
from records.models import Concern, Household, SyncState, Visit
from tests.support.live_server import live_server
from tests.ui.harness import Ui, running_app

pytestmark = [pytest.mark.ui, pytest.mark.timeout(300)]

TOUCH_MIN = 47.5  # 48 px, with room for sub-pixel layout


def seed_device(data_dir: Path, server_url: str) -> dict[str, str]:
    """A device that has worked for a while: what every screen needs to show something real."""
    from app.services.gazetteer import load_builtin
    from storage.repository import ConflictCopy
    from storage.tiny import TinyStore

    data_dir.mkdir(parents=True, exist_ok=True)
    save_device_settings(DeviceSettings(server_url=server_url), data_dir / "device.json")
    store = TinyStore(data_dir / "records", data_dir / "reference")
    try:
        load_builtin(store)
        dara = Household(head_name="សុខ ដារ៉ា", head_name_latin="Sok Dara", phone="012345678", members=5,
                         village_code="01020101", vulnerabilities=["idpoor", "female_headed"],
                         consent_to_contact=True, address="ផ្ទះលេខ ១២ ជិតវត្ត")
        lina = Household(head_name="កែវ លីណា", head_name_latin="Keo Lina", phone="097 765 4321", members=3,
                         village_code="01020102")
        visit = Visit(household_id=dara.id, visited_on=date(2026, 3, 1), officials=["Chan Sophea", "Demo Official"],
                      notes="អណ្ដូងទឹករបស់ភូមិខូចតាំងពីខែមុន។ គ្រួសារត្រូវដើរឆ្ងាយដើម្បីយកទឹក។",
                      follow_up_on=date(2026, 3, 15))
        water = Concern.raise_new(by="Chan Sophea", household_id=dara.id, visit_id=visit.id, category="water",
                                  description="អណ្ដូងទឹកខូច ត្រូវការជួសជុលជាបន្ទាន់", priority="high")
        water = water.change_status("referred", by="Chan Sophea", note="ផ្ញើលិខិតទៅមន្ទីរ",
                                    referred_to="មន្ទីរអភិវឌ្ឍន៍ជនបទខេត្ត")
        roads = Concern.raise_new(by="Chan Sophea", household_id=dara.id, visit_id=visit.id, category="roads",
                                  description="ផ្លូវលំភក់ខ្លាំងពេលភ្លៀង កុមារទៅសាលាពិបាក")
        refused = lina.model_copy(update={"sync_state": SyncState.rejected, "sync_error": {
            "code": "outside_area", "reason": "This record is outside your area.", "field": "village_code"}})
        other = Household(head_name="ជា សុភាព", phone="088 123 4567", members=7, village_code="01020103")
        store.save(dara, visit, water, roads, refused, other.model_copy(update={"sync_state": SyncState.conflict,
                                                                               "server_rev": 2}))
        server_copy = {**other.wire(), "members": 8, "address": "ផ្ទះថ្មីក្បែរផ្សារ", "rev": 2}
        store.conflicts.put(ConflictCopy("household", other.id, server_copy, 3, datetime.now(timezone.utc)))
    finally:
        store.close()
    return {"household": dara.id, "visit": visit.id, "concern": water.id}


def screens(ids: dict[str, str]) -> list[tuple[str, str, str]]:
    """(name, route, a test id that shows the screen is there)."""
    h, v, c = ids["household"], ids["visit"], ids["concern"]
    return [
        ("households", "/households", "household-row-0"),
        ("household-new", "/households/new", "household-head-name"),
        ("household-detail", f"/households/{h}", "household-contact"),
        ("household-edit", f"/households/{h}/edit", "save-household"),
        ("visit-new", f"/households/{h}/visit", "visit-officials"),
        ("visit-edit", f"/households/{h}/visits/{v}", "concern-1-card"),
        ("concerns", "/concerns", "concern-row-0"),
        ("concern-detail", f"/concerns/{c}", "concern-history"),
        ("reports", "/reports", "report-figures"),
        ("sync", "/sync", "conflict-0"),
        ("settings", "/settings", "language-card"),
    ]


def small_touch_targets(ui: Ui) -> list[str]:
    """Tappable nodes smaller than a finger (48 px), described for the failure message.

    The screen's body scrolls between the app bar and the navigation bar: a node cut by
    either edge is only partly on screen, and its full size is what a finger meets once it
    is scrolled in, so nodes cut there are left out.
    """
    return ui.page.evaluate("""min => {
        const body = document.querySelector('[flt-semantics-identifier="screen-body"]').getBoundingClientRect();
        const top = body.top, bottom = body.bottom;
        return [...document.querySelectorAll('[flt-tappable]')].flatMap(e => {
            const r = e.getBoundingClientRect();
            if (r.width === 0 || r.height === 0 || r.bottom <= 0 || r.top >= innerHeight) return [];
            const crossesTop = r.top < top - 1 && r.bottom > top + 1, crossesBottom = r.top < bottom - 1 && r.bottom > bottom + 1;
            // The scrolling column sits inside the body's padding (up to 16 px).
            const cut = (r.top >= top - 1 && r.top <= top + 17) || (r.bottom <= bottom + 1 && r.bottom >= bottom - 17);
            if (crossesTop || crossesBottom || cut) return [];
            return (r.height < min || r.width < min) ?
                [`${(e.getAttribute("aria-label") || e.textContent || e.tagName).slice(0, 40)} ${r.width}x${r.height} at ${r.top}`] : [];
        });
    }""", TOUCH_MIN)


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    with live_server() as server:
        data_dir = tmp_path_factory.mktemp("screens") / "device"
        ids = seed_device(data_dir, server.base_url)
        with running_app(server.base_url, data_dir, env={"PHUM_AUTOSYNC": "0"}) as app:
            yield app, ids


@pytest.mark.parametrize("lang", ["km", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_every_screen(browser, device, size, lang):
    app, ids = device
    tr = Translator(lang)
    ui = Ui.open(browser, app.url + "/settings", size=size)
    try:
        ui.click(f"lang-{lang}")
        expect(ui.tid(f"lang-{lang}").locator("[aria-checked]")).to_have_attribute("aria-checked", "true")
        ui.text(tr("settings.language"))
        for name, route, ready in screens(ids):
            ui.go(route, ready)
            ui.screenshot(f"{size}-{lang}-{name}")
        # Empty states: a search that finds nobody, a filter that matches no concern.
        ui.go("/households", "household-search")
        ui.type("household-search", "zzzz")
        ui.wait("empty-state")
        ui.screenshot(f"{size}-{lang}-households-no-match")
        app.assert_clean()
    finally:
        ui.close()


def test_pixel_7_emulation(browser, devices, device):
    """A real phone's viewport, pixel ratio, touch and user agent (Flutter lays out for Android):
    every screen, and every tappable thing at least 48 px."""
    app, ids = device
    pixel7 = {k: v for k, v in devices["Pixel 7"].items() if k != "default_browser_type"}
    ui = Ui.open(browser, app.url + "/settings", device=pixel7)
    try:
        ui.click("lang-km")
        too_small: dict[str, list[str]] = {}
        for name, route, ready in screens(ids):
            ui.go(route, ready)
            ui.screenshot(f"pixel7-km-{name}")
            small = small_touch_targets(ui)
            if small:
                too_small[name] = small
        ui.go("/households", "household-row-0")
        ui.click("household-row-0")
        ui.wait("household-contact")
        ui.click("new-visit")
        ui.type("visit-notes", "ជួបនៅផ្ទះ")
        ui.click("add-concern")
        ui.click("concern-0-category-health")
        ui.wait("concern-0-card")
        app.assert_clean()
        assert not too_small, too_small
    finally:
        ui.close()
