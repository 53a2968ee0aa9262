"""Pushes from many devices commit in parallel on PostgreSQL, and a puller looping with its cursor
meanwhile ends with every record exactly once: none skipped, none sent twice.

The trap this guards against: change numbers handed out in one order and committed in another,
so a pull that saw a higher number commit moves its cursor past a lower one still to commit.
The server's answer (server/db.py, docs/server.md "How changes are numbered") is a pull that
never reads past the oldest transaction still running. Direct calls on a real database, many
threads, each on its own connection.
"""
from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from records.models import ConcernStatus
from server.auth import Actor
from server.db import Database
from server.migrate import upgrade
from server.office import change_concern_status
from server.pull import pull
from server.push import push
from server.reference import VillageCodes
from server.schemas import PushRecord
from server.tables import RecordRow
from tests.server.client import envelope
from tests.support.records import family, household

pytestmark = pytest.mark.postgres

DEVICES = 16
BATCHES = 12
PER_BATCH = 20
VILLAGES = ["01020101", "01020102", "01020201", "01030101"]  # two communes of district 0102, one outside it


def _actor(device: str, area: str = "") -> Actor:
    return Actor(user_id=1, username=device, full_name="Sok Dara", role="supervisor", area_code=area, device_id=device,
                 token_hash="t")


@pytest.fixture
def pg_db(pg_cluster):
    db = Database(pg_cluster.create_database(), pool_size=DEVICES + 4, max_overflow=4)
    upgrade(db)
    yield db
    db.dispose()


def _run(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)


def test_a_puller_looping_while_sixteen_devices_push_gets_every_record_once(pg_db):
    villages = VillageCodes()
    batches = [[[household(d * 1000 + b * PER_BATCH + i, village=VILLAGES[(b + i) % len(VILLAGES)],
                           device_id=f"device-{d}") for i in range(PER_BATCH)] for b in range(BATCHES)]
               for d in range(DEVICES)]
    writing = threading.Event()
    writing.set()
    seen: dict[str, list[str]] = {"": [], "0102": [], "010201": []}  # the country, a district, a commune
    errors: list[BaseException] = []

    def pull_meanwhile(area: str) -> None:
        cursor = None
        try:
            while True:
                finished = not writing.is_set()  # read before the pull: the last loop starts after every commit
                while True:
                    page = json.loads(pull(pg_db, _actor("puller", area), cursor, 7))
                    seen[area] += [c["id"] for c in page["changes"]]
                    cursor = page["next_cursor"]
                    if not page["has_more"]:
                        break
                if finished:
                    return
        except BaseException as exc:
            errors.append(exc)

    def push_all(device: int) -> None:
        try:
            for batch in batches[device]:
                items = [PushRecord.model_validate(envelope(h)) for h in batch]
                results = push(pg_db, _actor(f"device-{device}"), items, villages)
                assert {r["status"] for r in results} == {"accepted"}, results
        except BaseException as exc:
            errors.append(exc)

    pullers = [threading.Thread(target=pull_meanwhile, args=(area,)) for area in seen]
    for p in pullers:
        p.start()
    _run([threading.Thread(target=push_all, args=(d,)) for d in range(DEVICES)])
    writing.clear()
    for p in pullers:
        p.join(timeout=300)
    assert not errors, errors
    pushed = [h for device in batches for batch in device for h in batch]
    assert len(pushed) == DEVICES * BATCHES * PER_BATCH
    for area, ids in seen.items():
        expected = {h.id for h in pushed if h.village_code.startswith(area)}
        twice = [i for i, n in Counter(ids).items() if n > 1]
        assert not twice, f"{area or 'country'}: {len(twice)} records sent twice"
        assert not expected - set(ids), f"{area or 'country'}: {len(expected - set(ids))} records skipped"
        assert set(ids) == expected


def test_devices_pushing_one_new_record_at_once_store_it_once_and_the_others_hear_duplicate(pg_db):
    same = household(1)
    answers: list[str] = []
    barrier = threading.Barrier(8)

    def push_it(device: int) -> None:
        barrier.wait()
        answers.append(push(pg_db, _actor(f"device-{device}"), [PushRecord.model_validate(envelope(same))],
                            VillageCodes())[0]["status"])

    _run([threading.Thread(target=push_it, args=(d,)) for d in range(8)])
    assert sorted(answers) == ["accepted"] + ["duplicate"] * 7


def test_devices_editing_one_household_at_once_get_one_accepted_and_the_rest_kept_as_conflicts(pg_db):
    original = household(2)
    assert push(pg_db, _actor("device-0"), [PushRecord.model_validate(envelope(original))],
                VillageCodes())[0]["status"] == "accepted"
    answers: list[str] = []
    barrier = threading.Barrier(8)

    def edit_it(device: int) -> None:
        edited = original.edited(head_name=f"ឈ្មោះ {device}")
        barrier.wait()
        answers.append(push(pg_db, _actor(f"device-{device + 1}"),
                            [PushRecord.model_validate(envelope(edited, base_rev=1))], VillageCodes())[0]["status"])

    _run([threading.Thread(target=edit_it, args=(d,)) for d in range(8)])
    assert sorted(answers) == ["accepted"] + ["conflict"] * 7


def test_a_status_change_at_the_office_and_a_device_edit_of_one_concern_at_once_lose_neither(pg_db):
    for n in range(8):  # eight rounds: the two overlap in some
        h, v, c = family(10 + n)
        assert {r["status"] for r in push(pg_db, _actor("device-0"), [PushRecord.model_validate(envelope(r))
                                                                      for r in (h, v, c)], VillageCodes())} == {
            "accepted"}
        edited = c.edited(description=f"អណ្ដូងរីង កែ {n}")
        answers: dict[str, object] = {}
        barrier = threading.Barrier(2)

        def at_office() -> None:
            barrier.wait()
            answers["office"] = change_concern_status(pg_db, _actor("office"), c.id, ConcernStatus.in_progress,
                                                      "", None)[0]

        def from_device() -> None:
            barrier.wait()
            answers["device"] = push(pg_db, _actor("device-0"), [PushRecord.model_validate(envelope(edited, 1))],
                                     VillageCodes())[0]["status"]

        _run([threading.Thread(target=at_office), threading.Thread(target=from_device)])
        with pg_db.session() as s:
            stored = s.execute(select(RecordRow.server_rev, RecordRow.data).where(RecordRow.id == c.id)).one()
        accepted = 1 + (answers["device"] == "accepted")  # the office's change, and the device's if it came first
        assert stored.server_rev == 1 + accepted, (n, answers)
        assert json.loads(stored.data)["status"] == "in_progress"
