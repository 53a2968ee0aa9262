"""Text that JSON can carry and UTF-8 cannot (a lone surrogate, "\\ud800"): a 4xx per record, never a 500."""
from __future__ import annotations

import json

from tests.server.client import envelope, statuses
from tests.support.records import family, household, visit


def _push_text(api, records: list[dict]) -> list[dict]:
    # json.dumps escapes the lone surrogate: the body holds the six characters \ud800, as a client would send.
    body = json.dumps({"device_id": api.device_id, "records": records}).encode("ascii")
    assert b"\\ud800" in body
    answer = api.push_raw(body)
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


def test_a_lone_surrogate_rejects_only_its_record_and_the_good_record_beside_it_is_stored(official):
    good = household(head_name="Sok Dara 😀")  # a surrogate pair is one real character: fine
    bad_name = household(head_name="Sok Dara")
    h, v, _ = family()
    bad_notes = envelope(visit(h))
    bad_notes["data"]["notes"] = "well \ud800 broken"
    bad_head = envelope(bad_name)
    bad_head["data"]["head_name"] = "Sok \ud800"
    bad_key = envelope(household())
    bad_key["data"]["\ud800"] = "x"
    results = _push_text(official, [envelope(good), bad_head, envelope(h), bad_notes, bad_key])
    assert statuses(results) == ["accepted", "rejected", "accepted", "rejected", "rejected"]
    assert [(r["code"], r["field"]) for r in results[1:4:2]] == [("text_invalid", "head_name"),
                                                                ("text_invalid", "notes")]
    assert results[4]["code"] == "text_invalid"  # a field name that is not text
    pulled = {c["id"]: c["data"] for c in official.pull_all()[0]}
    assert pulled[good.id]["head_name"] == "Sok Dara 😀" and h.id in pulled
    assert bad_name.id not in pulled


def test_a_lone_surrogate_in_a_batch_s_envelope_is_a_422_like_any_wrong_shape(official):
    for envelope_field in ("type", "id", "rev"):
        odd = {**envelope(household()), envelope_field: "\ud800"}
        answer = official.push_raw(json.dumps({"records": [odd]}).encode("ascii"))
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["loc"] == ["body", "records", 0, envelope_field]
    answer = official.push_raw(json.dumps({"device_id": "\ud800", "records": []}).encode("ascii"))
    assert answer.status_code == 422, answer.text


def test_a_lone_surrogate_in_a_sign_in_or_a_status_change_is_a_4xx(server, official, supervisor):
    for body in ({"username": "\ud800", "password": "x"}, {"username": "demo", "password": "\ud800"},
                 {"username": "demo", "password": "x", "device_id": "\ud800"}):
        answer = official.session.post(official.url("/auth/login"), data=json.dumps(body),
                                       headers={"Content-Type": "application/json"}, timeout=30)
        assert answer.status_code == 422, (body, answer.text)
    h, v, c = family()
    official.push([h, v, c])
    for body in ({"status": "in_progress", "note": "\ud800"}, {"status": "referred", "referred_to": "\ud800"}):
        answer = supervisor.post(f"/concerns/{c.id}/status", data=json.dumps(body),
                                 headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, (body, answer.text)
