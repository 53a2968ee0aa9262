"""A commune's quarter of meetings and a public forum in a real browser, against the real server on 127.0.0.1.

The official plans three commune meetings for the quarter, invites three officials, holds the
forum: marks who came, counts the public, takes four concerns from the floor (one anonymous,
one from a household already known), writes the minutes, records two decisions with owners
and due dates, closes the meeting and syncs. The district supervisor's desktop then shows the
forum, its concerns in the concern list (source: public forum), and the schedule with one held
and two planned. At phone size in Khmer and desktop size in English (the supervisor: desktop).
"""
from __future__ import annotations

import json
import time
import urllib.request
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from app.i18n import Translator
from records.meetings import quarter_bounds, quarter_of
from tests.support.live_server import live_server
from tests.support.records import household
from tests.ui.harness import Ui, running_app

pytestmark = [pytest.mark.ui, pytest.mark.timeout(600)]

INVITED = [("Sok Chea", "Director", "PDRD"), ("Chan Dara", "Chief", "Health Centre"),
           ("Keo Sophal", "Commander", "Police post")]
FLOOR = [("roads", "ផ្លូវលំខូចខ្លាំង", "ចាន់ ធី"), ("water", "អណ្ដូងរីងស្ងួត", None),
         ("health", "មណ្ឌលសុខភាពនៅឆ្ងាយ", "household"), ("documents", "សំបុត្រកំណើតយឺត", "ម៉ៅ សុភា")]
DECISIONS = [("ជួសជុលផ្លូវលំ", "Sok Chea", "PDRD"), ("ស្ដារអណ្ដូងភូមិ", "Chan Dara", "Health Centre")]


def api(server, path: str, token: str, body=None):
    request = urllib.request.Request(server.api_url + path, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def pulled(server, token: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    cursor = None
    while True:
        page = api(server, "/sync/pull" + (f"?cursor={cursor}" if cursor else ""), token)
        for change in page["changes"]:
            out.setdefault(change["type"], []).append(change["data"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return out


def shows(ui: Ui, identifier: str, text: str, timeout: float = 20) -> None:
    """The node says ``text`` to a screen reader (in its labels or its text), within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while text not in (said := ui.said(identifier)):
        assert time.monotonic() < deadline, f"{identifier} says {said!r}, not {text!r}"
        time.sleep(0.3)


def tap_until(ui: Ui, button: str, identifier: str, text: str) -> None:
    """Tap ``button`` until ``identifier`` says ``text``: a tap that reaches a node Flutter is
    replacing is dropped (a person taps again), one that landed is never repeated."""
    for attempt in range(3):
        ui.click(button)
        try:
            shows(ui, identifier, text, timeout=5 if attempt < 2 else 20)
            return
        except AssertionError:
            if attempt == 2:
                raise


def tick_until(ui: Ui, identifier: str) -> None:
    """Tick a checkbox or chip and see it ticked (again if the tap reached a node being replaced)."""
    box = ui.tid(identifier).locator("[aria-checked]").first
    for attempt in range(3):
        if box.get_attribute("aria-checked") != "true":  # never a second tap on one that landed: it would untick
            ui.click(identifier)
        try:
            expect(box).to_have_attribute("aria-checked", "true", timeout=5_000 if attempt < 2 else 20_000)
            return
        except AssertionError:
            if attempt == 2:
                raise


def quarter_days(today: date) -> list[date]:
    """Today (the forum) and two later days of this quarter (the quarter's last day at the latest)."""
    last = quarter_bounds(*quarter_of(today))[1]
    return [today, min(today + timedelta(days=7), last), min(today + timedelta(days=14), last)]



def sync_now(ui: Ui, tr: Translator) -> None:
    ui.go("/sync", "sync-now")
    ui.click("sync-now")
    expect(ui.tid("sync-result")).to_contain_text(tr("sync.result_ok", sent=0, accepted=0, rejected=0, conflicts=0,
                                                     pulled=0)[:6], timeout=60_000)


def plan(ui: Ui, tr: Translator, title: str, day: date, *, invite: list = ()) -> None:
    ui.go("/meetings/new", "meeting-title")
    ui.type("meeting-title", title)
    ui.type("meeting-day", tr.number(day.strftime("%d/%m/%Y")))
    ui.type("meeting-time", tr.number("08:00"))
    ui.type("meeting-place", "សាលាឃុំបន្ទាយនាង")
    for name, position, institution in invite:
        ui.type("plan-invitee-name", name, clear=True)
        ui.type("plan-invitee-position", position, clear=True)
        ui.type("plan-invitee-institution", institution, clear=True)
        ui.click("plan-invitee-add")
        ui.text(f"• {name} · {institution}")
    ui.click("save-meeting")
    ui.wait("meeting-header")


@pytest.mark.parametrize("size,lang", [("phone", "km"), ("desktop", "en")])
def test_a_quarter_of_meetings_and_a_forum_reach_the_district(browser, tmp_path, size, lang):
    tr = Translator(lang)
    days = quarter_days(date.today())
    with live_server() as server:
        known = household(village="01020101", head_name="សុខ ស្រីមុំ")
        official_token = server.login(server.official)
        api(server, "/sync/push", official_token, {"records": [
            {"type": "household", "id": known.id, "rev": 1, "base_rev": None, "data": known.wire()}]})
        with running_app(server.base_url, tmp_path / "phone", env={"PHUM_AUTOSYNC": "0"}) as app:
            ui = Ui.open(browser, app.url + "/settings", size=size)
            try:
                ui.sign_in(server.official, tr, lang)
                sync_now(ui, tr)  # brings the household the forum will link a concern to

                # ---- a quarter of three commune meetings; the forum invites three officials
                plan(ui, tr, "វេទិកាសាធារណៈ", days[0], invite=INVITED)
                plan(ui, tr, "កិច្ចប្រជុំក្រុមការងារ ១", days[1])
                shows(ui, "meeting-invitations", "Keo Sophal")  # offered again, kept
                plan(ui, tr, "កិច្ចប្រជុំក្រុមការងារ ២", days[2])
                ui.go("/meetings", "quarter-title")
                shows(ui, "count-planned", tr.number(3))
                ui.screenshot(f"forum-{size}-{lang}-schedule-planned")

                # ---- hold the forum
                ui.click("meeting-row-commune-0")
                ui.wait("mark-held")
                ui.click("mark-held")
                ui.wait("invitation-0-came")
                for tap in ("invitation-0-came", "invitation-1-came", "invitation-2-declined"):
                    tick_until(ui, tap)
                for n in range(1, 6):  # as a person counts: tap, see the number, tap again
                    tap_until(ui, "total-plus", "total-count", tr.number(n))
                for n in range(1, 4):
                    tap_until(ui, "women-plus", "women-count", tr.number(n))

                # ---- four concerns from the floor
                ui.click("forum-concerns")
                ui.wait("forum-add")
                for n, (category, text, who) in enumerate(FLOOR, 1):
                    ui.click(f"forum-category-{category}")
                    ui.type("forum-description", text)
                    if who is None:
                        ui.click("forum-anonymous")
                    elif who == "household":
                        ui.type("forum-household", "សុខ")
                        ui.click_until_shown("forum-household-0", tr("meeting.linked_household",
                                                                      name=known.head_name))
                    else:
                        ui.type("forum-raised-by", who)
                    tap_until(ui, "forum-add", "forum-added-count", tr.number(n))
                ui.screenshot(f"forum-{size}-{lang}-concerns-from-the-floor")

                # ---- minutes, two decisions, close
                ui.click("back")
                ui.wait("minutes")
                ui.type("minutes", "ប្រជុំចាប់ផ្ដើមម៉ោង ៨ ព្រឹក ប្រជាពលរដ្ឋលើកឡើងកង្វល់ ៤")
                ui.click("save-minutes")
                for text, owner, institution in DECISIONS:
                    ui.type("decision-text", text, clear=True)
                    ui.type("decision-owner", owner, clear=True)
                    ui.type("decision-institution", institution, clear=True)
                    ui.type("decision-due", tr.number("31/01/2027"), clear=True)
                    ui.click("add-decision")
                    ui.text(text)
                ui.click("close-meeting")
                ui.wait("minutes-closed")
                ui.screenshot(f"forum-{size}-{lang}-closed")
                ui.click("share-minutes")
                expect(ui.tid("share-text")).to_be_visible()
                ui.screenshot(f"forum-{size}-{lang}-share-minutes")
                app.assert_clean()

                sync_now(ui, tr)
                app.assert_clean()
            finally:
                ui.close()

        # ---- what the server holds
        supervisor_token = server.login(server.supervisor)
        held = pulled(server, supervisor_token)
        forums = [m for m in held["meeting"] if m["status"] == "held"]
        assert len(held["meeting"]) == 3 and len(forums) == 1
        forum = forums[0]
        assert forum["minutes_closed_at"] and forum["public_total"] == 5 and forum["public_women"] == 3
        assert [i["attended"] for i in forum["invitations"]] == [True, True, False]
        assert [(d["owner_name"], d["due_on"]) for d in forum["decisions"]] == [
            ("Sok Chea", "2027-01-31"), ("Chan Dara", "2027-01-31")]
        raised = [c for c in held["concern"] if c.get("meeting_id") == forum["id"]]
        assert len(raised) == 4 and {c["source"] for c in raised} == {"public_forum"}
        assert sum(c["anonymous"] for c in raised) == 1
        assert [c["household_id"] for c in raised if c["household_id"]] == [known.id]

        # ---- the supervisor's desktop
        with running_app(server.base_url, tmp_path / "desk", env={"PHUM_AUTOSYNC": "0"}) as app:
            ui = Ui.open(browser, app.url + "/settings", size="desktop")
            try:
                ui.sign_in(server.supervisor, tr, lang)
                sync_now(ui, tr)
                ui.go("/meetings", "quarter-title")
                shows(ui, "count-held", tr.number(1))
                shows(ui, "count-planned", tr.number(2))
                ui.screenshot(f"forum-desktop-{lang}-supervisor-schedule")
                ui.go("/concerns", "concern-row-3")
                ui.text(FLOOR[0][1])
                shows(ui, "concern-row-0", tr("concern_source.public_forum"))
                ui.screenshot(f"forum-desktop-{lang}-supervisor-concerns")
                ui.go(f"/meetings/{forum['id']}", "minutes-closed")
                shows(ui, "minutes-closed", "ប្រជុំចាប់ផ្ដើមម៉ោង ៨")
                ui.screenshot(f"forum-desktop-{lang}-supervisor-forum")
                app.assert_clean()
            finally:
                ui.close()
