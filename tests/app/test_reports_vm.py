"""The Reports screen's view-model: periods to pick, figures as shown, the Telegram summary."""
from __future__ import annotations

from datetime import date, datetime, timezone

from app.i18n import Translator
from app.services.reports import ReportService
from app.viewmodels.reports import ReportsVM, period_text
from storage.memory import MemoryStore
from tests.support.report_data import COMMUNE_B, NOW_SECTIONS, scenario


def _vm(lang="en") -> ReportsVM:
    store = MemoryStore()
    store.save(*scenario())
    service = ReportService(store, clock=lambda: datetime(2026, 4, 10, tzinfo=timezone.utc))
    return ReportsVM(service, Translator(lang), lang, "0102", date(2026, 4, 10))


def test_periods_to_pick_go_back_across_years():
    assert period_text("quarter", date(2026, 2, 1), 1) == "2025-Q4"
    assert period_text("month", date(2026, 1, 31), 1) == "2025-12"
    vm = _vm()
    assert vm.period_label == "2026-Q2" and vm.period_choices()[:3] == ["2026-Q2", "2026-Q1", "2025-Q4"]
    vm.choose_kind("month")
    assert vm.period_label == "2026-04"


def test_last_quarter_shows_the_figures_and_hides_small_rates():
    vm = _vm()
    vm.choose_period("2026-Q1")
    vm.compute()
    figures = dict(vm.key_figures())
    assert figures["Households visited"] == "8" and figures["Concerns"] == "10" and figures["% resolved"] == "50.0"
    assert dict(vm.chart("outcome")) == {"Resolved": 5, "Referred": 1, "Escalated": 1, "Still open": 3}
    assert [m for m, _ in vm.chart("month")] == ["2026-01", "2026-02", "2026-03"]
    header, rows = vm.table()
    assert header[0] == "Area" and rows[1][0] == COMMUNE_B and rows[1][-1] == "n < 5"


def test_the_summary_to_share_is_plain_text_in_the_chosen_language():
    vm = _vm("km")
    vm.choose_period("2026-Q1")
    vm.compute()
    text = vm.summary_text()
    assert text.splitlines()[0].startswith("របាយការណ៍សកម្មភាព")
    assert "គ្រួសារបានចុះសួរសុខទុក្ខ: ៨" in text and "ទឹកស្អាត ៦" in text  # Khmer digits in Khmer


def test_a_period_typed_wrong_is_an_error_not_a_crash():
    vm = _vm()
    vm.choose_period("2026-Q9")
    vm.compute()
    assert vm.report is None and vm.error == "period_invalid"


def _sections_vm(lang="en") -> ReportsVM:
    from tests.support.report_data import sections

    store = MemoryStore()
    store.save(*sections())
    service = ReportService(store, clock=lambda: NOW_SECTIONS)
    vm = ReportsVM(service, Translator(lang), lang, "0102", NOW_SECTIONS.date())
    vm.choose_period("2026-Q1")
    vm.compute()
    return vm


def test_the_screen_shows_meetings_attendance_follow_up_and_the_breakdowns_of_the_report():
    vm = _sections_vm()
    figures = dict(vm.followup_figures())
    assert figures["Forums and meetings held"] == "2 of 4"
    assert (figures["Public attendance"], figures["Public attendance: women"], figures["Officials present"]) == (
        "50", "28", "3")
    assert (figures["% resolved by the due date"], figures["Overdue now"]) == ("27.3", "4")
    assert figures["Households told the outcome"] == "2"
    shown = {key: dict(rows) for key, _, rows in vm.breakdowns()}
    assert shown["meetings"] == {"Public forum": "1 of 3", "Working-group meeting": "1 of 1"}
    assert shown["sources"] == {"Household visit": "9", "Public forum": "1", "Meeting": "1"}
    assert shown["institutions"] == {"Ministry of Water Resources and Meteorology": "2",
                                     "Not in the list (named by text)": "1"}
    assert shown["overdue"]["More than 90 days"] == "1" and shown["overdue"]["31–60 days"] == "2"
    count, lines = vm.listed()
    assert count == 2 and any("Escalated" in line for line in lines)
    assert any("Overdue, raised over 90 days ago" in line and "Ministry of Water Resources" in line for line in lines)
    assert "Forums and meetings held: 2 of 4" in vm.summary_text()


def test_the_breakdowns_read_in_khmer_with_khmer_digits():
    vm = _sections_vm("km")
    shown = {key: dict(rows) for key, _, rows in vm.breakdowns()}
    assert shown["institutions"]["ក្រសួងធនធានទឹក និងឧតុនិយម"] == "២"
    values = [value for _, value in vm.followup_figures()]
    assert "៥០" in values and "២ ក្នុងចំណោម ៤" in values  # public attendance; meetings held of planned
