"""GET /reports/activity: the server's SQL aggregates equal the device's report on the same records."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from app.services.reports import ReportService
from records.report import parse_period
from storage.memory import MemoryStore
from tests.server.client import Api
from tests.support.live_server import live_server
from tests.support.report_data import COMMUNE_A, meetings_mixed, mixed, scenario, sections

RECORDS = scenario() + mixed(300) + sections() + meetings_mixed(120)
KINDS = ("household", "visit", "meeting", "concern")  # the order a device pushes them in


@pytest.fixture(scope="module")
def loaded(new_db_url):
    """A server of its own holding RECORDS, and an admin signed in to it."""
    with live_server(new_db_url()) as srv:
        admin = Api(srv, srv.create_user("report-admin", "password-123", "admin", ""), "device-admin")
        ordered = sorted(RECORDS, key=lambda r: KINDS.index(r.kind))
        for i in range(0, len(ordered), 400):
            results = admin.push(ordered[i:i + 400])
            assert {r["status"] for r in results} == {"accepted"}, results[:3]
        yield srv, admin


def _device(area: str, period: str) -> dict:
    store = MemoryStore()
    store.save(*RECORDS)
    return ReportService(store, clock=lambda: datetime.now(timezone.utc)).activity(area, parse_period(period))


def _figures(report: dict) -> dict:
    """Everything but names and the time it was made (the device may not hold the gazetteer)."""
    return {"figures": report["figures"], "by_category": report["by_category"], "by_priority": report["by_priority"],
            "visits_by_month": report["visits_by_month"], "sub_area_level": report["sub_area_level"],
            "by_source": report["by_source"], "meetings": report["meetings"],
            "overdue_by_age": report["overdue_by_age"], "resolution_days": report["resolution_days"],
            "referred_by_institution": report["referred_by_institution"],
            "sub_areas": [{k: v for k, v in row.items() if k != "name"} for row in report["sub_areas"]],
            "escalated": [{k: v for k, v in e.items() if k != "village_name"} for e in report["escalated"]]}


@pytest.mark.parametrize("area, period", [("0102", "2026-Q1"), ("", "2026"), (COMMUNE_A, "2026-01"),
                                          ("01020101", "2025-12-20..2026-03-05"), ("01", "2026-Q2")])
def test_server_report_equals_the_device_report_on_the_same_records(loaded, area, period):
    _, admin = loaded
    answer = admin.get("/reports/activity", params={"area": area, "period": period})
    assert answer.status_code == 200, answer.text
    assert _figures(answer.json()) == _figures(_device(area, period))


def test_the_known_answers_by_name_from_and_to(loaded):
    srv, admin = loaded
    answer = admin.get("/reports/activity", params={"area": "0102", "from": "2026-01-01", "to": "2026-03-31"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["area"]["name"] == "Mangkul Bourei"
    assert {row["code"]: row["name"] for row in report["sub_areas"]}[COMMUNE_A] == "Banteay Neang"


def test_a_supervisor_gets_their_district_and_not_another(loaded):
    srv, _ = loaded
    supervisor = Api(srv, srv.supervisor, "device-supervisor")
    mine = supervisor.get("/reports/activity", params={"period": "2026-Q1"})
    assert mine.status_code == 200 and mine.json()["area"]["code"] == "0102"
    other = supervisor.get("/reports/activity", params={"period": "2026-Q1", "area": "0103"})
    assert other.status_code == 403 and other.json()["detail"]["code"] == "area_forbidden"


@pytest.mark.parametrize("params, code", [({"period": "2026-Q5"}, "period_invalid"),
                                          ({"from": "2026-03-01", "to": "2026-01-01"}, "period_invalid"),
                                          ({}, "period_invalid"), ({"period": "2026", "area": "12x"}, "area_invalid"),
                                          ({"period": "2026", "format": "doc"}, "format_invalid")])
def test_a_bad_question_is_a_400_with_its_code(loaded, params, code):
    answer = loaded[1].get("/reports/activity", params=params)
    assert answer.status_code == 400 and answer.json()["detail"]["code"] == code


def test_xlsx_opened_back_holds_the_figures_cell_by_cell(loaded):
    from openpyxl import load_workbook

    _, admin = loaded
    report = admin.get("/reports/activity", params={"area": "0102", "period": "2026-Q1", "lang": "km"}).json()
    answer = admin.get("/reports/activity", params={"area": "0102", "period": "2026-Q1", "format": "xlsx",
                                                    "lang": "km"})
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["តួលេខសំខាន់ៗ", "វេទិកា និងកិច្ចប្រជុំ", "ប្រភេទបញ្ហា", "អាទិភាព", "បញ្ហាតាមប្រភព",
                               "បានបញ្ជូនបន្តតាមស្ថាប័ន", "ហួសថ្ងៃកំណត់តាមអាយុ", "ការចុះសួរសុខទុក្ខតាមខែ", "តំបន់រង",
                               "បញ្ជូនទៅថ្នាក់លើ និងហួសយូរ"]
    figures = {r[0]: r[1] for r in book["តួលេខសំខាន់ៗ"].iter_rows(min_row=2, values_only=True)}
    assert figures["គ្រួសារបានចុះសួរសុខទុក្ខ"] == report["figures"]["households_visited"]
    assert figures["បញ្ហា"] == report["figures"]["concerns"]
    assert figures["% បានដោះស្រាយ"] == report["figures"]["resolved_pct"]
    rows = list(book["តំបន់រង"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [row["name"] for row in report["sub_areas"]]
    header = list(rows[0])
    for label, key in (("បញ្ហា", "concerns"), ("វេទិកា និងកិច្ចប្រជុំបានធ្វើ", "meetings_held"),
                       ("ហួសថ្ងៃកំណត់ឥឡូវនេះ", "overdue"), ("គ្រួសារបានទទួលដំណឹងពីលទ្ធផល", "households_told")):
        assert [r[header.index(label)] for r in rows[1:]] == [row[key] for row in report["sub_areas"]], label
    categories = dict(book["ប្រភេទបញ្ហា"].iter_rows(min_row=2, values_only=True))
    assert categories["ទឹកស្អាត"] == report["by_category"]["water"]
    f = report["figures"]
    for label, key in (("វេទិកា និងកិច្ចប្រជុំគ្រោងទុក", "meetings_planned"), ("វេទិកា និងកិច្ចប្រជុំបានធ្វើ", "meetings_held"),
                       ("ប្រជាពលរដ្ឋចូលរួម", "public_total"), ("ប្រជាពលរដ្ឋចូលរួម៖ ស្ត្រី", "public_women"),
                       ("មន្ត្រីមានវត្តមាន", "officials_present"), ("ហួសថ្ងៃកំណត់ឥឡូវនេះ", "overdue"),
                       ("% បានដោះស្រាយទាន់ថ្ងៃកំណត់", "resolved_by_due_pct"),
                       ("គ្រួសារបានទទួលដំណឹងពីលទ្ធផល", "households_told")):
        assert figures[label] == f[key], label
    assert f["meetings_held"] > 0 and f["overdue"] > 0  # the sheets below have something to check
    meetings = list(book["វេទិកា និងកិច្ចប្រជុំ"].iter_rows(values_only=True))
    assert meetings[0] == ("ប្រភេទ", "គ្រោងទុក", "បានធ្វើ")
    assert meetings[1] == ("វេទិកាសាធារណៈ", report["meetings"]["public_forum"]["planned"],
                           report["meetings"]["public_forum"]["held"])
    assert meetings[-1] == ("សរុប", f["meetings_planned"], f["meetings_held"])
    sources = dict(book["បញ្ហាតាមប្រភព"].iter_rows(min_row=2, values_only=True))
    assert sources["វេទិកាសាធារណៈ"] == report["by_source"]["public_forum"]
    assert sum(sources.values()) == f["concerns"]
    institutions = list(book["បានបញ្ជូនបន្តតាមស្ថាប័ន"].iter_rows(min_row=2, values_only=True))
    assert ("ក្រសួងធនធានទឹក និងឧតុនិយម", next(e["count"] for e in report["referred_by_institution"]
                                              if e["id"] == "mowram")) in institutions
    assert "mowram" not in {r[0] for r in institutions}  # names, not ids
    ages = list(book["ហួសថ្ងៃកំណត់តាមអាយុ"].iter_rows(values_only=True))
    assert ages[1:] == [("០–៣០ ថ្ងៃ", report["overdue_by_age"]["0-30"]), ("៣១–៦០ ថ្ងៃ", report["overdue_by_age"]["31-60"]),
                        ("៦១–៩០ ថ្ងៃ", report["overdue_by_age"]["61-90"]),
                        ("ច្រើនជាង ៩០ ថ្ងៃ", report["overdue_by_age"]["over_90"])]
    listed = list(book["បញ្ជូនទៅថ្នាក់លើ និងហួសយូរ"].iter_rows(values_only=True))
    assert listed[0][3:5] == ("មូលហេតុ", "ស្ថាប័ន") and len(listed) == len(report["escalated"]) + 1
    up = next(row for row, e in zip(listed[1:], report["escalated"]) if e["escalation"])
    assert up[3] == "បានបញ្ជូនទៅថ្នាក់លើ" and "សំណើទៅថ្នាក់លើ: Fund a borehole" in up[7]


def test_csv_has_one_table_per_section_with_names(loaded):
    answer = loaded[1].get("/reports/activity", params={"area": "0102", "period": "2026-Q1", "format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    text = answer.content.decode("utf-8-sig")
    assert "Key figures" in text and "Banteay Neang" in text and "Water" in text


def test_pdf_comes_with_the_khmer_font_embedded(loaded):
    answer = loaded[1].get("/reports/activity", params={"area": "0102", "period": "2026-Q1", "format": "pdf",
                                                        "lang": "km"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF") and b"NotoSansKhmer" in answer.content
    assert 'filename="phum-report-0102-2026-Q1.pdf"' in answer.headers["content-disposition"]
