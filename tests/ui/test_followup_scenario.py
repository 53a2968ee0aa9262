"""Following concerns up in a real browser, against the real server, with the app's clock moved by the test.

The district supervisor signs in and syncs two concerns raised twenty days ago (their clock:
PHUM_CLOCK_FILE, app/clock.py) → refers the water concern to the provincial water department
with an expected date five days after it was raised → the clock moves to today: the water
concern is overdue and at the top of "To follow up" → resolves it and records that the
household was told → escalates the roads concern with its summary → the escalated view holds
the brief, copied to the clipboard. Phone size in Khmer and desktop size in English.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from app.i18n import Translator
from records.models import Concern, ConcernCategory, Priority
from tests.support.live_server import live_server
from tests.support.records import ESCALATION, household, visit
from tests.ui.harness import Ui, running_app

pytestmark = [pytest.mark.ui, pytest.mark.timeout(300)]

VILLAGE = "01020101"  # Ou Thum, in the demo supervisor's district 0102



def click_until(ui: Ui, identifier: str, appears: str, attempts: int = 3) -> None:
    """Tap, then wait for ``appears``; again if a redraw took the tap (docs/STATE.md, Tests)."""
    for attempt in range(attempts):
        ui.click(identifier)
        try:
            ui.wait(appears, timeout=5_000 if attempt < attempts - 1 else 20_000)
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise


def click_until_said(ui: Ui, identifier: str, where: str, text: str, attempts: int = 3) -> None:
    """Tap, then wait until ``where`` says ``text``; again if a redraw took the tap."""
    for attempt in range(attempts):
        ui.click(identifier)
        try:
            expect(ui.tid(where).first).to_contain_text(text, timeout=5_000 if attempt < attempts - 1 else 20_000)
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise


def type_after_scroll(ui: Ui, identifier: str, text: str) -> None:
    """Type into a field low on a long form: Flutter scrolls a frame after the page asks, so the
    first tap can land where the field was; tap again once it has settled."""
    for attempt in range(3):
        try:
            ui.type_and_read_back(identifier, text)
            return
        except AssertionError:
            if attempt == 2:
                raise
            ui.page.mouse.wheel(0, 200)
            time.sleep(0.6)


@pytest.mark.parametrize("size,lang", [("phone", "km"), ("desktop", "en")])
def test_refer_pass_the_due_date_resolve_tell_escalate_and_share_the_brief(browser, tmp_path, size, lang):
    tr = Translator(lang)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    raised = now - timedelta(days=20)
    clock = tmp_path / "clock.txt"
    clock.write_text(raised.isoformat(), encoding="utf-8")
    h = household(1, village=VILLAGE, created_at=raised, updated_at=raised)
    v = visit(h, visited_on=raised.date(), created_at=raised, updated_at=raised)
    water, roads = (Concern.raise_new(by="Demo Official", at=raised, household_id=h.id, visit_id=v.id,
                                      category=category, priority=Priority.normal, description=text,
                                      device_id="office-desk")
                    for category, text in ((ConcernCategory.water, "អណ្ដូងទឹកខូច ត្រូវការជួសជុល"),
                                           (ConcernCategory.roads, "ផ្លូវលំភក់ពេលភ្លៀង")))
    with live_server() as server, running_app(server.base_url, tmp_path / "device", env={
            "PHUM_AUTOSYNC": "0", "PHUM_CLOCK_FILE": str(clock)}) as app:
        server.push(server.supervisor, "office-desk", [h, v, water, roads])
        ui = Ui.open(browser, app.url + "/settings", size=size)
        try:
            if lang == "en":
                ui.click("lang-en")
                ui.text(tr("settings.sign_in_title"))
            ui.type("username", server.supervisor.username)
            ui.type("password", server.supervisor.password)
            ui.click("sign-in")
            ui.wait("signed-in-as")
            ui.go("/sync", "sync-now")
            ui.click("sync-now")
            expect(ui.tid("sync-result")).to_contain_text(tr.number(4), timeout=30_000)

            # ---- refer the water concern to the provincial water department, expected in 5 days
            ui.go(f"/concerns/{water.id}", "concern-due")
            ui.click("status-to-referred")
            ui.click("institution-bmc-dowram")
            expected = (raised + timedelta(days=5)).date()
            ui.type("status-expected-on", expected.strftime("%d/%m/%Y"))
            click_until_said(ui, "change-status", "concern-due", tr("followup.due_on", date=tr.date(expected)))
            ui.screenshot(f"followup-{size}-{lang}-referred")

            # ---- the days pass: today, fifteen days after the expected date
            clock.write_text(now.isoformat(), encoding="utf-8")
            ui.go("/concerns", "concerns-view-followup")
            click_until(ui, "concerns-view-followup", "followup-row-0")
            first = ui.wait("followup-row-0")
            expect(first).to_contain_text(tr("followup.overdue_by", count=15, date=tr.date(expected)))
            expect(first).to_contain_text(tr("category.water"))
            ui.screenshot(f"followup-{size}-{lang}-overdue-list")

            # ---- resolve it and tell the household
            click_until(ui, "followup-row-0", "status-to-resolved")
            ui.click("status-to-resolved")
            expect(ui.tid("status-to-resolved").locator("[aria-checked]")).to_have_attribute("aria-checked", "true")
            click_until_said(ui, "change-status", "concern-status", tr("status.resolved"))
            expect(ui.tid("concern-due")).to_contain_text(tr("followup.tell_household"))
            ui.click("feedback-channel-phone")
            ui.click("feedback-answer-satisfied")
            click_until_said(ui, "record-feedback", "concern-history", tr("followup.step_feedback"))
            ui.screenshot(f"followup-{size}-{lang}-told")

            # ---- escalate the roads concern with its summary
            ui.go(f"/concerns/{roads.id}", "concern-due")
            click_until(ui, "status-to-escalated", "escalation-level-province")  # the summary's fields
            click_until_said(ui, "change-status", "escalation-error", tr.error("escalation_required"))
            ui.click("escalation-level-province")
            for part in ("tried_locally", "who_was_urged", "why_not_solved", "ask"):
                type_after_scroll(ui, f"escalation-{part.replace('_', '-')}", getattr(ESCALATION, part))
            click_until_said(ui, "change-status", "concern-status", tr("status.escalated"))
            ui.screenshot(f"followup-{size}-{lang}-escalated")

            # ---- the escalated concerns of the area, shared as one brief
            ui.go("/concerns", "concerns-view-escalated")
            click_until(ui, "concerns-view-escalated", "brief-text")
            expect(ui.value_of("brief-text")).to_have_value(re.compile(re.escape(ESCALATION.ask)))
            ui.click_until_shown("copy-brief", tr("followup.brief_copied"))  # a tap a redraw took: again
            ui.screenshot(f"followup-{size}-{lang}-brief")
            app.assert_clean()
        finally:
            ui.close()
