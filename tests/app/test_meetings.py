"""Forums and meetings as an official plans, holds and closes them on the device (services and view-models)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.i18n import Translator
from app.services.areas import AreaService
from app.services.concerns import ConcernService
from app.services.edits import SaveFailed
from app.services.households import HouseholdService
from app.services.meetings import MeetingService
from app.viewmodels.meeting_detail import ForumConcernsVM, MeetingDetailVM
from app.viewmodels.meeting_share import invitation_text, minutes_text
from app.viewmodels.meetings import PlanMeetingVM, ScheduleVM
from records.meetings import MeetingStatus
from tests.support.records import COMMUNE, household

TODAY = date(2026, 5, 15)  # the second quarter of 2026


@pytest.fixture
def service(store, actor, clock) -> MeetingService:
    return MeetingService(store, actor, clock=clock)


@pytest.fixture
def area_service(store) -> AreaService:
    return AreaService(store.areas)


def plan(service, n=0, **values):
    values.setdefault("meeting_kind", "public_forum")
    values.setdefault("level", "commune")
    values.setdefault("area_code", COMMUNE)
    values.setdefault("title", f"វេទិកា {n}")
    values.setdefault("planned_on", date(2026, 4, 10) + timedelta(days=20 * n))
    return service.plan(values)


def area_name(code: str, lang: str) -> str:
    return {"km": "ឃុំបន្ទាយនាង", "en": "Banteay Neang"}[lang]


def test_the_quarter_schedule_shows_planned_held_overdue_and_postponed_by_level(service, area_service, store):
    held = plan(service, 0, planned_on=date(2026, 4, 3))
    service.mark_held(held.id, date(2026, 4, 3))
    plan(service, 1, planned_on=date(2026, 5, 1))  # passed, not held: overdue
    moved = plan(service, 2, planned_on=date(2026, 5, 8))
    service.postpone(moved.id, date(2026, 6, 5))
    plan(service, 3, planned_on=date(2026, 6, 20))
    plan(service, 4, level="district", area_code="0102", planned_on=date(2026, 6, 1))
    plan(service, 5, planned_on=date(2026, 7, 2))  # the next quarter
    vm = ScheduleVM(service, area_service, "en", today=lambda: TODAY)
    assert (vm.year, vm.quarter) == (2026, 2)
    assert [g.level for g in vm.groups] == ["district", "commune"]
    assert [r.state for r in vm.groups[1].rows] == ["held", "overdue", "postponed", "planned"]
    assert vm.groups[1].rows[2].day == date(2026, 6, 5)  # a postponed meeting shows on its new day
    assert vm.counts == {"planned": 2, "held": 1, "overdue": 1, "postponed": 1, "cancelled": 0}
    vm.next_quarter()
    assert (vm.year, vm.quarter) == (2026, 3) and vm.counts["planned"] == 1
    vm.previous_quarter()
    vm.previous_quarter()
    assert (vm.year, vm.quarter) == (2026, 1) and vm.empty


def test_the_schedule_counts_held_meetings_against_the_yearly_target(service, area_service):
    service.mark_held(plan(service, 0, planned_on=date(2026, 4, 3)).id, date(2026, 4, 3))
    plan(service, 1)
    vm = ScheduleVM(service, area_service, "en", area_code=COMMUNE, today=lambda: TODAY)
    assert vm.progress() == type(vm.progress())(held=1, planned=1, target=12)
    assert service.set_yearly_target(COMMUNE, "២៤") == 24 and vm.progress().target == 24
    with pytest.raises(SaveFailed) as exc:
        service.set_yearly_target(COMMUNE, 13)
    assert exc.value.errors == {"target": "meeting_target_invalid"}


def test_planning_a_meeting_offers_the_last_meetings_invitees_again(service, area_service):
    first = plan(service, 0)
    service.invite(first.id, [{"name": "Sok Chea", "position": "Director", "institution": "PDRD"},
                              {"name": "Chan Dara", "institution": "Health Centre"}])
    answered = service.set_answer(first.id, service.find(first.id).invitations[0].id, "accepted")
    vm = PlanMeetingVM(service, area_service, "en", area_code=COMMUNE)
    assert [i.name for i in vm.offered] == ["Sok Chea", "Chan Dara"]
    assert all(i.answer.value == "none" for i in vm.offered) and vm.offered[0].id != answered.invitations[0].id
    vm.toggle_offered(vm.offered[1].id)  # not this time
    vm.add_invitee("Keo Sophal", "Chief", "Police post")
    for name, value in (("title", "វេទិកាខែមិថុនា"), ("day", "១២/០៦/២០២៦"), ("at", "08:30"), ("place", "សាលាឃុំ"),
                        ("agenda", "ផ្លូវ\n\nទឹក")):
        vm.set(name, value)
    assert vm.submit(), vm.errors
    saved = service.find(vm.saved.id)
    assert [i.name for i in saved.invitations] == ["Sok Chea", "Keo Sophal"]
    assert saved.planned_time.hour == 8 and [a.title for a in saved.agenda] == ["ផ្លូវ", "ទឹក"]
    assert saved.level.value == "commune" and saved.organiser == "Demo Official"


def test_a_plan_without_area_day_or_title_says_which_is_missing(service, area_service):
    vm = PlanMeetingVM(service, area_service, "en")
    vm.set("at", "25:00")
    assert not vm.submit()
    assert vm.errors == {"area_code": "required", "planned_on": "required", "planned_time": "meeting_time_invalid"}
    vm = PlanMeetingVM(service, area_service, "en", area_code=COMMUNE, on=TODAY)
    assert not vm.submit() and vm.errors == {"title": "meeting_title_empty"}


def test_holding_a_forum_one_tap_each_saves_who_came_the_counts_and_the_minutes(service, store):
    m = plan(service, 0)
    service.invite(m.id, [{"name": n} for n in ("Sok Chea", "Chan Dara", "Keo Sophal")])
    vm = MeetingDetailVM(service, m.id, today=lambda: TODAY)
    assert vm.actions() == ["mark_held", "postpone", "cancel"]
    assert vm.mark_held() and vm.meeting.held_on == TODAY and vm.actions() == ["close"]
    first, _, third = vm.meeting.invitations
    assert vm.toggle_attended(first.id) and vm.toggle_attended(third.id)
    assert vm.set_answer(first.id, "accepted")
    for _ in range(3):
        vm.count("total", +1)
    vm.count("women", +1)
    vm.count("women", +1)
    vm.count("total", -1)
    vm.minutes = "ប្រជុំចាប់ផ្ដើមម៉ោង ៨"
    assert vm.save_minutes()
    stored = store.meetings.get(m.id)  # every tap is on disk
    assert [i.attended for i in stored.invitations] == [True, False, True]
    assert (stored.public_total, stored.public_women) == (2, 2) and stored.minutes == "ប្រជុំចាប់ផ្ដើមម៉ោង ៨"
    assert stored.invitations[0].answer.value == "accepted"


def test_closing_freezes_the_minutes_and_corrections_come_as_addenda(service):
    m = plan(service, 0)
    vm = MeetingDetailVM(service, m.id, today=lambda: TODAY)
    vm.mark_held()
    vm.minutes = "typed, not saved yet"
    assert vm.close() and vm.meeting.closed and vm.meeting.minutes == "typed, not saved yet"
    assert not vm.minutes_editable and vm.actions() == ["add_addendum"]
    with pytest.raises(SaveFailed) as exc:
        service.set_minutes(m.id, "rewritten")
    assert exc.value.errors == {"minutes": "meeting_minutes_closed"}
    assert vm.add_addendum("ម៉ោង ៩") and vm.meeting.addenda[0].by == "Demo Official"
    assert not vm.add_addendum("") and vm.errors == {"addenda": "meeting_addendum_empty"}


def test_a_planned_meeting_cannot_be_closed_and_cancelling_needs_a_reason(service):
    vm = MeetingDetailVM(service, plan(service).id, today=lambda: TODAY)
    assert not vm.close() and vm.errors == {"status": "meeting_not_held"}
    assert not vm.cancel("") and vm.errors == {"cancel_reason": "meeting_cancel_reason_required"}
    assert not vm.postpone("01/04/2026") and vm.errors == {"postponed_to": "meeting_postponed_not_later"}
    assert vm.cancel("ទឹកជំនន់") and vm.meeting.status == MeetingStatus.cancelled and vm.actions() == []


def test_decisions_get_owners_due_dates_and_the_concerns_they_answer(service, store, actor, clock):
    m = plan(service)
    vm = MeetingDetailVM(service, m.id, today=lambda: TODAY)
    vm.mark_held()
    c = service.add_concern(m.id, category="roads", description="ផ្លូវខូច", anonymous=True)
    assert vm.add_decision("ជួសជុលផ្លូវ", "Sok Chea", "PDRD", "30/06/2026", [c.id])
    assert not vm.add_decision("ស្ដារអណ្ដូង", " ") and vm.errors == {"decisions": "meeting_decision_owner_required"}
    decision = vm.meeting.decisions[0]
    assert (decision.due_on, decision.owner_institution, decision.concern_ids) == (date(2026, 6, 30), "PDRD", [c.id])
    assert vm.decision_done(decision.id) and vm.meeting.decisions[0].done_on == TODAY
    assert store.meetings.get(m.id).decisions[0].status.value == "done"


def test_concerns_from_the_floor_are_each_on_disk_as_they_are_added(service, store, actor, clock):
    m = plan(service)
    service.mark_held(m.id, TODAY)
    known = household(village="01020101")
    store.save(known)
    vm = ForumConcernsVM(service, HouseholdService(store, actor, clock=clock), m.id)
    entries = [("roads", "ផ្លូវខូច", "ចាន់ ធី", False, None), ("water", "អណ្ដូងរីង", "", True, None),
               ("health", "មណ្ឌលសុខភាពឆ្ងាយ", "", False, known.head_name[:5]), ("roads", "ស្ពានបាក់", "Keo", False, None)]
    for n, (category, text, who, anonymous, search) in enumerate(entries, 1):
        vm.set("category", category)
        vm.set("description", text)
        vm.set("anonymous", anonymous)
        if who:
            vm.set("raised_by", who)
        if search:
            vm.link_household(next(h for h in vm.search_household(search) if h.id == known.id))
        assert vm.add(), vm.errors
        assert len(store.concerns.for_meeting(m.id)) == n  # saved as added, not at the end
        assert vm.draft.description == "" and vm.draft.category == category
    on_disk = {c.id: c for c in store.concerns.for_meeting(m.id)}
    stored = [on_disk[c.id] for c in vm.added]
    assert [c.source.value for c in stored] == ["public_forum"] * 4
    assert stored[1].anonymous and stored[1].raised_by is None
    assert stored[2].household_id == known.id and stored[2].raised_by == known.head_name


def test_a_concern_from_the_floor_needs_a_topic_and_who_raised_it(service, store, actor, clock):
    m = plan(service)
    vm = ForumConcernsVM(service, HouseholdService(store, actor, clock=clock), m.id)
    vm.set("description", "ផ្លូវ")
    assert not vm.add() and vm.errors == {"category": "required"}
    vm.set("category", "roads")
    assert not vm.add() and vm.errors == {"raised_by": "concern_raised_by_required"}
    assert store.concerns.for_meeting(m.id) == []


def test_forum_concerns_are_in_the_area_concern_list_with_their_meeting(service, store, actor, clock):
    m = plan(service)
    service.add_concern(m.id, category="roads", description="ផ្លូវខូច", raised_by="Chan")
    rows, total = ConcernService(store, actor, clock=clock).list(area_code="0102")
    assert total == 1 and rows[0].meeting_title == m.title and rows[0].village_code == COMMUNE
    assert rows[0].concern.source.value == "public_forum" and rows[0].raised_on == m.planned_on
    assert ConcernService(store, actor, clock=clock).list(area_code="010202")[1] == 0


def test_the_invitation_and_the_closed_minutes_as_text_in_khmer_and_english(service):
    m = plan(service, planned_on=date(2026, 4, 14))
    service.edit(m.id, place="សាលាឃុំ", planned_time="08:30", agenda=[{"title": "ផ្លូវ", "planned_minutes": 30}])
    service.invite(m.id, [{"name": "Sok Chea", "position": "Director", "institution": "PDRD"}])
    text = invitation_text(service.find(m.id), Translator("en"), area_name)
    assert "Date: 14 Apr 2026, 08:30" in text and "Place: សាលាឃុំ" in text
    assert "1. ផ្លូវ (30 min)" in text and "- Sok Chea (Director, PDRD)" in text
    km = invitation_text(service.find(m.id), Translator("km"), area_name)
    assert "១៤ មេសា ២០២៦, ០៨:៣០" in km and "វេទិកាសាធារណៈ · ឃុំបន្ទាយនាង" in km

    service.mark_held(m.id, date(2026, 4, 14))
    service.set_attendance(m.id, total=42, women=25)
    service.set_minutes(m.id, "ប្រជុំបានល្អ")
    c = service.add_concern(m.id, category="roads", description="ផ្លូវខូច", anonymous=True)
    service.add_decision(m.id, {"text": "ជួសជុលផ្លូវ", "owner_name": "Sok Chea", "owner_institution": "PDRD",
                                "due_on": date(2026, 6, 30), "concern_ids": [c.id]})
    assert minutes_text(service.find(m.id), [c], Translator("en"), area_name) is None  # open: nothing to share
    closed = service.close(m.id)
    en = minutes_text(closed, [c], Translator("en"), area_name)
    assert "Public: 42 (women 25)" in en and "ប្រជុំបានល្អ" in en
    assert "1. ជួសជុលផ្លូវ — Sok Chea (PDRD), due 30 Jun 2026 [Open]" in en and "- Roads: ផ្លូវខូច (Anonymous)" in en
    km = minutes_text(closed, [c], Translator("km"), area_name)
    assert "៤២" in km and "អនាមិក" in km


def test_a_district_meeting_that_invites_the_commune_is_read_not_edited_there(service):
    district = service.plan({"meeting_kind": "working_group", "level": "district", "area_code": "0102",
                             "title": "District review", "planned_on": date(2026, 4, 20)})
    service.mark_held(district.id, date(2026, 4, 20))
    commune_view = MeetingDetailVM(service, district.id, today=lambda: TODAY, user_area=COMMUNE)
    assert not commune_view.can_edit and commune_view.actions() == [] and not commune_view.minutes_editable
    district_view = MeetingDetailVM(service, district.id, today=lambda: TODAY, user_area="0102")
    assert district_view.can_edit and district_view.actions() == ["close"] and district_view.minutes_editable


def test_a_planned_meeting_is_corrected_and_its_agenda_keeps_who_presents(service, area_service):
    m = plan(service, agenda=[{"title": "ផ្លូវ", "presenter": "មេឃុំ", "planned_minutes": 30}])
    vm = PlanMeetingVM(service, area_service, "en", meeting_id=m.id)
    assert (vm.title, vm.agenda, vm.area.code) == (m.title, "ផ្លូវ", COMMUNE)
    vm.set("place", "វត្តភូមិ")
    vm.set("agenda", "ផ្លូវ\nទឹក")
    vm.set("day", "20/04/2026")
    assert vm.submit(), vm.errors
    saved = service.find(m.id)
    assert saved.place == "វត្តភូមិ" and saved.planned_on == date(2026, 4, 20) and saved.rev == 2
    assert [(a.title, a.presenter) for a in saved.agenda] == [("ផ្លូវ", "មេឃុំ"), ("ទឹក", None)]


def test_an_edit_on_a_meeting_changed_meanwhile_is_refused_and_shows_the_stored_copy(service, area_service):
    m = plan(service)
    vm = PlanMeetingVM(service, area_service, "en", meeting_id=m.id)
    service.edit(m.id, place="elsewhere")  # a sync brought another device's edit
    vm.set("place", "mine")
    assert not vm.submit() and vm.errors == {"__all__": "changed_since_opened"}
    assert vm.place == "elsewhere" and service.find(m.id).place == "elsewhere"
