"""The report's definition: periods in Cambodia's time, nearest-rank percentiles, rates hidden below 5."""
from datetime import date, datetime, timedelta, timezone

import pytest

from records.report import (PeriodError, Tally, age_bucket, child_code, due_day, is_long_overdue, is_overdue,
                            key_figures, local_date, parse_period, percentile, raised_day, rate, resolved_on, told_on)


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


@pytest.mark.parametrize("at, day", [("2026-01-09T16:59:59Z", date(2026, 1, 9)), ("2026-01-09T17:00:00Z", date(2026, 1, 10)),
                                     ("2026-01-09T23:59:59.999999Z", date(2026, 1, 10)),
                                     ("2026-12-31T17:00:00Z", date(2027, 1, 1)),
                                     ("2026-01-09T20:00:00+00:00", date(2026, 1, 10)),
                                     ("2026-01-10T02:00:00+07:00", date(2026, 1, 10))])
def test_a_stored_resolution_time_is_its_day_in_cambodia(at, day):
    assert resolved_on("resolved", [{"to_status": "resolved", "at": at}], None) == day
    assert resolved_on("resolved", [{"to_status": "resolved", "at": at}], None) == local_date(
        datetime.fromisoformat(at.replace("Z", "+00:00")))


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
    assert child_code("0102", "0102") is None  # a district's own meeting: in the total, in no commune's row
    assert child_code("01020101", "010201") is None


def test_a_feedback_step_is_no_resolution_and_tells_the_household():
    history = [{"to_status": "open", "at": "2026-01-01T01:00:00Z"},
               {"from_status": "open", "to_status": "resolved", "at": "2026-01-02T01:00:00Z"},
               {"from_status": "resolved", "to_status": "resolved", "at": "2026-02-20T01:00:00Z",
                "feedback": {"told_on": "2026-02-19", "channel": "phone", "answer": "satisfied"}}]
    assert resolved_on("resolved", history, None) == date(2026, 1, 2)
    assert told_on("resolved", history) == date(2026, 2, 19)
    assert told_on("resolved", history[:2]) is None  # resolved, not told yet
    reopened = history + [{"from_status": "resolved", "to_status": "open", "at": "2026-03-01T01:00:00Z"},
                          {"from_status": "open", "to_status": "resolved", "at": "2026-03-02T01:00:00Z"}]
    assert told_on("resolved", reopened) is None  # told of the first outcome, not of this one


@pytest.mark.parametrize("age, bucket", [(0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
                                         (90, "61-90"), (91, "over_90"), (400, "over_90")])
def test_overdue_ages_fall_in_the_four_buckets(age, bucket):
    assert age_bucket(age) == bucket


def test_due_day_overdue_and_age_are_the_follow_up_rules_over_stored_fields():
    """records/followup.py on the model and records/report.py on its stored form agree, day by day."""
    from records import followup
    from records.models import ConcernStatus
    from tests.support.records import concern, family

    h, v, _ = family()
    fresh = concern(h, v, priority="urgent")  # due 3 days after it was raised
    old = fresh.model_copy(update={"due_on": None})  # from an app before due dates: the priority's days
    for c in (fresh, old, fresh.change_status(ConcernStatus.escalated, by="x", escalation=_escalation())):
        stored = c.wire()
        due = due_day(stored.get("due_on"), stored["created_at"], stored["priority"])
        assert due == followup.due_date(c)
        for today in (due, due + timedelta(days=1), due + timedelta(days=95)):
            assert is_overdue(stored["status"], due, today) == followup.is_overdue(c, today)
            raised = raised_day(stored["created_at"])
            assert (today - raised).days == followup.age_days(c, today)
            assert is_long_overdue(stored["status"], due, raised, today) == (
                followup.is_overdue(c, today) and followup.age_days(c, today) > 90)


def _escalation():
    from tests.support.records import ESCALATION

    return ESCALATION


def test_tallies_add_up_every_new_count():
    a, b = Tally(concerns=3, told=1, resolved_by_due=2, public_total=10, public_women=4, officials_present=2), Tally(
        concerns=2, told=1, public_total=5)
    a.by_source.update({"public_forum": 2, "household_visit": 1})
    b.by_source.update({"public_forum": 1, "meeting": 1})
    a.meetings_held.update({"public_forum": 1})
    b.meetings_planned.update({"working_group": 2})
    a.overdue_by_age.update({"over_90": 1})
    b.by_institution.update({"mowram": 1, "": 1})
    a.add(b)
    assert (a.concerns, a.told, a.resolved_by_due, a.public_total, a.public_women, a.officials_present) == (
        5, 2, 2, 15, 4, 2)
    assert a.by_source == {"public_forum": 3, "household_visit": 1, "meeting": 1}
    assert (a.meetings_held, a.meetings_planned, a.overdue_by_age, a.by_institution) == (
        {"public_forum": 1}, {"working_group": 2}, {"over_90": 1}, {"mowram": 1, "": 1})
    f = key_figures(a)
    assert (f["meetings_held"], f["meetings_planned"], f["overdue"], f["households_told"]) == (1, 2, 1, 2)
    assert f["resolved_by_due_pct"] == 40.0 and f["households_told_pct"] is None  # 0 resolved


def test_a_submission_frozen_before_these_sections_compiles_with_none_of_them():
    from records.report import tally_of

    old = {"figures": {"households_visited": 2, "visits": 3, "concerns": 1, "resolved": 1, "referred": 0,
                       "escalated": 0, "open": 0}, "by_category": {"water": 1}, "by_priority": {"normal": 1},
           "resolution_days": {"2": 1}}
    t = tally_of(old)
    assert (t.concerns, t.told, t.meetings_held, t.by_source) == (1, 0, {}, {})
