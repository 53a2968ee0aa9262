"""Follow-up rules of a concern: due dates, overdue with an injected day, referral, feedback, escalation."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from records import followup
from records.followup import DueDays, State
from records.models import (Concern, ConcernCategory, ConcernStatus, Escalation, Feedback, FeedbackAnswer,
                            FeedbackChannel, Priority, field_errors)
from tests.support.records import ESCALATION, family

RAISED = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
TOLD = Feedback(told_on=date(2026, 3, 20), channel=FeedbackChannel.phone, answer=FeedbackAnswer.satisfied)


def raised(priority: str = "normal", category: str = "water", table: DueDays = followup.DEFAULTS) -> Concern:
    h, v, _ = family()
    return Concern.raise_new(by="Dara", at=RAISED, household_id=h.id, visit_id=v.id, category=category,
                             description="អណ្ដូងរីង", priority=priority, due_days=table)


@pytest.mark.parametrize("priority, days", [("urgent", 3), ("high", 7), ("normal", 30), ("low", 60)])
def test_a_new_concern_is_due_by_its_priority(priority, days):
    assert raised(priority).due_on == RAISED.date() + timedelta(days=days)


def test_an_administrators_rule_for_the_category_sets_the_due_date_of_new_concerns():
    table = DueDays({("water", "urgent"): 1})
    assert raised("urgent", table=table).due_on == date(2026, 3, 2)
    assert raised("urgent", category="roads", table=table).due_on == date(2026, 3, 4)


def test_a_concern_is_overdue_only_after_its_due_day_and_until_it_is_resolved_or_escalated():
    c = raised("urgent")  # due 4 March
    assert not followup.is_overdue(c, date(2026, 3, 4)) and followup.state(c, date(2026, 3, 4)) == State.due_soon
    assert followup.is_overdue(c, date(2026, 3, 5)) and followup.days_overdue(c, date(2026, 3, 9)) == 5
    resolved = c.change_status(ConcernStatus.resolved, by="Dara")
    assert not followup.is_overdue(resolved, date(2026, 4, 1))
    escalated = c.change_status(ConcernStatus.escalated, by="Supervisor", escalation=ESCALATION)
    assert not followup.is_overdue(escalated, date(2026, 4, 1))
    assert followup.state(c, date(2026, 3, 1)) == State.due_soon
    assert followup.state(raised("low"), date(2026, 3, 2)) == State.on_track


def test_the_follow_up_list_puts_the_longest_overdue_first_then_due_soon_then_those_to_tell():
    today = date(2026, 3, 10)
    late = raised("urgent")  # due 4 March
    later = raised("high")  # due 8 March
    soon = raised("normal").model_copy(update={"due_on": date(2026, 3, 12)})
    tell = raised("low").change_status(ConcernStatus.resolved, by="Dara")
    calm = raised("low")
    ordered = sorted([calm, tell, soon, later, late], key=lambda c: followup.sort_key(c, today))
    assert ordered == [late, later, soon, tell, calm]
    assert [followup.to_follow_up(c, today) for c in ordered] == [True, True, True, True, False]


def test_a_referral_to_a_listed_institution_keeps_its_id_and_its_expected_date_becomes_the_due_date():
    c = raised("low").change_status(ConcernStatus.referred, by="Dara", referred_to="Provincial water department",
                                    institution_id="bmc-dowram", expected_on=date(2026, 3, 15))
    assert (c.institution_id, c.expected_on, c.due_on) == ("bmc-dowram", date(2026, 3, 15), date(2026, 3, 15))
    step = c.history[-1]
    assert (step.by, step.institution_id, step.expected_on) == ("Dara", "bmc-dowram", date(2026, 3, 15))
    assert Concern.model_validate(c.to_doc()) == c
    other = raised().change_status(ConcernStatus.referred, by="Dara", referred_to="Village elder")
    assert other.institution_id is None and other.referred_to == "Village elder"


@pytest.mark.parametrize("change, code", [
    (dict(referred_to="Dept", institution_id="Not an id!"), "institution_invalid"),
    (dict(referred_to="Dept", expected_on=date(2026, 2, 1)), "expected_before_raised"),
    (dict(institution_id="bmc-dowram"), "referred_to_required"),
])
def test_a_bad_referral_is_refused_with_its_code(change, code):
    with pytest.raises(ValidationError) as exc:
        raised().change_status(ConcernStatus.referred, by="Dara", **change)
    assert code in field_errors(exc.value).values()


def test_feedback_to_the_household_is_a_step_in_the_history_that_keeps_the_status():
    resolved = raised().change_status(ConcernStatus.resolved, by="Dara")
    assert followup.needs_telling(resolved) and followup.state(resolved, date(2026, 3, 5)) == State.tell_household
    told = resolved.record_feedback(TOLD, by="Dara", note="They thanked the council")
    assert told.status == ConcernStatus.resolved and told.rev == resolved.rev + 1
    assert told.history[-1].feedback == TOLD and told.history[-1].from_status == told.history[-1].to_status
    assert not followup.needs_telling(told) and followup.last_feedback(told) == TOLD
    assert Concern.model_validate(told.to_doc()) == told
    again = told.change_status(ConcernStatus.open, by="Dara").change_status(ConcernStatus.resolved, by="Dara")
    assert followup.needs_telling(again)  # resolved again: the household is told again


@pytest.mark.parametrize("feedback, code", [
    ({"told_on": "2026-02-01", "channel": "phone", "answer": "satisfied"}, "feedback_before_raised"),
    ({"told_on": "2099-01-01", "channel": "phone", "answer": "satisfied"}, "date_in_future"),
    ({"told_on": "2026-03-05", "channel": "pigeon", "answer": "satisfied"}, "choice_invalid"),
    ({"told_on": "2026-03-05", "channel": "visit"}, "required"),
])
def test_bad_feedback_is_refused_with_its_code(feedback, code):
    with pytest.raises(ValidationError) as exc:
        raised().record_feedback(feedback, by="Dara")
    assert code in field_errors(exc.value).values() or code in {e["type"] for e in exc.value.errors()} or (
        code == "required" and any(e["type"] == "missing" for e in exc.value.errors()))


def test_escalating_needs_the_level_and_every_part_of_the_summary():
    c = raised()
    with pytest.raises(ValidationError) as exc:
        c.change_status(ConcernStatus.escalated, by="Supervisor")
    assert field_errors(exc.value) == {"escalation": "escalation_required"}
    for missing, code in (("level", "escalation_level_required"), ("ask", "escalation_summary_required"),
                          ("who_was_urged", "escalation_summary_required")):
        partial = {**ESCALATION.model_dump(), missing: None if missing == "level" else "  "}
        with pytest.raises(ValidationError) as exc:
            c.change_status(ConcernStatus.escalated, by="Supervisor", escalation=partial)
        assert code in field_errors(exc.value).values()
    up = c.change_status(ConcernStatus.escalated, by="Supervisor", escalation=ESCALATION, note="for the province")
    summary, step = followup.escalation_of(up)
    assert summary == ESCALATION and step.by == "Supervisor"


def test_a_summary_on_a_step_that_is_no_escalation_or_feedback_that_moves_is_refused():
    doc = raised().change_status(ConcernStatus.resolved, by="Dara").to_doc()
    doc["history"][-1]["escalation"] = ESCALATION.model_dump(mode="json")
    with pytest.raises(ValidationError) as exc:
        Concern.model_validate(doc)
    assert "escalation_not_escalating" in {e["type"] for e in exc.value.errors()}
    doc = raised().change_status(ConcernStatus.resolved, by="Dara").to_doc()
    doc["history"][-1]["feedback"] = TOLD.model_dump(mode="json")
    with pytest.raises(ValidationError) as exc:
        Concern.model_validate(doc)
    assert "feedback_not_a_move" in {e["type"] for e in exc.value.errors()}


def test_a_concern_stored_before_follow_up_keeps_its_stored_form_and_is_due_by_its_priority():
    c = raised("high")
    doc = c.to_doc()
    for name in ("due_on",):
        del doc[name]
    old = Concern.model_validate(doc)
    assert "due_on" not in old.to_doc() and "institution_id" not in old.to_doc()
    assert all("escalation" not in e and "feedback" not in e for e in old.to_doc()["history"])
    assert followup.due_date(old) == date(2026, 3, 8)


def test_a_due_date_before_the_concern_was_raised_is_refused():
    doc = raised().to_doc()
    doc["due_on"] = "2026-02-27"
    with pytest.raises(ValidationError) as exc:
        Concern.model_validate(doc)
    assert field_errors(exc.value) == {"due_on": "due_before_raised"}


def test_the_priority_enum_and_due_table_agree():
    assert set(followup.PRIORITIES) == {p.value for p in Priority}
    assert {c.value for c in ConcernCategory} >= {"water", "roads"}
    assert Escalation.model_fields.keys() >= {"level", "tried_locally", "who_was_urged", "why_not_solved", "ask"}
