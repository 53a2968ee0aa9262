"""Concerns across households: filters, and status changes along the lifecycle with notes."""
from __future__ import annotations

import pytest

from records.models import ConcernStatus
from app.services.areas import AreaService
from app.services.concerns import ConcernService
from app.viewmodels.concerns import ConcernsVM
from tests.support.records import sok_dara, visit_with_concerns


@pytest.fixture
def data(store):
    near, far = sok_dara(), sok_dara(head_name="Far", village_code="12010101")
    v1, c1 = visit_with_concerns(near, 2)
    v2, c2 = visit_with_concerns(far, 3)
    store.save(near, far, v1, v2, *c1, *c2)
    return near, far


@pytest.fixture
def vm(store, actor, clock, data):
    return ConcernsVM(ConcernService(store, actor, clock=clock), AreaService(store.areas), "en")


def test_filters_by_status_category_and_area(vm, data):
    assert vm.total == 5 and not vm.filtered
    vm.set_category("water")
    assert vm.total == 2
    vm.set_category(None)
    vm.area.select("province", "12")
    vm.apply_area()
    assert vm.total == 3 and {r.head_name for r in vm.rows} == {"Far"}
    vm.set_status("resolved")
    assert vm.total == 0 and vm.filtered
    vm.clear_area()
    vm.set_status(None)
    assert vm.total == 5


def test_change_status_with_a_note_appends_history(vm, store):
    concern = vm.rows[0].concern
    vm.open(concern.id)
    assert [s.value for s in vm.change.choices] == ["in_progress", "referred", "resolved"]  # an official
    assert vm.change.to == ""  # never preselected
    assert not vm.submit_change() and vm.change.errors == {"status": "choose_status"}
    vm.change.to = "referred"
    assert vm.change.needs_institution
    assert not vm.submit_change()
    assert vm.change.errors == {"referred_to": "referred_to_required"}
    assert store.concerns.get(concern.id).rev == concern.rev  # nothing saved
    vm.change.referred_to = "Provincial water department"
    vm.change.note = "Sent the request letter"
    assert vm.submit_change()
    saved = store.concerns.get(concern.id)
    assert saved.status == ConcernStatus.referred and saved.referred_to == "Provincial water department"
    last = saved.history[-1]
    assert (last.from_status, last.to_status, last.note, last.by) == (
        ConcernStatus.open, ConcernStatus.referred, "Sent the request letter", "Demo Official")
    assert saved.sync_state.value == "pending" and saved.rev == concern.rev + 1
    assert [s.value for s in vm.change.choices] == ["open", "in_progress", "resolved"]


def test_resolved_can_only_reopen(vm):
    concern = vm.rows[0].concern
    vm.open(concern.id)
    vm.change.to = "resolved"
    assert vm.submit_change()
    assert [s.value for s in vm.change.choices] == ["open"]


def test_unknown_concern(vm):
    assert vm.open("00000000-0000-4000-8000-000000000001") is None and vm.change is None


def test_the_filters_offer_all_first_and_all_lifts_a_filter(vm):
    assert vm.filter_options("status")[:2] == ["all", "open"] and "escalated" in vm.filter_options("status")
    assert vm.filter_options("category")[0] == "all" and "water" in vm.filter_options("category")
    vm.set_filter("category", "water")
    assert vm.filter_value("category") == "water" and vm.total == 2 and vm.filtered
    assert vm.empty_keys() == ("concerns.no_match_title", "concerns.no_match_message")
    vm.set_filter("category", "all")
    assert vm.filter_value("category") == "all" and vm.total == 5 and not vm.filtered
    assert vm.empty_keys() == ("concerns.empty_title", "concerns.empty_message")


def test_the_summary_says_when_the_list_is_cut(vm):
    assert (vm.summary().key, vm.summary().params) == ("concerns.count", {"count": 5})
    vm.LIMIT = 2
    vm.refresh()
    assert (vm.summary().key, vm.summary().params) == ("concerns.count_limited", {"shown": 2, "count": 5})


def test_the_area_filter_is_labelled_only_when_chosen(vm):
    assert vm.area_filter_label() == ""
    vm.area.select("province", "12")
    vm.apply_area()
    assert vm.area_filter_label() == vm.areas.name("12", "en") != ""


def test_picking_a_move_clears_the_messages_and_errors_split_by_where_they_show(vm):
    vm.open(vm.rows[0].concern.id)
    assert vm.offers_moves
    vm.submit_change()
    assert vm.change.other_errors == ["choose_status"] and vm.change.institution_error is None
    vm.pick_status("referred")
    assert vm.change.errors == {} and vm.change.to == "referred"
    vm.submit_change()
    assert vm.change.institution_error == "referred_to_required" and vm.change.other_errors == []


def test_history_is_newest_first_and_the_toast_says_which_copy_it_went_on(vm):
    vm.open(vm.rows[0].concern.id)
    vm.pick_status("in_progress")
    assert vm.submit_change() and vm.saved_toast == "concern.status_saved"
    assert [e.to_status.value for e in vm.history()] == ["in_progress", "open"]
    vm.close()
    assert vm.history() == [] and not vm.offers_moves


def test_a_concern_from_a_paper_form_shows_the_day_of_the_visit_not_the_day_it_was_typed(store, actor, clock):
    from datetime import date, datetime, timezone

    from records.models import Concern, Visit

    h = sok_dara(head_name="Paper form")
    visit = Visit(household_id=h.id, visited_on=date(2026, 11, 30), officials=["Demo Official"])
    typed = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
    concern = Concern.raise_new(by="Clerk", household_id=h.id, visit_id=visit.id, category="water",
                                description="well dry", at=typed)
    store.save(h, visit, concern)
    rows, _ = ConcernService(store, actor, clock=clock).list()
    row = next(r for r in rows if r.concern.id == concern.id)
    assert row.raised_on == date(2026, 11, 30) and concern.created_at.date() == date(2026, 12, 3)


def test_a_concern_raised_on_a_visit_is_due_by_the_pulled_table_and_moves_with_its_priority(store, actor, clock):
    from datetime import date

    from app.services.visits import ConcernInput, VisitService
    from storage.followup_reference import save_due_days
    from tests.support.records import household

    save_due_days(store, {"changed": True, "overrides": [{"category": "water", "priority": "urgent", "days": 1}]})
    h = household()
    store.save(h)
    visits = VisitService(store, actor, clock=clock)
    _, (water, roads) = visits.save(h.id, {"visited_on": date(2026, 3, 1), "officials": ["Dara"]}, [
        ConcernInput(category="water", description="អណ្ដូងរីង", priority="urgent"),
        ConcernInput(category="roads", description="ផ្លូវខូច", priority="urgent")])
    raised = water.created_at.date()
    assert (water.due_on - raised).days == 1 and (roads.due_on - raised).days == 3
    visit = store.visits.for_household(h.id)[0]
    _, (water, _) = visits.save(h.id, {"visited_on": date(2026, 3, 1), "officials": ["Dara"]}, [
        ConcernInput(id=water.id, category="water", description="អណ្ដូងរីង", priority="low"),
        ConcernInput(id=roads.id, category="roads", description="ផ្លូវខូច", priority="urgent")],
        visit_id=visit.id, opened=[visit, water, roads])
    assert (water.due_on - raised).days == 60
