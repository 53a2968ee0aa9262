"""Bad and oversized input gets a clear 4xx with a reason; overload gets 503 + Retry-After."""
from __future__ import annotations

import gzip
import json
import socket
import time

import pytest
import requests

from server.limits import json_depth
from tests.server.client import Api, envelope
from tests.support.records import household, visit
from tests.support.live_server import live_server

MB = 1024 * 1024


def _detail(answer) -> str:
    return answer.json()["detail"]["code"]


def test_a_gzip_body_and_a_plain_body_are_both_accepted(official):
    assert official.push([household()], gzipped=True)[0]["status"] == "accepted"
    assert official.push([household()], gzipped=False)[0]["status"] == "accepted"


def test_broken_or_truncated_gzip_is_400_bad_gzip(official):
    body = gzip.compress(json.dumps({"device_id": "d", "records": [envelope(household())]}).encode())
    for broken in (b"not gzip at all", body[: len(body) // 2], b""):
        answer = official.push_raw(broken, gzipped=True)
        assert answer.status_code == 400, answer.text
        assert _detail(answer) == "bad_gzip"
        assert answer.json()["detail"]["reason"]


def test_a_body_that_is_not_json_is_400_bad_json(official):
    for body in (b"{", b"\xff\xfe not utf-8", b"records: []"):
        answer = official.push_raw(body)
        assert (answer.status_code, _detail(answer)) == (400, "bad_json")
        answer = official.push_raw(gzip.compress(body), gzipped=True)
        assert (answer.status_code, _detail(answer)) == (400, "bad_json")


def test_an_unknown_content_encoding_is_415(official):
    answer = official.push_raw(b"{}", headers={"Content-Encoding": "br"})
    assert (answer.status_code, _detail(answer)) == (415, "unsupported_encoding")


@pytest.mark.parametrize("payload", [
    [],
    {"records": "none"},
    {"records": [{"type": "household", "id": "x", "rev": "three", "base_rev": None, "data": {}}]},
    {"records": [{"type": "household", "id": "x", "rev": 1, "data": "not an object"}]},
    {"records": [], "sneaky": True},
    {"records": [{"type": "household", "id": "x", "rev": 1, "base_rev": None, "data": {}, "extra": 1}]},
], ids=["a-list", "records-not-a-list", "rev-not-a-number", "data-not-an-object", "unknown-top-field",
        "unknown-record-field"])
def test_a_batch_of_the_wrong_shape_is_422_naming_the_field(official, payload):
    answer = official.push_raw(json.dumps(payload).encode())
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"]


def test_more_than_500_records_in_a_batch_is_413_batch_too_large(official):
    records = [envelope(household()) for _ in range(501)]
    answer = official.push_raw(gzip.compress(json.dumps({"device_id": "d", "records": records}).encode()),
                               gzipped=True)
    assert (answer.status_code, _detail(answer)) == (413, "batch_too_large")


def test_a_body_over_5_mb_is_413_body_too_large(official):
    huge = json.dumps({"device_id": "d", "records": [], "padding": "x" * (6 * MB)}).encode()
    answer = official.push_raw(huge)
    assert (answer.status_code, _detail(answer)) == (413, "body_too_large")


def test_a_chunked_body_over_the_limit_is_413_too(official):
    def chunks():
        for _ in range(7):
            yield b" " * MB

    answer = official.post("/sync/push", data=chunks(), headers={"Content-Type": "application/json"})
    assert (answer.status_code, _detail(answer)) == (413, "body_too_large")


def test_a_gzip_bomb_is_refused_without_inflating_it(official, server):
    bomb = gzip.compress(b"[" + b" " * (200 * MB) + b"]", compresslevel=9)
    assert len(bomb) < MB
    started = time.monotonic()
    answer = official.push_raw(bomb, gzipped=True)
    assert (answer.status_code, _detail(answer)) == (413, "body_too_large")
    assert time.monotonic() - started < 10
    assert requests.get(f"{server.api_url}/health", timeout=10).status_code == 200


def test_other_endpoints_refuse_bodies_over_64_kb(server):
    answer = requests.post(f"{server.api_url}/auth/login", timeout=30,
                           json={"username": "u" * 70000, "password": "p", "device_id": "d"})
    assert (answer.status_code, _detail(answer)) == (413, "body_too_large")


def test_too_many_requests_in_flight_get_503_with_retry_after_and_health_still_answers(new_db_url):
    with live_server(new_db_url(), extra_args=["--max-in-flight", "1"]) as srv:
        api = Api(srv, srv.official)
        with socket.create_connection(("127.0.0.1", srv.port)) as held:
            # A request whose body never comes: it occupies the only slot.
            held.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n")
            time.sleep(0.3)
            busy = api.get("/sync/pull")
            assert (busy.status_code, _detail(busy)) == (503, "overloaded")
            assert int(busy.headers["Retry-After"]) >= 1
            assert requests.get(f"{srv.api_url}/health", timeout=10).status_code == 200
        deadline = time.monotonic() + 10
        while api.get("/sync/pull").status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert api.get("/sync/pull").status_code == 200


def test_json_nested_50000_deep_is_400_bad_json_plain_or_gzip(official):
    deep = b'{"device_id": "d", "records": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    for gzipped in (False, True):
        answer = official.push_raw(gzip.compress(deep) if gzipped else deep, gzipped=gzipped)
        assert (answer.status_code, _detail(answer)) == (400, "bad_json"), answer.text
    # Deep enough to pass the parser and then be echoed in a 422, were there no limit.
    record = {"type": "household", "id": "x", "rev": 1, "data": {}, "base_rev": None}
    echoed = json.dumps({"records": [record]}).replace("null", "[" * 600 + "]" * 600).encode()
    answer = official.push_raw(echoed)
    assert (answer.status_code, _detail(answer)) == (400, "bad_json")


def test_a_sign_in_or_status_body_nested_deep_is_400_bad_json(server, supervisor):
    for depth in (600, 30_000):
        body = b'{"username": ' + b"[" * depth + b"]" * depth + b', "password": "x"}'
        answer = requests.post(f"{server.api_url}/auth/login", data=body,
                               headers={"Content-Type": "application/json"}, timeout=30)
        assert (answer.status_code, _detail(answer)) == (400, "bad_json"), depth
    answer = supervisor.post("/concerns/00000000-0000-4000-8000-000000000000/status",
                             data=b'{"status": "open", "note": ' + b"[" * 600 + b"]" * 600 + b"}",
                             headers={"Content-Type": "application/json"})
    assert (answer.status_code, _detail(answer)) == (400, "bad_json")


def test_brackets_and_quotes_inside_text_do_not_count_as_nesting(official):
    h = household(head_name='Sok "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\\" Dara')
    v = visit(h, notes="{" * 100 + '\\"' + "[" * 100)
    assert [r["status"] for r in official.push([h, v], gzipped=False)] == ["accepted", "accepted"]


def test_json_depth_counts_brackets_outside_strings_only():
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'["]]]]", [["\\"]", "\\\\"]]]') == 3
    assert json_depth(b'"[[[[" ' * 3 + b"[[]]") == 2
    assert json_depth(b"") == 0
