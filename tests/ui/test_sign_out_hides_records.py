"""Signing out with unsent records warns with their number, then the device's records are not
shown (lists and detail routes) until someone signs in again; they stay on the device (issue 8,
item 6). Real browser, phone/Khmer and desktop/English."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.i18n import Translator
from records.models import Household
from sync.device import DeviceSettings, SignedInUser, save_device_settings
from tests.ui.harness import Ui, running_app

pytestmark = [pytest.mark.ui, pytest.mark.timeout(300)]


def seed(data_dir: Path) -> str:
    """Signed in as an official of district 0102, one household not sent yet. The server address
    leads nowhere: signing out forgets the token even when the server cannot be told."""
    from app.services.gazetteer import load_builtin
    from storage.tiny import TinyStore

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = DeviceSettings(server_url="http://127.0.0.1:9").signed_in_as(
        "token-1", SignedInUser("sokha", "Sokha", "official", "0102"), None)
    save_device_settings(settings, data_dir / "device.json")
    store = TinyStore(data_dir / "records", data_dir / "reference")
    try:
        load_builtin(store)
        dara = Household(head_name="សុខ ដារ៉ា", head_name_latin="Sok Dara", phone="012345678", members=5,
                         village_code="01020101")
        store.save(dara)
    finally:
        store.close()
    return dara.id


@pytest.mark.parametrize(("size", "lang"), [("phone", "km"), ("desktop", "en")])
def test_sign_out_warns_about_unsent_records_and_then_hides_them(browser, tmp_path, size, lang):
    tr = Translator(lang)
    household_id = seed(tmp_path / "device")
    with running_app(None, tmp_path / "device", env={"PHUM_AUTOSYNC": "0"}) as app:
        ui = Ui.open(browser, app.url + "/settings", size=size)
        try:
            ui.click(f"lang-{lang}")
            ui.text(tr("settings.language"))
            ui.go("/households", "household-row-0")  # signed in: listed
            ui.go("/settings", "sign-out")
            ui.click("sign-out")
            ui.wait("sign-out-warning")
            ui.text(tr("fieldcheck.sign_out_unsent", count=1))
            ui.screenshot(f"{size}-{lang}-sign-out-warning")
            ui.click("sign-out-confirm")
            ui.wait("sign-in")
            ui.go("/households", "records-hidden")
            ui.gone("household-row-0")
            ui.screenshot(f"{size}-{lang}-records-hidden")
            ui.go(f"/households/{household_id}", "records-hidden")
            ui.gone("household-contact")
            ui.go("/concerns", "records-hidden")
            app.assert_clean()
        finally:
            ui.close()
