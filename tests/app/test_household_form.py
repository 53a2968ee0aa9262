"""The household form: errors at the field (codes the screen translates), nothing half-valid saved."""
from __future__ import annotations

import time

import pytest

from records.models import SyncState
from app.services.areas import AreaService
from app.services.households import HouseholdService
from app.viewmodels.area_picker import AreaPickerVM
from app.viewmodels.household_form import HouseholdFormVM
from tests.app.conftest import VILLAGE


@pytest.fixture
def form(store, actor, clock):
    service = HouseholdService(store, actor, clock=clock)
    return lambda household_id=None, lang="km": HouseholdFormVM(service, AreaService(store.areas), lang, household_id)


def fill(vm, **values):
    defaults = {"head_name": "សុខ ដារ៉ា", "phone": "០១២ ៣៤៥ ៦៧៨", "members": "៥"}
    defaults.update(values)
    for name, value in defaults.items():
        vm.set(name, value)
    vm.area.pick(VILLAGE)


def test_khmer_name_and_khmer_digits_are_saved_normalised(form, store):
    vm = form()
    fill(vm, head_name="  សុខ\u200b ដារ៉ា ")
    saved = vm.submit()
    assert saved is not None and vm.errors == {}
    stored = store.households.get(saved.id)
    assert (stored.head_name, stored.phone, stored.members) == ("សុខ ដារ៉ា", "+85512345678", 5)
    assert (stored.author, stored.device_id, stored.sync_state) == ("demo-official", "device-1", SyncState.pending)


@pytest.mark.parametrize("field,value,code", [
    ("phone", "០១២ ៣៤", "phone_too_short"), ("phone", "012-ab-678", "phone_bad_chars"),
    ("phone", "012 345 678 901 234", "phone_too_long"), ("members", "0", "members_too_few"),
    ("members", "two", "number_invalid"), ("head_name", "   ", "name_empty"), ("head_name", "ក" * 121, "name_too_long"),
    ("gps_lat", "91", "gps_invalid"),
])
def test_an_invalid_field_is_reported_at_that_field_and_nothing_is_saved(form, store, field, value, code):
    vm = form()
    fill(vm, **{field: value}, **({"gps_lon": "104.9"} if field == "gps_lat" else {}))
    assert vm.submit() is None
    assert vm.errors.get("gps" if field.startswith("gps") else field) == code
    assert store.households.count() == 0


def test_no_village_chosen(form, store):
    vm = form()
    vm.set("head_name", "សុខ ដារ៉ា")
    assert vm.submit() is None
    assert vm.errors == {"village_code": "village_required"}
    assert store.households.count() == 0


def test_typing_again_clears_that_fields_error(form):
    vm = form()
    fill(vm, phone="12")
    vm.submit()
    vm.set("phone", "012345678")
    assert "phone" not in vm.errors


def test_edit_keeps_the_id_bumps_the_rev_and_an_untouched_save_changes_nothing(form, store):
    vm = form()
    fill(vm)
    first = vm.submit()
    again = form(first.id)
    assert again.fields.phone == "012 345 678" and again.area.village_code == VILLAGE
    assert again.submit().rev == first.rev  # nothing changed: no new revision to sync
    again.set("members", "6")
    edited = again.submit()
    assert (edited.id, edited.rev, edited.members) == (first.id, first.rev + 1, 6)


def test_flags_consent_and_gps(form, store):
    vm = form()
    fill(vm)
    vm.toggle_vulnerability("idpoor", True)
    vm.toggle_vulnerability("landless", True)
    vm.toggle_vulnerability("landless", False)
    vm.set("consent_to_contact", True)
    vm.set_gps(13.3633, 103.8564, 12.0)
    saved = vm.submit()
    assert [v.value for v in saved.vulnerabilities] == ["idpoor"]
    assert saved.consent_to_contact and saved.gps.lat == pytest.approx(13.3633)


def test_cascading_pickers_narrow_level_by_level(store):
    picker = AreaPickerVM(AreaService(store.areas), "km")
    assert len(picker.options("province")) == 25
    assert picker.options("district") == []  # nothing until a province is chosen
    picker.select("province", "01")
    districts = picker.options("district")
    assert districts and all(d.code.startswith("01") for d in districts)
    picker.select("district", "0102")
    picker.select("commune", "010201")
    picker.select("village", VILLAGE)
    assert picker.village_code == VILLAGE
    picker.select("province", "12")  # a new province forgets the district, commune and village
    assert (picker.selected["district"], picker.village_code) == ("", "")
    picker.select("district", "0102")  # a stale choice from another province is ignored
    assert picker.selected["district"] == ""


@pytest.mark.parametrize("typed,lang", [("អូរធំ", "km"), ("ou thum", "en"), ("0102010", "en")])
def test_type_to_filter_over_all_villages_in_khmer_or_latin(store, typed, lang):
    picker = AreaPickerVM(AreaService(store.areas), lang)
    elapsed = []
    for _ in range(3):  # best of three: other suites may share the two cores
        started = time.perf_counter()
        matches = picker.filter(typed)
        elapsed.append(time.perf_counter() - started)
    assert VILLAGE in [m.code for m in matches]
    first = next(m for m in matches if m.code == VILLAGE)
    assert ("បន្ទាយនាង" if lang == "km" else "Banteay Neang") in first.context
    assert min(elapsed) < 0.25  # bench/ui_bench.py reports the real figure (target 50 ms)
    picker.pick(VILLAGE)
    assert picker.selected == {"province": "01", "district": "0102", "commune": "010201", "village": VILLAGE}
    assert picker.matches == []


def test_filter_narrows_to_the_chosen_province(store):
    picker = AreaPickerVM(AreaService(store.areas), "en")
    picker.select("province", "12")
    assert all(m.code.startswith("12") for m in picker.filter("a"))
