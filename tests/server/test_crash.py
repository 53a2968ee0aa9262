"""The server killed (SIGKILL) in the middle of a batch and started again: the client's retry
stores every record exactly once."""
from __future__ import annotations

import gzip
import json
import socket
import threading
import time

import pytest
import requests
from sqlalchemy import func, select

from server.db import Database
from server.tables import AuditEntry, RecordRow
from tests.server.client import Api, envelope
from tests.support.records import family
from tests.support.live_server import live_server


def _batch() -> tuple[list[dict], bytes]:
    records = [envelope(r) for _ in range(166) for r in family()]  # 498 records
    return records, gzip.compress(json.dumps({"device_id": "device-crash", "records": records}).encode())


def _push_until_answered(api: Api, body: bytes, deadline_s: float = 60) -> list[dict]:
    """What the sync client does: the same batch again until the server answers it."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            answer = api.push_raw(body, gzipped=True)
            if answer.status_code == 200:
                return answer.json()["results"]
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "the server never answered the retried batch"
        api.session.close()  # drop connections to the dead process
        time.sleep(0.1)


def _accepted_count(db: Database, record_id: str) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.record_id == record_id, AuditEntry.action == "push")).scalar_one()


@pytest.mark.slow
def test_a_batch_interrupted_by_sigkill_is_stored_exactly_once_after_restart_and_retry(new_db_url):
    with live_server(new_db_url()) as srv:
        api = Api(srv, srv.supervisor, "device-crash")
        db = Database(srv.db_url)
        sent: list[dict] = []
        try:
            records, body = _batch()
            started = time.monotonic()
            api.push_raw(body, gzipped=True).raise_for_status()
            took = time.monotonic() - started
            sent += records

            # Killed while the batch is on its way in, being validated, or being written.
            for fraction in (0.1, 0.45, 0.8):
                records, body = _batch()
                sent += records
                sender = threading.Thread(target=lambda b=body: _swallow(api, b))
                sender.start()
                time.sleep(took * fraction)
                srv.kill()
                sender.join(timeout=30)
                srv.start()
                results = _push_until_answered(api, body)
                assert {r["status"] for r in results} <= {"accepted", "duplicate"}

            # Killed after the commit, before the client read the answer: the retry is all duplicates.
            records, body = _batch()
            sent += records
            with socket.create_connection(("127.0.0.1", srv.port)) as raw:
                raw.sendall(b"POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            b"Content-Encoding: gzip\r\nAuthorization: Bearer " + api.token.encode() +
                            b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                deadline = time.monotonic() + 30
                while _accepted_count(db, records[-1]["id"]) == 0:
                    assert time.monotonic() < deadline, "the batch was never committed"
                    time.sleep(0.005)
                srv.kill()
            srv.start()
            results = _push_until_answered(api, body)
            assert {r["status"] for r in results} == {"duplicate"}

            ids = [r["id"] for r in sent]
            with db.session() as s:
                stored = s.execute(select(func.count()).select_from(RecordRow)).scalar_one()
                accepted = dict(s.execute(select(AuditEntry.record_id, func.count()).where(
                    AuditEntry.action == "push").group_by(AuditEntry.record_id)).all())
        finally:
            db.dispose()
        assert stored == len(ids) == len(set(ids))
        assert set(accepted) == set(ids) and set(accepted.values()) == {1}, "a record was accepted twice"
        assert sorted(c["id"] for c in api.pull_all(limit=1000)[0]) == sorted(ids)


def _swallow(api: Api, body: bytes) -> None:
    try:
        api.push_raw(body, gzipped=True)
    except requests.RequestException:
        pass  # the server died under it: that is the point
