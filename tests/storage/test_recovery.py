"""A store damaged by other means (truncated, garbage, a flipped byte) still opens: the damaged
file is kept aside, every intact record is recovered, and the report says what happened."""
from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from storage.journal import SNAPSHOT
from tests.storage.conftest import open_tiny
from tests.support.records import household

N = 50


def journal_file(records: Path) -> Path:
    return sorted(records.glob("journal-*.jsonl"))[-1]


@pytest.fixture
def saved(tmp_path):
    """N households in the snapshot and 5 more in the journal; the store closed."""
    store = open_tiny(tmp_path)
    in_snapshot = [household(i) for i in range(N)]
    store.save(*in_snapshot)
    store.compact()
    in_journal = [household(100 + i) for i in range(5)]
    for h in in_journal:
        store.save(h)
    store.close()
    return tmp_path, in_snapshot, in_journal


def reopened_cleanly(tmp_path):
    store = open_tiny(tmp_path)
    assert not store.recovery.had_damage, store.recovery
    return store


def damaged_copies(tmp_path):
    return sorted((tmp_path / "records" / "damaged").iterdir())


def test_a_truncated_snapshot_keeps_every_whole_record(saved):
    tmp_path, in_snapshot, in_journal = saved
    snapshot = tmp_path / "records" / SNAPSHOT
    original = snapshot.read_bytes()
    snapshot.write_bytes(original[: len(original) // 2])
    store = open_tiny(tmp_path)
    report = store.recovery
    assert report.had_damage and report.entries_lost >= 1
    recovered = {h.id for h in store.households.all()}
    assert {h.id for h in in_journal} <= recovered
    whole_lines = [line for line in original[: len(original) // 2].split(b"\n")[:-1] if b'["households"' in line]
    assert len(recovered & {h.id for h in in_snapshot}) == len(whole_lines) > 0
    assert all(store.households.get(i) == h for h in in_snapshot if (i := h.id) in recovered)
    # The damaged file is kept, byte for byte, and the store works on.
    assert [p.read_bytes() for p in damaged_copies(tmp_path)] == [original[: len(original) // 2]]
    store.save(household(999))
    store.close()
    store = reopened_cleanly(tmp_path)
    assert store.households.count() == len(recovered) + 1
    store.close()


def test_one_flipped_byte_costs_one_record(saved):
    tmp_path, in_snapshot, in_journal = saved
    snapshot = tmp_path / "records" / SNAPSHOT
    data = bytearray(snapshot.read_bytes())
    target = in_snapshot[17]
    at = data.index(target.id.encode()) + 60
    data[at] ^= 0x20
    snapshot.write_bytes(bytes(data))
    store = open_tiny(tmp_path)
    assert store.recovery.entries_lost == 1
    assert store.households.find(target.id) is None
    assert store.households.count() == N + 5 - 1
    assert "damaged line" in " ".join(store.recovery.messages)
    store.close()


def test_a_snapshot_of_garbage_still_opens_with_the_journal(saved):
    tmp_path, in_snapshot, in_journal = saved
    snapshot = tmp_path / "records" / SNAPSHOT
    snapshot.write_bytes(random.Random(1).randbytes(20_000))
    store = open_tiny(tmp_path)
    assert store.recovery.had_damage
    assert {h.id for h in store.households.all()} == {h.id for h in in_journal}
    assert len(damaged_copies(tmp_path)) == 1
    store.close()


def test_garbage_in_the_middle_of_the_journal_skips_only_that_change(saved):
    tmp_path, _, in_journal = saved
    path = journal_file(tmp_path / "records")
    lines = path.read_bytes().split(b"\n")
    lines[2] = b"\x00" * 40  # what a power cut can leave in a block
    path.write_bytes(b"\n".join(lines))
    store = open_tiny(tmp_path)
    assert store.recovery.entries_lost == 1
    assert store.households.count() == N + 4
    assert store.households.find(in_journal[2].id) is None
    store.close()
    store = reopened_cleanly(tmp_path)  # the recovered state was written as a new snapshot
    assert store.households.count() == N + 4
    store.close()


def test_an_empty_or_unreadable_journal_file_does_not_stop_the_store(saved):
    tmp_path, in_snapshot, _ = saved
    path = journal_file(tmp_path / "records")
    path.write_bytes(b"not a journal at all\n" * 3)
    store = open_tiny(tmp_path)
    assert store.recovery.had_damage and store.households.count() == N
    store.close()


def test_a_damaged_gazetteer_does_not_touch_the_records(saved):
    tmp_path, in_snapshot, in_journal = saved
    store = open_tiny(tmp_path)
    from tests.storage.test_contract import AREAS

    store.load_gazetteer(AREAS, source="test", version="1")
    store.close()
    reference = tmp_path / "reference"
    for path in reference.glob("*.jsonl"):
        path.write_bytes(path.read_bytes()[:-30])
    store = open_tiny(tmp_path)
    assert store.recovery.had_damage
    assert store.households.count() == N + 5
    assert all(str(tmp_path / "reference") in p for p in store.recovery.damaged_files)
    store.close()


def test_random_damage_never_stops_the_store_from_opening(tmp_path):
    rng = random.Random(7)
    for trial in range(40):
        where = tmp_path / f"t{trial}"
        store = open_tiny(where, compact_min_bytes=4_000)
        for i in range(30):
            store.save(household(i))
        store.close()
        # Compaction may leave a fresh, empty journal: damage only files that hold something.
        files = sorted(f for f in (where / "records").glob("*.jsonl") if f.stat().st_size)
        victim = rng.choice(files)
        data = bytearray(victim.read_bytes())
        how = rng.choice(["truncate", "garbage", "flip", "zeros", "empty"])
        if how == "truncate":
            data = data[: rng.randrange(len(data) + 1)]
        elif how == "garbage":
            start = rng.randrange(len(data))
            data[start:start + 200] = rng.randbytes(200)
        elif how == "flip":
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif how == "zeros":
            data += b"\x00" * 512
        else:
            data = bytearray()
        victim.write_bytes(bytes(data))
        store = open_tiny(where)
        assert store.households.count() <= 30
        store.save(household(1000))  # and it keeps working
        store.close()
        os.sync()
        store = open_tiny(where)
        assert not store.recovery.had_damage, (how, store.recovery)
        store.close()
