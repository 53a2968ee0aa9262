"""Devices pushing at the same time while another pulls: every record once, and the puller's
cursor never skips a change that committed late."""
from __future__ import annotations

import threading

from tests.support.records import household


def test_concurrent_pushes_with_a_pull_running_meanwhile_miss_nothing(new_user, commune):
    code, villages = commune
    pushers = [new_user("official", code, f"device-{i}") for i in range(4)]
    puller = new_user("official", code, "device-puller")
    batches = [[[household(village=villages[(i + j) % len(villages)], device_id=f"device-{i}") for j in range(60)]
                for _ in range(4)] for i in range(len(pushers))]
    done = threading.Event()
    seen: set[str] = set()
    errors: list[BaseException] = []

    def pull_meanwhile():
        cursor = None
        try:
            while True:
                finished = done.is_set()  # read before the pull: the last pull starts after every commit
                changes, cursor, _ = puller.pull_all(cursor, limit=50)
                seen.update(c["id"] for c in changes)
                if finished:
                    return
        except BaseException as exc:
            errors.append(exc)

    def push_all(api, mine):
        try:
            for batch in mine:
                assert {r["status"] for r in api.push(batch)} == {"accepted"}
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=pull_meanwhile)
    writers = [threading.Thread(target=push_all, args=(api, mine)) for api, mine in zip(pushers, batches)]
    reader.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=120)
    done.set()
    reader.join(timeout=120)
    assert not errors, errors
    pushed = {h.id for mine in batches for batch in mine for h in batch}
    assert len(pushed) == 4 * 4 * 60
    assert seen == pushed
