"""The server killed (SIGKILL) in the middle of a batch and started again: the client's retry
stores every record exactly once."""
from __future__ import annotations

import gzip
import json
import threading
import time

import pytest
import requests
from sqlalchemy import func, select

from server.db import Database
from server.tables import AuditEntry, RecordRow
from tests.server.client import Api, envelope
from tests.server.records import family
from tests.support.live_server import live_server


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


@pytest.mark.slow
def test_a_batch_interrupted_by_sigkill_is_stored_exactly_once_after_restart_and_retry(new_db_url):
    with live_server(new_db_url()) as srv:
        api = Api(srv, srv.supervisor, "device-crash")
        batches, outcomes = [], []
        # Kills at different moments: before, during and after the batch's transaction.
        for delay in (0.0, 0.05, 0.1, 0.2, 0.35, 0.6):
            records = [envelope(r) for _ in range(166) for r in family()]  # 498 records
            body = gzip.compress(json.dumps({"device_id": "device-crash", "records": records}).encode())
            batches.append(records)
            first: dict = {}

            def send():
                try:
                    first["answer"] = api.push_raw(body, gzipped=True).status_code
                except requests.RequestException as exc:
                    first["error"] = type(exc).__name__

            sender = threading.Thread(target=send)
            sender.start()
            time.sleep(delay)
            srv.kill()
            sender.join(timeout=30)
            srv.start()
            results = _push_until_answered(api, body)
            assert {r["status"] for r in results} <= {"accepted", "duplicate"}, results[:3]
            outcomes.append((delay, first, sorted({r["status"] for r in results})))

        db = Database(srv.db_url)
        try:
            with db.session() as s:
                ids = [r["id"] for batch in batches for r in batch]
                stored = s.execute(select(func.count()).select_from(RecordRow)).scalar_one()
                accepted = dict(s.execute(select(AuditEntry.record_id, func.count()).where(
                    AuditEntry.action == "push").group_by(AuditEntry.record_id)).all())
        finally:
            db.dispose()
        assert stored == len(ids) == len(set(ids))
        assert set(accepted) == set(ids) and set(accepted.values()) == {1}, "a record was accepted twice"
        pulled = [c["id"] for c in api.pull_all(limit=1000)[0]]
        assert sorted(pulled) == sorted(ids)
        print("kill outcomes (delay, first attempt, retry statuses):", outcomes)
