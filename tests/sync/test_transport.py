"""The transport: URLs it accepts, what it sends, and how answers map to the error tree."""
from __future__ import annotations

import gzip
import json
import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from sync.transport import (
    AuthError,
    Forbidden,
    HttpResponse,
    InsecureServerURL,
    Refused,
    RetryLater,
    SyncError,
    Temporary,
    Transport,
    Unreachable,
    check_server_url,
    parse_retry_after,
)
from tests.sync.fakes import FakeServer, json_response


def transport_answering(*responses, token="token-1"):
    sent = []

    def send(request):
        sent.append(request)
        item = responses[min(len(sent), len(responses)) - 1]
        if isinstance(item, BaseException):
            raise item
        return item

    return Transport("http://127.0.0.1:9", token=token, send=send), sent


@pytest.mark.parametrize("url", ["http://localhost:8000", "http://127.0.0.1:8000/", "http://[::1]:8000",
                                 "http://127.0.0.5", "https://phum.example.org", "https://10.0.0.1:8443/api/v1"])
def test_https_anywhere_and_plain_http_to_this_machine_are_accepted(url):
    assert not check_server_url(url).endswith("/")
    assert not check_server_url(url).endswith("/api/v1")


@pytest.mark.parametrize("url", ["http://phum.example.org", "http://192.168.1.10:8000", "http://localhost.evil.com"])
def test_plain_http_to_another_host_is_refused_unless_allowed(url):
    with pytest.raises(InsecureServerURL):
        Transport(url)
    assert check_server_url(url, allow_insecure=True).startswith("http://")


@pytest.mark.parametrize("url", ["", "phum.example.org", "ftp://phum.example.org", "https://"])
def test_something_that_is_not_a_server_address_is_refused(url):
    with pytest.raises(ValueError):
        check_server_url(url)


def test_push_sends_gzip_json_with_the_bearer_token():
    results = [{"id": "a", "status": "accepted", "server_rev": 1}]
    transport, sent = transport_answering(json_response(200, {"results": results}))
    assert transport.push([{"id": "a"}], device_id="dev-1") == results
    request = sent[0]
    assert request.method == "POST" and request.url == "http://127.0.0.1:9/api/v1/sync/push"
    assert request.headers["Content-Encoding"] == "gzip"
    assert request.headers["Authorization"] == "Bearer token-1"
    assert json.loads(gzip.decompress(request.body)) == {"device_id": "dev-1", "records": [{"id": "a"}]}
    assert transport.wire.sent == len(request.body) and transport.wire.requests == 1


def test_a_push_answer_without_one_result_per_record_is_not_trusted():
    transport, _ = transport_answering(json_response(200, {"results": []}))
    with pytest.raises(Unreachable):
        transport.push([{"id": "a"}], device_id="d")


def test_pull_sends_the_cursor_only_when_there_is_one():
    page = {"changes": [], "next_cursor": "7", "has_more": False}
    transport, sent = transport_answering(json_response(200, page))
    assert transport.pull(None, limit=100) == page
    transport.pull("abc=", limit=5)
    assert sent[0].url.endswith("/sync/pull?limit=100")
    assert sent[1].url.endswith("/sync/pull?cursor=abc%3D&limit=5")


def test_login_keeps_the_token_for_later_calls_and_logout_forgets_it():
    fake = FakeServer()
    transport = Transport("http://localhost:1", send=fake)
    answer = transport.login("official1", "secret", device_id="dev-1")
    assert answer["user"]["area_code"] == "12" and transport.token == "token-1"
    assert "Authorization" not in fake.requests[0].headers
    transport.logout()
    assert transport.token == "" and fake.valid_tokens == set()


def test_a_wrong_password_is_an_auth_error():
    transport = Transport("http://localhost:1", send=FakeServer())
    with pytest.raises(AuthError) as err:
        transport.login("official1", "nope", device_id="d")
    assert err.value.code == "login_failed" and err.value.status == 401


def test_logout_with_a_token_the_server_forgot_still_signs_out():
    transport, _ = transport_answering(json_response(401, {"detail": {"code": "token_expired", "reason": "old"}}))
    transport.logout()
    assert transport.token == ""


@pytest.mark.parametrize("response, error, code", [
    (json_response(500, {"detail": "boom"}), Unreachable, "server_error"),
    (json_response(502, None), Unreachable, "server_error"),
    (json_response(503, None), Unreachable, "server_error"),  # 503 without Retry-After: just try later
    (json_response(503, None, {"retry-after": "7"}), RetryLater, "busy"),
    (json_response(429, {"detail": {"code": "login_locked", "reason": "wait"}}, {"retry-after": "60"}), RetryLater,
     "login_locked"),
    (json_response(401, {"detail": {"code": "token_expired", "reason": "expired"}}), AuthError, "token_expired"),
    (json_response(403, {"detail": {"code": "outside_area", "reason": "not yours"}}), Forbidden, "outside_area"),
    (json_response(413, {"detail": {"code": "batch_too_large", "reason": "max 500"}}), Refused, "batch_too_large"),
    (json_response(422, {"detail": [{"loc": ["body", "records"], "msg": "field required", "type": "missing"}]}),
     Refused, "invalid_request"),
    (HttpResponse(200, {}, b'{"results": [{"id"'), Unreachable, "bad_response"),  # cut mid-answer
])
def test_answers_map_to_what_the_caller_should_do(response, error, code):
    transport, _ = transport_answering(response)
    with pytest.raises(error) as err:
        transport.health()
    assert err.value.code == code
    assert isinstance(err.value, SyncError)


def test_the_error_tree_splits_retryable_from_refused():
    assert issubclass(Unreachable, Temporary) and issubclass(RetryLater, Temporary)
    assert issubclass(AuthError, Refused) and issubclass(Forbidden, Refused)
    assert not issubclass(Refused, Temporary)


def test_retry_after_is_read_in_seconds_or_as_a_date():
    transport, _ = transport_answering(json_response(429, None, {"retry-after": "12"}))
    with pytest.raises(RetryLater) as err:
        transport.health()
    assert err.value.retry_after == 12
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after("-5") == 0


def test_a_send_that_fails_with_an_os_error_is_unreachable():
    transport, _ = transport_answering(ConnectionResetError("reset by peer"))
    with pytest.raises(Unreachable):
        transport.health()


def test_a_closed_port_on_this_machine_is_unreachable_through_real_requests():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    transport = Transport(f"http://127.0.0.1:{port}", timeout=(1.0, 1.0))
    with pytest.raises(Unreachable):
        transport.health()
    transport.close()


def test_concern_status_change_goes_to_the_concern_path():
    transport, sent = transport_answering(json_response(200, {"server_rev": 2, "data": {}}))
    transport.change_concern_status("c-1", "referred", note="to PDoWRAM", referred_to="PDoWRAM")
    assert sent[0].url.endswith("/api/v1/concerns/c-1/status")
    assert json.loads(sent[0].body) == {"status": "referred", "note": "to PDoWRAM", "referred_to": "PDoWRAM"}


def test_a_report_file_comes_as_bytes_named_without_any_folder_the_server_might_put_in_its_name():
    pdf = HttpResponse(200, {"content-type": "application/pdf",
                             "content-disposition": 'attachment; filename="../../etc/phum-report-0102-2026-Q1.pdf"'},
                       b"%PDF-1.7 ...")
    transport, sent = transport_answering(pdf)
    body, name = transport.report_file("0102", "2026-Q1", "pdf", "km")
    assert body == b"%PDF-1.7 ..." and name == "phum-report-0102-2026-Q1.pdf"
    url = sent[0].url
    assert url.startswith("http://127.0.0.1:9/api/v1/reports/activity?") and "format=pdf" in url and "area=0102" in url
    assert sent[0].headers["Authorization"] == "Bearer token-1" and sent[0].headers["Accept"] == "*/*"


def test_a_refused_report_file_is_the_servers_error_not_a_file():
    refused = json_response(400, {"detail": {"code": "period_invalid", "reason": "not a period"}})
    transport, _ = transport_answering(refused)
    with pytest.raises(Refused) as caught:
        transport.report_file("", "2026-Q9", "xlsx", "en")
    assert caught.value.code == "period_invalid"
