"""The Meetings screens on a real flet Session (fake client): schedule, plan, hold a forum, concerns, share."""
from __future__ import annotations

from datetime import date

import flet as ft
import pytest

from records.meetings import MeetingStatus
from tests.app.flet_session import app_session
from tests.support.records import COMMUNE, household, meeting

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


@pytest.fixture
def forum(store):
    m = meeting(planned_on=date.today(), invitations=[{"name": "Sok Chea", "institution": "PDRD"},
                                                      {"name": "Chan Dara", "institution": "Health"}])
    store.save(m)
    return m


@pytest.mark.parametrize("size", list(SIZES))
def test_every_meeting_route_renders_in_both_layouts_and_languages(ctx, forum, size):
    width, height = SIZES[size]
    routes = ["/meetings", "/meetings/new", f"/meetings/{forum.id}", f"/meetings/{forum.id}/concerns"]
    for lang in ("km", "en"):
        ctx.set_language(lang)
        with app_session(ctx, route="/meetings", width=width, height=height) as s:
            for route in routes:
                s.go(route)
                assert s.page.views[-1].route == route
                assert "nav-meetings" in s.ids()
            s.go("/meetings")
            assert "meeting-row-commune-0" in s.ids() and "quarter-title" in s.ids()
            s.click("meeting-row-commune-0")
            assert s.route == f"/meetings/{forum.id}"


def test_plan_a_meeting_from_the_schedule(ctx, store):
    with app_session(ctx, route="/meetings", width=1280) as s:
        assert "empty-state" in s.ids()
        s.click("plan-meeting")
        assert s.route == "/meetings/new"
        s.type("meeting-title", "វេទិកាសាធារណៈ ត្រីមាសទី ៤")
        s.click("meeting-area")
        for level, code in (("province", "01"), ("district", "0102"), ("commune", COMMUNE)):
            s.select(f"meeting-area-{level}", code)
        s.click("meeting-area-apply")
        s.type("meeting-day", date.today().strftime("%d/%m/%Y"))
        s.type("meeting-time", "08:00")
        s.type("plan-invitee-name", "Keo Sophal")
        s.type("plan-invitee-institution", "Police post")
        s.click("save-meeting")
        saved = store.meetings.all()
        assert len(saved) == 1 and s.route == f"/meetings/{saved[0].id}"
        assert saved[0].area_code == COMMUNE and [i.name for i in saved[0].invitations] == ["Keo Sophal"]


def test_hold_a_forum_mark_who_came_count_write_minutes_decide_and_close(ctx, store, forum):
    with app_session(ctx, route=f"/meetings/{forum.id}", width=390) as s:
        s.click("mark-held")
        assert store.meetings.get(forum.id).status == MeetingStatus.held
        s.click("invitation-0-came")
        s.click("invitation-1-declined")
        for _ in range(3):
            s.click("total-plus")
        s.click("women-plus")
        assert s.get("total-count").value == "៣"
        s.type("minutes", "ប្រជុំបានល្អ")
        s.click("save-minutes")
        s.type("decision-text", "ជួសជុលផ្លូវ")
        s.type("decision-owner", "Sok Chea")
        s.type("decision-institution", "PDRD")
        s.type("decision-due", "31/12/2026")
        s.click("add-decision")
        assert "decision-answers-0" not in s.ids()  # no concern raised yet: nothing to link
        s.click("close-meeting")
        stored = store.meetings.get(forum.id)
        assert stored.closed and stored.minutes == "ប្រជុំបានល្អ" and (stored.public_total, stored.public_women) == (3, 1)
        assert [i.attended for i in stored.invitations] == [True, False]
        assert stored.invitations[1].answer.value == "declined"
        assert stored.decisions[0].owner_institution == "PDRD"
        assert "minutes-closed" in s.ids() and "add-addendum" in s.ids() and "minutes" not in s.ids()
        s.click("share-minutes")
        assert "ប្រជុំបានល្អ" in s.get("share-text").value
        s.click("share-lang-en")
        assert "Public: 3 (women 1)" in s.get("share-text").value
        assert "share-send" not in s.ids()  # the browser and desktops copy; phones get the share sheet


def test_concerns_from_the_floor_one_after_another(ctx, store, forum):
    known = household(village="01020101")
    store.save(known, forum.mark_held(date.today()))
    with app_session(ctx, route=f"/meetings/{forum.id}/concerns", width=390) as s:
        s.click("forum-category-roads")
        s.type("forum-description", "ផ្លូវខូច")
        s.type("forum-raised-by", "ចាន់ ធី")
        s.click("forum-add")
        assert len(store.concerns.for_meeting(forum.id)) == 1 and s.get("forum-description").value == ""
        s.type("forum-description", "អណ្ដូងរីង")
        s.fire(s.get("forum-anonymous"), "change", props={"value": True})
        s.click("forum-add")
        s.type("forum-description", "មណ្ឌលសុខភាព")
        s.type("forum-household", known.head_name[:4])
        s.click("forum-household-0")
        s.click("forum-add")
        concerns = store.concerns.for_meeting(forum.id)
        assert len(concerns) == 3 and {c.household_id for c in concerns} == {None, known.id}
        assert any(c.anonymous for c in concerns) and "forum-added-2" in s.ids()
        s.go("/concerns")
        assert "concern-row-2" in s.ids()


def test_the_invitation_is_shared_from_the_detail(ctx, forum):
    with app_session(ctx, route=f"/meetings/{forum.id}", width=1280) as s:
        s.click("share-invitation")
        text = s.get("share-text").value
        assert forum.title in text and "Sok Chea (PDRD)" in text
        assert isinstance(s.get("share-copy"), ft.OutlinedButton)


def test_a_long_quarter_paints_a_page_of_meetings_then_more(ctx, store):
    store.save(*[meeting(i, planned_on=date.today()) for i in range(45)])
    with app_session(ctx, route="/meetings", width=1280) as s:
        assert "meeting-row-commune-39" in s.ids() and "meeting-row-commune-40" not in s.ids()
        s.click("schedule-more")
        assert "meeting-row-commune-44" in s.ids() and "schedule-more" not in s.ids()


def test_an_invited_meeting_of_the_district_shows_read_only(store, tmp_path):
    from app.composition import AppConfig, AppContext
    from sync.account import SyncAccount
    from sync.device import DeviceSettings, SignedInUser, save_device_settings

    path = tmp_path / "official.json"
    save_device_settings(DeviceSettings(server_url="http://127.0.0.1:9").signed_in_as(
        "token", SignedInUser("demo-official", role="official", area_code=COMMUNE), None), path)
    ctx = AppContext(store, SyncAccount(store, settings_path=path),
                     AppConfig(data_dir=tmp_path, autosync=False, probe_s=3600))
    district = meeting(level="district", area="0102", planned_on=date.today(),
                       invitations=[{"name": "WG Banteay Neang", "area_code": COMMUNE}]).mark_held(date.today())
    own = meeting(planned_on=date.today()).mark_held(date.today())
    store.save(district, own)
    try:
        with app_session(ctx, route=f"/meetings/{district.id}", width=390) as s:
            assert "meeting-read-only" in s.ids() and "close-meeting" not in s.ids() and "minutes" not in s.ids()
            assert s.get("invitation-0-came").disabled and "forum-concerns" not in s.ids()
            s.go(f"/meetings/{own.id}")
            assert "meeting-read-only" not in s.ids() and "close-meeting" in s.ids()
    finally:
        ctx.auto.stop()
        ctx.reachability.stop()


def test_a_decision_links_the_concerns_it_answers_and_the_concern_shows_it(ctx, store, forum):
    held = forum.mark_held(date.today())
    store.save(held)
    ctx.meetings.add_concern(held.id, category="roads", description="ផ្លូវខូច", raised_by="Chan")
    answered = ctx.meetings.add_concern(held.id, category="water", description="អណ្ដូងរីង", anonymous=True)
    with app_session(ctx, route=f"/meetings/{held.id}", width=1280) as s:
        s.type("decision-text", "ស្ដារអណ្ដូង")
        s.type("decision-owner", "Chan Dara")
        s.click("decision-answers-1")
        s.click("add-decision")
        decision = store.meetings.get(held.id).decisions[0]
        assert decision.concern_ids == [answered.id]
        s.go(f"/concerns/{answered.id}")
        assert "ស្ដារអណ្ដូង" in s.texts() and "concern-decision-0" in s.ids()


def test_a_meeting_in_conflict_is_reviewed_on_the_sync_screen_in_words(ctx, store, forum):
    from datetime import datetime, timezone

    from records.models import SyncState
    from storage.repository import ConflictCopy

    server = forum.mark_held(date.today()).edited(minutes="on the server").wire()
    mine = forum.edited(place="សាលាស្រុក").model_copy(update={"sync_state": SyncState.conflict, "server_rev": 1})
    store.save(mine)
    store.conflicts.put(ConflictCopy("meeting", forum.id, server, 2, datetime.now(timezone.utc)))
    ctx.set_language("en")
    with app_session(ctx, route="/sync", width=1280) as s:
        text = s.texts()
        assert "conflict-0" in s.ids() and forum.title in text
        assert "Held" in text and "Planned" in text and "Sok Chea; Chan Dara" in text


def test_a_planned_meeting_is_edited_from_its_detail(ctx, store, forum):
    with app_session(ctx, route=f"/meetings/{forum.id}", width=390) as s:
        s.click("edit-meeting")
        assert s.route == f"/meetings/{forum.id}/edit" and "plan-invitations" not in s.ids()
        s.type("meeting-place", "វត្តភូមិ")
        s.click("save-meeting")
        assert s.route == f"/meetings/{forum.id}" and store.meetings.get(forum.id).place == "វត្តភូមិ"
        assert len(store.meetings.get(forum.id).invitations) == 2


def test_a_held_meeting_crossing_the_phone_desktop_width_still_shows_who_came_the_minutes_and_decisions(
        ctx, store, forum):
    store.save(forum.mark_held(date.today()))
    with app_session(ctx, route=f"/meetings/{forum.id}", width=390) as s:
        s.type("minutes", "ប្រជុំបានល្អ")
        s.resize(1280, 800)
        for shown in ("meeting-attendance", "minutes", "decision-text", "invitee-name"):
            assert shown in s.ids(), shown
        assert s.get("minutes").value == "ប្រជុំបានល្អ"
        s.resize(390, 844)
        assert "meeting-attendance" in s.ids() and s.get("minutes").value == "ប្រជុំបានល្អ"


def test_an_invitee_being_typed_stays_through_a_sync_and_a_refused_one_keeps_the_text(ctx, store, forum):
    from tests.app.test_form_repaints import sync_finished

    with app_session(ctx, route=f"/meetings/{forum.id}", width=1280) as s:
        s.type("invitee-name", "Keo Sophal")
        name = s.get("invitee-name")
        store.save(store.meetings.get(forum.id).edited(place="Pagoda hall"))  # as a pull saves it
        sync_finished(ctx, s, pulled=1)
        assert s.get("invitee-name") is name and name.value == "Keo Sophal"  # the same field, as typed
        s.type("invitee-position", "x" * 300)  # longer than a name may be: refused
        s.click("invitee-add")
        assert s.get("invitee-name").value == "Keo Sophal" and s.get("invitee-position").value == "x" * 300
        assert len(store.meetings.get(forum.id).invitations) == 2
        s.type("invitee-position", "Commune chief")
        s.click("invitee-add")
        assert [i.name for i in store.meetings.get(forum.id).invitations][-1] == "Keo Sophal"
        assert s.get("invitee-name").value == "" and s.get("invitee-position").value == ""


def test_a_meeting_being_planned_stays_through_a_width_change_and_leaving_it_asks(ctx, store):
    with app_session(ctx, route="/meetings/new", width=390) as s:
        s.type("meeting-title", "វេទិកាសាធារណៈ ឃុំអូរធំ")
        s.type("plan-invitee-name", "Keo Sophal")
        s.resize(1280, 800)
        assert s.get("meeting-title").value == "វេទិកាសាធារណៈ ឃុំអូរធំ"
        assert s.get("plan-invitee-name").value == "Keo Sophal"
        s.page.session.store.get("shell").set_language("en")
        s.runner.settle()
        assert s.get("meeting-title").value == "វេទិកាសាធារណៈ ឃុំអូរធំ" and "Public forum" in s.texts()
        s.click("back")
        assert s.route == "/meetings/new" and "leave-keep" in s.ids()
        s.click("leave-keep")
        assert s.get("meeting-title").value == "វេទិកាសាធារណៈ ឃុំអូរធំ"


def test_a_concern_from_the_floor_being_written_stays_through_a_width_change_and_leaving_it_asks(
        ctx, store, forum):
    held = forum.mark_held(date.today())
    store.save(held)
    with app_session(ctx, route=f"/meetings/{held.id}/concerns", width=390) as s:
        s.type("forum-description", "ផ្លូវទៅសាលារៀនខូច")
        s.resize(1280, 800)
        assert s.get("forum-description").value == "ផ្លូវទៅសាលារៀនខូច"
        s.click("back")
        assert "leave-keep" in s.ids()
        s.click("leave-discard")
        assert s.route != f"/meetings/{held.id}/concerns"
    assert ctx.meetings.concerns_of(held.id) == []


def test_minutes_being_typed_ask_before_leaving_the_meeting(ctx, store, forum):
    store.save(forum.mark_held(date.today()))
    with app_session(ctx, route=f"/meetings/{forum.id}", width=1280) as s:
        s.type("minutes", "ប្រជុំបានល្អ")
        s.click("back")
        assert "leave-keep" in s.ids()
        s.click("leave-keep")
        s.click("save-minutes")
        s.click("back")
        assert s.route == "/meetings"  # saved: leaves without a question
    assert store.meetings.get(forum.id).minutes == "ប្រជុំបានល្អ"


def test_minutes_typed_and_not_saved_are_offered_back_when_the_meeting_opens_again(ctx, store, forum):
    from tests.app.test_drafts import wait_for

    store.save(forum.mark_held(date.today()))
    with app_session(ctx, route=f"/meetings/{forum.id}", width=390) as s:
        s.type("minutes", "ប្រជុំបានល្អ ប្រជាពលរដ្ឋ ៤០ នាក់")
        s.go("/meetings")  # the browser's back button (or Android closing the app): nobody is asked
        wait_for(lambda: store.drafts.keys() == [f"meeting:{forum.id}"])
        s.go(f"/meetings/{forum.id}")
        assert "draft-offer" in s.ids() and s.get("minutes").value == ""
        s.click("draft-use")
        assert "draft-offer" not in s.ids() and s.get("minutes").value == "ប្រជុំបានល្អ ប្រជាពលរដ្ឋ ៤០ នាក់"
        s.click("save-minutes")
    assert store.meetings.get(forum.id).minutes == "ប្រជុំបានល្អ ប្រជាពលរដ្ឋ ៤០ នាក់"
    assert store.drafts.keys() == []
