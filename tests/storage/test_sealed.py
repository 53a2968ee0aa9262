"""The device's records are encrypted at rest: a lost phone gives away no name, phone or concern."""
from __future__ import annotations

import os
import random
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

import storage.journal as journal
from storage.keys import KeyFile, MemoryKeys, open_data_key
from storage.sealing import KeyMissingError, StoreKeyError, WrongKeyError, new_data_key
from tests.storage.conftest import TEST_KEY, open_tiny
from tests.support.records import concern, household, visit

NAME, LATIN, PHONE, CONCERN = "ស្រី សុខលាភ", "Srey Soklaep", "012 987 654", "ស្ពានបាក់ក្បែរសាលា"
# Every way the secrets could appear in a file: UTF-8, JSON escapes, phone forms.
SECRETS = [NAME.encode(), LATIN.encode(), CONCERN.encode(), b"85512987654", b"12987654", b"012987654",
           NAME.encode("unicode_escape"), CONCERN.encode("unicode_escape"), "ស្រី".encode(), "ស្ពាន".encode()]


def every_file(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def save_secrets(store):
    h = household(head_name=NAME, head_name_latin=LATIN, phone=PHONE, vulnerabilities=["idpoor", "disability"])
    v = visit(h, notes=f"{NAME} asked about the bridge")
    c = concern(h, v, description=CONCERN)
    store.save(h, v, c)
    return h, v, c


def test_no_name_phone_or_concern_text_is_in_any_file_the_device_store_wrote(tmp_path):
    keys = KeyFile(tmp_path / "keys" / "records.key")
    key = open_data_key(tmp_path / "records", keys)
    store = open_tiny(tmp_path, data_key=key, compact_min_bytes=2_000)
    h, v, c = save_secrets(store)
    store.compact()  # the secrets in a snapshot
    store.save(h.edited(members=4), c.change_status("in_progress", by="dara", note=CONCERN))  # and in a journal
    for i in range(40):
        store.save(household(i))
    store.close()
    files = every_file(tmp_path)
    assert any(name.endswith(".sealed") for name in files) and any("reference" in n for n in files)
    for name, data in files.items():
        for secret in SECRETS:
            assert secret not in data, (name, secret)
    store = open_tiny(tmp_path, data_key=keys.load())
    assert store.households.get(h.id).head_name == NAME and store.concerns.get(c.id).description == CONCERN
    store.close()


def test_a_wrong_key_is_refused_with_a_named_error_and_touches_no_file(tmp_path):
    store = open_tiny(tmp_path, data_key=TEST_KEY)
    save_secrets(store)
    store.close()
    before = every_file(tmp_path)
    with pytest.raises(WrongKeyError) as refused:
        open_tiny(tmp_path, data_key=new_data_key())
    assert refused.value.message_key == "store.key_wrong"
    assert every_file(tmp_path) == before
    with pytest.raises(KeyMissingError) as missing:
        open_tiny(tmp_path)  # no key at all
    assert missing.value.message_key == "store.key_missing"
    assert every_file(tmp_path) == before
    store = open_tiny(tmp_path, data_key=TEST_KEY)
    assert store.households.count() == 1 and not store.recovery.had_damage
    store.close()


def test_a_wrong_key_is_told_even_when_the_key_check_is_gone(tmp_path):
    store = open_tiny(tmp_path, data_key=TEST_KEY)
    save_secrets(store)
    store.close()
    (tmp_path / "records" / "sealed.json").unlink()
    before = every_file(tmp_path)
    with pytest.raises(WrongKeyError):
        open_tiny(tmp_path, data_key=new_data_key())
    assert every_file(tmp_path) == before
    store = open_tiny(tmp_path, data_key=TEST_KEY)
    assert store.households.count() == 1 and (tmp_path / "records" / "sealed.json").exists()
    store.close()


def plain_store(where: Path, households: int = 300) -> set[str]:
    """A plain store as an older Phum left it: a snapshot and journals."""
    store = open_tiny(where)
    ids = set()
    for i in range(households):
        h = household(i)
        store.save(h)
        ids.add(h.id)
        if i == households // 2:
            store.compact()
    h, v, c = save_secrets(store)
    store.close()
    return ids | {h.id}


def test_a_plain_store_is_sealed_when_opened_with_a_key_and_keeps_every_record(tmp_path):
    ids = plain_store(tmp_path)
    store = open_tiny(tmp_path, data_key=TEST_KEY)
    assert {h.id for h in store.households.all()} == ids
    assert not store.recovery.had_damage and "encrypted" in " ".join(store.recovery.messages)
    store.close()
    records = tmp_path / "records"
    assert not list(records.glob("*.jsonl"))
    for name, data in every_file(records).items():
        for secret in SECRETS:
            assert secret not in data, (name, secret)
    store = open_tiny(tmp_path, data_key=TEST_KEY)
    assert {h.id for h in store.households.all()} == ids and not store.recovery.messages
    store.close()


@pytest.mark.parametrize("stop_at", ["snapshot written", "snapshot renamed", "half the plain files deleted"])
def test_an_interrupted_sealing_resumes_on_the_next_opening_and_loses_nothing(tmp_path, monkeypatch, stop_at):
    ids = plain_store(tmp_path)

    class Stopped(BaseException):
        """Stands for the process dying at that point."""

    real_replace, real_unlink, deleted = os.replace, Path.unlink, []

    def replace(src, dst):
        if stop_at == "snapshot written" and str(dst).endswith("snapshot.sealed"):
            raise Stopped
        real_replace(src, dst)
        if stop_at == "snapshot renamed" and str(dst).endswith("snapshot.sealed"):
            raise Stopped

    def unlink(path, missing_ok=False):
        if stop_at.startswith("half") and path.name.endswith(".jsonl") and "records" in str(path):
            if deleted:
                raise Stopped
            deleted.append(path)
        real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(journal.os, "replace", replace)
    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(Stopped):
        open_tiny(tmp_path, data_key=TEST_KEY)
    monkeypatch.undo()
    store = open_tiny(tmp_path, data_key=TEST_KEY)
    assert {h.id for h in store.households.all()} == ids
    assert not store.recovery.had_damage, store.recovery
    store.close()
    assert not list((tmp_path / "records").glob("*.jsonl"))


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")
def test_kill_9_while_a_plain_store_is_being_sealed_never_loses_a_record(tmp_path):
    template = tmp_path / "template"
    ids = plain_store(template, households=2000)
    started = time.perf_counter()
    shutil.copytree(template, tmp_path / "timing")
    open_tiny(tmp_path / "timing", data_key=TEST_KEY).close()
    sealing_s = time.perf_counter() - started
    rng = random.Random(9)
    for trial in range(12):
        where = tmp_path / f"t{trial}"
        shutil.copytree(template, where)
        pid = os.fork()
        if pid == 0:
            try:
                open_tiny(where, data_key=TEST_KEY).close()
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0, sealing_s * 1.2))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        store = open_tiny(where, data_key=TEST_KEY)
        assert {h.id for h in store.households.all()} == ids, trial
        assert not store.recovery.had_damage, (trial, store.recovery)
        store.close()


def test_the_key_file_is_private_written_whole_and_never_replaced_by_a_new_key(tmp_path):
    keys = KeyFile(tmp_path / "keys" / "records.key")
    key = open_data_key(tmp_path / "records", keys)
    assert keys.load() == key and len(key) == 32
    if sys.platform != "win32":
        assert (keys.path.stat().st_mode & 0o777) == 0o600
        assert (keys.path.parent.stat().st_mode & 0o777) == 0o700
    assert open_data_key(tmp_path / "records", keys) == key
    open_tiny(tmp_path, data_key=key).close()
    keys.path.unlink()  # the key is lost: the sealed store must not get a fresh one
    with pytest.raises(KeyMissingError):
        open_data_key(tmp_path / "records", keys)
    assert not keys.path.exists()


def test_a_passphrase_wraps_the_key_and_a_wrong_one_is_refused(tmp_path):
    path = tmp_path / "keys" / "records.key"
    key = open_data_key(tmp_path / "records", KeyFile(path, passphrase="ស្រះ 2026"))
    assert key not in path.read_bytes() and b"scrypt" in path.read_bytes()
    assert KeyFile(path, passphrase="ស្រះ 2026").load() == key
    with pytest.raises(WrongKeyError):
        KeyFile(path, passphrase="wrong").load()
    with pytest.raises(WrongKeyError):
        KeyFile(path).load()


def test_an_unreadable_key_file_is_a_key_error_not_a_new_key(tmp_path):
    path = tmp_path / "records.key"
    path.write_text("{not json")
    with pytest.raises(StoreKeyError):
        open_data_key(tmp_path / "records", KeyFile(path))
    assert path.read_text() == "{not json"


def test_memory_keys_hold_a_key_for_tools_and_tests(tmp_path):
    keys = MemoryKeys()
    key = open_data_key(tmp_path / "records", keys)
    assert keys.load() == key
