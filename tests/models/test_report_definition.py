"""The report's definition: periods in Cambodia's time, nearest-rank percentiles, rates hidden below 5."""
from datetime import date, datetime, timezone

import pytest

from records.report import (PeriodError, Tally, child_code, key_figures, local_date, parse_period, percentile, rate,
                            resolved_on)


@pytest.mark.parametrize("text, start, end", [
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
    ("2026-q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-01-05..2026-02-01", date(2026, 1, 5), date(2026, 2, 1)),
])
def test_a_month_quarter_year_or_range_names_its_first_and_last_day(text, start, end):
    p = parse_period(text)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("text", ["", "2026-13", "2026-Q5", "26", "2026-03-01..2026-02-01", "march", "2026-02-30..2026-03-01"])
def test_a_period_the_report_cannot_read_is_refused_by_name(text):
    with pytest.raises(PeriodError):
        parse_period(text)


def test_a_quarter_lists_its_three_months_for_the_visits_chart():
    assert parse_period("2026-Q2").months() == ["2026-04", "2026-05", "2026-06"]


def test_evening_in_utc_is_already_the_next_day_in_cambodia():
    assert local_date(datetime(2026, 3, 31, 16, 59, tzinfo=timezone.utc)) == date(2026, 3, 31)
    assert local_date(datetime(2026, 3, 31, 17, 0, tzinfo=timezone.utc)) == date(2026, 4, 1)


def test_resolution_day_is_the_last_move_to_resolved_in_cambodia():
    history = [{"to_status": "open", "at": "2026-01-01T01:00:00Z"},
               {"to_status": "resolved", "at": "2026-01-02T01:00:00Z"},
               {"to_status": "open", "at": "2026-01-03T01:00:00Z"},
               {"to_status": "resolved", "at": "2026-01-09T20:00:00Z"}]
    assert resolved_on("resolved", history, None) == date(2026, 1, 10)
    assert resolved_on("open", history, None) is None


def test_median_and_p90_are_nearest_rank_values_that_occurred():
    hist = {0: 1, 2: 1, 4: 1, 6: 1, 10: 1}
    assert percentile(hist, 50) == 4 and percentile(hist, 90) == 10
    assert percentile({3: 10}, 90) == 3
    assert percentile({1: 9, 100: 1}, 90) == 1 and percentile({1: 9, 100: 1}, 91) == 100
    assert percentile({}, 50) is None


def test_rates_and_days_are_hidden_below_five_cases():
    assert rate(2, 4) is None and rate(2, 5) == 40.0
    t = Tally(concerns=4)
    t.outcomes.update({"resolved": 4})
    t.resolution_days.update({1: 4})
    f = key_figures(t)
    assert f["resolved_pct"] is None and f["median_days_to_resolution"] is None and f["resolved"] == 4


def test_sub_areas_are_one_level_down_and_national_means_provinces():
    assert child_code("", "01020101") == "01"
    assert child_code("0102", "01020101") == "010201"
    assert child_code("01020101", "01020101") is None
