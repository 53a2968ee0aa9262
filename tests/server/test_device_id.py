"""The device of a push is the one its token was signed in on; a body cannot pass for another device."""
from __future__ import annotations

import json

from tests.server.client import envelope
from tests.support.records import household


def test_an_official_posing_as_another_device_is_refused_and_the_newer_version_stays(new_user, commune):
    code, villages = commune
    a = new_user("official", code, device_id="device-a")
    b = new_user("official", code, device_id="device-b")
    h = household(village=villages[0], device_id="device-a")
    assert a.push([h])[0]["status"] == "accepted"
    newer = h.edited(members=5)
    assert a.push([envelope(newer, base_rev=1)])[0]["server_rev"] == 2  # server: rev 2 from base 1, device-a
    # B read device-a's id in the pulled records and sends a stale edit (base 1, a higher rev) as device-a:
    # as device-a it would "continue device-a's edit" and overwrite the newer version without a conflict.
    pulled = {c["id"]: c for c in b.pull_all()[0]}
    assert pulled[h.id]["data"]["device_id"] == "device-a"
    stale = h.edited(head_name="Someone Else").edited(members=9)
    body = json.dumps({"device_id": "device-a", "records": [envelope(stale, base_rev=1)]}).encode()
    answer = b.push_raw(body)
    assert (answer.status_code, answer.json()["detail"]["code"]) == (400, "device_mismatch")
    assert {c["id"]: c for c in b.pull_all()[0]}[h.id]["data"]["members"] == 5
    # Under its own id the same edit is a conflict: kept aside, the newer version untouched.
    result = b.push([envelope(stale, base_rev=1)])[0]
    assert (result["status"], result["current"]["data"]["members"]) == ("conflict", 5)
    kept = [k for k in new_user("admin", "").get("/conflicts").json()["conflicts"] if k["record_id"] == h.id]
    assert [(k["device_id"], k["data"]["head_name"]) for k in kept] == [("device-b", "Someone Else")]


def test_a_body_naming_the_signed_in_device_or_none_is_the_signed_in_device(new_user, commune):
    code, villages = commune
    a = new_user("official", code, device_id="device-a")
    h = household(village=villages[0])
    body = json.dumps({"records": [envelope(h)]}).encode()  # no device_id: the token's
    assert a.push_raw(body).json()["results"][0]["status"] == "accepted"
    assert a.push([envelope(h.edited(members=7), base_rev=1)], device_id="device-a")[0]["status"] == "accepted"
