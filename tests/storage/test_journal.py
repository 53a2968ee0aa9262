"""JournalStorage: a save is one fsync'd line, compaction is atomic, TinyDB works on top."""
from __future__ import annotations

import os
import shutil

import pytest
from tinydb import Query

import storage.journal as journal
from storage.journal import SNAPSHOT, JournalStorage, StoreLockedError
from storage.tiny import TinyStore, open_tinydb
from tests.storage.conftest import open_tiny
from tests.support.records import household


def journal_files(path):
    return sorted(p.name for p in path.iterdir() if p.name.startswith("journal-"))


def test_a_commit_is_fsynced_before_it_returns(tmp_path, monkeypatch):
    storage = JournalStorage(tmp_path)
    synced = []
    real = journal._datasync
    monkeypatch.setattr(journal, "_datasync", lambda fd: (real(fd), synced.append(os.fstat(fd).st_size)))
    storage.commit([["put", "t", "a", {"n": 1}]])
    assert len(synced) == 1 and synced[0] == (tmp_path / journal_files(tmp_path)[0]).stat().st_size
    storage.close()


def test_a_save_appends_one_line_and_leaves_the_snapshot_alone(tmp_path):
    store = open_tiny(tmp_path)
    store.save(*[household(i) for i in range(2000)])
    store.compact()
    records = tmp_path / "records"
    snapshot = (records / SNAPSHOT).stat()
    before = sum((records / n).stat().st_size for n in journal_files(records))
    store.save(household(5000))
    after = sum((records / n).stat().st_size for n in journal_files(records))
    assert 0 < after - before < 2000  # one household's line, whatever the store holds
    assert (records / SNAPSHOT).stat().st_mtime_ns == snapshot.st_mtime_ns
    store.close()


def test_a_second_opener_is_refused_while_the_store_is_open(tmp_path):
    store = open_tiny(tmp_path)
    with pytest.raises(StoreLockedError):
        open_tiny(tmp_path)
    store.close()
    open_tiny(tmp_path).close()


def test_compaction_replaces_the_journals_with_one_snapshot(tmp_path):
    store = open_tiny(tmp_path, compact_min_bytes=20_000)
    households = [household(i) for i in range(300)]
    for h in households:
        store.save(h)
    store.storages[0].wait_for_compaction()
    assert store.storages[0].compactions >= 1
    records = tmp_path / "records"
    assert (records / SNAPSHOT).exists()
    assert len(journal_files(records)) == 1
    store.close()
    store = open_tiny(tmp_path)
    assert [store.households.get(h.id) for h in households] == households
    assert not store.recovery.messages
    store.close()


def test_saves_made_while_a_snapshot_is_written_are_kept(tmp_path, monkeypatch):
    store = open_tiny(tmp_path)
    storage = store.storages[0]
    store.save(*[household(i) for i in range(200)])
    write = storage._write_snapshot
    during = [household(1000 + i) for i in range(20)]

    def slow_snapshot(frozen, covered):
        for h in during:  # saves land in the new journal while the old state is written
            store.save(h)
        write(frozen, covered)

    monkeypatch.setattr(storage, "_write_snapshot", slow_snapshot)
    store.compact()
    store.close()
    store = open_tiny(tmp_path)
    assert store.households.count() == 220
    assert all(store.households.find(h.id) == h for h in during)
    store.close()


def test_a_crash_between_snapshot_and_journal_cleanup_replays_harmlessly(tmp_path):
    store = open_tiny(tmp_path)
    h = household(1)
    store.save(h)
    store.save(h.edited(members=3))
    records = tmp_path / "records"
    kept = {n: (records / n).read_bytes() for n in journal_files(records)}
    store.compact()
    store.save(store.households.get(h.id).edited(members=4))
    store.close()
    for name, data in kept.items():  # as if the process died before deleting them
        (records / name).write_bytes(data)
    (records / (SNAPSHOT + ".tmp")).write_bytes(b"half a snapshot")
    store = open_tiny(tmp_path)
    assert store.households.get(h.id).members == 4
    assert not (records / (SNAPSHOT + ".tmp")).exists()
    assert not store.recovery.had_damage
    store.close()


def test_an_unfinished_last_line_is_cut_off_and_saving_goes_on(tmp_path):
    store = open_tiny(tmp_path)
    first = household(1)
    store.save(first)
    store.close()
    records = tmp_path / "records"
    with open(records / journal_files(records)[-1], "ab") as f:
        f.write(b'1234abcd {"ops":[["put","households","x",{"head_')
    store = open_tiny(tmp_path)
    assert store.households.get(first.id) == first
    assert not store.recovery.had_damage
    assert "unfinished change" in store.recovery.messages[0]
    second = household(2)
    store.save(second)
    store.close()
    store = open_tiny(tmp_path)
    assert store.households.count() == 2 and not store.recovery.messages
    store.close()


def test_a_failed_compaction_loses_nothing_and_saving_goes_on(tmp_path, monkeypatch):
    store = open_tiny(tmp_path)
    storage = store.storages[0]
    store.save(household(1))

    def disk_full(frozen, covered):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "_write_snapshot", disk_full)
    store.compact()
    assert isinstance(storage.compaction_error, OSError)
    store.save(household(2))
    store.close()
    store = open_tiny(tmp_path)
    assert store.households.count() == 2
    store.close()


def test_a_failed_append_raises_and_leaves_no_partial_line(tmp_path, monkeypatch):
    storage = JournalStorage(tmp_path)
    storage.commit([["put", "t", "a", {"n": 1}]])

    real_write = os.write

    def broken_write(fd, data):
        real_write(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal.os, "write", broken_write)
    with pytest.raises(journal.StoreError):
        storage.commit([["put", "t", "b", {"n": 2}]])
    monkeypatch.undo()
    assert storage.read() == {"t": {"a": {"n": 1}}}  # memory follows only what reached the disk
    storage.commit([["put", "t", "c", {"n": 3}]])
    storage.close()
    reopened = JournalStorage(tmp_path)
    assert reopened.read() == {"t": {"a": {"n": 1}, "c": {"n": 3}}}
    assert not reopened.report.messages
    reopened.close()


def test_tinydb_itself_runs_on_the_journal_storage(tmp_path):
    db = open_tinydb(tmp_path)
    item = Query()
    db.insert_multiple([{"name": "ក", "n": 1}, {"name": "ខ", "n": 2}, {"name": "គ", "n": 3}])
    db.update({"n": 20}, item.name == "ខ")
    db.remove(item.n == 3)
    db.table("other").insert({"x": 1})
    db.drop_table("other")
    db.close()
    db = open_tinydb(tmp_path)
    assert sorted((d["name"], d["n"]) for d in db.all()) == [("ក", 1), ("ខ", 20)]
    assert db.tables() == {"_default"}
    assert db.search(item.n > 5)[0].doc_id == 2
    db.close()


def test_tinydb_updates_journal_only_the_documents_they_change(tmp_path):
    db = open_tinydb(tmp_path)
    db.insert_multiple({"n": i, "text": "x" * 100} for i in range(1000))
    storage = db.storage
    before = storage._journal_bytes
    db.update({"n": -1}, Query().n == 500)  # looks at every document, changes one
    assert storage._journal_bytes - before < 300
    db.close()


def test_the_stock_tinydb_table_also_works_on_it(tmp_path):
    from tinydb.table import Table

    storage = JournalStorage(tmp_path)
    table = Table(storage, "plain")
    table.insert({"a": 1})
    table.update({"a": 2}, doc_ids=[1])
    storage.close()
    storage = JournalStorage(tmp_path)
    assert Table(storage, "plain").all() == [{"a": 2}]
    storage.close()


def test_the_store_files_survive_being_copied_elsewhere(tmp_path):
    store = open_tiny(tmp_path / "a")
    h = household()
    store.save(h)
    store.close()
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    store = TinyStore(tmp_path / "b" / "records", tmp_path / "b" / "reference")
    assert store.households.get(h.id) == h
    store.close()


def test_saves_from_several_threads_during_compactions_are_all_kept(tmp_path):
    import threading

    store = open_tiny(tmp_path, compact_min_bytes=8_000)
    saved: list = []

    def official(n: int) -> None:
        for i in range(150):
            h = household(n * 1000 + i)
            store.save(h)
            saved.append(h)

    threads = [threading.Thread(target=official, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.storages[0].compactions >= 3
    assert len(store.households.search("", limit=1000)) == 450
    store.close()
    store = open_tiny(tmp_path)
    assert all(store.households.find(h.id) == h for h in saved)
    assert store.households.count() == 450 and not store.recovery.messages
    store.close()
