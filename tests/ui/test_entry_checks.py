"""What cannot be sent, or is already there, is caught at entry (issue 8, items 4 and 5), in a
real browser at phone/Khmer and desktop/English, as an official of one district.

- A village outside the official's area is marked in the picker and refused at the field; nothing
  is stored.
- A new household with the phone of one already in the village shows that one first: "open that
  one" opens it, "it is a different household" saves the new one.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from app.i18n import Translator
from records.models import Household
from sync.device import DeviceSettings, SignedInUser, save_device_settings
from tests.ui.harness import Ui, running_app

pytestmark = [pytest.mark.ui, pytest.mark.timeout(300)]

HOME = "0102"  # the official's district (Mangkul Bourei)
ELSEWHERE = {"km": "ភូមិ ១", "en": "Phum Muoy"}  # villages outside the district (Serei Saophoan, Phnom Penh…)
HOME_VILLAGE = {"km": "អូរធំ", "en": "Ou Thum"}


def seed(data_dir: Path) -> str:
    from app.services.gazetteer import load_builtin
    from storage.tiny import TinyStore

    data_dir.mkdir(parents=True, exist_ok=True)
    save_device_settings(DeviceSettings(server_url="", user=SignedInUser("sokha", "Sokha", "official", HOME)),
                         data_dir / "device.json")
    store = TinyStore(data_dir / "records", data_dir / "reference")
    try:
        load_builtin(store)
        dara = Household(head_name="សុខ ដារ៉ា", head_name_latin="Sok Dara", phone="012345678", members=5,
                         village_code="01020101")
        store.save(dara)
    finally:
        store.close()
    return dara.id


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("entry") / "device"
    dara = seed(data_dir)
    with running_app(None, data_dir, env={"PHUM_AUTOSYNC": "0"}) as app:
        yield app, dara


def open_form(browser, app, size: str, lang: str) -> Ui:
    ui = Ui.open(browser, app.url + "/settings", size=size)
    ui.click(f"lang-{lang}")
    ui.go("/households/new", "household-head-name")
    return ui


def pick_village(ui: Ui, tr: Translator, name: str) -> None:
    """Pick the first match; the form already shows the official's district as chosen, so wait
    for the village's own name there (a tap dropped by a redraw is tapped again)."""
    ui.type("village-filter", name)
    ui.click_until_shown("village-match-0", tr("area.chosen", area=name))


CASES = [("phone", "km"), ("desktop", "en")]


@pytest.mark.parametrize(("size", "lang"), CASES)
def test_a_village_outside_the_officials_area_is_marked_and_refused_at_the_field(browser, device, size, lang):
    app, _ = device
    tr = Translator(lang)
    ui = open_form(browser, app, size, lang)
    try:
        ui.type("household-head-name", "ចាន់ ធីតា")
        ui.type("household-members", "3")
        ui.type("village-filter", ELSEWHERE[lang])
        ui.text(tr("fieldcheck.outside_match"))  # the match says so before it is picked
        ui.click_until_there("village-match-0", "village-outside")
        ui.screenshot(f"{size}-{lang}-household-outside-area")
        ui.click("save-household")
        ui.text(tr.error("outside_area"))
        ui.screenshot(f"{size}-{lang}-household-outside-area-refused")
        ui.wait("save-household")  # still on the form: nothing was saved
        ui.go("/households", "household-row-0")
        ui.text(tr("households.count", count=1))
        app.assert_clean()
    finally:
        ui.close()


@pytest.mark.parametrize(("size", "lang"), CASES)
def test_a_new_household_like_one_in_the_village_is_shown_before_saving(browser, device, size, lang):
    app, dara = device
    tr = Translator(lang)
    ui = open_form(browser, app, size, lang)
    try:
        ui.type("household-head-name", "sok  DARA" if lang == "en" else "សុខដារ៉ា")
        ui.type("household-phone", "012 345 678")
        ui.type("household-members", "5")
        pick_village(ui, tr, HOME_VILLAGE[lang])
        ui.click("save-household")
        ui.wait("duplicates")
        ui.screenshot(f"{size}-{lang}-household-duplicates")
        ui.click("duplicate-open-0")
        ui.wait("household-contact")
        assert dara in ui.page.url
        app.assert_clean()
    finally:
        ui.close()


def test_it_is_a_different_household_saves_it(browser, device):
    app, _ = device
    tr = Translator("km")
    ui = open_form(browser, app, "phone", "km")
    try:
        ui.type("household-head-name", "សុខ ដារ៉ា")
        ui.type("household-members", "2")
        pick_village(ui, tr, HOME_VILLAGE["km"])
        ui.click("save-household")
        ui.wait("duplicates")
        ui.click("save-different")
        ui.wait("new-visit")  # saved: the new household's page
        ui.go("/households", "household-row-0")
        ui.text(tr("households.count", count=2))
        app.assert_clean()
    finally:
        ui.close()
