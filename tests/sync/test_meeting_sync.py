"""Functional: forums and meetings between real devices (TinyStore on disk) and the real server on 127.0.0.1."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from records.meetings import Meeting
from records.models import SyncState
from tests.support.live_server import live_server
from tests.support.records import forum_concern, meeting
from tests.sync.devices import ServerDb, make_device

pytestmark = pytest.mark.timeout(240)
HELD = date(2026, 4, 2)


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


def test_a_forum_with_its_concerns_goes_up_and_comes_down_on_the_supervisors_desktop(devices, server):
    phone, desktop = devices("phone"), devices("desktop", server.supervisor)
    forum = meeting().mark_held(HELD)
    concerns = [forum_concern(forum, i, raised_by=None if i == 0 else f"Chan {i}") for i in range(3)]
    phone.store.save(*concerns, forum)  # concerns first in the store: the push still sends the meeting first
    report = phone.sync()
    assert report.ok and report.accepted == 4 and not report.deferred, report.errors
    assert desktop.sync().ok
    assert desktop.store.meetings.get(forum.id).wire() == forum.wire()
    assert {c.id for c in desktop.store.concerns.for_meeting(forum.id)} == {c.id for c in concerns}


def test_an_edit_on_each_device_is_a_conflict_and_both_versions_are_kept(devices, server):
    phone, desktop = devices("phone"), devices("desktop", server.supervisor)
    forum = meeting().mark_held(HELD)
    phone.store.save(forum)
    assert phone.sync().ok and desktop.sync().ok
    mine = phone.store.meetings.get(forum.id).edited(minutes="ប្រជុំ — phone")
    theirs = desktop.store.meetings.get(forum.id).edited(place="សាលាស្រុក", device_id="desktop")
    phone.store.save_edit(mine)
    desktop.store.save_edit(theirs)
    assert phone.sync().accepted == 1
    report = desktop.sync()
    assert report.conflicts == [forum.id], report.errors
    assert desktop.store.meetings.get(forum.id).sync_state == SyncState.conflict
    kept = desktop.store.conflicts.find(forum.id)
    assert kept.record_type == "meeting" and kept.server_data["minutes"] == "ប្រជុំ — phone"
    assert desktop.store.meetings.get(forum.id).place == "សាលាស្រុក"  # the desktop's edit is not lost
    assert server_conflicts(server, forum.id) == 1


def server_conflicts(server, record_id: str) -> int:
    return ServerDb(server.db_url)._query("SELECT count(*) FROM conflict_revisions WHERE record_id = ?",
                                          record_id)[0][0]


def test_closed_minutes_edited_on_a_device_come_back_rejected_with_their_code(devices):
    phone = devices("phone")
    closed = meeting().mark_held(HELD).edited(minutes="ប្រជុំ").close_minutes(by="Demo Official")
    phone.store.save(closed)
    assert phone.sync().ok
    # An older app (or a hand-edited store) changes closed minutes: the server refuses, the record says why.
    phone.store.save_edit(phone.store.meetings.get(closed.id).edited(minutes="rewritten"))
    report = phone.sync()
    assert [(r.code, r.field) for r in report.rejected] == [("meeting_minutes_closed", "minutes")]
    assert phone.store.meetings.get(closed.id).sync_error["code"] == "meeting_minutes_closed"


def test_a_commune_device_gets_its_meetings_and_the_districts_that_invite_it_only(devices, server):
    phone, desktop = devices("phone"), devices("desktop", server.supervisor)
    invites_us = meeting(1, level="district", area="0102", invitations=[{"name": "WG", "area_code": "010201"}])
    invites_others = meeting(2, level="district", area="0102", invitations=[{"name": "WG", "area_code": "010202"}])
    neighbours = meeting(3, area="010202")
    desktop.store.save(invites_us, invites_others, neighbours)
    assert desktop.sync().accepted == 3
    assert phone.sync().ok
    assert phone.store.meetings.find(invites_us.id) is not None
    assert phone.store.meetings.find(invites_others.id) is None and phone.store.meetings.find(neighbours.id) is None
    assert isinstance(phone.store.meetings.get(invites_us.id), Meeting)


def test_a_meeting_planned_offline_for_the_quarter_syncs_once_when_retried(devices, server):
    phone = devices("phone")
    quarter = [meeting(i, planned_on=date(2026, 10, 5) + timedelta(days=30 * i)) for i in range(3)]
    phone.store.save(*quarter)
    assert phone.sync().accepted == 3
    for m in quarter:  # a lost answer: the same versions go again
        phone.store.save_sync(*[c.model_copy(update={"sync_state": SyncState.pending})
                                for c in phone.store.sync_copies([("meeting", m.id)])])
    report = phone.sync()
    assert report.duplicates == 3 and {r[1:] for i, r in ServerDb(server.db_url).records().items()
                                       if i in {m.id for m in quarter}} == {(1, 1)}
