"""Functional: follow-up reference data and follow-up steps travelling between real devices and the real server."""
from __future__ import annotations

import pytest

from records.institutions import read_csv_text
from server.db import Database
from server.institutions import load, set_due_days
from storage.followup_reference import load_due_days, load_institutions
from tests.support.live_server import live_server
from tests.sync.devices import make_device

pytestmark = pytest.mark.timeout(240)

WATER_PARTNERS = read_csv_text("id,kind,area_code,categories,name_en,name_km\n"
                               "bmc-water-ngo,ngo,01,water,Banteay Meanchey Water Partners,"
                               "អង្គការដៃគូទឹកខេត្តបន្ទាយមានជ័យ\n")


@pytest.fixture(scope="module")
def server():
    with live_server() as srv:
        yield srv


@pytest.fixture
def devices(tmp_path, server):
    made = []

    def make(name="phone", who=None):
        who = who or server.official
        device = make_device(tmp_path, name, server.base_url, who.username, who.password)
        made.append(device)
        return device

    yield make
    for device in made:
        device.account.runner() and device.account.runner().transport.close()
        device.store.close()


def test_the_institutions_and_due_days_the_administrator_sets_reach_the_device_and_stay_offline(devices, server):
    phone = devices()
    version, _, seeded = load_institutions(phone.store)
    assert any(i.id == "bmc-dowram" for i in seeded)  # a fresh phone can refer before its first sync
    report = phone.sync()
    assert report.ok and "institutions" not in report.reference_versions  # the server serves the same seed

    db = Database(server.db_url)
    try:
        load(db, WATER_PARTNERS, "Province list")
        set_due_days(db, "water", "urgent", 2)
    finally:
        db.dispose()
    report = phone.sync()
    assert report.ok, report.errors
    assert set(report.reference_versions) == {"institutions", "due days"}
    new_version, source, institutions = load_institutions(phone.store)
    assert new_version != version and source == "Province list"
    assert any(i.id == "bmc-water-ngo" and i.name_km.startswith("អង្គការ") for i in institutions)
    assert load_due_days(phone.store).days("water", "urgent") == 2
    assert load_due_days(phone.store).days("roads", "urgent") == 3
    assert phone.sync().reference_versions == {}  # once per version
