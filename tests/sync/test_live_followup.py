"""Functional: follow-up reference data and follow-up steps travelling between real devices and the real server."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from app.services.actor import fixed_actor
from app.services.concerns import ConcernService
from app.services.followup import FollowupService
from records import followup
from records.followup import State
from records.institutions import read_csv_text
from records.models import Concern, Priority
from sync.transport import Refused
from server.db import Database
from server.institutions import load, set_due_days
from storage.followup_reference import load_due_days, load_institutions
from tests.support.live_server import live_server
from tests.support.records import ESCALATION, concern, family
from tests.sync.devices import DEMO_VILLAGE, make_device

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


def _services(device, role="official", name="Demo Official", today=date(2026, 3, 10)):
    clock = lambda: datetime.combine(today, time(9, 0), tzinfo=timezone.utc)  # noqa: E731
    actor = fixed_actor(name.lower().replace(" ", "-"), name, device.name, role)
    concerns = ConcernService(device.store, actor, clock=clock)
    return concerns, FollowupService(device.store, actor, concerns.reference, clock=clock)


def test_a_referral_made_offline_syncs_and_the_desktop_sees_the_institution_and_due_date(devices, server):
    phone, desktop = devices("phone"), devices("desktop", server.supervisor)
    h, v, c = family(n=31, village=DEMO_VILLAGE)
    phone.store.save(h, v, c)
    concerns, _ = _services(phone)
    referred = concerns.change_status(c.id, "referred", institution_id="bmc-dowram", expected_on=date(2026, 3, 20),
                                      note="letter sent")  # no sync yet: offline
    assert referred.referred_to.startswith("Banteay Meanchey Provincial Department of Water")
    assert phone.sync().ok
    desktop.sync()
    on_desktop = desktop.get(c)
    assert (on_desktop.institution_id, on_desktop.expected_on, on_desktop.due_on) == (
        "bmc-dowram", date(2026, 3, 20), date(2026, 3, 20))
    assert on_desktop.history[-1].by == "Demo Official" and on_desktop.history[-1].note == "letter sent"


def test_an_overdue_concern_is_overdue_on_the_phone_and_on_the_district_desktop(devices, server):
    phone, desktop = devices("phone"), devices("desktop", server.supervisor)
    h, v, _ = family(n=32, village=DEMO_VILLAGE)
    urgent = concern(h, v, 32, priority=Priority.urgent)  # raised 1 March: due 4 March
    phone.store.save(h, v, urgent)
    assert phone.sync().ok and desktop.sync().ok
    for device in (phone, desktop):
        _, followups = _services(device, today=date(2026, 3, 10))
        rows, counts = followups.list()
        assert rows[0].concern.id == urgent.id and rows[0].state == State.overdue and rows[0].days_late == 6
        assert followup.is_overdue(device.get(urgent), date(2026, 3, 10))
        assert counts.overdue >= 1


def test_feedback_recorded_on_the_phone_shows_on_the_desktop(devices, server):
    phone, desktop = devices("phone"), devices("desktop", server.supervisor)
    h, v, c = family(n=33, village=DEMO_VILLAGE)
    phone.store.save(h, v, c)
    concerns, followups = _services(phone)
    concerns.change_status(c.id, "resolved", note="well repaired")
    assert followups.state(phone.get(c)) == State.tell_household
    followups.record_feedback(c.id, told_on=date(2026, 3, 9), channel="visit", answer="satisfied", note="thanks")
    assert phone.sync().ok and desktop.sync().ok
    on_desktop = desktop.get(c)
    told = followup.last_feedback(on_desktop)
    assert (told.told_on, told.channel.value, told.answer.value) == (date(2026, 3, 9), "visit", "satisfied")
    assert on_desktop.history[-1].by == "Demo Official" and not followup.needs_telling(on_desktop)


def test_an_escalation_without_a_summary_is_refused_by_the_server_and_one_with_it_goes_up(devices, server):
    desktop = devices("desktop", server.supervisor)
    h, v, c = family(n=34, village=DEMO_VILLAGE)
    desktop.store.save(h, v, c)
    assert desktop.sync().ok
    transport = desktop.account.runner().transport
    with pytest.raises(Refused) as refused:
        transport.change_concern_status(c.id, "escalated", note="ministry")
    assert refused.value.code == "escalation_required"
    with pytest.raises(Refused) as refused:
        transport.change_concern_status(c.id, "referred", referred_to="x", institution_id="no-such-body")
    assert refused.value.code == "institution_unknown"
    done = transport.change_concern_status(c.id, "escalated", escalation=ESCALATION.model_dump(mode="json"))
    assert done["data"]["history"][-1]["escalation"]["ask"] == ESCALATION.ask
    other = family(n=35, village=DEMO_VILLAGE)
    bare_other = other[2].change_status("escalated", by="Demo Supervisor", escalation=ESCALATION).to_doc()
    bare_other["history"][-1].pop("escalation")  # as an app from before summaries escalates
    desktop.store.save(*other[:2], Concern.model_validate(bare_other))
    report = desktop.sync()
    assert [(r.code, r.field) for r in report.rejected] == [("escalation_required", "escalation")]
