"""Kill -9 a process that is saving, at random moments, and check what survives.

A forked child opens the store and saves in a loop (new households, edits, a visit with two
concerns), writing "id rev" to a pipe after each save returns, i.e. after the store
acknowledged it. The parent kills the child with SIGKILL after a random delay, then opens the
store and checks that every acknowledged save is there (at that rev or a later one) and that
the store opened without damage. Compaction is set to run every few saves so that kills also
land while a snapshot is being written. Used by tests/storage/test_crash.py and
bench/storage_crash.py.
"""
from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Optional

from records.models import ConcernCategory, Household
from storage.tiny import TinyStore

VILLAGES = ["01020101", "01020102", "12010101", "17010203"]


@dataclass
class CrashResult:
    trials: int = 0
    acknowledged: int = 0  # saves the children reported done, over all trials
    killed_before_open: int = 0  # trials whose child died before it had opened the store
    failures: list[str] = field(default_factory=list)
    open_s_max: float = 0.0


def _child(path: Path, ack_fd: int, seed: int, compact_min_bytes: int, max_saves: int,
           data_key: Optional[bytes]) -> None:
    rng = random.Random(seed)
    store = TinyStore(path / "records", path / "reference", compact_min_bytes=compact_min_bytes, data_key=data_key)
    os.write(ack_fd, b"open\n")
    ids = list(store.households.docs)
    for n in range(max_saves):
        roll = rng.random()
        if ids and roll < 0.55:
            saved = [store.households.get(rng.choice(ids)).edited(members=rng.randint(1, 20))]
        elif ids and roll < 0.75:
            from records.models import Concern, Visit

            h = rng.choice(ids)
            v = Visit(household_id=h, visited_on=date(2026, 1, 1 + n % 28), officials=["ដារ៉ា"])
            saved = [v] + [Concern.raise_new(by="dara", household_id=h, visit_id=v.id,
                                             category=rng.choice(list(ConcernCategory)), description=f"បញ្ហា {n}")
                           for _ in range(2)]
        else:
            saved = [Household(head_name=f"សុខ {seed}-{n}", phone=f"012{rng.randint(100000, 999999)}",
                               village_code=rng.choice(VILLAGES))]
            ids.append(saved[0].id)
        store.save(*saved)
        os.write(ack_fd, "".join(f"{r.kind} {r.id} {r.rev}\n" for r in saved).encode())
    os.write(ack_fd, b"idle\n")
    time.sleep(60)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def run_crash_trials(path: Path, trials: int, *, seed: int = 0, max_kill_delay_s: float = 0.08,
                     compact_min_bytes: int = 6_000, max_saves: int = 25,
                     data_key: Optional[bytes] = None) -> CrashResult:
    """``data_key`` runs the trials on a sealed store, as the device keeps it."""
    rng = random.Random(seed)
    result = CrashResult()
    acked: dict[tuple[str, str], int] = {}
    for trial in range(trials):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller (pytest)
            os.close(read_fd)
            try:
                _child(path, write_fd, seed * 100_000 + trial, compact_min_bytes, max_saves, data_key)
            finally:
                os._exit(0)
        os.close(write_fd)
        time.sleep(rng.uniform(0, max_kill_delay_s))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        lines = _read_all(read_fd).decode().splitlines()
        os.close(read_fd)
        result.trials += 1
        if "open" not in lines:
            result.killed_before_open += 1
        for line in lines:
            parts = line.split()
            if len(parts) == 3:
                kind, rid, rev = parts[0], parts[1], int(parts[2])
                acked[(kind, rid)] = max(acked.get((kind, rid), 0), rev)
                result.acknowledged += 1
        started = time.perf_counter()
        try:
            store = TinyStore(path / "records", path / "reference", compact_min_bytes=compact_min_bytes,
                              data_key=data_key)
        except Exception as exc:  # the point of the test: this must never happen
            result.failures.append(f"trial {trial}: the store did not open: {exc!r}")
            continue
        result.open_s_max = max(result.open_s_max, time.perf_counter() - started)
        try:
            if store.recovery.had_damage:
                result.failures.append(f"trial {trial}: damage after a kill: {store.recovery}")
            for (kind, rid), rev in acked.items():
                record = store.repository_for(kind).find(rid)
                if record is None:
                    result.failures.append(f"trial {trial}: acknowledged {kind} {rid} is missing")
                elif record.rev < rev:
                    result.failures.append(f"trial {trial}: {kind} {rid} is at rev {record.rev}, {rev} was acknowledged")
        finally:
            store.close()
        if len(result.failures) > 20:
            break
    return result
