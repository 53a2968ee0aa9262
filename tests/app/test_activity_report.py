"""The device's activity report: known answers on hand-built records, and a recount over random ones."""
from datetime import datetime, timezone

import pytest

from app.services.reports import ReportService
from records.report import parse_period
from tests.support.report_data import COMMUNE_A, COMMUNE_B, mixed, recount, scenario

NOW = datetime(2026, 4, 10, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def reports(store):
    return ReportService(store, clock=lambda: NOW)


def test_district_quarter_shows_the_figures_the_officials_entered(store, reports):
    store.save(*scenario())
    report = reports.activity("0102", parse_period("2026-Q1"), lang="en")
    f = report["figures"]
    assert (f["households_visited"], f["visits"], f["concerns"]) == (8, 9, 10)
    assert (f["resolved"], f["referred"], f["escalated"], f["open"]) == (5, 1, 1, 3)
    assert f["resolved_pct"] == 50.0
    assert (f["median_days_to_resolution"], f["p90_days_to_resolution"]) == (4, 10)
    assert report["by_category"]["water"] == 6 and report["by_category"]["health"] == 2
    assert report["by_priority"] == {"low": 0, "normal": 7, "high": 2, "urgent": 1}
    assert report["visits_by_month"] == {"2026-01": 6, "2026-02": 2, "2026-03": 1}
    assert report["area"] == {"code": "0102", "name": "Mongkol Borey", "level": "district"}
    rows = {r["code"]: r for r in report["sub_areas"]}
    assert set(rows) == {COMMUNE_A, COMMUNE_B}
    assert rows[COMMUNE_A]["resolved_pct"] == 57.1 and rows[COMMUNE_A]["median_days_to_resolution"] is None
    assert rows[COMMUNE_B]["concerns"] == 3 and rows[COMMUNE_B]["resolved_pct"] is None
    assert rows[COMMUNE_A]["name"] == "Banteay Neang"
    [escalated] = report["escalated"]
    assert escalated["visited_on"] == "2026-01-10" and escalated["age_days"] == 90


def test_khmer_report_names_areas_in_khmer(store, reports):
    store.save(*scenario())
    report = reports.activity("0102", parse_period("2026-Q1"), lang="km")
    assert report["area"]["name"] == "មង្គលបូរី"


@pytest.mark.parametrize("area, period", [("0102", "2026-Q1"), ("010201", "2026-02"), ("", "2026"),
                                          ("01", "2025-12-15..2026-01-15"), ("01020101", "2026-Q1")])
def test_every_figure_equals_a_recount_from_the_raw_records(store, reports, area, period):
    records = scenario() + mixed(300)
    store.save(*records)
    p = parse_period(period)
    report = reports.activity(area, p)
    expected = recount(records, area, p.start, p.end)
    assert_matches(report, expected)


def assert_matches(report: dict, expected: dict) -> None:
    """The report against recount(): overall, every sub-area, categories, priorities, the escalated list."""
    def same(figures: dict, want: dict) -> None:
        for key, value in want.items():
            if not isinstance(value, (dict, list)):  # the figures; the sections are compared below
                assert figures[key] == value, key

    same(report["figures"], expected["total"])
    assert report["by_category"] == expected["total"]["by_category"]
    assert report["by_priority"] == expected["total"]["by_priority"]
    assert sorted(e["id"] for e in report["escalated"]) == expected["total"]["listed_ids"]
    assert report["meetings"] == expected["total"]["meetings"] and report["by_source"] == expected["total"]["by_source"]
    assert report["overdue_by_age"] == expected["total"]["overdue_by_age"]
    rows = {r["code"]: r for r in report["sub_areas"]}
    assert set(rows) == set(expected["sub_areas"])
    for code, want in expected["sub_areas"].items():
        same(rows[code], want)


def test_nothing_recorded_in_the_period_gives_zeros_not_an_error(store, reports):
    store.save(*scenario())
    f = reports.activity("0102", parse_period("2020-01"))["figures"]
    assert f["visits"] == 0 and f["resolved_pct"] is None and f["median_days_to_resolution"] is None
