"""A visit and any number of concerns: validated together, saved in ONE store.save, or not at all."""
from __future__ import annotations

from datetime import date

import pytest

from records.models import ConcernStatus
from app.services.households import HouseholdService
from app.services.visits import VisitService
from app.viewmodels.visit_form import VisitFormVM
from tests.support.records import sok_dara


class CountingSaves:
    """Wraps a store and records every save call (each call is one atomic, durable step)."""

    def __init__(self, store):
        self.store = store
        self.calls: list[tuple] = []
        original = store.save

        def save(*records):
            self.calls.append(records)
            return original(*records)

        store.save = save


@pytest.fixture
def household(store):
    h = sok_dara()
    store.save(h)
    return h


@pytest.fixture
def form(store, actor, clock, household):
    def make(visit_id=None):
        return VisitFormVM(VisitService(store, actor, clock=clock), HouseholdService(store, actor, clock=clock),
                           household.id, official="Demo Official", visit_id=visit_id, today=lambda: date(2026, 3, 2))
    return make


def add_concern(vm, category, description, priority="normal"):
    draft = vm.add_concern()
    vm.set_concern(draft.key, "category", category)
    vm.set_concern(draft.key, "description", description)
    vm.set_concern(draft.key, "priority", priority)
    return draft


def test_defaults_today_and_the_signed_in_official(form):
    vm = form()
    assert (vm.visited_on, vm.officials, vm.kind) == ("02/03/2026", "Demo Official", "household_visit")


def test_visit_with_two_concerns_is_one_save(form, store, household):
    saves = CountingSaves(store)
    vm = form()
    vm.set("notes", "ទឹកអណ្ដូងខូច")
    vm.set("follow_up_on", "១៥/០៣/២០២៦")
    add_concern(vm, "water", "អណ្ដូងទឹកខូច", "high")
    add_concern(vm, "roads", "ផ្លូវលំភក់")
    assert vm.submit() and not vm.has_errors
    assert len(saves.calls) == 1
    kinds = sorted(r.kind for r in saves.calls[0])
    assert kinds == ["concern", "concern", "visit"]
    visit = store.visits.for_household(household.id)[0]
    assert visit.follow_up_on == date(2026, 3, 15) and visit.officials == ["Demo Official"]
    concerns = store.concerns.for_visit(visit.id)
    assert {c.category.value for c in concerns} == {"water", "roads"}
    assert all(c.status == ConcernStatus.open and c.history[0].by == "Demo Official" for c in concerns)


def test_one_bad_concern_saves_nothing_and_says_where(form, store, household):
    vm = form()
    add_concern(vm, "water", "fine")
    add_concern(vm, "", "   ")
    assert not vm.submit()
    assert vm.concerns[0].errors == {}
    assert vm.concerns[1].errors == {"category": "required", "description": "description_empty"}
    assert store.visits.count() == 0 and store.concerns.count() == 0


@pytest.mark.parametrize("name,value,code", [
    ("visited_on", "31/02/2026", "date_invalid"), ("visited_on", "", "required"),
    ("visited_on", "01/01/2099", "date_in_future"), ("officials", " , ", "officials_required"),
    ("follow_up_on", "01/01/2020", "follow_up_before_visit"),
])
def test_visit_errors_are_at_their_field(form, store, name, value, code):
    vm = form()
    vm.set(name, value)
    add_concern(vm, "", "")
    assert not vm.submit()
    assert vm.errors.get(name) == code
    assert vm.concerns[0].errors  # every problem shows at once, the concerns' too
    assert store.visits.count() == 0


def test_remove_a_draft_and_public_forum(form, store):
    vm = form()
    keep = add_concern(vm, "health", "clinic far away")
    drop = add_concern(vm, "land", "dispute")
    vm.remove_concern(drop.key)
    vm.set("kind", "public_forum")
    assert vm.submit()
    assert [c.description for c in store.concerns.all()] == ["clinic far away"]
    assert store.visits.all()[0].visit_kind.value == "public_forum"
    assert keep.id is not None


def test_edit_a_visit_adds_a_concern_and_edits_only_what_changed(form, store):
    vm = form()
    add_concern(vm, "water", "well broken")
    vm.submit()
    visit_id = vm.visit_id
    first = store.concerns.all()[0]
    saves = CountingSaves(store)
    again = form(visit_id)
    assert [d.description for d in again.concerns] == ["well broken"]
    again.remove_concern(again.concerns[0].key)  # a saved concern is not deleted from here
    assert len(again.concerns) == 1
    add_concern(again, "roads", "mud")
    assert again.submit()
    assert len(saves.calls) == 1 and [r.kind for r in saves.calls[0]] == ["concern"]
    assert store.concerns.get(first.id).rev == first.rev
    assert store.concerns.count() == 2


def test_unknown_household(store, actor):
    vm = VisitFormVM(VisitService(store, actor), HouseholdService(store, actor),
                     "00000000-0000-4000-8000-000000000001")
    assert not vm.found
