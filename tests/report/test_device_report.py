"""The activity report over a device's own records: known answers, and a recount that agrees."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from app.services.reports import ReportService
from records.report import PeriodError, parse_period, percentile
from storage.memory import MemoryStore
from tests.support.report_data import (COMMUNE_A, COMMUNE_B, NOW_SECTIONS, meetings_mixed, mixed, recount, scenario,
                                       sections)

NOW = datetime(2026, 4, 10, 5, tzinfo=timezone.utc)
assert NOW == NOW_SECTIONS  # sections() is reported on that day too


def _report(records, area="0102", period="2026-Q1", lang="en"):
    store = MemoryStore()
    store.save(*records)
    return ReportService(store, clock=lambda: NOW).activity(area, parse_period(period), lang=lang)


def test_meetings_held_and_planned_attendance_and_officials_are_the_known_answers():
    r = _report(sections())
    f = r["figures"]
    # Planned in Q1: the commune forum, the district working group, the village forum still planned and the
    # forum postponed to April; held: the first two (another district's forum is not counted).
    assert (f["meetings_planned"], f["meetings_held"]) == (4, 2)
    assert r["meetings"] == {"public_forum": {"planned": 3, "held": 1}, "working_group": {"planned": 1, "held": 1},
                             "other": {"planned": 0, "held": 0}}
    assert (f["public_total"], f["public_women"], f["officials_present"]) == (50, 28, 3)
    rows = {row["code"]: row for row in r["sub_areas"]}
    # The district's own meeting is in the total only: no commune holds it.
    assert (rows[COMMUNE_A]["meetings_planned"], rows[COMMUNE_A]["meetings_held"], rows[COMMUNE_A]["public_total"],
            rows[COMMUNE_A]["officials_present"]) == (1, 1, 40, 2)
    assert (rows[COMMUNE_B]["meetings_planned"], rows[COMMUNE_B]["meetings_held"]) == (2, 0)


def test_concerns_by_source_institution_due_date_overdue_age_and_telling_are_the_known_answers():
    r = _report(sections())
    f = r["figures"]
    # Nine raised at visits, one at the commune forum (Feb 10), one at the district meeting (Mar 6); the one
    # raised at the forum postponed to April 5 counts in April.
    assert f["concerns"] == 11
    assert r["by_source"] == {"household_visit": 9, "public_forum": 1, "meeting": 1, "other": 0}
    assert (f["resolved"], f["referred"], f["escalated"], f["open"]) == (4, 3, 1, 3)
    assert (f["resolved_by_due"], f["resolved_by_due_pct"]) == (3, 27.3)
    assert (f["households_told"], f["households_told_pct"]) == (2, None)  # of 4 resolved: hidden
    assert [(e["id"], e["name"], e["count"]) for e in r["referred_by_institution"]] == [
        ("mowram", "Ministry of Water Resources and Meteorology", 2), ("", "Not in the list (named by text)", 1)]
    assert r["overdue_by_age"] == {"0-30": 1, "31-60": 2, "61-90": 0, "over_90": 1} and f["overdue"] == 4
    rows = {row["code"]: row for row in r["sub_areas"]}
    assert (rows[COMMUNE_A]["concerns"], rows[COMMUNE_A]["overdue"]) == (9, 3)
    assert (rows[COMMUNE_B]["concerns"], rows[COMMUNE_B]["overdue"]) == (1, 1)
    april = _report(sections(), period="2026-04")
    assert april["by_source"]["public_forum"] == 1 and april["figures"]["concerns"] == 1


def test_the_governments_list_has_the_escalated_and_the_long_overdue_with_summary_institution_and_age():
    r = _report(sections(), lang="km")
    by_reason = {e["reason"]: e for e in r["escalated"]}
    assert set(by_reason) == {"escalated", "overdue"} and len(r["escalated"]) == 2
    up = by_reason["escalated"]
    assert up["escalation"]["ask"] == "Fund a borehole for the village this dry season"
    assert up["escalation"]["level"] == "province" and up["age_days"] == 95
    late = by_reason["overdue"]  # referred to the ministry on Jan 8, due Feb 4, raised 95 days ago
    assert (late["status"], late["institution_id"], late["age_days"], late["days_overdue"]) == (
        "referred", "mowram", 95, 65)
    assert late["institution_name"] == "ក្រសួងធនធានទឹក និងឧតុនិយម" and late["escalation"] is None


def test_a_frozen_report_gives_back_the_tally_it_was_made_of():
    from records.report import key_figures, tally_of

    r = _report(sections() + meetings_mixed(60))
    t = tally_of(r)
    assert key_figures(t) == r["figures"]
    assert (t.by_source, t.overdue_by_age, t.meetings_held) == (
        r["by_source"], r["overdue_by_age"], {k: m["held"] for k, m in r["meetings"].items()})
    assert dict(t.by_institution) == {e["id"]: e["count"] for e in r["referred_by_institution"]}


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
    records = scenario() + mixed(400) + sections() + meetings_mixed(150)
    for area, period, start, end in (("0102", "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
                                     ("", "2026", date(2026, 1, 1), date(2026, 12, 31)),
                                     (COMMUNE_A, "2025-12-15..2026-02-10", date(2025, 12, 15), date(2026, 2, 10))):
        r = _report(records, area, period)
        want = recount(records, area, start, end)
        _assert_same(r["figures"], r["by_category"], r["by_priority"], want["total"])
        assert sorted(e["id"] for e in r["escalated"]) == want["total"]["listed_ids"]
        assert r["meetings"] == want["total"]["meetings"] and r["by_source"] == want["total"]["by_source"]
        assert r["overdue_by_age"] == want["total"]["overdue_by_age"]
        assert {e["id"]: e["count"] for e in r["referred_by_institution"]} == want["total"]["by_institution"]
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
