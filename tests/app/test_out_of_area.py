"""A village outside the signed-in user's area is refused at the field, before anything is stored."""
from __future__ import annotations

import pytest

from app.i18n import Translator
from app.services.actor import fixed_actor
from app.services.areas import AreaService
from app.services.households import HouseholdService, SaveFailed
from app.viewmodels.household_form import HouseholdFormVM
from records.models import SyncState
from tests.app.conftest import VILLAGE
from tests.support.records import sok_dara

HOME = "0102"  # the official's district (Ou Thum's)
ELSEWHERE = "12010101"  # a village of Phnom Penh


@pytest.fixture
def service(store, clock):
    return HouseholdService(store, fixed_actor("sokha", "Sokha", "device-1", area_code=HOME), clock=clock)


def typed(vm, village):
    for name, value in {"head_name": "សុខ ដារ៉ា", "phone": "012 345 678", "members": "4"}.items():
        vm.set(name, value)
    vm.area.pick(village)


def test_a_household_outside_the_users_area_is_refused_at_the_village_field(service, store):
    vm = HouseholdFormVM(service, AreaService(store.areas), "km")
    typed(vm, ELSEWHERE)
    assert vm.area.outside_home
    assert vm.submit() is None
    assert vm.errors == {"village_code": "outside_area"}
    assert store.households.count() == 0
    assert Translator("km").error("outside_area") != Translator("en").error("outside_area")


def test_the_service_refuses_it_too_whoever_calls_it(service):
    with pytest.raises(SaveFailed) as refused:
        service.save({"head_name": "Sok", "phone": "", "members": 2, "village_code": ELSEWHERE})
    assert refused.value.errors == {"village_code": "outside_area"}


def test_a_village_in_the_area_saves_and_the_form_starts_in_the_users_area(service, store):
    vm = HouseholdFormVM(service, AreaService(store.areas), "en")
    assert (vm.area.selected["province"], vm.area.selected["district"]) == ("01", HOME)
    typed(vm, VILLAGE)
    assert not vm.area.outside_home
    assert vm.submit() is not None and store.households.count() == 1


def test_nobody_signed_in_or_a_whole_country_account_is_not_restricted(store, clock):
    vm = HouseholdFormVM(HouseholdService(store, fixed_actor(), clock=clock), AreaService(store.areas), "en")
    typed(vm, ELSEWHERE)
    assert not vm.area.outside_home and vm.submit() is not None


def test_the_village_filter_offers_the_users_area_first_and_marks_the_others(service, store):
    vm = HouseholdFormVM(service, AreaService(store.areas), "en")
    vm.area.clear()
    found = vm.area.filter("o")
    assert found, "the filter finds villages"
    inside = [o for o in found if not o.outside]
    assert inside and all(o.code.startswith(HOME) for o in inside)
    first_outside = next((i for i, o in enumerate(found) if o.outside), len(found))
    assert all(not o.outside for o in found[:first_outside]) and all(o.outside for o in found[first_outside:])
    assert all(not o.code.startswith(HOME) for o in found if o.outside)


def test_a_household_the_server_refused_opens_with_that_field_marked(service, store):
    refused = sok_dara(village_code=ELSEWHERE).model_copy(update={
        "sync_state": SyncState.rejected,
        "sync_error": {"code": "outside_area", "reason": "This record is outside your area.", "field": "village_code"}})
    store.save(refused)
    vm = HouseholdFormVM(service, AreaService(store.areas), "km", refused.id)
    assert vm.errors == {"village_code": "outside_area"}
    vm.area.pick(VILLAGE)
    assert vm.submit() is not None  # moved into the area, it saves (and is sent again)
    assert store.households.get(refused.id).sync_state == SyncState.pending


def test_a_refusal_naming_no_form_field_is_shown_for_the_whole_form(service, store):
    refused = sok_dara().model_copy(update={
        "sync_state": SyncState.rejected, "sync_error": {"code": "forbidden_role", "reason": "", "field": None}})
    store.save(refused)
    vm = HouseholdFormVM(service, AreaService(store.areas), "en", refused.id)
    assert vm.errors == {"__all__": "forbidden_role"}


def test_from_the_users_own_area_a_village_elsewhere_can_still_be_found_and_is_marked(service, store):
    vm = HouseholdFormVM(service, AreaService(store.areas), "en")
    found = vm.area.filter("Phum Muoy")  # villages of other districts only
    assert found and all(o.outside for o in found)
    inside = vm.area.filter("Trang")  # in the district and elsewhere: the district's first
    assert not inside[0].outside and inside[0].code.startswith(HOME)
    assert any(o.outside for o in inside)


@pytest.mark.parametrize("lang, width", [("km", 390), ("en", 1280)])
def test_the_edit_screen_of_a_refused_household_shows_why_at_the_village(ctx, store, lang, width):
    from tests.app.flet_session import app_session

    refused = sok_dara(village_code=ELSEWHERE).model_copy(update={
        "sync_state": SyncState.rejected,
        "sync_error": {"code": "outside_area", "reason": "This record is outside your area.", "field": "village_code"}})
    store.save(refused)
    ctx.set_language(lang)
    with app_session(ctx, route=f"/households/{refused.id}/edit", width=width) as s:
        assert Translator(lang).error("outside_area") in s.texts()
