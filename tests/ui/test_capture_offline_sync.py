"""The whole field day in a real browser, against the real server on 127.0.0.1.

Sign in → add a household (Khmer name, Khmer-digit phone; an invalid phone first: error at
the field, nothing saved) → pick the village by typing → a visit with two concerns → the
server goes away: offline banner and pending badge → it comes back: Sync now, progress shown
→ the server holds exactly those records → the district office changes a concern's status
on the server → after the next sync the device shows it.

Runs at phone size in Khmer and at desktop size in English. Auto-sync is off here
(PHUM_AUTOSYNC=0) so that what the badge counts and what "Sync now" sends is certain;
tests/app/test_background_sync.py covers auto-sync against the real server.
"""
from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from app.i18n import Translator
from tests.support.live_server import live_server
from tests.ui.harness import Ui, running_app

pytestmark = [pytest.mark.ui, pytest.mark.timeout(240)]

HEAD_NAME = "សុខ ដារ៉ា"
PHONE_KHMER_DIGITS = "០១២ ៣៤៥ ៦៧៨"
VILLAGE_CODE = "01020101"  # អូរធំ (Ou Thum), commune បន្ទាយនាង: inside the demo official's area 010201
CONCERNS = [("water", "អណ្ដូងទឹកខូច ត្រូវការជួសជុល"), ("roads", "ផ្លូវលំភក់ពេលភ្លៀង")]


def api(server, path: str, token: str, body=None):
    request = urllib.request.Request(server.api_url + path, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def server_records(server, token: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {"household": [], "visit": [], "concern": []}
    cursor = None
    while True:
        page = api(server, "/sync/pull" + (f"?cursor={cursor}" if cursor else ""), token)
        for change in page["changes"]:
            out[change["type"]].append(change["data"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return out


def expect_badge(ui: Ui, tr: Translator, count: int) -> None:
    label = tr("status.pending_badge", count=count)
    expect(ui.tid("pending-badge")).to_have_attribute("aria-label", re.compile("^" + re.escape(label)))


def watch_sync_progress(ui: Ui) -> None:
    """Record every moment the progress bar is on screen (a sync on loopback is quick)."""
    ui.page.evaluate("""() => {
        window.__progressSeen = [];
        const seen = () => {
            const bar = document.querySelector('[flt-semantics-identifier="sync-progress"]');
            const text = document.querySelector('[flt-semantics-identifier="sync-progress-text"]');
            if (bar) window.__progressSeen.push(text ? text.textContent : '');
        };
        new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, characterData: true,
                                                           attributes: true});
    }""")


@pytest.mark.parametrize("size,lang", [("phone", "km"), ("desktop", "en")])
def test_field_day_offline_then_sync(browser, tmp_path, size, lang):
    tr = Translator(lang)
    with live_server() as server, running_app(server.base_url, tmp_path / "device",
                                              env={"PHUM_AUTOSYNC": "0"}) as app:
        ui = Ui.open(browser, app.url + "/settings", size=size)
        try:
            # ---- language and sign-in
            if lang == "en":
                ui.click("lang-en")
                ui.text(tr("settings.sign_in_title"))
            expect(ui.value_of("server-url")).to_have_value(server.base_url)  # preset by run_local
            ui.type("username", server.official.username)
            ui.type("password", server.official.password)
            ui.click("sign-in")
            ui.wait("signed-in-as")

            # ---- a household: an invalid phone first
            ui.go("/households/new", "household-head-name")
            ui.type("household-head-name", HEAD_NAME)
            ui.type("household-phone", "០១២ ៣៤")
            village = "អូរធំ" if lang == "km" else "Ou Thum"
            ui.type("village-filter", village)
            expect(ui.tid("village-match-0")).to_contain_text("បន្ទាយនាង" if lang == "km" else "Banteay Neang")
            # The form starts in the official's area ("Chosen: …" shows already): wait for the village.
            ui.click_until_shown("village-match-0", tr("area.chosen", area=village))
            ui.click("save-household")
            error = ui.page.get_by_text(tr.error("phone_too_short")).first
            expect(error).to_be_visible()
            phone_box, error_box = ui.box(ui.tid("household-phone").first), ui.box(error)
            # The message sits in (or right under) the phone field's box, not elsewhere on the form.
            assert phone_box["y"] <= error_box["y"] <= phone_box["y"] + phone_box["height"] + 40, (phone_box, error_box)
            assert abs(phone_box["x"] - error_box["x"]) < 40, (phone_box, error_box)
            expect_badge(ui, tr, 0)
            app.assert_clean()

            ui.type("household-phone", PHONE_KHMER_DIGITS, clear=True)
            ui.type("household-members", "៥" if lang == "km" else "5", clear=True)
            ui.click("save-household")
            ui.wait("new-visit")
            ui.text(tr.phone("+85512345678"))

            # ---- a visit with two concerns
            ui.click("new-visit")
            ui.wait("visit-officials")
            for i, (category, description) in enumerate(CONCERNS):
                ui.click("add-concern")
                ui.click(f"concern-{i}-category-{category}")
                expect(ui.tid(f"concern-{i}-category-{category}").locator("[aria-checked]")).to_have_attribute(
                    "aria-checked", "true")
                ui.type(f"concern-{i}-description", description)
            ui.click("save-visit")
            ui.wait("visit-0")
            ui.text(CONCERNS[0][1])
            expect_badge(ui, tr, 4)
            ui.screenshot(f"scenario-{size}-{lang}-household-detail")

            # ---- the server goes away
            server.stop()
            banner = ui.wait("offline-banner", timeout=15_000)
            expect(banner).to_contain_text(tr("status.offline"))
            expect_badge(ui, tr, 4)
            ui.screenshot(f"scenario-{size}-{lang}-offline")

            # ---- it comes back: Sync now
            server.start()
            ui.gone("offline-banner", timeout=15_000)
            ui.click("pending-badge")
            ui.wait("sync-now")
            expect(ui.tid("count-concern-pending")).to_contain_text(tr.number(2))
            watch_sync_progress(ui)
            ui.click("sync-now")
            expect(ui.tid("sync-result")).to_contain_text(tr("sync.result_ok", sent=4, accepted=4, rejected=0,
                                                             conflicts=0, pulled=0)[:12], timeout=30_000)
            seen = ui.page.evaluate("window.__progressSeen")
            assert seen, "the progress bar never showed"
            expect_badge(ui, tr, 0)
            ui.screenshot(f"scenario-{size}-{lang}-synced")

            # ---- the server holds exactly those records
            supervisor = server.login(server.supervisor)
            held = server_records(server, supervisor)
            assert len(held["household"]) == 1 and len(held["visit"]) == 1 and len(held["concern"]) == 2
            household = held["household"][0]
            assert household["head_name"] == HEAD_NAME
            assert household["phone"] == "+85512345678"
            assert household["village_code"] == VILLAGE_CODE
            assert household["members"] == 5
            assert held["visit"][0]["household_id"] == household["id"]
            assert sorted((c["category"], c["description"]) for c in held["concern"]) == sorted(CONCERNS)
            assert all(c["visit_id"] == held["visit"][0]["id"] for c in held["concern"])

            # ---- the district office moves a concern; the device sees it after the next sync
            water = next(c for c in held["concern"] if c["category"] == "water")
            api(server, f"/concerns/{water['id']}/status", supervisor,
                {"status": "referred", "note": "District water office", "referred_to": "PDRD"})
            ui.click("sync-now")
            expect(ui.tid("sync-result")).to_contain_text(tr.number(1), timeout=30_000)
            ui.go(f"/concerns/{water['id']}", "concern-status")
            expect(ui.tid("concern-status")).to_contain_text(tr("status.referred"))
            ui.text("District water office")
            ui.screenshot(f"scenario-{size}-{lang}-concern-from-server")
            app.assert_clean()
        finally:
            ui.close()
