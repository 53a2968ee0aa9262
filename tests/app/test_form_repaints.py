"""Open forms keep what is typed through repaints and ways out (issue 8 items 1-3), on a real
flet Session with a fake client: the browser tests (tests/ui/test_typed_text_kept.py) check the
focus and the caret; these check the mechanism quickly."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.i18n import Translator
from records.models import ConcernStatus
from sync.auto import SyncStatus
from sync.report import SyncReport
from tests.app.conftest import VILLAGE
from tests.app.flet_session import app_session
from tests.app.test_stale_forms import pull, synced
from tests.support.records import sok_dara, visit_with_concerns

NOTE = "Called the commune chief; he will call back"


def sync_finished(ctx, s, *, pulled: int = 1) -> None:
    """A sync ran and ended, as AutoSync publishes it, having pulled ``pulled`` changes."""
    ctx.status.apply_sync_status(SyncStatus(online=True, running=True))
    s.runner.settle()
    ctx.status.apply_sync_status(SyncStatus(online=True, running=False, last_report=SyncReport(
        started_at=datetime.now(timezone.utc), pulled=pulled)))
    s.runner.settle()


def synced_concern(store):
    """A household's concern the server already has, on the device."""
    h = sok_dara()
    visit, concerns = visit_with_concerns(h, 1)
    c = synced(concerns[0])
    store.save(h, visit, c)
    return c


@pytest.mark.parametrize("width", [390, 1280])
def test_a_sync_that_moves_the_open_concern_keeps_the_note_field_and_every_key_typed(ctx, store, width):
    c = synced_concern(store)
    km = Translator("km")
    with app_session(ctx, route=f"/concerns/{c.id}", width=width) as s:
        s.click("status-to-referred")
        s.select("status-institution", "other")
        s.type("status-referred-to", "PDRD")
        other = s.get("status-referred-to")
        s.type("status-note", NOTE[:30])
        note = s.get("status-note")
        pull(store, c.change_status(ConcernStatus.in_progress, by="District office", note="Team sent"))
        sync_finished(ctx, s)
        assert km("status.in_progress") in s.texts()  # the pulled move is shown...
        assert s.get("status-note") is note and note.value == NOTE[:30]  # ...and the field is the same one
        assert s.get("status-referred-to") is other and other.value == "PDRD"  # the referral's fields too
        s.type("status-note", NOTE)  # typing goes on in that field, into the form the view-model holds now
        s.click("change-status")
    moved = store.concerns.get(c.id)
    assert moved.status == ConcernStatus.referred and moved.referred_to == "PDRD"
    assert moved.history[-1].note == NOTE and [e.to_status for e in moved.history][-2:] == [
        ConcernStatus.in_progress, ConcernStatus.referred]


def test_a_sync_that_brought_nothing_leaves_the_open_concern_as_painted(ctx, store):
    """Auto-sync runs every minute or so: one that sent and pulled nothing repaints nothing (a
    repaint moves the fields the official is typing into); the next one that pulls a change does."""
    c = synced_concern(store)
    with app_session(ctx, route=f"/concerns/{c.id}", width=1280) as s:
        s.click("status-to-referred")
        s.select("status-institution", "other")
        s.type("status-referred-to", "Provincial Department of Water Resources")
        painted = s.get("concern-status")  # painted again, it is a new control
        sync_finished(ctx, s, pulled=0)
        assert s.get("concern-status") is painted
        assert s.get("status-referred-to").value == "Provincial Department of Water Resources"
        pull(store, c.change_status(ConcernStatus.in_progress, by="District office", note="Team sent"))
        sync_finished(ctx, s, pulled=1)
        assert s.get("concern-status") is not painted
        assert Translator("km")("status.in_progress") in s.texts()
        assert s.get("status-referred-to").value == "Provincial Department of Water Resources"


def test_keys_still_on_their_way_when_a_pull_repaints_the_concern_are_kept(ctx, store):
    """The browser sends each key's text before its change event; when the loop is busy, a pull's
    repaint can run between the two. It must not set the note back to the text of the last event
    handled (that threw the keys typed meanwhile away: 27 Khmer letters in a browser test)."""
    c = synced_concern(store)
    with app_session(ctx, route=f"/concerns/{c.id}", width=390) as s:
        s.click("status-to-in_progress")
        s.type("status-note", NOTE[:20])
        note = s.get("status-note")
        s.runner.run(_client_text(s, note, NOTE[:32]))  # the field's text arrived, its event not yet
        pull(store, c.change_status(ConcernStatus.in_progress, by="District office", note="Team sent"))
        sync_finished(ctx, s, pulled=1)
        assert Translator("km")("status.in_progress") in s.texts()
        assert s.get("status-note") is note and note.value == NOTE[:32]
        s.type("status-note", NOTE)
        s.click("status-to-resolved")
        s.click("change-status")
    assert store.concerns.get(c.id).history[-1].note == NOTE


def test_telling_the_household_being_typed_stays_the_same_field_through_a_pull(ctx, store):
    c = synced_concern(store)
    store.save(synced(c.change_status(ConcernStatus.in_progress, by="Official").change_status(
        ConcernStatus.resolved, by="Official", note="Fixed"), server_rev=2))
    with app_session(ctx, route=f"/concerns/{c.id}", width=1280) as s:
        s.type("feedback-note", NOTE[:20])
        field = s.get("feedback-note")
        s.runner.run(_client_text(s, field, NOTE[:32]))  # keys on their way
        pull(store, store.concerns.get(c.id).edited(description="Well repaired, checked by the district"))
        sync_finished(ctx, s, pulled=1)
        assert s.get("feedback-note") is field and field.value == NOTE[:32]


async def _client_text(s, control, text: str) -> None:
    s.session.apply_patch(control._i, {"value": text})


def test_the_offline_banner_coming_and_going_never_moves_the_form(ctx, store):
    with app_session(ctx, route="/households/new", width=1280) as s:
        s.type("household-head-name", "សុខ ដារ៉ា")
        name = s.get("household-head-name")
        body = s.get("screen-body")
        for online in (False, True):
            ctx.status.apply_sync_status(SyncStatus(online=online))
            s.runner.settle()
            assert s.shown("offline-banner") == (not online)
            assert s.get("household-head-name") is name and s.get("screen-body") is body
            column = s.page.views[-1].controls[0].controls[2]  # rail, divider, then the banner strip and body
            assert [type(c).__name__ for c in column.controls][:1] == ["Column"] and column.controls[0].visible
        assert name.value == "សុខ ដារ៉ា"


def test_crossing_the_phone_desktop_width_keeps_the_household_form_as_typed(ctx, store):
    with app_session(ctx, route="/households/new", width=390) as s:
        s.type("household-head-name", "សុខ ដារ៉ា")
        s.type("household-phone", "០១២ ៣៤៥ ៦៧៨")
        s.type("village-filter", "អូរធំ")
        s.click("village-match-0")
        s.resize(1280, 800)
        assert s.get("household-head-name").value == "សុខ ដារ៉ា"
        assert s.get("household-phone").value == "០១២ ៣៤៥ ៦៧៨"
        assert s.get("village-village").value == VILLAGE
        s.resize(390, 844)
        s.click("save-household")
    saved = store.households.all()
    assert [(h.head_name, h.phone, h.village_code) for h in saved] == [("សុខ ដារ៉ា", "+85512345678", VILLAGE)]


def test_back_from_a_typed_visit_asks_and_keep_editing_stays_on_the_form(ctx, store):
    h = sok_dara()
    store.save(h)
    with app_session(ctx, route=f"/households/{h.id}/visit", width=1280) as s:
        s.type("visit-notes", NOTE)
        s.click("back")
        assert s.route == f"/households/{h.id}/visit" and "leave-keep" in s.ids()
        s.click("leave-keep")
        assert s.route == f"/households/{h.id}/visit" and s.get("visit-notes").value == NOTE
        s.click("cancel")
        s.click("leave-discard")
        assert s.route == f"/households/{h.id}"
    assert store.drafts.keys() == [] and store.visits.count() == 0


def test_leaving_without_a_word_keeps_the_draft_and_the_form_offers_it_back(ctx, store):
    h = sok_dara()
    store.save(h)
    with app_session(ctx, route=f"/households/{h.id}/visit", width=390) as s:
        s.type("visit-officials", "ដារ៉ា")  # nobody is signed in here: no official is filled in
        s.type("visit-notes", NOTE)
        s.go(f"/households/{h.id}")  # the browser's back button: the app is not asked
        assert store.drafts.keys() == [f"visit:new:{h.id}"]
        s.go(f"/households/{h.id}/visit")
        assert "draft-offer" in s.ids() and s.get("visit-notes").value == ""
        s.click("draft-use")
        assert "draft-offer" not in s.ids() and s.get("visit-notes").value == NOTE
        assert s.get("visit-officials").value == "ដារ៉ា"
        s.click("save-visit")
        assert s.route == f"/households/{h.id}"
    assert store.drafts.keys() == [] and store.visits.all()[0].notes == NOTE


def test_a_form_nobody_typed_in_leaves_without_a_question(ctx, store):
    h = sok_dara()
    store.save(h)
    with app_session(ctx, route=f"/households/{h.id}/visit", width=1280) as s:
        s.click("back")
        assert s.route == f"/households/{h.id}" and "leave-keep" not in s.ids()
    assert store.drafts.keys() == []
