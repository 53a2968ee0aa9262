"""Before a new household is saved, the village's likely duplicates are shown (open it, or save anyway)."""
from __future__ import annotations

import time

import pytest

from app.services.areas import AreaService
from app.services.households import HouseholdService
from app.viewmodels.household_form import HouseholdFormVM
from storage.search import HouseholdIndex
from tests.app.conftest import VILLAGE
from tests.support.records import sok_dara

OTHER_VILLAGE = "01020102"


@pytest.fixture
def form(store, actor, clock):
    service = HouseholdService(store, actor, clock=clock)
    return lambda household_id=None: HouseholdFormVM(service, AreaService(store.areas), "km", household_id)


def typed(vm, village=VILLAGE, **values):
    for name, value in {"head_name": "ចាន់ ធី", "phone": "097 111 2222", "members": "3", **values}.items():
        vm.set(name, value)
    vm.area.pick(village)


@pytest.mark.parametrize("values", [
    {"phone": "០១២ ៣៤៥ ៦៧៨"},  # the same phone, typed in Khmer digits
    {"phone": "+855 12 345 678"},
    {"head_name": "សុខដារ៉ា"},  # the same Khmer name without its space
    {"head_name": "SOK  DARA"},  # the Latin name, typed in the Khmer field, in capitals
    {"head_name_latin": "sokdara"},
])
def test_a_likely_duplicate_in_the_same_village_is_shown_and_nothing_saved(form, store, values):
    existing = sok_dara()
    store.save(existing)
    vm = form()
    typed(vm, **values)
    assert vm.submit() is None
    assert [row.id for row in vm.duplicates] == [existing.id] and vm.errors == {}
    assert store.households.count() == 1


def test_it_is_a_different_household_then_saves(form, store):
    store.save(sok_dara())
    vm = form()
    typed(vm, head_name="សុខ ដារ៉ា")
    assert vm.submit() is None and vm.duplicates
    saved = vm.save_as_different()
    assert saved is not None and vm.duplicates == [] and store.households.count() == 2


def test_the_same_name_in_another_village_or_another_name_is_no_duplicate(form, store):
    store.save(sok_dara(village_code=OTHER_VILLAGE))
    vm = form()
    typed(vm, head_name="សុខ ដារ៉ា")
    assert vm.submit() is not None and vm.duplicates == []
    vm2 = form()
    typed(vm2, head_name="កែវ លីណា", phone="")
    assert vm2.submit() is not None


def test_editing_a_household_does_not_ask_about_itself(form, store):
    existing = sok_dara()
    store.save(existing)
    vm = form(existing.id)
    vm.set("members", "6")
    assert vm.submit() is not None and vm.duplicates == []


def test_finding_duplicates_reads_one_village_of_a_50000_household_index():
    index = HouseholdIndex()
    for i in range(50_000):
        index.put(f"id-{i:05d}", {"head_name": f"ឈ្មោះ {i}", "head_name_latin": f"Name {i}",
                                  "phone": f"+8551{i:07d}", "village_code": f"0102{i % 500:04d}"})
    start = time.perf_counter()
    for _ in range(100):
        found = index.likely_duplicates("01020042", ["name 42"], "")
    per_check = (time.perf_counter() - start) / 100
    assert found == ["id-00042"]
    assert index.likely_duplicates("01020042", [], "+85510000542") == ["id-00542"]
    assert per_check < 0.005, f"{per_check * 1000:.1f} ms per check"
