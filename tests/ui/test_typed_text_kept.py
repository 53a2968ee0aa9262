"""What an official types is never lost (issue 8, items 1 and 2), in a real browser against the
real server on 127.0.0.1, with auto-sync on: when the server comes back the probe sees it and a
sync (push and pull) runs and finishes while the official types.

- A visit's notes typed while the server goes away (offline banner) and comes back (a sync
  finishes), then across a phone/desktop width switch: the text, the focus and the caret stay.
- The form opens with its first field focused; Enter moves to the next field; Tab goes field by
  field in reading order and never onto the navigation; picking a village moves on to the address.
- Leaving with typed changes asks: keep editing keeps everything, discard leaves; left by the
  browser's own navigation, the draft is kept and offered back when the form opens again.
- 300 Khmer characters typed one by one into a concern's status note while syncs finish, the
  district office's change arrives by pull and the offline banner comes and goes: the note the
  server holds is exactly what was typed.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.i18n import Translator
from tests.support.live_server import live_server
from tests.support.records import ESCALATION, concern, household, visit
from tests.ui.harness import SIZES, Ui, running_app
from views.followup import SUMMARY_PARTS, summary_part_id
from tests.ui.test_capture_offline_sync import api, server_records

pytestmark = [pytest.mark.ui, pytest.mark.timeout(300)]

NOTES = ["ទៅជួបមេភូមិ ", "បន្ទាប់ពីភ្លៀង ", "គាត់និយាយថា ", "នឹងជួសជុលខែក្រោយ"]
KHMER_NOTE = ("បានទូរស័ព្ទទៅមេឃុំ គាត់នឹងមកពិនិត្យអណ្ដូងទឹកនៅថ្ងៃច័ន្ទ។ ប្រជាពលរដ្ឋក្នុងភូមិត្រូវការទឹកស្អាត "
              "ជាបន្ទាន់ ព្រោះអណ្ដូងខូចតាំងពីខែមុន។ ក្រុមការងារស្រុកនឹងរាយការណ៍ទៅខេត្ត ")
KHMER_NOTE = (KHMER_NOTE * 3)[:300]


def seed_device(data_dir: Path):
    """A household with a visit and a concern already on the device (pending: auto-sync sends them)."""
    from app.composition import open_store

    h = household(0)
    v = visit(h, 0)
    c = concern(h, v, 0)
    store = open_store(data_dir)
    try:
        store.save(h, v, c)
    finally:
        store.close()
    return h, v, c



def focused_test_id(ui: Ui) -> str:
    """The test id of the field that has the keyboard focus ("" when none of ours has it)."""
    return ui.page.evaluate("""() => {
        let n = document.activeElement;
        while (n && !(n.getAttribute && n.getAttribute('flt-semantics-identifier'))) n = n.parentElement;
        return n ? n.getAttribute('flt-semantics-identifier') : '';
    }""")


def expect_focus(ui: Ui, identifier: str, timeout: float = 5) -> None:
    """The focus reaches ``identifier`` and stays there past the form's own Tab check (0.25 s)."""
    deadline = time.monotonic() + timeout
    while True:
        while (now := focused_test_id(ui)) != identifier and time.monotonic() < deadline:
            time.sleep(0.1)
        assert now == identifier, f"focus is on {now!r}, not on {identifier!r}"
        time.sleep(0.6)
        if focused_test_id(ui) == identifier or time.monotonic() >= deadline:
            break
    assert focused_test_id(ui) == identifier, f"focus left {identifier!r} for {focused_test_id(ui)!r}"


def switch_layout(ui: Ui, size: str) -> None:
    """Resize across the phone/desktop width and wait for the other navigation (bar at the bottom, rail left)."""
    ui.page.set_viewport_size(SIZES[size])
    deadline = time.monotonic() + 15
    while True:
        box = ui.box(ui.tid("nav-households").first)
        at_bottom = box["y"] > SIZES[size]["height"] / 2
        if at_bottom == (size == "phone"):
            return
        assert time.monotonic() < deadline, f"the layout never switched to {size}"
        time.sleep(0.2)


def type_slowly(ui: Ui, text: str) -> None:
    ui.page.keyboard.type(text, delay=40)


@pytest.mark.parametrize("size,lang", [("phone", "km"), ("desktop", "en")])
def test_typed_notes_survive_sync_banner_and_layout_switch_and_leaving_asks(browser, tmp_path, size, lang):
    tr = Translator(lang)
    h, _, _ = seed_device(tmp_path / "device")
    with live_server() as server, running_app(server.base_url, tmp_path / "device",
                                              env={"PHUM_SYNC_POLL_S": "1"}) as app:
        ui = Ui.open(browser, app.url + "/settings", size=size)
        try:
            ui.sign_in(server.official, tr, lang)

            # ---- a new visit: the first field has the focus; Enter moves on, never away
            ui.go(f"/households/{h.id}/visit", "visit-notes")
            expect_focus(ui, "visit-visited-on")
            ui.value_of("visit-officials")
            ui.page.keyboard.press("End")
            ui.page.keyboard.press("Enter")
            expect_focus(ui, "visit-notes")
            assert "/visit" in ui.page.url

            # ---- notes typed while the server goes, comes back (a sync finishes) and the width changes
            box = ui.value_of("visit-notes")
            type_slowly(ui, NOTES[0])
            server.stop()
            type_slowly(ui, NOTES[1])
            ui.wait("offline-banner", timeout=15_000)
            ui.screenshot(f"typed-kept-{size}-{lang}-visit-offline")
            type_slowly(ui, NOTES[2][:4])
            server.start()
            type_slowly(ui, NOTES[2][4:])
            ui.gone("offline-banner", timeout=15_000)
            expect(box).to_have_value("".join(NOTES[:3]))
            other = "desktop" if size == "phone" else "phone"
            switch_layout(ui, other)
            expect_focus(ui, "visit-notes", timeout=10)  # the rebuilt form gives the field its focus back
            time.sleep(0.5)  # the official looks at the new layout before typing on
            type_slowly(ui, NOTES[3])  # no click: the caret is where it was
            typed = "".join(NOTES)
            expect(ui.field("visit-notes")).to_have_value(typed)
            ui.screenshot(f"typed-kept-{size}-{lang}-visit-after-switch")
            officials = ui.value_of("visit-officials")  # a one-line field: focusing it again must not select it all
            expect(officials).to_have_value(re.compile(r"\S"))  # the signed-in official, filled in
            ui.page.keyboard.press("End")
            shown = officials.input_value()
            switch_layout(ui, size)
            expect_focus(ui, "visit-officials", timeout=10)
            time.sleep(0.5)
            ui.page.keyboard.type(", Sok", delay=40)
            expect(ui.field("visit-officials")).to_have_value(shown + ", Sok")

            # ---- leaving asks: keep editing keeps everything, discard leaves
            ui.click("back")
            ui.wait("leave-keep")
            ui.screenshot(f"typed-kept-{size}-{lang}-leave-dialog")
            ui.click("leave-keep")
            ui.gone("leave-keep")
            expect(ui.value_of("visit-notes")).to_have_value(typed)
            ui.click_until_there("cancel", "leave-discard")
            ui.click("leave-discard")
            ui.wait("new-visit")
            ui.go(f"/households/{h.id}/visit", "visit-notes")
            ui.gone("draft-offer", timeout=3_000)  # discarded means gone, not offered back
            expect(ui.value_of("visit-notes")).to_have_value("")

            # ---- left by a way the app cannot stop (the browser's own navigation): kept, offered back
            ui.type("visit-notes", NOTES[0])
            ui.go(f"/households/{h.id}", "new-visit")
            ui.click("new-visit")
            ui.wait("draft-offer")
            ui.screenshot(f"typed-kept-{size}-{lang}-draft-offer")
            ui.click("draft-use")
            ui.gone("draft-offer")
            expect(ui.value_of("visit-notes")).to_have_value(NOTES[0])

            # ---- the household form: Tab in reading order, never onto the navigation
            ui.go("/households/new", "household-head-name")
            expect_focus(ui, "household-head-name")
            ui.value_of("household-head-name-latin")
            for expected in ("household-phone", "household-members", "village-filter"):
                ui.page.keyboard.press("Tab")
                expect_focus(ui, expected)
            ui.page.keyboard.press("Shift+Tab")
            expect_focus(ui, "household-members")

            # ---- picking a village moves on to the next field
            village = "អូរធំ" if lang == "km" else "Ou Thum"
            ui.type("village-filter", village)
            # the form shows the official's district as chosen already: wait for the village's name
            ui.click_until_shown("village-match-0", tr("area.chosen", area=village))
            expect_focus(ui, "household-address")
            ui.screenshot(f"typed-kept-{size}-{lang}-household-form")
            app.assert_clean()
        finally:
            ui.close()


@pytest.mark.parametrize("size,lang", [("desktop", "en"), ("phone", "km")])
def test_300_khmer_characters_typed_through_sync_pull_and_banner_are_saved_exactly(browser, tmp_path, size, lang):
    tr = Translator(lang)
    _, _, c = seed_device(tmp_path / "device")
    with live_server() as server, running_app(server.base_url, tmp_path / "device",
                                              env={"PHUM_SYNC_POLL_S": "1"}) as app:
        ui = Ui.open(browser, app.url + "/settings", size=size)
        try:
            ui.sign_in(server.supervisor, tr, lang)
            supervisor = server.login(server.supervisor)
            deadline = time.monotonic() + 60
            while not server_records(server, supervisor)["concern"]:  # auto-sync sent the seeded family
                assert time.monotonic() < deadline, "the seeded concern never reached the server"
                time.sleep(0.5)

            ui.go(f"/concerns/{c.id}", "status-form")
            ui.click("status-to-escalated")
            # Escalating asks for the summary for the level above (issue 11): filled first, and kept
            # through the same sync, pull and banner as the note.
            ui.wait("escalation-level-province")
            ui.click("escalation-level-province")
            for part in SUMMARY_PARTS:
                ui.type(summary_part_id(part), getattr(ESCALATION, part))
            box = ui.value_of("status-note")
            office_moved = banner_shown = banner_gone = False
            for i, ch in enumerate(KHMER_NOTE):
                ui.page.keyboard.type(ch)
                if i == 30:  # the district office moves the concern; the device pulls it once back online
                    api(server, f"/concerns/{c.id}/status", supervisor,
                        {"status": "in_progress", "note": "District office is on it"})
                if i == 50:
                    server.stop()
                if i == 110:
                    ui.wait("offline-banner", timeout=15_000)
                    banner_shown = True
                    server.start()  # back: the probe sees it, auto-sync runs (push and pull) and finishes
                if i == 180:
                    ui.gone("offline-banner", timeout=15_000)
                    banner_gone = True
                if i == 250:
                    expect(ui.tid("concern-status")).to_contain_text(tr("status.in_progress"), timeout=15_000)
                    office_moved = True
            assert office_moved and banner_shown and banner_gone
            expect(box).to_have_value(KHMER_NOTE)
            for part in SUMMARY_PARTS:
                expect(ui.value_of(summary_part_id(part))).to_have_value(getattr(ESCALATION, part))
            ui.screenshot(f"typed-kept-{size}-{lang}-concern-note")
            ui.click("change-status")
            expect(ui.tid("concern-status")).to_contain_text(tr("status.escalated"), timeout=15_000)

            deadline = time.monotonic() + 60
            while True:  # auto-sync sends the move; the server's history holds the note exactly
                held = server_records(server, supervisor)["concern"]
                history = held[0]["history"] if held else []
                if history and history[-1]["to_status"] == "escalated":
                    break
                assert time.monotonic() < deadline, f"the escalation never reached the server: {history}"
                time.sleep(0.5)
            assert history[-1]["note"] == KHMER_NOTE and history[-1]["escalation"]["ask"] == ESCALATION.ask
            assert [e["to_status"] for e in history][-2:] == ["in_progress", "escalated"]
            app.assert_clean()
        finally:
            ui.close()
