"""Khmer digits and emoji inside Latin text are drawn with real glyphs, not the empty box (tofu).

A character that no font has (a private-use code point) is drawn as the box: a name with Khmer
digits or an emoji must not look like the same name with that character in their place.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from records.models import Household
from sync.device import DeviceSettings, save_device_settings
from tests.ui.harness import SCREENSHOTS, Ui, running_app

pytestmark = [pytest.mark.ui, pytest.mark.timeout(300)]

NO_GLYPH = "\U000F0000"  # private use: in no font, so always the box
NAMES = {
    "digits": "Flood \u17e0\u17e1",  # Khmer digits ០១ inside Latin text
    "digits-box": f"Flood {NO_GLYPH}{NO_GLYPH}",
    "emoji": "Flood \U0001F30A",  # 🌊
    "emoji-box": f"Flood {NO_GLYPH}",
}


def seed(data_dir: Path) -> dict[str, str]:
    from app.services.gazetteer import load_builtin
    from storage.tiny import TinyStore

    data_dir.mkdir(parents=True, exist_ok=True)
    save_device_settings(DeviceSettings(server_url=""), data_dir / "device.json")
    store = TinyStore(data_dir / "records", data_dir / "reference")
    try:
        load_builtin(store)
        households = {key: Household(head_name=name, phone="012345678", members=3, village_code="01020101")
                      for key, name in NAMES.items()}
        store.save(*households.values())
    finally:
        store.close()
    return {key: h.id for key, h in households.items()}


def name_shot(ui: Ui, household_id: str, label: str) -> bytes:
    """The household's contact card (only the name differs between the seeded households)."""
    ui.go(f"/households/{household_id}", "household-contact")
    card = ui.tid("household-contact")
    previous = None
    for _ in range(12):  # a stable frame: the canvas can lag the semantics tree
        time.sleep(0.35)
        shot = card.screenshot()
        if shot == previous:
            break
        previous = shot
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / f"font-{label}.png").write_bytes(shot)
    return shot


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("fonts") / "device"
    ids = seed(data_dir)
    with running_app(None, data_dir, env={"PHUM_AUTOSYNC": "0"}) as app:
        yield app, ids


@pytest.mark.parametrize(("size", "lang"), [("desktop", "en"), ("phone", "km")])
def test_khmer_digits_and_emoji_in_latin_text_are_not_empty_boxes(browser, device, size, lang):
    app, ids = device
    ui = Ui.open(browser, app.url + "/settings", size=size)
    try:
        ui.click(f"lang-{lang}")
        shots = {key: name_shot(ui, ids[key], f"{size}-{lang}-{key}") for key in NAMES}
        app.assert_clean()
    finally:
        ui.close()
    assert shots["digits"] != shots["digits-box"], "Khmer digits in Latin text are drawn as empty boxes"
    assert shots["emoji"] != shots["emoji-box"], "an emoji is drawn as an empty box"
