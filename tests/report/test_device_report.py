"""The activity report over a device's own records: known answers, and a recount that agrees."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from app.services.reports import ReportService
from records.report import PeriodError, parse_period, percentile
from storage.memory import MemoryStore
from tests.support.report_data import COMMUNE_A, COMMUNE_B, mixed, recount, scenario

NOW = datetime(2026, 4, 10, 5, tzinfo=timezone.utc)


def _report(records, area="0102", period="2026-Q1"):
    store = MemoryStore()
    store.save(*records)
    return ReportService(store, clock=lambda: NOW).activity(area, parse_period(period))


def test_district_quarter_figures_are_the_known_answers():
    r = _report(scenario())
    f = r["figures"]
    assert (f["households_visited"], f["visits"], f["concerns"]) == (8, 9, 10)
    assert (f["resolved"], f["referred"], f["escalated"], f["open"]) == (5, 1, 1, 3)
    assert f["resolved_pct"] == 50.0
    # Resolved 0, 2, 4 (18:30 UTC is the next day in Phnom Penh), 10 and 6 days after the visit.
    assert (f["median_days_to_resolution"], f["p90_days_to_resolution"]) == (4, 10)
    assert r["by_category"]["water"] == 6 and r["by_category"]["roads"] == 1 and r["by_category"]["health"] == 2
    assert r["by_priority"] == {"low": 0, "normal": 7, "high": 2, "urgent": 1}
    assert r["visits_by_month"] == {"2026-01": 6, "2026-02": 2, "2026-03": 1}
    assert [e["description"] for e in r["escalated"]] == ["អណ្ដូងរីង 5"]


def test_sub_area_rates_are_hidden_below_five_cases():
    rows = {row["code"]: row for row in _report(scenario())["sub_areas"]}
    assert set(rows) == {COMMUNE_A, COMMUNE_B}
    a, b = rows[COMMUNE_A], rows[COMMUNE_B]
    assert (a["households_visited"], a["visits"], a["concerns"], a["resolved_pct"]) == (6, 7, 7, 57.1)
    assert a["median_days_to_resolution"] is None  # only 4 resolved there
    assert (b["concerns"], b["resolved"], b["resolved_pct"]) == (3, 1, None)


def test_the_quarter_is_counted_by_the_visit_day_not_the_typing_day():
    march = _report(scenario(), period="2026-03")["figures"]
    assert (march["visits"], march["concerns"]) == (1, 1)  # the March 31 visit only
    april = _report(scenario(), period="2026-04")["figures"]
    assert april["visits"] == 1


def test_report_equals_a_recount_from_the_raw_records():
    records = scenario() + mixed(400)
    for area, period, start, end in (("0102", "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
                                     ("", "2026", date(2026, 1, 1), date(2026, 12, 31)),
                                     (COMMUNE_A, "2025-12-15..2026-02-10", date(2025, 12, 15), date(2026, 2, 10))):
        r = _report(records, area, period)
        want = recount(records, area, start, end)
        _assert_same(r["figures"], r["by_category"], r["by_priority"], want["total"])
        assert sorted(e["id"] for e in r["escalated"]) == want["total"]["escalated_ids"]
        assert {row["code"] for row in r["sub_areas"]} == set(want["sub_areas"])
        for row in r["sub_areas"]:
            _assert_same(row, None, None, want["sub_areas"][row["code"]])


def _assert_same(figures, by_category, by_priority, want):
    for key, value in figures.items():
        if key in want:
            assert value == want[key], key
    if by_category is not None:
        assert by_category == want["by_category"] and by_priority == want["by_priority"]


@pytest.mark.parametrize("text", ["", "2026-13", "2026-Q5", "26", "2026-03-10..2026-03-01", "x"])
def test_a_period_that_is_not_one_is_refused(text):
    with pytest.raises(PeriodError):
        parse_period(text)


def test_percentile_is_the_nearest_rank():
    assert percentile({1: 1, 2: 1, 3: 1, 4: 1, 100: 1}, 50) == 3
    assert percentile({1: 9, 100: 1}, 90) == 1 and percentile({1: 9, 100: 2}, 90) == 100
