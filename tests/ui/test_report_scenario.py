"""The quarter's activity report in a real browser, against the real server on 127.0.0.1.

The commune official's records of last quarter reach the server (pushed as the official's phone
would); the district supervisor signs in, syncs, opens the Reports screen on the quarter's last
day (the app's clock: PHUM_CLOCK_FILE) and sees the figures of those records → saves the XLSX and
the PDF (the desktop makes them itself; the phone, without the desktop extra, fetches the server's)
and opens them → submits the report with a note (late: the server's day is today) → the national
admin, on another device, sees every province, opens Banteay Meanchey and finds the district's
submission with its note and the compiled totals. Phone size in Khmer, desktop size in English.
"""
from __future__ import annotations

import re
import time
from datetime import date, datetime, time as day_time, timedelta, timezone

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from app.i18n import Translator
from records.models import Concern, ConcernCategory, ConcernStatus, Priority
from records.report import CAMBODIA, local_date
from tests.support.live_server import live_server
from tests.support.records import household, visit
from tests.ui.harness import Ui, running_app

pytestmark = [pytest.mark.ui, pytest.mark.timeout(600)]

DISTRICT, PROVINCE = "0102", "01"
VILLAGES = ("01020101", "01020102")  # two villages of the demo official's commune 010201
NOTE = {"km": "អណ្ដូងពីរនៅខូច សូមខេត្តជួយ", "en": "Two wells still broken: the commune asks the province for help"}


def last_quarter(today: date) -> tuple[str, date, date]:
    """The quarter before today's: its label, first and last day."""
    first_of_this = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = first_of_this - timedelta(days=1)
    start = date(end.year, end.month - 2, 1)
    return f"{end.year}-Q{(end.month - 1) // 3 + 1}", start, end


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, day_time(hour), tzinfo=CAMBODIA).astimezone(timezone.utc)


def quarter_records(start: date) -> list:
    """Three households, four visits (one household twice), three concerns (one resolved)."""
    days = [start + timedelta(days=n) for n in (10, 20, 35, 50)]
    hs = [household(i, village=VILLAGES[i % 2], created_at=at(days[0], 8), updated_at=at(days[0], 8))
          for i in range(3)]
    vs = [visit(h, i, visited_on=days[i], created_at=at(days[i]), updated_at=at(days[i]))
          for i, h in enumerate(hs)]
    vs.append(visit(hs[0], 3, visited_on=days[3], created_at=at(days[3]), updated_at=at(days[3])))
    concerns = [Concern.raise_new(by="Demo Official", at=at(v.visited_on, 10), household_id=v.household_id,
                                  visit_id=v.id, category=category, priority=Priority.normal, description=text,
                                  device_id="official-phone")
                for v, category, text in ((vs[0], ConcernCategory.water, "អណ្ដូងទឹកខូច"),
                                          (vs[1], ConcernCategory.roads, "ផ្លូវលំភក់ពេលភ្លៀង"),
                                          (vs[2], ConcernCategory.health, "មណ្ឌលសុខភាពនៅឆ្ងាយ"))]
    concerns[0] = concerns[0].change_status(ConcernStatus.resolved, by="Demo Official",
                                            at=at(vs[0].visited_on + timedelta(days=3)))
    return [*hs, *vs, *concerns]



def shows(ui: Ui, identifier: str, pattern: str, timeout: float = 30) -> str:
    """The node says something matching ``pattern`` to a screen reader, within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, said := " ".join(ui.said(identifier).split())):
        assert time.monotonic() < deadline, f"{identifier} says {said!r}, not /{pattern}/"
        time.sleep(0.3)
    return said


def tap_until_shows(ui: Ui, identifier: str, where: str, pattern: str, attempts: int = 3) -> str:
    """Tap, then wait until ``where`` says ``pattern``; again if a redraw took the tap."""
    for attempt in range(attempts):
        ui.click(identifier)
        try:
            ui.wait(where, timeout=5_000 if attempt < attempts - 1 else 30_000)
            return shows(ui, where, pattern, timeout=8 if attempt < attempts - 1 else 30)
        except AssertionError:
            if attempt == attempts - 1:
                raise
    raise AssertionError(identifier)


def scroll_down(ui: Ui, pixels: int = 5000) -> None:
    """Scroll the report to its end (the submissions), for the screenshot."""
    size = ui.page.viewport_size
    ui.page.mouse.move(size["width"] * 0.5, size["height"] * 0.5)
    ui.page.mouse.wheel(0, pixels)
    time.sleep(0.8)


def type_note(ui: Ui, text: str) -> None:
    """Type into the note, low on a long screen: Flutter scrolls a frame after the page asks, so a
    tap can land where the field was; tap again once it has settled."""
    for attempt in range(3):
        try:
            ui.type("report-note", text, clear=attempt > 0)
            return
        except AssertionError:
            if attempt == 2:
                raise
            time.sleep(0.6)



def figure(tr: Translator, key: str, value: int) -> str:
    """A key figure's card as read out: its label, then its value."""
    return re.escape(tr(f"report.fig.{key}")) + r"\s+" + tr.number(value) + r"(?!\w)"


@pytest.mark.parametrize("size,lang", [("phone", "km"), ("desktop", "en")])
def test_the_district_saves_and_submits_the_quarters_report_and_the_admin_sees_it(browser, tmp_path, size, lang):
    tr = Translator(lang)
    label, start, end = last_quarter(local_date(datetime.now(timezone.utc)))
    clock = tmp_path / "clock.txt"
    clock.write_text(at(end, 16).isoformat(), encoding="utf-8")  # the quarter's last day, in the afternoon
    downloads = tmp_path / "Downloads"
    local = size == "desktop"  # the phone has no desktop extra: its files come from the server
    env = {"PHUM_AUTOSYNC": "0", "PHUM_CLOCK_FILE": str(clock), "PHUM_DOWNLOADS_DIR": str(downloads),
           "PHUM_LOCAL_REPORT_FILES": "1" if local else "0"}
    with live_server() as server:
        admin = server.create_user("national-admin", "national-admin-pw", "admin", "", "National Admin")
        server.push(server.official, "official-phone", quarter_records(start))
        with running_app(server.base_url, tmp_path / "desk", env=env) as app:
            ui = Ui.open(browser, app.url + "/settings", size=size)
            try:
                ui.sign_in(server.supervisor, tr, lang)
                ui.go("/sync", "sync-now")
                ui.click("sync-now")
                expect(ui.tid("sync-result")).to_contain_text(tr.number(10), timeout=30_000)  # 3 + 4 + 3 pulled

                # ---- the quarter's report: the figures of the records the official entered
                ui.go("/reports", "report-figures")
                shows(ui, "report-figures", figure(tr, "households_visited", 3))
                said = shows(ui, "report-figures", figure(tr, "visits", 4))
                for key, n in (("concerns", 3), ("resolved", 1), ("open", 2), ("escalated", 0)):
                    assert re.search(figure(tr, key, n), said), (key, said)
                shows(ui, "report-export", re.escape(tr("export.made_here" if local
                                                        else "export.made_by_server")))
                ui.screenshot(f"report-{size}-{lang}-figures")
                # the follow-up figures and the overdue ones by age: the roads and health concerns (raised on
                # days 20 and 35, due 30 days later) are 71 and 56 days old on the quarter's last day
                shows(ui, "report-followup-figures", figure(tr, "overdue", 2))
                for bucket in ("31-60", "61-90"):
                    shows(ui, "report-breakdown-overdue", re.escape(tr(f"report.age.{bucket}")) + r"\s+" + tr.number(1))

                # ---- saved as XLSX and PDF, and they open
                xlsx, pdf = (downloads / f"phum-report-{DISTRICT}-{label}.{ext}" for ext in ("xlsx", "pdf"))
                kind = "export.saved" if local else "export.saved_from_server"
                tap_until_shows(ui, "report-export-xlsx", "report-export-result",
                                re.escape(tr(kind, kind=tr("export.kind.xlsx"), path=str(xlsx))))
                sheet = load_workbook(xlsx, read_only=True)[tr("report.section.figures")[:31]]
                figures = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
                assert figures[tr("report.fig.households_visited")] == 3 and figures[tr("report.fig.visits")] == 4
                assert figures[tr("report.fig.concerns")] == 3 and figures[tr("report.fig.resolved")] == 1
                tap_until_shows(ui, "report-export-pdf", "report-export-result",
                                re.escape(tr(kind, kind=tr("export.kind.pdf"), path=str(pdf))))
                body = pdf.read_bytes()
                assert body.startswith(b"%PDF-") and b"NotoSansKhmer" in body
                scroll_down(ui, 500)
                ui.screenshot(f"report-{size}-{lang}-saved")  # the save card and the breakdowns

                # ---- submitted with a note: late, since the server's day is today
                scroll_down(ui)  # the submit card is the screen's last: bring the note field in first
                shows(ui, "report-own-status", re.escape(tr("submission.not_submitted")))  # asked when opened
                type_note(ui, NOTE[lang])
                late = re.escape(tr("submission.late", when="\0").split("\0")[1].strip())
                tap_until_shows(ui, "report-submit", "report-own-status", late)
                shows(ui, "report-submit", re.escape(tr("submission.resubmit")))  # a correction is allowed
                ui.screenshot(f"report-{size}-{lang}-submitted")  # where the note was typed
                app.assert_clean()
            finally:
                ui.close()

        # ---- the national admin, on another desktop: every province, then the district's submission
        with running_app(server.base_url, tmp_path / "national", env=env) as app:
            ui = Ui.open(browser, app.url + "/settings", size=size)
            try:
                ui.sign_in(admin, tr, lang)
                ui.go("/reports", "report-figures")
                tap_until_shows(ui, "report-load-submissions", "report-rate",
                                re.escape(tr("submission.rate", submitted=0, expected=25, rate=tr.number(0.0),
                                             on_time=0, due="\0").split("\0")[0].strip()))
                ui.wait(f"report-open-{PROVINCE}")
                scroll_down(ui, 900)
                ui.screenshot(f"report-{size}-{lang}-national")
                tap_until_shows(ui, f"report-open-{PROVINCE}", "report-submissions", re.escape(NOTE[lang]))
                said = shows(ui, f"report-open-{DISTRICT}", r"\S")
                row = shows(ui, "report-submissions", late)
                assert "Demo Supervisor" in row, row
                shows(ui, "report-compiled", figure(tr, "households_visited", 3))
                shows(ui, "report-compiled", figure(tr, "concerns", 3))
                assert said
                scroll_down(ui, 1400 if size == "phone" else 900)
                ui.screenshot(f"report-{size}-{lang}-province")
                app.assert_clean()
            finally:
                ui.close()
