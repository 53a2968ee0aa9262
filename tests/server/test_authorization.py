"""Areas and roles: officials work inside their area, supervisors see all of theirs, admins everything."""
from __future__ import annotations

from tests.server.client import envelope
from tests.support.records import family, household


def test_an_official_cannot_push_a_household_outside_their_area(new_user, commune, communes):
    code, villages = commune
    official = new_user("official", code)
    elsewhere = next(v for c, vs in communes if c != code for v in vs)
    result = official.push([household(village=elsewhere)])[0]
    assert (result["status"], result["code"], result["field"]) == ("rejected", "outside_area", "village_code")
    assert official.push([household(village=villages[0])])[0]["status"] == "accepted"


def test_an_official_cannot_edit_or_attach_visits_to_a_household_of_another_area(new_user, communes):
    (code_a, villages_a), (code_b, villages_b) = communes[-1], communes[-2]
    a, b = new_user("official", code_a), new_user("official", code_b)
    h, v, c = family(village=villages_a[0])
    assert [r["status"] for r in a.push([h, v, c])] == ["accepted"] * 3
    moved = h.edited(village_code=villages_b[0])
    assert b.push([envelope(moved, base_rev=1)])[0]["code"] == "outside_area"
    from tests.support.records import visit

    results = b.push([visit(h)])
    assert (results[0]["code"], results[0]["field"]) == ("outside_area", "household_id")


def test_officials_pull_only_their_area_and_the_supervisor_pulls_the_whole_district(new_user, communes):
    district = "1401"  # Prey Veng: not used by other tests' communes picked from the start of the list
    in_district = [(c, vs) for c, vs in communes if c.startswith(district)][:2]
    (code_a, villages_a), (code_b, villages_b) = in_district
    a, b = new_user("official", code_a), new_user("official", code_b)
    supervisor = new_user("supervisor", district)
    ha, hb = household(village=villages_a[0]), household(village=villages_b[0])
    a.push([ha])
    b.push([hb])
    assert {c["id"] for c in a.pull_all()[0]} == {ha.id}
    assert {c["id"] for c in b.pull_all()[0]} == {hb.id}
    assert {c["id"] for c in supervisor.pull_all()[0]} >= {ha.id, hb.id}
    assert all(c["data"]["village_code"].startswith(district) for c in supervisor.pull_all()[0]
               if c["type"] == "household")


def test_an_admin_with_no_area_sees_the_whole_country(new_user, official):
    admin = new_user("admin", "")
    h = household()
    official.push([h])
    assert h.id in {c["id"] for c in admin.pull_all()[0]}


def test_only_supervisors_and_admins_change_a_concern_status_at_the_office(official, supervisor):
    h, v, c = family()
    official.push([h, v, c])
    answer = official.change_status(c.id, "in_progress")
    assert answer.status_code == 403
    assert answer.json()["detail"]["code"] == "forbidden_role"
    assert supervisor.change_status(c.id, "in_progress").status_code == 200


def test_a_supervisor_cannot_change_a_concern_outside_their_area(new_user, official):
    h, v, c = family()
    official.push([h, v, c])
    far = new_user("supervisor", "1701")
    answer = far.change_status(c.id, "in_progress")
    assert answer.status_code == 403
    assert answer.json()["detail"]["code"] == "outside_area"


def test_a_status_change_of_an_unknown_concern_is_404(supervisor):
    answer = supervisor.change_status("00000000-0000-4000-8000-000000000000", "in_progress")
    assert answer.status_code == 404
    assert answer.json()["detail"]["code"] == "not_found"


def test_only_a_supervisor_may_escalate_a_concern_to_national_level(official, supervisor):
    h, v, c = family()
    official.push([h, v, c])
    escalated = c.change_status("escalated", by="Demo Official", note="Needs the ministry")
    result = official.push([envelope(escalated, base_rev=1)])[0]
    assert (result["status"], result["code"], result["field"]) == ("rejected", "forbidden_role", "status")
    assert supervisor.push([envelope(escalated, base_rev=1)], device_id="device-supervisor")[0][
        "status"] == "accepted"


def test_officials_cannot_read_the_conflict_review_list(official):
    answer = official.get("/conflicts")
    assert answer.status_code == 403
    assert answer.json()["detail"]["code"] == "forbidden_role"
