"""Areas and roles: officials work inside their area, supervisors see all of theirs, admins everything."""
from __future__ import annotations

from tests.server.client import envelope
from tests.support.records import ESCALATION, concern, family, household, visit


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
    results = b.push([visit(h)])
    assert (results[0]["code"], results[0]["field"]) == ("household_missing", "household_id")


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
    assert answer.status_code == 404
    assert answer.json()["detail"]["code"] == "not_found"


def test_a_status_change_of_an_unknown_concern_is_404(supervisor):
    answer = supervisor.change_status("00000000-0000-4000-8000-000000000000", "in_progress")
    assert answer.status_code == 404
    assert answer.json()["detail"]["code"] == "not_found"


def test_only_a_supervisor_may_escalate_a_concern_to_national_level(official, supervisor):
    h, v, c = family()
    official.push([h, v, c])
    escalated = c.change_status("escalated", by="Demo Official", note="Needs the ministry",
                                escalation=ESCALATION)
    result = official.push([envelope(escalated, base_rev=1)])[0]
    assert (result["status"], result["code"], result["field"]) == ("rejected", "forbidden_role", "status")
    assert supervisor.push([envelope(escalated, base_rev=1)], device_id="device-supervisor")[0][
        "status"] == "accepted"


def test_officials_cannot_read_the_conflict_review_list(official):
    answer = official.get("/conflicts")
    assert answer.status_code == 403
    assert answer.json()["detail"]["code"] == "forbidden_role"


def _answer(result: dict, *ids: str) -> tuple:
    """What a result tells the caller, with the probed ids blanked: to compare two probes' answers."""
    reason = result["reason"] or ""
    for record_id in ids:
        reason = reason.replace(record_id, "<id>")
    return result["status"], result["code"], result["field"], reason


def test_another_area_s_household_is_answered_as_one_that_does_not_exist(new_user, communes):
    (code_a, villages_a), (code_b, villages_b) = communes[-3], communes[-4]
    a, b = new_user("official", code_a), new_user("official", code_b)
    h, v, c = family(village=villages_a[0])
    a.push([h, v, c])
    nowhere = household(village=villages_b[0])  # never pushed
    theirs, missing = b.push([visit(h)])[0], b.push([visit(nowhere)])[0]
    assert _answer(theirs, h.id) == _answer(missing, nowhere.id)
    mine = household(village=villages_b[0])
    b.push([mine])
    never_sent = visit(mine)
    theirs, missing = b.push([concern(mine, v)])[0], b.push([concern(mine, never_sent)])[0]
    assert theirs["code"] == "visit_missing"
    assert _answer(theirs, v.id) == _answer(missing, never_sent.id)


def test_answers_about_another_area_name_no_village_and_no_type(new_user, communes):
    (code_a, villages_a), (code_b, villages_b) = communes[-5], communes[-6]
    a, b = new_user("official", code_a), new_user("official", code_b)
    h, v, _ = family(village=villages_a[0])
    a.push([h, v])
    moved_in = b.push([envelope(h.edited(village_code=villages_b[0]), base_rev=1)])[0]
    assert moved_in["code"] == "outside_area"
    assert villages_a[0] not in moved_in["reason"] and code_a not in moved_in["reason"]
    # An id of another area gets the same answer whatever type it has there (no id_mismatch naming it).
    mine = household(village=villages_b[0])
    b.push([mine])
    as_household = [b.push([household(village=villages_b[0]).model_copy(update={"id": taken})])[0] for taken in (h.id, v.id)]
    as_visit = [b.push([visit(mine).model_copy(update={"id": taken})])[0] for taken in (h.id, v.id)]
    for answers in (as_household, as_visit):
        assert _answer(answers[0], h.id) == _answer(answers[1], v.id)
        assert answers[0]["code"] == "outside_area"
    assert all("visit" not in r["reason"] and villages_a[0] not in r["reason"] for r in as_household + as_visit)


def test_a_concern_of_another_area_is_answered_like_an_unknown_concern(new_user, official):
    h, v, c = family()
    official.push([h, v, c])
    far = new_user("supervisor", "1701")
    unknown = "00000000-0000-4000-8000-000000000000"
    theirs, nothing = far.change_status(c.id, "in_progress"), far.change_status(unknown, "in_progress")
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.json()["detail"]["reason"].replace(c.id, "<id>") == nothing.json()["detail"]["reason"].replace(
        unknown, "<id>")
