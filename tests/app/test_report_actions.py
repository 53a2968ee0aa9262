"""The Reports screen's actions against the real server on 127.0.0.1: the report saved as XLSX made on
this device (opened back with openpyxl) or as the server's PDF, submitted up the chain and listed by
the level above, and the messages when there is no server, no sign-in, or the server says no."""
from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook

from app.i18n import Translator
from app.services.report_actions import ReportActions
from app.services.reports import ReportService
from app.viewmodels.reports import ReportsVM
from records.models import Household, utcnow
from records.report import local_date, parse_period
from storage.tiny import TinyStore
from sync.account import SyncAccount
from tests.support.live_server import live_server
from tests.support.report_data import scenario
from tests.sync.devices import make_device

pytestmark = pytest.mark.timeout(240)

DISTRICT, QUARTER = "0102", "2026-Q1"  # the demo supervisor's district; tests/support/report_data.py's quarter


def district_records() -> list:
    """The report scenario without its records of another district (the server would refuse them)."""
    records = scenario()
    inside = {r.id for r in records if isinstance(r, Household) and r.village_code.startswith(DISTRICT)}
    return [r for r in records if (r.id if isinstance(r, Household) else r.household_id) in inside]


@pytest.fixture(scope="module")
def server():
    with live_server() as srv:
        srv.admin = srv.create_user("national-admin", "national-admin-pw", "admin", "", "National Admin")
        yield srv


@pytest.fixture(scope="module")
def desk(tmp_path_factory, server):
    """The district supervisor's desktop: the scenario entered there and synced to the server."""
    device = make_device(tmp_path_factory.mktemp("desk"), "desk", server.base_url, server.supervisor.username,
                         server.supervisor.password)
    device.store.save(*district_records())
    device.sync_until_done()
    yield device
    device.account.runner().transport.close()
    device.store.close()


def device_report(store, lang="en") -> dict:
    return ReportService(store).activity(DISTRICT, parse_period(QUARTER), lang=lang)


def sheet_values(path, title) -> list[list]:
    sheet = load_workbook(path, read_only=True)[title]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_desktop_saves_the_devices_report_as_xlsx_that_opens_back_with_the_figures(desk, tmp_path, server):
    actions = ReportActions(desk.account, folder=lambda: tmp_path / "Downloads", local_files=True)
    assert actions.makes_locally("xlsx")
    saved = actions.export("xlsx", device_report(desk.store), area_code=DISTRICT, period_label=QUARTER, lang="en")
    assert saved.made_by == "device" and saved.path == tmp_path / "Downloads" / "phum-report-0102-2026-Q1.xlsx"
    figures = dict((row[0], row[1]) for row in sheet_values(saved.path, "Key figures"))
    assert figures["Households visited"] == 8 and figures["Concerns"] == 10 and figures["Resolved"] == 5
    assert figures["Period"] == "2026-01-01 – 2026-03-31"
    # The server's file of the same records says the same, cell by cell.
    server_side = ReportActions(desk.account, folder=lambda: tmp_path / "server", local_files=False)
    fetched = server_side.export("xlsx", None, area_code=DISTRICT, period_label=QUARTER, lang="en")
    assert fetched.made_by == "server"
    for title in ("Key figures", "Concerns by category", "Sub-areas"):
        assert sheet_values(saved.path, title) == sheet_values(fetched.path, title), title
    # Saving again never overwrites the first file.
    again = actions.export("xlsx", device_report(desk.store), area_code=DISTRICT, period_label=QUARTER, lang="en")
    assert again.path.name == "phum-report-0102-2026-Q1-2.xlsx" and saved.path.exists()


def test_a_phone_fetches_the_servers_khmer_pdf_for_the_same_area_and_period(desk, tmp_path):
    vm = ReportsVM(ReportService(desk.store), Translator("km"), "km", DISTRICT, date(2026, 4, 10),
                   ReportActions(desk.account, folder=lambda: tmp_path / "dl", local_files=False))
    vm.choose_period(QUARTER)
    vm.compute()
    saved = vm.export("pdf")
    assert vm.export_error is None and saved.made_by == "server"
    body = saved.path.read_bytes()
    assert body.startswith(b"%PDF-") and b"NotoSansKhmer" in body  # the Khmer font is embedded
    assert vm.export_lines() == [f"ឯកសារ PDF ពីម៉ាស៊ីនមេ បានរក្សាទុក៖ {saved.path}"]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(saved.path), "-"], capture_output=True, text=True, check=True).stdout
        assert "2026-01-01 – 2026-03-31" in text


def test_the_supervisor_submits_with_a_note_corrects_it_and_the_admin_sees_it_under_the_province(desk, server,
                                                                                                 tmp_path):
    tr = Translator("en")
    vm = ReportsVM(ReportService(desk.store), tr, "en", DISTRICT, date(2026, 4, 10), ReportActions(desk.account))
    vm.choose_period(QUARTER)
    vm.compute()
    assert vm.may_submit and not vm.own_known  # the server not asked yet: "not known", never "not submitted"
    vm.load_submissions()
    assert vm.own_known and vm.own_submission() is None
    assert vm.submission_status(vm.own_submission()) == "Not submitted"
    vm.set_note("Two wells still broken; the commune asks the province for help")
    assert vm.submit(), vm.submit_error
    own = vm.own_submission()
    assert own["submitted_by"] == server.supervisor.username and own["submissions"] == 1
    assert vm.submission_status(own).startswith("Submitted ") and vm.submission_status(own).endswith(", late")
    assert own["figures"]["figures"]["households_visited"] == 8  # the server's own count, frozen
    vm.set_note("Corrected: one well repaired in March")
    assert vm.submit()
    own = vm.own_submission()
    assert own["submissions"] == 2 and own["corrected_at"] and own["note"] == "Corrected: one well repaired in March"
    assert "corrected" in vm.submission_status(own)

    # The admin (national): every province, and within Banteay Meanchey the district's submission.
    admin_dir = tmp_path / "admin"
    store = TinyStore(admin_dir / "records", admin_dir / "reference")
    try:
        account = SyncAccount(store, settings_path=admin_dir / "device.json")
        account.sign_in(server.base_url, server.admin.username, server.admin.password)
        admin = ReportsVM(ReportService(store), tr, "en", "", date(2026, 4, 10), ReportActions(account))
        admin.choose_period(QUARTER)
        admin.compute()
        assert admin.may_see_submissions and admin.may_submit  # the national report is the admin's own
        admin.load_submissions()
        assert admin.overview_error is None
        assert admin.overview["expected"] == 25 and admin.overview["sub_area_level"] == "province"
        assert admin.reporting_rate().startswith("0 of 25 submitted")
        admin.choose_area("01")
        admin.compute()
        assert not admin.may_submit  # a province is not the admin's own area
        admin.load_submissions()
        rows = {row[0]: row for row in admin.submissions_rows()}
        district = next(row for row in rows.values() if row[3] == "Corrected: one well repaired in March")
        assert district[1].startswith("Submitted ") and "late" in district[1] and "corrected" in district[1]
        assert district[2] == "Demo Supervisor"
        assert sum(1 for row in rows.values() if row[1] == "Not submitted") == len(rows) - 1
        compiled = dict(admin.compiled_figures())
        assert compiled["Households visited"] == "8" and compiled["Concerns"] == "10"
    finally:
        store.close()


def test_the_server_refusing_a_period_not_over_is_said_in_khmer(desk):
    tr = Translator("km")
    vm = ReportsVM(ReportService(desk.store), tr, "km", DISTRICT, local_date(utcnow()), ReportActions(desk.account))
    vm.choose_kind("year")
    vm.choose_period(str(local_date(utcnow()).year + 1))
    vm.compute()
    assert not vm.submit()
    assert vm.submit_error == "period_not_over"
    assert tr.error(vm.submit_error) == "រយៈពេលនេះមិនទាន់ចប់ទេ៖ សូមដាក់ជូនរបាយការណ៍ចាប់ពីថ្ងៃចុងក្រោយរបស់វា។"


def test_offline_the_desktop_still_saves_its_own_files_and_says_the_server_is_out_of_reach(tmp_path):
    with live_server() as srv:
        device = make_device(tmp_path, "desk", srv.base_url, srv.supervisor.username, srv.supervisor.password)
        try:
            device.store.save(*district_records())
            srv.kill()  # the link is gone: connection refused
            here = ReportActions(device.account, folder=lambda: tmp_path / "dl", local_files=True)
            vm = ReportsVM(ReportService(device.store), Translator("en"), "en", DISTRICT, date(2026, 4, 10), here)
            vm.choose_period(QUARTER)
            vm.compute()
            assert vm.export("pdf").made_by == "device" and vm.export("xlsx").made_by == "device"
            assert vm.export_error is None and len(vm.export_lines()) == 2
            assert (tmp_path / "dl" / "phum-report-0102-2026-Q1.pdf").read_bytes().startswith(b"%PDF-")
            assert not vm.submit() and vm.submit_error == "report_offline"
            vm.load_submissions()
            assert vm.overview_error == "report_offline"
            phone = ReportsVM(ReportService(device.store), Translator("km"), "km", DISTRICT, date(2026, 4, 10),
                              ReportActions(device.account, folder=lambda: tmp_path / "phone", local_files=False))
            phone.choose_period(QUARTER)
            phone.compute()
            assert phone.export("xlsx") is None and phone.export_error == "report_offline"
            assert Translator("km").error(phone.export_error).startswith("គ្មានអ៊ីនធឺណិត")
            assert not (tmp_path / "phone").exists() or not any((tmp_path / "phone").iterdir())
        finally:
            device.store.close()


def test_not_signed_in_a_phone_is_told_to_sign_in_and_sees_no_submit(tmp_path):
    store = TinyStore(tmp_path / "records", tmp_path / "reference")
    try:
        store.save(*district_records())
        account = SyncAccount(store, settings_path=tmp_path / "device.json")
        vm = ReportsVM(ReportService(store), Translator("en"), "en", DISTRICT, date(2026, 4, 10),
                       ReportActions(account, folder=lambda: tmp_path / "dl", local_files=False))
        vm.choose_period(QUARTER)
        vm.compute()
        assert vm.export("pdf") is None and vm.export_error == "report_not_signed_in"
        assert Translator("en").error(vm.export_error).startswith("Sign in")
        assert not vm.may_submit and not vm.may_see_submissions
    finally:
        store.close()


def test_a_downloads_folder_that_cannot_be_written_falls_back_to_the_apps_folder_else_says_so(tmp_path):
    store = TinyStore(tmp_path / "records", tmp_path / "reference")
    try:
        store.save(*district_records())
        blocked = tmp_path / "not-a-folder"
        blocked.write_text("a file where the folder should be")
        account = SyncAccount(store, settings_path=tmp_path / "device.json")
        report = device_report(store)
        kept = ReportActions(account, folder=lambda: blocked / "Downloads", fallback=lambda: tmp_path / "app",
                             local_files=True).export("xlsx", report, area_code=DISTRICT, period_label=QUARTER,
                                                      lang="km")
        assert kept.path == tmp_path / "app" / "phum-report-0102-2026-Q1.xlsx"
        figures = dict((row[0], row[1]) for row in sheet_values(kept.path, Translator("km")("report.section.figures")))
        assert figures[Translator("km")("report.fig.households_visited")] == 8
        vm = ReportsVM(ReportService(store), Translator("km"), "km", DISTRICT, date(2026, 4, 10),
                       ReportActions(account, folder=lambda: blocked / "Downloads", fallback=None, local_files=True))
        vm.choose_period(QUARTER)
        vm.compute()
        assert vm.export("pdf") is None and vm.export_error == "report_save_failed"
        assert Translator("km").error(vm.export_error) == "មិនអាចរក្សាទុកឯកសារក្នុងថតទាញយកបានទេ។"
    finally:
        store.close()
