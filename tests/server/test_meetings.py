"""Forums and meetings on the server: pushed with their concerns, closed minutes kept as they were closed,
and pulled by the areas they belong to and the areas they invite (docs/sync-protocol.md "Meetings")."""
from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from server.db import Database
from server.tables import AuditEntry, RecordRow
from tests.server.client import envelope, statuses
from tests.support.records import T0, family, forum_concern, meeting

HELD = date(2026, 4, 2)


def _stored(server, record_id: str) -> dict:
    db = Database(server.db_url)
    try:
        with db.session() as s:
            return json.loads(s.execute(select(RecordRow.data).where(RecordRow.id == record_id)).scalar_one())
    finally:
        db.dispose()


def _ids(api) -> set[str]:
    return {c["id"] for c in api.pull_all()[0]}


def test_a_forum_and_the_concerns_raised_at_it_are_accepted_in_one_batch_in_any_order(official):
    h, v, _ = family()
    forum = meeting().mark_held(HELD)
    named, anonymous = forum_concern(forum), forum_concern(forum, 1, raised_by=None)
    linked = forum_concern(forum, 2, household_id=h.id)
    assert statuses(official.push([linked, anonymous, named, forum, v, h])) == ["accepted"] * 6
    pulled = {c["id"]: c for c in official.pull_all()[0]}
    assert pulled[forum.id]["type"] == "meeting" and pulled[linked.id]["data"]["household_id"] == h.id
    assert pulled[anonymous.id]["data"]["anonymous"] is True


def test_a_concern_whose_meeting_the_server_lacks_waits_for_it(official):
    forum = meeting()
    result = official.push([forum_concern(forum)])[0]
    assert (result["status"], result["code"], result["field"]) == ("rejected", "meeting_missing", "meeting_id")
    assert statuses(official.push([forum, forum_concern(forum)])) == ["accepted", "accepted"]


def test_a_concern_raised_at_a_forum_moves_on_at_the_district_office(official, supervisor):
    forum = meeting().mark_held(HELD)
    c = forum_concern(forum)
    official.push([forum, c])
    answer = supervisor.change_status(c.id, "referred", note="to PDRD", referred_to="PDRD")
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["source"] == "public_forum"


def test_closed_minutes_cannot_be_changed_on_the_server_and_every_addendum_is_kept(official, server):
    held = meeting(minutes="").mark_held(HELD).edited(minutes="ប្រជុំចាប់ផ្ដើមម៉ោង ៨")
    closed = held.close_minutes(by="Demo Official", at=T0 + timedelta(days=40))
    assert statuses(official.push([held])) == ["accepted"]
    assert official.push([envelope(closed, base_rev=1)])[0]["server_rev"] == 2

    silent_edit = closed.edited(minutes="ប្រជុំចាប់ផ្ដើមម៉ោង ៩")
    refused = official.push([envelope(silent_edit, base_rev=2)])[0]
    assert (refused["status"], refused["code"], refused["field"]) == ("rejected", "meeting_minutes_closed", "minutes")
    reopened = closed.edited(minutes_closed_at=None, minutes_closed_by=None)
    assert official.push([envelope(reopened, base_rev=2)])[0]["code"] == "meeting_minutes_closed"

    first = closed.add_addendum("ម៉ោង ៩ មិនមែន ៨", by="Demo Official", at=T0 + timedelta(days=41))
    assert official.push([envelope(first, base_rev=2)])[0]["status"] == "accepted"
    second = first.add_addendum("អ្នកចូលរួម ៤២ នាក់", by="Demo Supervisor", at=T0 + timedelta(days=42))
    assert official.push([envelope(second, base_rev=3)])[0]["status"] == "accepted"
    rewritten = second.edited(addenda=[second.addenda[1].model_dump()])
    dropped = official.push([envelope(rewritten, base_rev=4)])[0]
    assert (dropped["code"], dropped["field"]) == ("meeting_minutes_closed", "addenda")

    stored = _stored(server, held.id)
    assert stored["minutes"] == "ប្រជុំចាប់ផ្ដើមម៉ោង ៨"
    assert [a["text"] for a in stored["addenda"]] == ["ម៉ោង ៩ មិនមែន ៨", "អ្នកចូលរួម ៤២ នាក់"]
    db = Database(server.db_url)
    try:
        with db.session() as s:
            revs = s.execute(select(AuditEntry.server_rev).where(AuditEntry.record_id == held.id,
                                                                 AuditEntry.action == "push")).scalars().all()
    finally:
        db.dispose()
    assert sorted(revs) == [1, 2, 3, 4]  # every version the minutes went through, in the audit log
    # A late retry of a version the server accepted before the close is still a duplicate, not a loss.
    assert official.push([envelope(held)])[0]["status"] == "duplicate"


def test_a_held_meeting_is_not_planned_again_by_a_push(official):
    held = meeting().mark_held(HELD)
    official.push([held])
    back = held.edited(status="planned", held_on=None)
    result = official.push([envelope(back, base_rev=1)])[0]
    assert (result["code"], result["field"]) == ("meeting_status_transition", "status")


def test_meetings_are_pulled_by_their_area_and_by_the_areas_they_invite(official, supervisor, new_user, server):
    own = meeting(0)  # commune 010201: the official's
    district = meeting(1, level="district", area="0102")
    inviting = meeting(2, level="district", area="0102", invitations=[
        {"name": "Working group of Banteay Neang", "area_code": "010201"}])
    inviting_neighbour = meeting(3, level="district", area="0102", invitations=[
        {"name": "Working group of Bat Trang", "area_code": "010202"}])
    village = meeting(4, level="village", area="01020101")
    assert statuses(supervisor.push([district, inviting, inviting_neighbour])) == ["accepted"] * 3
    assert statuses(official.push([own, village])) == ["accepted"] * 2
    province = new_user("supervisor", "01")
    by_province = meeting(5, level="province", area="01", invitations=[
        {"name": "District working group", "area_code": "0102"}])
    assert statuses(province.push([by_province])) == ["accepted"]
    ours = {own.id, district.id, inviting.id, inviting_neighbour.id, village.id, by_province.id}

    assert _ids(official) & ours == {own.id, village.id, inviting.id}
    assert _ids(supervisor) & ours == ours
    neighbour = new_user("official", "010202")
    assert _ids(neighbour) & ours == {inviting_neighbour.id}
    elsewhere = new_user("official", "010301")
    assert _ids(elsewhere) & ours == set()


def test_a_commune_cannot_push_a_meeting_of_the_district_that_invites_it(official, supervisor):
    inviting = meeting(level="district", area="0102", invitations=[{"name": "WG", "area_code": "010201"}])
    supervisor.push([inviting])
    result = official.push([envelope(inviting.edited(place="elsewhere"), base_rev=1)])[0]
    assert (result["status"], result["code"], result["field"]) == ("rejected", "outside_area", "area_code")


def test_an_invitation_withdrawn_stops_the_next_pulls(official, supervisor):
    inviting = meeting(level="district", area="0102", invitations=[{"name": "WG", "area_code": "010201"}])
    supervisor.push([inviting])
    _, cursor, _ = official.pull_all()
    withdrawn = inviting.edited(invitations=[])
    assert supervisor.push([envelope(withdrawn, base_rev=1)])[0]["status"] == "accepted"
    assert inviting.id not in {c["id"] for c in official.pull_all(cursor)[0]}


def test_a_meeting_pushed_again_changed_is_accepted_and_the_report_follows_it(official, supervisor):
    """The update path of a meeting writes every report column (a 500 here once: an update that bound fewer)."""
    def figures(period: str) -> dict:
        answer = supervisor.get("/reports/activity", params={"area": "0102", "period": period})
        assert answer.status_code == 200, answer.text
        return answer.json()

    forum = meeting(7, planned_on=date(2026, 6, 10))
    raised = forum_concern(forum, 7)
    assert statuses(official.push([forum, raised])) == ["accepted", "accepted"]
    june = figures("2026-06")
    assert (june["figures"]["meetings_planned"], june["figures"]["meetings_held"], june["figures"]["concerns"]) == (
        1, 0, 1)
    # Postponed to July, then held there with the public counted and an official present.
    later = forum.postpone(date(2026, 7, 3))
    assert statuses(official.push([later])) == ["accepted"]
    held = later.edited(invitations=[{"name": "លោក សុខ", "attended": False}]).mark_held(date(2026, 7, 4)).edited(
        public_total=35, public_women=20, invitations=[{"name": "លោក សុខ", "attended": True}])
    assert statuses(official.push([held])) == ["accepted"]
    june, july = figures("2026-06"), figures("2026-07")
    assert (june["figures"]["meetings_planned"], june["figures"]["concerns"]) == (1, 0)  # planned in June still
    f = july["figures"]
    assert (f["meetings_held"], f["public_total"], f["public_women"], f["officials_present"], f["concerns"]) == (
        1, 35, 20, 1, 1)  # its concern counts on the day it was held
    assert july["by_source"]["public_forum"] == 1
