"""storage.files: a whole small file replaced atomically and durably."""
from __future__ import annotations

import os
import stat

import pytest

from storage import files


def test_a_written_file_reads_back_and_is_the_owners_only(tmp_path):
    path = tmp_path / "settings.json"
    files.write_atomic(path, b'{"a": 1}')
    files.write_atomic(path, b'{"a": 2}')
    assert path.read_bytes() == b'{"a": 2}'
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_the_file_and_then_its_directory_are_fsynced_before_it_returns(tmp_path, monkeypatch):
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    files.write_atomic(tmp_path / "f", b"x")
    assert synced == ["file", "dir"]


def test_a_failed_replace_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "f"
    files.write_atomic(path, b"old")

    def crash(src, dst):
        raise OSError("power lost")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(OSError):
        files.write_atomic(path, b"new")
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f"]
