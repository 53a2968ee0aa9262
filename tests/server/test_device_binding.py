"""The device a push speaks for is the one its token was issued to: a borrowed device id is refused."""
from __future__ import annotations

import json

from tests.server.client import Api, envelope
from tests.support.records import household


def test_a_push_naming_another_device_than_its_tokens_is_refused_and_stores_nothing(server):
    thief = Api(server, server.official, "device-thief")
    h = household()
    body = json.dumps({"device_id": "device-official", "records": [envelope(h)]}).encode()
    answer = thief.push_raw(body)
    assert answer.status_code == 400 and answer.json()["detail"]["code"] == "device_mismatch"
    assert all(c["id"] != h.id for c in thief.pull_all()[0])


def test_a_stale_edit_sent_as_the_device_that_made_the_newer_version_cannot_overwrite_it(server):
    phone = Api(server, server.official, "device-phone-1")
    other = Api(server, server.official, "device-phone-2")
    h = household()
    phone.push([h])
    newer = h.edited(members=7, device_id="device-phone-1")
    assert phone.push([envelope(newer, base_rev=1)])[0]["status"] == "accepted"

    # The other phone read the first phone's id from pulled records and claims to continue its edit.
    stale = h.edited(members=2, device_id="device-phone-1").edited(members=3)
    body = json.dumps({"device_id": "device-phone-1", "records": [envelope(stale, base_rev=1)]}).encode()
    refused = other.push_raw(body)
    assert refused.status_code == 400 and refused.json()["detail"]["code"] == "device_mismatch"

    # Under its own id the same stale edit is a conflict: both versions kept, nothing overwritten.
    answer = other.push([envelope(stale, base_rev=1)])[0]
    assert answer["status"] == "conflict" and answer["current"]["data"]["members"] == 7
    current = {c["id"]: c for c in phone.pull_all()[0]}[h.id]
    assert current["data"]["members"] == 7
