"""Forums and meetings as a working group plans, holds and closes them: each rule with its code."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from records.fields import ERROR_CODES
from records.meetings import (
    DecisionStatus,
    Meeting,
    MeetingStatus,
    check_yearly_target,
    edit_problem,
    quarter_bounds,
    quarter_of,
    shift_quarter,
)
from records.models import Concern, ConcernCategory, ConcernSource, field_errors
from tests.support.records import T0, family, forum_concern, meeting

HELD = date(2026, 4, 2)


def errors_of(make) -> dict[str, str]:
    with pytest.raises(ValidationError) as exc:
        make()
    return field_errors(exc.value)


def held(**fields) -> Meeting:
    return meeting().mark_held(HELD).edited(**fields)


def test_a_commune_forum_is_planned_with_agenda_and_invitations():
    m = meeting(agenda=[{"title": "ផ្លូវភូមិ", "presenter": "មេឃុំ", "planned_minutes": "៣០"}],
                invitations=[{"name": "Sok Chea", "position": "Director", "institution": "Rural Development",
                              "invitee_kind": "responsible_official", "invited_on": "2026-03-20"}])
    assert m.status == MeetingStatus.planned and m.agenda[0].planned_minutes == 30
    assert m.invitations[0].answer.value == "none" and not m.invitations[0].attended
    assert Meeting.model_validate(m.wire()) == m.model_copy(update={"sync_state": m.sync_state})


@pytest.mark.parametrize("level, area, ok", [("village", "01020101", True), ("commune", "010201", True),
                                              ("district", "0102", True), ("province", "01", True),
                                              ("commune", "0102", False), ("district", "01020101", False),
                                              ("province", "០១", False)])
def test_the_area_code_has_the_length_of_the_meetings_level(level, area, ok):
    if ok:
        assert meeting(level=level, area=area).area_code == area
    else:
        assert errors_of(lambda: meeting(level=level, area=area)) == {"area_code": "meeting_area_level"}


def test_a_meeting_needs_a_title_and_an_organiser():
    assert errors_of(lambda: meeting(title="  ")) == {"title": "meeting_title_empty"}
    assert errors_of(lambda: meeting(organiser="")) == {"organiser": "name_empty"}


def test_agenda_minutes_are_between_one_and_ten_hours():
    assert errors_of(lambda: meeting(agenda=[{"title": "x", "planned_minutes": 0}])) == {
        "agenda": "meeting_agenda_minutes_invalid"}
    assert errors_of(lambda: meeting(agenda=[{"title": "x", "planned_minutes": 601}])) == {
        "agenda": "meeting_agenda_minutes_invalid"}


def test_the_same_person_of_the_same_institution_is_invited_once():
    twice = [{"name": "Sok Chea", "institution": "PDRD"}, {"name": "sok chea", "institution": "pdrd"}]
    assert errors_of(lambda: meeting(invitations=twice)) == {"invitations": "meeting_invitation_duplicate"}
    assert len(meeting(invitations=[twice[0], {"name": "Sok Chea", "institution": "Health"}]).invitations) == 2


def test_an_invited_working_group_is_of_an_area_inside_the_meetings():
    district = dict(level="district", area="0102")
    assert meeting(**district, invitations=[{"name": "WG Banteay Neang", "area_code": "010201"}]).invited_areas == [
        "010201"]
    assert errors_of(lambda: meeting(**district, invitations=[{"name": "WG", "area_code": "010301"}])) == {
        "invitations": "meeting_invitation_area_outside"}


def test_a_postponed_meeting_has_a_later_date():
    m = meeting()
    assert m.postpone(m.planned_on + timedelta(days=7)).postponed_to == m.planned_on + timedelta(days=7)
    assert errors_of(lambda: m.edited(status="postponed")) == {"postponed_to": "meeting_postponed_date_required"}
    assert errors_of(lambda: m.postpone(m.planned_on)) == {"postponed_to": "meeting_postponed_not_later"}


def test_a_cancelled_meeting_says_why():
    assert meeting().cancel("ទឹកជំនន់").cancel_reason == "ទឹកជំនន់"
    assert errors_of(lambda: meeting().cancel(" ")) == {"cancel_reason": "meeting_cancel_reason_required"}


def test_a_held_meeting_has_its_day_and_not_in_the_future():
    assert errors_of(lambda: meeting().edited(status="held")) == {"held_on": "meeting_held_date_required"}
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=2)).date()
    assert errors_of(lambda: meeting().mark_held(tomorrow)) == {"held_on": "date_in_future"}


@pytest.mark.parametrize("fields", [{"public_total": 3}, {"held_on": HELD}, {"minutes_closed_at": T0,
                                                                            "minutes_closed_by": "Dara"},
                                    {"invitations": [{"name": "Sok Chea", "attended": True}]}])
def test_attendance_and_closing_wait_until_the_meeting_is_held(fields):
    assert errors_of(lambda: meeting(**fields)) == {"status": "meeting_not_held"}


def test_public_attendance_counts_women_within_the_total():
    assert held(public_total="៤០", public_women=25).public_total == 40
    assert errors_of(lambda: held(public_total=10, public_women=11)) == {"public_women": "meeting_women_over_total"}
    assert errors_of(lambda: held(public_total=-1)) == {"public_total": "meeting_count_invalid"}


def test_held_and_cancelled_are_final():
    done = held()
    assert errors_of(lambda: done.postpone(HELD + timedelta(days=3))) == {"status": "meeting_status_transition"}
    assert errors_of(lambda: meeting().cancel("rain").mark_held(HELD)) == {"status": "meeting_status_transition"}
    assert meeting().postpone(date(2026, 4, 20)).postpone(date(2026, 4, 27)).status == MeetingStatus.postponed


def test_closing_freezes_the_minutes_and_corrections_are_addenda():
    open_ = held(minutes="ប្រជុំបានចាប់ផ្ដើមម៉ោង ៨")
    closed = open_.close_minutes(by="Dara", at=T0 + timedelta(days=40))
    assert closed.closed and edit_problem(open_.wire(), closed.wire()) is None
    assert edit_problem(closed.wire(), closed.edited(minutes="changed").wire()) == ("meeting_minutes_closed",
                                                                                     "minutes")
    corrected = closed.add_addendum("ម៉ោង ៩ មិនមែន ៨", by="Srey Mom", at=T0 + timedelta(days=41))
    assert edit_problem(closed.wire(), corrected.wire()) is None
    assert corrected.addenda[0].by == "Srey Mom"
    rewritten = corrected.edited(addenda=[{**corrected.addenda[0].model_dump(), "text": "silently"}])
    assert edit_problem(corrected.wire(), rewritten.wire()) == ("meeting_minutes_closed", "addenda")
    assert edit_problem(corrected.wire(), closed.wire()) == ("meeting_minutes_closed", "addenda")


def test_addenda_only_after_closing_and_never_empty():
    assert errors_of(lambda: held().add_addendum("x", by="Dara")) == {"addenda": "meeting_addendum_before_close"}
    closed = held().close_minutes(by="Dara")
    assert errors_of(lambda: closed.add_addendum(" ", by="Dara")) == {"addenda": "meeting_addendum_empty"}
    assert errors_of(lambda: held(minutes_closed_at=T0)) == {"minutes_closed_by": "meeting_not_closed"}


def test_edit_problem_knows_the_status_moves():
    assert edit_problem(held().wire(), meeting().wire()) == ("meeting_status_transition", "status")
    assert edit_problem(meeting().wire(), held().wire()) is None


def test_decisions_have_an_owner_and_done_or_dropped_say_when_or_why():
    ok = {"text": "ជួសជុលផ្លូវ", "owner_name": "Sok Chea", "owner_institution": "PDRD", "due_on": "2026-06-30"}
    m = held(decisions=[ok])
    assert m.decisions[0].status == DecisionStatus.open
    assert errors_of(lambda: held(decisions=[{**ok, "text": ""}])) == {"decisions": "meeting_decision_text_empty"}
    assert errors_of(lambda: held(decisions=[{**ok, "owner_name": " "}])) == {
        "decisions": "meeting_decision_owner_required"}
    assert errors_of(lambda: held(decisions=[{**ok, "status": "done"}])) == {
        "decisions": "meeting_decision_done_date_required"}
    assert errors_of(lambda: held(decisions=[{**ok, "status": "dropped"}])) == {
        "decisions": "meeting_decision_drop_reason_required"}
    assert held(decisions=[{**ok, "status": "done", "done_on": "2026-05-01"}]).decisions[0].done_on


def test_a_decision_links_the_concerns_it_answers():
    m = held()
    c = forum_concern(m)
    assert held(decisions=[{"text": "fix", "owner_name": "Chea", "concern_ids": [c.id]}]).decisions[0].concern_ids == [
        c.id]


def test_overdue_is_a_planned_meeting_whose_day_passed():
    m = meeting()
    assert m.overdue(m.planned_on + timedelta(days=1)) and not m.overdue(m.planned_on)
    assert not m.postpone(m.planned_on + timedelta(days=5)).overdue(m.planned_on + timedelta(days=10))
    assert not held().overdue(HELD + timedelta(days=100))


def test_quarters_and_the_yearly_target():
    assert quarter_of(date(2026, 5, 31)) == (2026, 2)
    assert quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert shift_quarter(2026, 4, 1) == (2027, 1) and shift_quarter(2026, 1, -1) == (2025, 4)
    assert check_yearly_target("២៤") == 24 and check_yearly_target(12) == 12
    with pytest.raises(ValueError) as exc:
        check_yearly_target(13)
    assert "12 or 24" in str(exc.value)


# ---------------------------------------------------------------- concerns raised at a forum


def test_existing_concerns_read_as_raised_at_a_household_visit():
    _, _, c = family()
    doc = {k: v for k, v in c.to_doc().items() if k not in ("source", "meeting_id", "raised_by", "anonymous")}
    assert Concern.from_doc(doc).source == ConcernSource.household_visit


def test_a_forum_concern_names_the_meeting_and_who_raised_it_or_anonymous():
    m = held()
    named, anonymous = forum_concern(m), forum_concern(m, 1, raised_by=None)
    assert named.household_id is None and named.visit_id is None and named.raised_by == "ចាន់ ធី"
    assert anonymous.anonymous and anonymous.raised_by is None
    h, _, _ = family()
    assert forum_concern(m, 2, household_id=h.id).household_id == h.id


@pytest.mark.parametrize("fields, code", [
    ({"source": "household_visit"}, "concern_visit_required"),
    ({"source": "public_forum", "meeting_id": None}, "concern_meeting_required"),
    ({"source": "meeting", "meeting_id": None}, "concern_meeting_required"),
    ({"source": "other", "meeting_id": None}, "concern_link_required"),
    ({"anonymous": True}, "concern_anonymous_named"),
    ({"raised_by": " "}, "concern_raised_by_required"),
])
def test_a_concern_says_where_it_was_raised(fields, code):
    m = held()
    values = {"category": ConcernCategory.roads, "description": "ផ្លូវ", "source": "public_forum",
              "meeting_id": m.id, "raised_by": "Chan Thy", **fields}
    assert code in errors_of(lambda: Concern.raise_new(by="Dara", **values)).values()


def test_every_meeting_rule_has_an_english_text():
    for code in ("meeting_status_transition", "meeting_minutes_closed", "concern_meeting_required"):
        assert ERROR_CODES[code]
