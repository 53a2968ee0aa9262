"""Editing from a stale form: a change that arrives while a form is open is never replaced silently.

The forms' view-models and services on a real TinyStore; a pull is played with the sync
module's own decision (``apply_pulled_change``) saved under the store lock, as the runner does.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from sync.device import DeviceSettings, SignedInUser, save_device_settings
from app.i18n import Translator
from records.models import Concern, ConcernStatus, Household, Record, SyncState
from app.services.actor import fixed_actor
from app.services.areas import AreaService
from app.services.concerns import ConcernService
from app.services.edits import ChangedSinceOpened, SaveFailed
from app.services.households import HouseholdService
from app.services.visits import ConcernInput, VisitService
from app.viewmodels.concerns import ConcernsVM
from app.viewmodels.household_form import HouseholdFormVM
from app.viewmodels.unsaved import UnsavedEdit
from app.viewmodels.visit_form import VisitFormVM
from storage.tiny import TinyStore
from sync.decisions import apply_pulled_change
from tests.app.conftest import NOW
from tests.support.records import ESCALATION, sok_dara, visit_with_concerns

OFFICIAL = fixed_actor("demo-official", "Demo Official", "device-1")
SUPERVISOR = fixed_actor("demo-supervisor", "Demo Supervisor", "device-1", role="supervisor")


@pytest.fixture
def tiny(tmp_path, areas):
    store = TinyStore(tmp_path / "records", tmp_path / "reference")
    store.load_gazetteer(areas, source="test", version="test-1")
    yield store
    store.close()


def synced(record: Record, server_rev: int = 1) -> Record:
    return record.model_copy(update={"sync_state": SyncState.synced, "server_rev": server_rev})


def pull(store, changed: Record) -> Record:
    """A pulled change as the sync runner applies it: the server's copy, one server rev on."""
    current = store.repository_for(changed).get(changed.id)
    server_rev = (current.server_rev or 0) + 1
    change = {"type": changed.kind, "id": changed.id, "server_rev": server_rev, "data": changed.wire()}
    outcome = apply_pulled_change(current, change, now=NOW)
    assert outcome.kind == "updated", outcome
    with store.write_lock:
        store.save(outcome.record)
    return store.repository_for(changed).get(changed.id)


@pytest.fixture
def household(tiny):
    h = synced(sok_dara())
    tiny.save(h)
    return h


def household_form(store, household_id=None, lang="en") -> HouseholdFormVM:
    return HouseholdFormVM(HouseholdService(store, OFFICIAL, clock=lambda: NOW), AreaService(store.areas), lang,
                           household_id)


# ---------------------------------------------------------------- household form


def test_a_stale_household_edit_is_refused_and_the_form_shows_the_fresh_values(tiny, household):
    vm = household_form(tiny, household.id)
    assert vm.fields.phone == "012 345 678" and vm.fields.members == "4"
    # While the form is open a pull brings another device's change to the phone number.
    fresh = pull(tiny, household.edited(phone="098765432", address="Near the pagoda"))
    vm.set("members", "៦")
    assert vm.submit() is None
    assert vm.errors == {"__all__": "changed_since_opened"} and vm.reloaded
    stored = tiny.households.get(household.id)
    assert stored == fresh  # nothing saved, nothing half-saved
    assert (stored.phone, stored.members, stored.sync_state) == ("+85598765432", 4, SyncState.synced)
    # The form now shows the stored values, and what the official had typed beside them.
    assert (vm.fields.phone, vm.fields.address, vm.fields.members) == ("098 765 432", "Near the pagoda", "4")
    assert vm.unsaved == [UnsavedEdit("members", "៦")]
    # The edit made again goes on top of the pulled version, based on its server rev.
    vm.set("members", "៦")
    saved = vm.submit()
    assert saved is not None and vm.errors == {} and vm.unsaved == []
    assert (saved.phone, saved.address, saved.members) == ("+85598765432", "Near the pagoda", 6)
    assert (saved.server_rev, saved.rev, saved.sync_state) == (fresh.server_rev, fresh.rev + 1, SyncState.pending)
    # Saved again from the same form: it now knows the version it saved, no false alarm.
    vm.set("members", "7")
    assert vm.submit().members == 7


def test_a_change_the_official_also_made_is_not_listed_as_unsaved(tiny, household):
    vm = household_form(tiny, household.id)
    pull(tiny, household.edited(phone="098765432", members=5))
    vm.set("phone", "098 765 432")  # typed the same number the other device saved
    vm.set("head_name_latin", "Sok Dara Jr")
    assert vm.submit() is None and vm.reloaded
    assert vm.unsaved == [UnsavedEdit("head_name_latin", "Sok Dara Jr")]


def test_sync_bookkeeping_meanwhile_is_not_a_change(tiny):
    """A push answer (synced, server rev) or marking for sending changes no field: no refusal."""
    service = HouseholdService(tiny, OFFICIAL, clock=lambda: NOW)
    vm = HouseholdFormVM(service, AreaService(tiny.areas), "en", None)
    vm.set("head_name", "Keo Lina")
    vm.area.pick("01020101")
    created = vm.submit()
    assert created.sync_state == SyncState.pending and created.server_rev is None
    with tiny.write_lock:  # auto-sync pushed it while the form stayed open
        tiny.save(synced(created, server_rev=7))
    vm.set("members", "3")
    saved = vm.submit()
    assert saved is not None and (saved.members, saved.server_rev, saved.rev) == (3, 7, created.rev + 1)


def test_the_service_refuses_a_stale_save_from_any_caller(tiny, household):
    service = HouseholdService(tiny, OFFICIAL, clock=lambda: NOW)
    fresh = pull(tiny, household.edited(members=9))
    values = {"head_name": household.head_name, "phone": household.phone, "members": 4,
              "village_code": household.village_code}
    with pytest.raises(ChangedSinceOpened) as refused:
        service.save(values, household_id=household.id, opened=household)
    assert refused.value.errors == {"__all__": "changed_since_opened"} and refused.value.fields == ("members",)
    assert refused.value.fresh == fresh and isinstance(refused.value, SaveFailed)
    assert tiny.households.get(household.id) == fresh
    # Without a form (no opened copy) the values go on the stored copy as before.
    assert service.save(values, household_id=household.id).members == 4


# ---------------------------------------------------------------- visit form


@pytest.fixture
def visit_data(tiny, household):
    visit, concerns = visit_with_concerns(household, 2)
    visit, *concerns = (synced(r) for r in (visit, *concerns))
    tiny.save(visit, *concerns)
    return visit, concerns


def visit_form(store, household, visit) -> VisitFormVM:
    households = HouseholdService(store, OFFICIAL, clock=lambda: NOW)
    return VisitFormVM(VisitService(store, OFFICIAL, clock=lambda: NOW), households, household.id,
                       visit_id=visit.id)


def test_a_stale_visit_edit_is_refused_and_reloaded_keeping_new_concerns(tiny, household, visit_data):
    visit, concerns = visit_data
    vm = visit_form(tiny, household, visit)
    fresh = pull(tiny, visit.edited(notes="Well water tested by the district"))
    vm.set("officials", "Demo Official, Keo Lina")
    vm.set_concern(vm.concerns[1].key, "description", "mud road, worse after rain")
    new = vm.add_concern()
    vm.set_concern(new.key, "category", "health")
    vm.set_concern(new.key, "description", "no midwife nearby")
    assert vm.submit() is False and vm.reloaded
    assert tiny.visits.get(visit.id) == fresh and tiny.concerns.count() == 2  # nothing saved
    assert vm.notes == "Well water tested by the district" and vm.officials == "Demo Official"
    assert [d.description for d in vm.concerns] == ["concern water", "concern roads", "no midwife nearby"]
    assert vm.unsaved == [UnsavedEdit("officials", "Demo Official, Keo Lina"),
                          UnsavedEdit("description", "mud road, worse after rain", concern=2)]
    vm.set("officials", "Demo Official, Keo Lina")
    assert vm.submit() is True
    saved_visit, saved_concerns = vm.saved
    assert saved_visit.notes == "Well water tested by the district"
    assert saved_visit.officials == ["Demo Official", "Keo Lina"] and saved_visit.server_rev == fresh.server_rev
    assert len(saved_concerns) == 3


def test_a_concern_moved_by_the_district_does_not_block_its_description_edit(tiny, household, visit_data):
    """The visit form does not show the status: the edit goes on the stored copy, the move stays."""
    visit, concerns = visit_data
    vm = visit_form(tiny, household, visit)
    moved = pull(tiny, concerns[0].change_status(ConcernStatus.in_progress, by="District office", note="Visited"))
    vm.set_concern(vm.concerns[0].key, "description", "well broken since March")
    assert vm.submit() is True
    stored = tiny.concerns.get(concerns[0].id)
    assert stored.description == "well broken since March" and stored.status == ConcernStatus.in_progress
    assert stored.history == moved.history and stored.server_rev == moved.server_rev


def test_a_concern_description_changed_meanwhile_refuses_the_visit(tiny, household, visit_data):
    visit, concerns = visit_data
    service = VisitService(tiny, OFFICIAL, clock=lambda: NOW)
    pull(tiny, concerns[1].edited(description="road washed away"))
    items = [ConcernInput(c.category.value, c.description, c.priority.value, c.id) for c in concerns]
    items[1].priority = "urgent"
    with pytest.raises(ChangedSinceOpened) as refused:
        service.save(household.id, {"officials": visit.officials, "visited_on": visit.visited_on}, items,
                     visit_id=visit.id, opened=[visit, *concerns])
    assert refused.value.fresh.id == concerns[1].id and refused.value.fields == ("description",)
    assert tiny.concerns.get(concerns[1].id).priority.value == "normal"


# ---------------------------------------------------------------- concern status


@pytest.fixture
def concerns_vm(tiny, visit_data):
    def make(actor=OFFICIAL):
        return ConcernsVM(ConcernService(tiny, actor, clock=lambda: NOW), AreaService(tiny.areas), "en")
    return make


def test_a_status_move_goes_on_the_fresh_copy_when_still_allowed(tiny, visit_data, concerns_vm):
    _, concerns = visit_data
    vm = concerns_vm()
    vm.open(concerns[0].id)
    vm.change.to, vm.change.note = "resolved", "pump repaired"
    pull(tiny, concerns[0].change_status(ConcernStatus.in_progress, by="District office", note="Team sent",
                                         at=NOW - timedelta(hours=1)))
    assert vm.submit_change() is True and vm.saved_on_newer
    stored = tiny.concerns.get(concerns[0].id)
    assert stored.status == ConcernStatus.resolved and stored.sync_state == SyncState.pending
    assert [(h.from_status, h.to_status, h.by) for h in stored.history] == [
        (None, ConcernStatus.open, "Demo Official"),
        (ConcernStatus.open, ConcernStatus.in_progress, "District office"),  # the district's move kept
        (ConcernStatus.in_progress, ConcernStatus.resolved, "Demo Official"),
    ]
    assert stored.history[-1].note == "pump repaired" and stored.server_rev == 2
    assert vm.selected == stored and [s.value for s in vm.change.choices] == ["open"]


def test_a_status_move_no_longer_allowed_is_refused_with_the_fresh_copy(tiny, visit_data, concerns_vm):
    _, concerns = visit_data
    vm = concerns_vm()
    vm.open(concerns[1].id)
    vm.change.to, vm.change.referred_to, vm.change.note = "referred", "PDRD", "letter sent"
    fresh = pull(tiny, concerns[1].change_status(ConcernStatus.resolved, by="District office", note="Road fixed"))
    assert vm.submit_change() is False
    assert vm.change.errors == {"status": "changed_since_opened"}
    assert tiny.concerns.get(concerns[1].id) == fresh  # nothing saved
    assert vm.selected == fresh and [s.value for s in vm.change.choices] == ["open"]
    assert (vm.change.to, vm.change.note, vm.change.referred_to) == ("", "letter sent", "PDRD")  # typed text kept
    # Unchanged and not allowed is the ordinary lifecycle error, not "changed".
    vm.change.to = "resolved"
    assert vm.submit_change() is False and vm.change.errors == {"status": "status_transition"}


def test_officials_are_not_offered_escalation_and_the_service_refuses_it(tiny, visit_data, concerns_vm):
    _, concerns = visit_data
    vm = concerns_vm(OFFICIAL)
    vm.open(concerns[0].id)
    assert "escalated" not in [s.value for s in vm.change.choices]
    vm.change.to = "escalated"  # e.g. a stale screen
    assert vm.submit_change() is False and vm.change.errors == {"status": "escalate_office_only"}
    assert tiny.concerns.get(concerns[0].id) == concerns[0]
    with pytest.raises(SaveFailed) as refused:
        ConcernService(tiny, OFFICIAL).change_status(concerns[0].id, "escalated", note="ministry")
    assert refused.value.errors == {"status": "escalate_office_only"}
    for lang in ("km", "en"):
        assert Translator(lang).error("escalate_office_only") != Translator(lang).error("unknown")


def test_supervisors_escalate(tiny, visit_data, concerns_vm):
    _, concerns = visit_data
    vm = concerns_vm(SUPERVISOR)
    vm.open(concerns[0].id)
    assert [s.value for s in vm.change.choices] == ["in_progress", "referred", "resolved", "escalated"]
    vm.change.to, vm.change.note = "escalated", "needs the ministry"
    assert vm.submit_change() is False and vm.change.errors == {"escalation": "escalation_required"}
    vm.change.escalation = {**ESCALATION.model_dump(mode="json"), "ask": ""}
    assert vm.submit_change() is False and vm.change.errors == {"escalation": "escalation_summary_required"}
    vm.change.escalation = ESCALATION.model_dump(mode="json")
    assert vm.submit_change() is True
    stored = tiny.concerns.get(concerns[0].id)
    assert stored.status == ConcernStatus.escalated and stored.history[-1].by == "Demo Supervisor"
    assert stored.history[-1].escalation == ESCALATION


def test_the_role_comes_from_the_signed_in_user_in_the_device_settings(store, tmp_path, seeded_concern):
    from app.composition import AppConfig, AppContext
    from sync.account import SyncAccount

    for role, escalates in (("official", False), ("supervisor", True), ("admin", True)):
        path = tmp_path / f"{role}.json"
        save_device_settings(DeviceSettings(server_url="http://127.0.0.1:9").signed_in_as(
            "token", SignedInUser(f"demo-{role}", role=role), None), path)
        ctx = AppContext(store, SyncAccount(store, settings_path=path),
                         AppConfig(data_dir=tmp_path, autosync=False, probe_s=3600))
        assert ctx.account.actor().role == role
        choices = [s.value for s in ctx.concerns.choices(seeded_concern)]
        assert ("escalated" in choices) == escalates, role
        ctx.auto.stop()
        ctx.reachability.stop()
    assert ConcernService(store, fixed_actor()).choices(seeded_concern)[-1] != ConcernStatus.escalated  # nobody


@pytest.fixture
def seeded_concern(store) -> Concern:
    h: Household = sok_dara()
    visit, concerns = visit_with_concerns(h, 1)
    store.save(h, visit, *concerns)
    return concerns[0]


def test_the_messages_exist_in_khmer():
    km, en = Translator("km"), Translator("en")
    for code in ("changed_since_opened", "escalate_office_only"):
        assert km.error(code) != en.error(code) and any("\u1780" <= ch <= "\u17ff" for ch in km.error(code))


# ---------------------------------------------------------------- on screen (real flet Session, fake client)


def test_the_household_screen_says_so_and_shows_the_fresh_values(ctx, store):
    from tests.app.flet_session import app_session

    h = synced(sok_dara())
    store.save(h)
    km = Translator("km")
    with app_session(ctx, route=f"/households/{h.id}/edit", width=1280) as s:
        s.type("household-members", "៦")
        pull(store, h.edited(phone="098765432"))
        s.click("save-household")
        assert s.route == f"/households/{h.id}/edit"  # stayed on the form
        assert "changed-notice" in s.ids()
        assert km.error("changed_since_opened") in s.texts()
        assert s.get("household-phone").value == "០៩៨ ៧៦៥ ៤៣២" and s.get("household-members").value == "៤"
        assert km("form.edit_line", field=km("field.members"), value="៦") in s.texts()
        s.type("household-members", "៦")
        s.click("save-household")
        assert s.route == f"/households/{h.id}"
    stored = store.households.get(h.id)
    assert (stored.phone, stored.members) == ("+85598765432", 6)


def test_the_concern_screen_keeps_the_note_when_a_sync_moved_the_concern(ctx, store):
    from tests.app.flet_session import app_session

    h = sok_dara()
    visit, concerns = visit_with_concerns(h, 1)
    store.save(h, visit, synced(concerns[0]))
    with app_session(ctx, route=f"/concerns/{concerns[0].id}", width=1280) as s:
        assert "status-to-escalated" not in s.ids()  # nobody signed in: an official's choices
        s.click("status-to-referred")
        s.select("status-institution", "other")
        s.type("status-referred-to", "PDRD")
        pull(store, concerns[0].change_status(ConcernStatus.resolved, by="District office"))
        s.click("change-status")
        assert Translator("km").error("changed_since_opened") in s.texts()
        assert s.get("status-note") is not None and "status-to-open" in s.ids() and "status-to-referred" not in s.ids()
    assert store.concerns.get(concerns[0].id).status == ConcernStatus.resolved


# ---------------------------------------------------------------- against the real server


def _api(server, token: str, method: str, path: str, body=None) -> dict:
    import json
    import urllib.request

    request = urllib.request.Request(f"{server.api_url}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


class Device:
    """One phone: its own TinyStore and sign-in, the app's services with the signed-in user's role."""

    def __init__(self, root, areas, server, who):
        from app.services.account import AccountService
        from sync.account import SyncAccount

        self.store = TinyStore(root / "records", root / "reference")
        self.store.load_gazetteer(areas, source="test", version="test-1")
        self.account = SyncAccount(self.store, settings_path=root / "device.json")
        self.account.sign_in(server.base_url, who.username, who.password)
        actor = AccountService(self.account).actor
        self.households = HouseholdService(self.store, actor)
        self.visits = VisitService(self.store, actor)
        self.concerns = ConcernService(self.store, actor)
        self.areas = AreaService(self.store.areas)

    def sync(self):
        report = self.account.runner().sync_now()
        assert report.ok and not report.rejected and not report.conflicts, report.summary()
        return report

    def concerns_vm(self, concern_id: str) -> ConcernsVM:
        vm = ConcernsVM(self.concerns, self.areas, "km")
        vm.open(concern_id)
        return vm

    def close(self):
        runner = self.account.runner()
        if runner is not None:
            runner.transport.close()
        self.store.close()


@pytest.mark.timeout(120)
def test_forms_left_open_across_a_district_change_on_the_real_server(tmp_path, areas):
    from tests.support.live_server import live_server

    with live_server() as server:
        phone = Device(tmp_path / "official", areas, server, server.official)
        office = Device(tmp_path / "supervisor", areas, server, server.supervisor)
        try:
            # The official registers a household and a visit with three concerns, and syncs.
            form = HouseholdFormVM(phone.households, phone.areas, "km")
            for name, value in {"head_name": "សុខ ដារ៉ា", "phone": "០១២ ៣៤៥ ៦៧៨", "members": "៤"}.items():
                form.set(name, value)
            form.area.pick("01020101")
            h = form.submit()
            visit_vm = VisitFormVM(phone.visits, phone.households, h.id, official="Demo Official")
            for category in ("water", "roads", "health"):
                draft = visit_vm.add_concern()
                visit_vm.set_concern(draft.key, "category", category)
                visit_vm.set_concern(draft.key, "description", f"{category} problem")
            assert visit_vm.submit()
            water, roads, health = visit_vm.saved[1]
            assert phone.sync().accepted == 5

            # Forms open on the phone.
            household_form = HouseholdFormVM(phone.households, phone.areas, "km", h.id)
            water_vm, roads_vm, health_vm = (phone.concerns_vm(c.id) for c in (water, roads, health))
            water_vm.change.to, water_vm.change.note = "resolved", "pump repaired"
            roads_vm.change.to, roads_vm.change.referred_to = "referred", "PDRD"

            # Meanwhile the district office moves two concerns, and the supervisor's phone changes the
            # household's phone number.
            token = server.login(server.supervisor)
            _api(server, token, "POST", f"/concerns/{water.id}/status", {"status": "in_progress", "note": "Team sent"})
            _api(server, token, "POST", f"/concerns/{roads.id}/status", {"status": "resolved", "note": "Road fixed"})
            office.sync()
            edit = HouseholdFormVM(office.households, office.areas, "en", h.id)
            edit.set("phone", "098 765 432")
            assert edit.submit() is not None
            office.sync()

            # The phone's auto-sync pulls all of it while the forms stay open.
            assert phone.sync().pulled >= 3

            # Household: refused, the supervisor's number shown, the official makes the edit again.
            household_form.set("members", "៧")
            assert household_form.submit() is None and household_form.reloaded
            assert household_form.fields.phone == "098 765 432"
            assert household_form.unsaved == [UnsavedEdit("members", "៧")]
            household_form.set("members", "៧")
            assert household_form.submit().members == 7

            # Water: in_progress -> resolved is still allowed: applied on the fresh copy.
            assert water_vm.submit_change() and water_vm.saved_on_newer
            # Roads: resolved by the office, "referred" no longer possible: refused, fresh copy shown.
            assert not roads_vm.submit_change()
            assert roads_vm.change.errors == {"status": "changed_since_opened"}
            assert roads_vm.selected.status == ConcernStatus.resolved

            # Escalation: not offered to the official, refused if tried; the supervisor does it.
            assert ConcernStatus.escalated not in health_vm.change.choices
            health_vm.change.to = "escalated"
            assert not health_vm.submit_change() and health_vm.change.errors == {"status": "escalate_office_only"}
            sent = phone.sync()  # household and water go; nothing conflicts, nothing is rejected
            assert sent.accepted == 2
            office.sync()
            escalate = office.concerns_vm(health.id)
            assert ConcernStatus.escalated in escalate.change.choices
            escalate.change.to, escalate.change.note = "escalated", "needs the ministry"
            escalate.change.escalation = ESCALATION.model_dump(mode="json")
            assert escalate.submit_change()
            assert office.sync().accepted == 1

            # What the server holds: both edits to the household, both moves of the water concern.
            held = {c["id"]: c["data"] for c in _api(server, token, "GET", "/sync/pull?limit=1000")["changes"]}
            assert (held[h.id]["phone"], held[h.id]["members"]) == ("+85598765432", 7)
            assert [(e["from_status"], e["to_status"]) for e in held[water.id]["history"]] == [
                (None, "open"), ("open", "in_progress"), ("in_progress", "resolved")]
            assert held[roads.id]["status"] == "resolved" and held[health.id]["status"] == "escalated"
        finally:
            phone.close()
            office.close()
