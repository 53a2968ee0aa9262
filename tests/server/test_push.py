"""Push: accepted, duplicate, rejected and conflict answers, per record, against the live server."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from records.models import Household
from server.db import Database
from server.tables import AuditEntry, ConflictRevision, RecordRow
from tests.server.client import envelope, statuses
from tests.support.records import VILLAGE, concern, family, household, visit


def _count(server, table, **where) -> int:
    db = Database(server.db_url)
    try:
        with db.session() as s:
            query = select(func.count()).select_from(table)
            for column, value in where.items():
                query = query.where(getattr(table, column) == value)
            return s.execute(query).scalar_one()
    finally:
        db.dispose()


def test_a_household_with_its_visit_and_concern_is_accepted_in_one_batch_in_any_order(official):
    h, v, c = family()
    results = official.push([c, v, h])
    assert statuses(results) == ["accepted"] * 3
    assert [r["server_rev"] for r in results] == [1, 1, 1]


def test_a_retried_batch_is_answered_duplicate_and_stored_once(official, server):
    h, v, c = family()
    first = official.push([h, v, c])
    again = official.push([h, v, c])
    assert statuses(first) == ["accepted"] * 3
    assert statuses(again) == ["duplicate"] * 3
    assert [r["server_rev"] for r in again] == [1, 1, 1]
    assert _count(server, AuditEntry, record_id=h.id, action="push") == 1
    assert _count(server, RecordRow, id=h.id) == 1


def test_an_edit_from_the_current_server_rev_is_accepted_and_bumps_server_rev(official):
    h = household()
    assert official.push([h])[0]["server_rev"] == 1
    edited = h.edited(members=6)
    result = official.push([envelope(edited, base_rev=1)])[0]
    assert (result["status"], result["server_rev"]) == ("accepted", 2)


def test_a_stale_edit_is_a_conflict_that_keeps_both_versions(official, supervisor, server):
    h = household()
    official.push([h])
    by_supervisor = h.edited(members=7, device_id="device-supervisor")
    assert supervisor.push([envelope(by_supervisor, base_rev=1)], device_id="device-supervisor")[0][
        "status"] == "accepted"
    by_official = h.edited(phone="097 777 7777")
    result = official.push([envelope(by_official, base_rev=1)])[0]
    assert result["status"] == "conflict"
    assert result["server_rev"] == 2
    assert result["current"]["server_rev"] == 2
    assert result["current"]["data"]["members"] == 7
    # Nothing overwritten, nothing lost: the official's version waits on the server for review.
    kept = supervisor.get("/conflicts").json()["conflicts"]
    mine = [c for c in kept if c["record_id"] == h.id]
    assert len(mine) == 1 and mine[0]["data"]["phone"] == "+855977777777"
    assert mine[0]["username"] == server.official.username
    # The same conflicting push again is not stored twice.
    assert official.push([envelope(by_official, base_rev=1)])[0]["status"] == "conflict"
    assert _count(server, ConflictRevision, record_id=h.id) == 1


def test_a_resend_after_a_lost_answer_and_a_further_local_edit_is_accepted(official):
    # The device sent rev 2 (base 1); the server accepted it but the answer was lost; the
    # official edited again (rev 3) and the device sends rev 3, still based on server rev 1.
    h = household()
    official.push([h])
    rev2 = h.edited(members=2)
    official.push([envelope(rev2, base_rev=1)])
    rev3 = rev2.edited(members=3)
    result = official.push([envelope(rev3, base_rev=1)])[0]
    assert (result["status"], result["server_rev"]) == ("accepted", 3)


def test_a_late_copy_of_an_older_accepted_version_is_a_duplicate_not_a_conflict(official):
    h = household()
    official.push([h])
    rev2 = h.edited(members=2)
    official.push([envelope(rev2, base_rev=1)])
    official.push([envelope(rev2.edited(members=3), base_rev=2)])
    late = official.push([envelope(rev2, base_rev=1)])[0]
    # The rev that content got: the device's copy is based on it, a pull brings rev 3.
    assert (late["status"], late["server_rev"]) == ("duplicate", 2)


def test_a_retry_that_arrives_after_someone_else_changed_the_record_cannot_overwrite_their_change(
        official, supervisor):
    h = household()
    official.push([h])
    supervisor.push([envelope(h.edited(members=8, device_id="device-supervisor"), base_rev=1)],
                    device_id="device-supervisor")
    retry = official.push([h])[0]
    assert (retry["status"], retry["server_rev"]) == ("duplicate", 1)
    stale_edit = official.push([envelope(h.edited(members=2), base_rev=retry["server_rev"])])[0]
    assert stale_edit["status"] == "conflict" and stale_edit["current"]["data"]["members"] == 8


def test_invalid_records_are_rejected_with_the_code_and_field_of_the_rule_and_the_rest_is_accepted(official):
    good = household()
    bad_phone = household().wire() | {"phone": "12"}
    no_name = household().wire() | {"head_name": "   "}
    too_many = household().wire() | {"members": 0}
    unknown_field = household().wire() | {"colour": "blue"}
    items = [envelope(good)] + [{"type": "household", "id": d["id"], "rev": 1, "base_rev": None, "data": d}
                                for d in (bad_phone, no_name, too_many, unknown_field)]
    results = official.push(items)
    assert statuses(results) == ["accepted", "rejected", "rejected", "rejected", "rejected"]
    assert [(r["code"], r["field"]) for r in results[1:]] == [
        ("phone_too_short", "phone"), ("name_empty", "head_name"), ("members_too_few", "members"),
        ("extra_forbidden", "colour")]
    assert all(r["reason"] for r in results[1:])


def test_visit_and_concern_without_their_household_or_visit_on_the_server_are_rejected(official):
    h, v, c = family()
    orphan_concern = concern(h, visit(h))  # its visit is never sent
    results = official.push([v, c])
    assert [(r["status"], r["code"], r["field"]) for r in results] == [
        ("rejected", "household_missing", "household_id"), ("rejected", "household_missing", "household_id")]
    results = official.push([h, v, c, orphan_concern])
    assert statuses(results) == ["accepted", "accepted", "accepted", "rejected"]
    assert (results[3]["code"], results[3]["field"]) == ("visit_missing", "visit_id")


def test_envelope_problems_are_rejected_per_record(official):
    h = household()
    wrong_type = {"type": "tractor", "id": h.id, "rev": 1, "base_rev": None, "data": h.wire()}
    wrong_id = {"type": "household", "id": str(uuid.uuid4()), "rev": 1, "base_rev": None, "data": h.wire()}
    wrong_rev = {"type": "household", "id": h.id, "rev": 5, "base_rev": None, "data": h.wire()}
    results = official.push([wrong_type, wrong_id, wrong_rev])
    assert [(r["code"], r["field"]) for r in results] == [
        ("type_unknown", "type"), ("id_mismatch", "id"), ("id_mismatch", "rev")]


def test_an_id_taken_by_another_type_is_rejected(official):
    h, v, _ = family()
    official.push([h, v])
    impostor = household().wire() | {"id": v.id}
    result = official.push([{"type": "household", "id": v.id, "rev": 1, "base_rev": None, "data": impostor}])[0]
    assert (result["status"], result["code"]) == ("rejected", "id_mismatch")


def test_a_village_code_missing_from_the_gazetteer_is_rejected(official):
    h = Household(head_name="Dara", village_code="01020199", device_id="device-official")
    result = official.push([h])[0]
    assert (result["status"], result["code"], result["field"]) == ("rejected", "village_code_invalid",
                                                                    "village_code")


def test_every_accepted_change_is_in_the_audit_log_with_who_device_and_rev(official, server):
    h = household()
    official.push([h])
    official.push([envelope(h.edited(members=9), base_rev=1)])
    db = Database(server.db_url)
    try:
        with db.session() as s:
            rows = s.execute(select(AuditEntry).where(AuditEntry.record_id == h.id).order_by(AuditEntry.id)
                             ).scalars().all()
    finally:
        db.dispose()
    assert [(r.action, r.username, r.device_id, r.rev, r.server_rev) for r in rows] == [
        ("push", server.official.username, "device-official", 1, 1),
        ("push", server.official.username, "device-official", 2, 2)]
    assert all(r.at is not None and r.seq for r in rows)


def test_a_household_that_moves_takes_its_visits_to_the_new_area(supervisor, new_user, server):
    neighbour = new_user("official", "010202")
    h, v, c = family(village=VILLAGE)
    supervisor.push([h, v, c])
    moved = h.edited(village_code="01020201")
    assert supervisor.push([envelope(moved, base_rev=1)])[0]["status"] == "accepted"
    pulled = {ch["id"] for ch in neighbour.pull_all()[0]}
    assert {h.id, v.id, c.id} <= pulled
