"""The "to follow up" view, feedback to the household and the escalation brief, on a real store with a fixed day."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from app.i18n import Translator
from app.services.areas import AreaService
from app.services.concerns import ConcernService
from app.services.followup import FollowupService
from app.viewmodels.concerns import ConcernsVM
from records.followup import State
from records.models import ConcernCategory, Priority
from tests.support.records import ESCALATION, OTHER_COMMUNE_VILLAGE, concern, household, visit

TODAY = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def concerns_vm(store, actor):
    def make(role="official", lang="en"):
        from app.services.actor import fixed_actor

        who = fixed_actor("u", "Demo Supervisor" if role == "supervisor" else "Demo Official", "device-1", role)
        service = ConcernService(store, who, clock=lambda: TODAY)
        followups = FollowupService(store, who, service.reference, clock=lambda: TODAY)
        return ConcernsVM(service, AreaService(store.areas), lang, followups)

    return make


@pytest.fixture
def work(store):
    here, there = household(1), household(2, village=OTHER_COMMUNE_VILLAGE)
    v1, v2 = visit(here), visit(there)
    late = concern(here, v1, 1, priority=Priority.urgent)  # raised 1 March: due 4 March
    later = concern(there, v2, 2, priority=Priority.high, category=ConcernCategory.roads)  # due 8 March
    calm = concern(here, v1, 3, priority=Priority.low)  # due 30 April
    store.save(here, there, v1, v2, late, later, calm)
    return late, later, calm


def test_the_follow_up_view_lists_the_overdue_first_with_age_and_counts(concerns_vm, work):
    late, later, calm = work
    vm = concerns_vm()
    vm.set_view("followup")
    f = vm.followups
    assert [r.concern.id for r in f.rows] == [late.id, later.id]  # calm is neither overdue nor due soon
    assert [r.state for r in f.rows] == [State.overdue, State.overdue]
    assert (f.rows[0].days_late, f.rows[0].age_days) == (6, 9)
    assert (f.counts.overdue, f.counts.due_soon, f.counts.tell_household) == (2, 0, 0)
    tr = Translator("en")
    assert vm.due(tr, late) == (State.overdue, "Overdue 6 days · due 4 Mar 2026")
    assert vm.due(tr, calm)[1] == "Due 30 Apr 2026"
    assert Translator("km")("followup.overdue_by", count=6, date="x").startswith("ហួសកំណត់ ៦ ថ្ងៃ")


def test_the_follow_up_view_filters_by_category_village_and_institution(concerns_vm, work):
    late, later, _ = work
    vm = concerns_vm()
    vm.open(late.id)
    vm.change.to, vm.change.institution_id = "referred", "bmc-dowram"
    assert vm.submit_change()
    vm.set_view("followup")
    f = vm.followups
    f.set_filter("category", "roads")
    assert [r.concern.id for r in f.rows] == [later.id]
    f.set_filter("category", "all")
    f.area.select("commune", OTHER_COMMUNE_VILLAGE[:6])
    f.apply_area()
    assert [r.concern.id for r in f.rows] == [later.id]
    f.clear_area()
    assert ("bmc-dowram", f.filter_options("institution")[1][1]) == f.filter_options("institution")[1]
    f.set_filter("institution", "bmc-dowram")
    assert [r.concern.id for r in f.rows] == [late.id]
    assert f.institution_name(f.rows[0]).startswith("Banteay Meanchey Provincial Department of Water")
    assert f.filters == ["institution", "category"] or "source" in f.filters  # source: once the field exists


def test_the_referral_picker_offers_who_handles_the_category_in_the_village_first(concerns_vm, work):
    late, _, _ = work
    vm = concerns_vm(lang="km")
    vm.open(late.id)
    options = vm.referral_options()
    assert options[0][0] == "c010201-admin" and options[0][1] == "រដ្ឋបាលឃុំបន្ទាយនាង"
    assert {"bmc-dowram", "bmc-pdrd"} <= {value for value, _ in options[:4]}
    assert options[-1] == ("other", "")


def test_a_resolved_concern_shows_tell_the_household_until_feedback_is_recorded(concerns_vm, work, store):
    _, _, calm = work
    vm = concerns_vm()
    vm.open(calm.id)
    vm.change.to = "resolved"
    assert vm.submit_change()
    vm.set_view("followup")
    assert [(r.concern.id, r.state) for r in vm.followups.rows][-1] == (calm.id, State.tell_household)
    assert vm.offers_feedback
    vm.feedback.answer = "satisfied"
    assert not vm.submit_feedback() and vm.feedback.errors == {"channel": "required"}
    vm.feedback.channel, vm.feedback.told_text = "forum", "99/99/2026"
    assert not vm.submit_feedback() and vm.feedback.errors == {"told_on": "date_invalid"}
    vm.feedback.told_text = "28/02/2026"  # before the concern was raised
    assert not vm.submit_feedback() and vm.feedback.errors == {"feedback": "feedback_before_raised"}
    vm.feedback.told_text = "09/03/2026"
    assert vm.submit_feedback()
    assert calm.id not in [r.concern.id for r in vm.followups.rows]
    assert store.concerns.get(calm.id).history[-1].feedback.told_on == date(2026, 3, 9)


def test_escalated_concerns_of_the_area_make_one_brief_in_the_users_language(concerns_vm, work):
    late, later, _ = work
    vm = concerns_vm("supervisor", lang="km")
    for c in (late, later):
        vm.open(c.id)
        vm.change.to, vm.change.escalation = "escalated", ESCALATION.model_dump(mode="json")
        assert vm.submit_change()
    vm.set_view("escalated")
    assert [c.id for c, _ in vm.escalated()] == [late.id, later.id]
    brief = vm.brief(Translator("km"))
    assert brief.startswith("សំណូមពរដែលបានរាយការណ៍") and "សំណូមពរចំនួន ២ បានរាយការណ៍" in brief
    assert ESCALATION.ask in brief and ESCALATION.tried_locally in brief and "ថ្នាក់ខេត្ត" in brief
    vm.area.select("commune", OTHER_COMMUNE_VILLAGE[:6])
    vm.apply_area()
    assert [c.id for c, _ in vm.escalated()] == [later.id]
    assert "1 concern escalated" in vm.brief(Translator("en"))
