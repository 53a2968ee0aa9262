"""More hostile input beside test_hostile_text.py and test_limits.py: every text field, the depth limit's edge."""
from __future__ import annotations

import gzip
import json

import pytest
import requests

from server.limits import MAX_JSON_DEPTH
from server.schemas import CURSOR_PATTERN
from tests.server.client import envelope, statuses
from tests.support.records import family, household

SURROGATE = "\ud800"  # json.dumps writes it as the raw escape "\ud800": valid JSON, no character


def _body(records: list[dict], device_id: str = "device-official") -> bytes:
    return json.dumps({"device_id": device_id, "records": records}).encode("ascii")


def _with(record, **fields) -> dict:
    item = envelope(record)
    item["data"].update(fields)
    return item


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
def test_a_lone_surrogate_in_any_field_of_a_record_rejects_that_record_alone(official, gzipped):
    h, v, c = family(7)
    items = [
        _with(h, address="Phum " + SURROGATE),
        _with(v, notes=SURROGATE),
        _with(c, description="water" + SURROGATE),
        _with(household(4), phone=SURROGATE),
        _with(household(5), village_code=SURROGATE),
        _with(household(6), id=SURROGATE),
        _with(household(8), head_name_latin="Sok" + SURROGATE),
        envelope(household(9)),
    ]
    body = _body(items)
    answer = official.push_raw(gzip.compress(body) if gzipped else body, gzipped=gzipped)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert statuses(results) == ["rejected"] * 7 + ["accepted"]
    assert [r["code"] for r in results[:3]] == ["text_invalid"] * 3
    assert results[6]["code"] == "text_invalid"
    assert all(r["code"] for r in results[:7])
    pulled = {ch["id"] for ch in official.pull_all()[0]}
    assert items[-1]["id"] in pulled and h.id not in pulled


def test_a_too_long_field_with_a_lone_surrogate_is_a_readable_422(server):
    # FastAPI's 422 echoes the input: the answer must still be valid JSON (escaped), not a 500.
    body = {"username": SURROGATE * 100, "password": "p", "device_id": "d"}
    answer = requests.post(f"{server.api_url}/auth/login", data=json.dumps(body),
                           headers={"Content-Type": "application/json"}, timeout=30)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]


def _nested(depth: int) -> bytes:
    # A well-formed batch whose one record holds a value `depth` levels deep in all.
    record = envelope(household(13))
    record["data"]["gps"] = "HOLE"
    text = json.dumps({"device_id": "device-official", "records": [record]})
    inner = depth - 4  # body {, records [, record {, data {
    return text.replace('"HOLE"', "[" * inner + "]" * inner).encode()


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
def test_a_body_one_level_past_the_depth_limit_is_400_and_at_the_limit_it_is_read(official, gzipped):
    def send(depth: int):
        body = _nested(depth)
        return official.push_raw(gzip.compress(body) if gzipped else body, gzipped=gzipped)

    past = send(MAX_JSON_DEPTH + 1)
    assert (past.status_code, past.json()["detail"]["code"]) == (400, "bad_json"), past.text
    at = send(MAX_JSON_DEPTH)
    assert at.status_code == 200, at.text  # read, then the record is rejected for its gps
    assert statuses(at.json()["results"]) == ["rejected"]


def test_a_gzip_bomb_of_brackets_is_400_and_the_server_stays_up(official, server):
    bomb = gzip.compress(b"[" * (4 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 64 * 1024
    answer = official.push_raw(bomb, gzipped=True)
    assert (answer.status_code, answer.json()["detail"]["code"]) == (400, "bad_json")
    assert requests.get(f"{server.api_url}/health", timeout=10).status_code == 200


def test_the_openapi_schema_gives_next_cursor_the_pattern_of_the_cursor_parameter(server):
    schema = requests.get(f"{server.base_url}/openapi.json", timeout=30).json()
    cursor = next(p for p in schema["paths"]["/api/v1/sync/pull"]["get"]["parameters"] if p["name"] == "cursor")
    assert cursor["schema"]["pattern"] == CURSOR_PATTERN
    assert schema["components"]["schemas"]["PullResponse"]["properties"]["next_cursor"]["pattern"] == CURSOR_PATTERN
