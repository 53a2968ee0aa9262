"""On a phone the add button floats over the households list: scrolled to its end, the last row
must lie above it, so a finger can reach them."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from records.models import Household
from sync.device import DeviceSettings, save_device_settings
from tests.ui.harness import Ui, running_app

pytestmark = [pytest.mark.ui, pytest.mark.timeout(300)]


def seed(data_dir: Path, count: int) -> None:
    from app.services.gazetteer import load_builtin
    from storage.tiny import TinyStore

    data_dir.mkdir(parents=True, exist_ok=True)
    save_device_settings(DeviceSettings(server_url=""), data_dir / "device.json")
    store = TinyStore(data_dir / "records", data_dir / "reference")
    try:
        load_builtin(store)
        store.save(*[Household(head_name=f"សុខ {i:02d}", phone=f"0123456{i:02d}", members=3,
                               village_code="01020101") for i in range(count)])
    finally:
        store.close()


def overlaps(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


@pytest.mark.parametrize(("count", "last"), [(9, "household-row-8"), (30, "household-row-29")])
def test_the_add_button_does_not_cover_the_last_row_on_a_phone(browser, tmp_path, count, last):
    data_dir = tmp_path / "device"
    seed(data_dir, count)
    with running_app(None, data_dir, env={"PHUM_AUTOSYNC": "0"}) as app:
        ui = Ui.open(browser, app.url + "/households", size="phone")
        try:
            ui.wait("household-row-0")
            fab = ui.box(ui.wait("add-household"))
            ui.page.mouse.move(195, 400)
            for _ in range(12):  # to the end of the list
                ui.page.mouse.wheel(0, 600)
                time.sleep(0.2)
            time.sleep(1)
            row = ui.box(ui.wait(last))
            ui.screenshot(f"phone-km-households-end-{count}")
            app.assert_clean()
        finally:
            ui.close()
    assert not overlaps(row, fab), f"the add button {fab} covers the last row {row}"
