"""Visits and the concern lifecycle as an official and a district office meet them."""
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from records.models import (
    ALLOWED_TRANSITIONS,
    Concern,
    ConcernCategory,
    ConcernStatus,
    Visit,
    VisitKind,
    field_errors,
    new_id,
)
from tests.support.records import ESCALATION

HOUSEHOLD = new_id()
VISIT = new_id()


def visit_errors(**fields) -> dict[str, str]:
    fields.setdefault("household_id", HOUSEHOLD)
    fields.setdefault("visited_on", date(2026, 11, 20))
    fields.setdefault("officials", ["Dara"])
    with pytest.raises(ValidationError) as exc:
        Visit(**fields)
    return field_errors(exc.value)


def new_concern(**fields) -> Concern:
    fields.setdefault("household_id", HOUSEHOLD)
    fields.setdefault("visit_id", VISIT)
    fields.setdefault("category", ConcernCategory.water)
    fields.setdefault("description", "អណ្តូងរីងស្ងួត — the well is dry")
    return Concern.raise_new(by="Dara", **fields)


def test_a_public_forum_visit_with_officials_and_notes_is_accepted():
    v = Visit(household_id=HOUSEHOLD, visited_on=date(2026, 11, 20), officials=["Dara", "ស្រីមុំ", "Dara"],
              visit_kind=VisitKind.public_forum, notes="ប្រជុំភូមិ\nline two", follow_up_on=date(2026, 12, 20))
    assert v.officials == ["Dara", "ស្រីមុំ"] and v.notes == "ប្រជុំភូមិ\nline two"


def test_visit_date_in_the_future_is_refused():
    assert visit_errors(visited_on=date.today() + timedelta(days=3)) == {"visited_on": "date_in_future"}


def test_visit_today_is_accepted_whatever_the_timezone():
    assert Visit(household_id=HOUSEHOLD, visited_on=(datetime.now(timezone.utc) + timedelta(hours=7)).date(),
                 officials=["Dara"])


def test_follow_up_before_the_visit_is_refused_at_the_follow_up_field():
    assert visit_errors(follow_up_on=date(2026, 11, 1)) == {"follow_up_on": "follow_up_before_visit"}


def test_a_follow_up_may_be_in_the_future():
    assert Visit(household_id=HOUSEHOLD, visited_on=date(2026, 11, 20), officials=["Dara"],
                 follow_up_on=date.today() + timedelta(days=30))


def test_a_visit_needs_at_least_one_official():
    assert visit_errors(officials=[]) == {"officials": "officials_required"}


def test_visit_of_a_household_id_that_is_not_a_uuid_is_refused():
    assert visit_errors(household_id="42") == {"household_id": "id_invalid"}


def test_new_concern_is_open_with_its_first_history_entry():
    c = new_concern()
    assert c.status == ConcernStatus.open and len(c.history) == 1
    assert (c.history[0].from_status, c.history[0].to_status, c.history[0].by) == (None, ConcernStatus.open, "Dara")


def test_concern_needs_a_description():
    with pytest.raises(ValidationError) as exc:
        new_concern(description="  ")
    assert field_errors(exc.value) == {"description": "description_empty"}


def test_unknown_category_is_refused():
    with pytest.raises(ValidationError) as exc:
        new_concern(category="weather")
    assert field_errors(exc.value) == {"category": "choice_invalid"}


def test_full_lifecycle_records_who_when_from_to_and_note_for_every_change():
    t0 = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
    c = new_concern(at=t0)
    c = c.change_status(ConcernStatus.in_progress, by="Dara", note="visited the well", at=t0 + timedelta(days=1))
    c = c.change_status(ConcernStatus.referred, by="Sokha", referred_to="Provincial water department",
                        at=t0 + timedelta(days=2))
    c = c.change_status(ConcernStatus.resolved, by="Sokha", note="new pump installed", at=t0 + timedelta(days=9))
    assert c.status == ConcernStatus.resolved and c.rev == 4
    assert [(h.from_status, h.to_status, h.by) for h in c.history] == [
        (None, ConcernStatus.open, "Dara"),
        (ConcernStatus.open, ConcernStatus.in_progress, "Dara"),
        (ConcernStatus.in_progress, ConcernStatus.referred, "Sokha"),
        (ConcernStatus.referred, ConcernStatus.resolved, "Sokha"),
    ]
    assert c.history[2].referred_to == "Provincial water department" and c.referred_to == c.history[2].referred_to
    assert c.history[3].note == "new pump installed" and c.updated_at == t0 + timedelta(days=9)


def test_a_resolved_concern_can_be_reopened():
    c = new_concern().change_status(ConcernStatus.resolved, by="Dara").change_status(ConcernStatus.open, by="Dara")
    assert c.status == ConcernStatus.open and len(c.history) == 3


def test_resolved_cannot_jump_to_referred():
    c = new_concern().change_status(ConcernStatus.resolved, by="Dara")
    with pytest.raises(ValidationError) as exc:
        c.change_status(ConcernStatus.referred, by="Dara", referred_to="x")
    assert field_errors(exc.value) == {"status": "status_transition"}
    assert c.status == ConcernStatus.resolved and len(c.history) == 2  # nothing half-applied


def test_referring_needs_the_institution():
    with pytest.raises(ValidationError) as exc:
        new_concern().change_status(ConcernStatus.referred, by="Dara", referred_to=" ")
    assert field_errors(exc.value) == {"referred_to": "referred_to_required"}


def test_a_forged_history_that_skips_the_lifecycle_is_refused():
    c = new_concern().change_status(ConcernStatus.resolved, by="Dara")
    doc = c.to_doc()
    doc["history"][1]["from_status"] = "escalated"
    with pytest.raises(ValidationError) as exc:
        Concern.model_validate(doc)
    assert field_errors(exc.value) == {"status": "status_transition"}


def test_status_that_disagrees_with_the_last_history_entry_is_refused():
    doc = new_concern().to_doc()
    doc["status"] = "resolved"
    with pytest.raises(ValidationError):
        Concern.model_validate(doc)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(list(ConcernStatus)), max_size=12))
def test_any_sequence_of_status_changes_keeps_history_and_status_consistent(moves):
    c = new_concern()
    for to in moves:
        allowed = to in ALLOWED_TRANSITIONS[c.status]
        try:
            c2 = c.change_status(to, by="Dara", referred_to="Commune council", escalation=ESCALATION)
        except ValidationError:
            assert not allowed
            continue
        assert allowed and c2.rev == c.rev + 1
        c = c2
    assert c.history[-1].to_status == c.status
    assert Concern.model_validate(c.to_doc()) == c  # what is stored reads back valid
