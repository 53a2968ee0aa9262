"""Drafts (issue 8 item 3): a half-typed household or visit form is kept in the device store as it
is typed, apart from the records (never synced, never pending, sealed), offered back when the
form opens again, removed on save or discard, and survives the app being killed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.services.areas import AreaService
from app.services.drafts import DraftService
from app.services.households import HouseholdService
from app.services.visits import VisitService
from app.viewmodels.drafts import DraftKeeper
from app.viewmodels.household_form import HouseholdFormVM
from app.viewmodels.visit_form import VisitFormVM
from sync.outbox import outbox_counts, pending_ids
from tests.app.conftest import VILLAGE
from tests.storage.conftest import TEST_KEY, open_tiny
from tests.support.records import household

REPO = Path(__file__).resolve().parents[2]
NAME, NOTES = "ស្រី សុខលាភ", "គាត់សុំជួសជុលផ្លូវលំមុនរដូវភ្លៀង"


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


@pytest.fixture
def household_form(store, actor, clock):
    service, drafts = HouseholdService(store, actor, clock=clock), DraftService(store, clock)
    return lambda household_id=None: HouseholdFormVM(service, AreaService(store.areas), "km", household_id,
                                                     drafts=drafts)


@pytest.fixture
def visit_form(store, actor, clock):
    visits, households, drafts = (VisitService(store, actor, clock=clock), HouseholdService(store, actor, clock=clock),
                                  DraftService(store, clock))
    return lambda household_id, visit_id=None: VisitFormVM(visits, households, household_id, official="Dara",
                                                           visit_id=visit_id, drafts=drafts)


def test_a_half_typed_household_is_offered_back_when_the_form_opens_again(household_form, store):
    vm = household_form()
    assert vm.draft.offered is None and not vm.has_changes
    vm.set("head_name", NAME)
    vm.set("phone", "០១២ ៣៤")
    vm.area.pick(VILLAGE)
    vm.area_changed()
    vm.toggle_vulnerability("idpoor", True)
    wait_for(lambda: store.drafts.find("household:new") is not None)  # written once typing pauses
    again = household_form()
    assert again.draft.offered is not None and again.fields.head_name == ""  # offered, not forced
    again.use_draft()
    assert (again.fields.head_name, again.fields.phone, again.area.village_code) == (NAME, "០១២ ៣៤", VILLAGE)
    assert again.fields.vulnerabilities == {"idpoor"} and again.has_changes


def test_a_draft_is_never_pending_never_synced_and_not_a_record(household_form, store):
    before = outbox_counts(store)
    vm = household_form()
    vm.set("head_name", NAME)
    vm.draft.flush()
    assert store.drafts.keys() == ["household:new"]
    assert store.households.count() == 0 and pending_ids(store) == frozenset()
    assert outbox_counts(store) == before


def test_saving_or_discarding_removes_the_draft(household_form, store):
    vm = household_form()
    for name, value in {"head_name": NAME, "phone": "012 345 678", "members": "3"}.items():
        vm.set(name, value)
    vm.area.pick(VILLAGE)
    vm.draft.flush()
    saved = vm.submit()
    assert saved is not None and store.drafts.keys() == [] and not vm.has_changes
    edit = household_form(saved.id)
    edit.set("members", "4")
    edit.draft.flush()
    assert store.drafts.keys() == [f"household:{saved.id}"]
    edit.draft.drop()
    assert store.drafts.keys() == [] and household_form(saved.id).draft.offered is None


def test_an_edit_draft_keeps_only_what_was_typed_so_a_pulled_change_elsewhere_stays(household_form, store):
    h = household(0)
    store.save(h)
    vm = household_form(h.id)
    vm.set("address", "ផ្ទះលេខ ១២")
    vm.draft.flush()
    store.save(store.households.get(h.id).edited(members=7))  # the district changed another field meanwhile
    again = household_form(h.id)
    again.use_draft()
    assert again.fields.address == "ផ្ទះលេខ ១២" and again.fields.members == "7"


def test_a_visit_draft_keeps_notes_and_the_concerns_being_added(visit_form, store):
    h = household(0)
    store.save(h)
    vm = visit_form(h.id)
    vm.set("notes", NOTES)
    draft = vm.add_concern()
    vm.set_concern(draft.key, "category", "roads")
    vm.set_concern(draft.key, "description", "ផ្លូវភក់")
    vm.draft.flush()
    again = visit_form(h.id)
    again.use_draft()
    assert again.notes == NOTES
    assert [(c.category, c.description, c.id) for c in again.concerns] == [("roads", "ផ្លូវភក់", None)]
    assert again.submit() and store.drafts.keys() == [] and store.visits.count() == 1


def test_typing_writes_the_draft_once_per_pause_not_once_per_key(store):
    writes: list[dict] = []

    class Counting(DraftService):
        def keep(self, key, fields):
            writes.append(fields)
            super().keep(key, fields)

    text = {"value": ""}
    keeper = DraftKeeper(Counting(store), "household:new", lambda: {"head_name": text["value"]}, quiet_s=0.15)
    for ch in NAME:
        text["value"] += ch
        keeper.typed()
    wait_for(lambda: writes)
    time.sleep(0.3)
    assert writes == [{"head_name": NAME}]


def test_a_draft_is_sealed_with_the_records_in_the_journal_and_the_snapshot(tmp_path, actor):
    store = open_tiny(tmp_path, data_key=TEST_KEY)
    DraftService(store).keep("household:new", {"head_name": NAME, "notes": NOTES})
    store.compact()  # in a snapshot
    DraftService(store).keep("visit:new:x", {"notes": NOTES})  # and in a journal
    store.close()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert NAME.encode() not in data and NOTES.encode() not in data, path
    store = open_tiny(tmp_path, data_key=TEST_KEY)
    assert DraftService(store).find("household:new").fields["head_name"] == NAME
    assert DraftService(store).find("visit:new:x").fields["notes"] == NOTES
    store.close()


CHILD = """
import sys, time
from pathlib import Path
from app.services.actor import fixed_actor
from app.services.areas import AreaService
from app.services.drafts import DraftService
from app.services.households import HouseholdService
from app.viewmodels.household_form import HouseholdFormVM
from tests.storage.conftest import TEST_KEY, open_tiny

store = open_tiny(Path(sys.argv[1]), data_key=TEST_KEY)
actor = fixed_actor("demo-official", "Demo Official", "device-1")
vm = HouseholdFormVM(HouseholdService(store, actor), AreaService(store.areas), "km", drafts=DraftService(store))
for ch in sys.argv[2]:
    vm.set("head_name", vm.fields.head_name + ch)  # typed key by key, as the screen does
    time.sleep(0.01)
while store.drafts.find("household:new") is None:
    time.sleep(0.01)
print("kept", flush=True)
time.sleep(60)
"""


def test_a_half_typed_form_survives_the_app_being_killed(tmp_path, actor, clock):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), NAME], stdout=subprocess.PIPE,
                             cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, text=True)
    try:
        assert child.stdout.readline().strip() == "kept"
    finally:
        child.send_signal(signal.SIGKILL)  # Android closing the app in the background: no clean close
        child.wait(timeout=10)
    store = open_tiny(tmp_path, data_key=TEST_KEY)
    try:
        assert not store.recovery.had_damage
        vm = HouseholdFormVM(HouseholdService(store, actor, clock=clock), AreaService(store.areas), "km",
                             drafts=DraftService(store))
        assert vm.draft.offered is not None
        vm.use_draft()
        assert vm.fields.head_name == NAME
        assert store.households.count() == 0
    finally:
        store.close()


@pytest.fixture
def concerns_vm(store, actor, clock):
    from app.services.concerns import ConcernService
    from app.viewmodels.concerns import ConcernsVM

    return lambda: ConcernsVM(ConcernService(store, actor, clock=clock), AreaService(store.areas), "km",
                              drafts=DraftService(store, clock))


def a_concern(store):
    from tests.support.records import visit_with_concerns

    h = household(0)
    v, concerns = visit_with_concerns(h, 2)
    store.save(h, v, *concerns)
    return concerns


def test_a_concern_status_note_and_referral_are_kept_and_offered_back_when_it_opens_again(store, concerns_vm):
    from app.services.followup import OTHER

    c, _ = a_concern(store)
    vm = concerns_vm()
    vm.open(c.id)
    vm.change.pick("referred")
    vm.change.institution_id, vm.change.referred_to, vm.change.note = OTHER, "មន្ទីរធនធានទឹកខេត្ត", NOTES
    vm.typed()
    vm.draft.flush()  # typing paused (or the app is about to be killed: the draft is on disk already)
    assert store.concerns.get(c.id).status.value == "open"  # a draft is not a change of the concern
    again = concerns_vm()
    again.open(c.id)
    assert again.draft.offered is not None and again.change.note == ""
    again.use_draft()
    assert (again.change.note, again.change.to, again.change.institution_id, again.change.referred_to) == (
        NOTES, "referred", OTHER, "មន្ទីរធនធានទឹកខេត្ត")
    assert again.submit_change()
    saved = store.concerns.get(c.id)
    assert store.drafts.keys() == [] and saved.history[-1].note == NOTES and saved.referred_to == "មន្ទីរធនធានទឹកខេត្ត"


def test_opening_another_concern_keeps_the_first_ones_note_under_its_own_name(store, concerns_vm):
    first, second = a_concern(store)
    vm = concerns_vm()
    vm.open(first.id)
    vm.change.note = NOTES
    vm.typed()
    vm.open(second.id)  # before the pause wrote the draft
    vm.change.note = "ផ្សេង"
    vm.typed()
    vm.draft.flush()
    keys = sorted(store.drafts.keys())
    assert keys == sorted([f"concern-status:{first.id}", f"concern-status:{second.id}"])
    assert DraftService(store).find(f"concern-status:{first.id}").fields["note"] == NOTES


def test_a_note_left_on_a_concern_is_offered_back_on_its_screen(ctx, store):
    from tests.app.flet_session import app_session

    c, _ = a_concern(store)
    with app_session(ctx, route=f"/concerns/{c.id}", width=390) as s:
        s.click("status-to-in_progress")
        s.type("status-note", NOTES)
        s.go("/households")  # the browser's back button: the app is not asked
        wait_for(lambda: store.drafts.keys() == [f"concern-status:{c.id}"])
        s.go(f"/concerns/{c.id}")
        assert "draft-offer" in s.ids() and s.get("status-note").value == ""
        s.click("draft-use")
        assert "draft-offer" not in s.ids() and s.get("status-note").value == NOTES
        s.click("change-status")
    assert store.concerns.get(c.id).history[-1].note == NOTES and store.drafts.keys() == []


def test_telling_the_household_left_half_done_is_offered_back_beside_the_status_form(ctx, store):
    from tests.app.flet_session import app_session
    from records.models import ConcernStatus

    c, _ = a_concern(store)
    store.save(c.change_status(ConcernStatus.resolved, by="Official", note="Fixed"))
    with app_session(ctx, route=f"/concerns/{c.id}", width=1280) as s:
        s.click("feedback-channel-phone")
        s.type("feedback-note", "គាត់អរគុណ")
        s.go("/households")
        wait_for(lambda: store.drafts.keys() == [f"concern-feedback:{c.id}"])
        s.go(f"/concerns/{c.id}")
        assert "feedback-draft-offer" in s.ids() and "draft-offer" not in s.ids()
        s.click("feedback-draft-use")
        assert "feedback-draft-offer" not in s.ids() and s.get("feedback-note").value == "គាត់អរគុណ"
        s.click("feedback-answer-satisfied")
        s.click("record-feedback")
    step = store.concerns.get(c.id).history[-1]
    assert step.feedback is not None and step.note == "គាត់អរគុណ" and step.feedback.channel.value == "phone"
    assert store.drafts.keys() == []
