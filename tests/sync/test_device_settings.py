"""Device settings: a small file apart from the records, written atomically."""
from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timezone

import pytest

from app import config
from storage import files
from sync.device import DeviceSettings, SignedInUser, load_device_settings, save_device_settings


def test_the_first_start_makes_a_device_id_that_stays(tmp_path):
    path = tmp_path / "device.json"
    first = load_device_settings(path)
    assert first.device_id and path.exists()
    assert load_device_settings(path).device_id == first.device_id


def test_sign_in_survives_a_restart(tmp_path):
    path = tmp_path / "device.json"
    settings = load_device_settings(path).with_server("https://phum.example.org/").signed_in_as(
        "tok", SignedInUser("sokha", "Sokha", "supervisor", "1201"), "2099-01-01T00:00:00Z")
    save_device_settings(settings, path)
    again = load_device_settings(path)
    assert again == settings and again.signed_in
    assert again.server_url == "https://phum.example.org"


def test_the_file_holding_the_token_is_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "device.json"
    save_device_settings(DeviceSettings(token="secret"), path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_damaged_file_is_kept_aside_and_the_app_starts(tmp_path):
    path = tmp_path / "device.json"
    path.write_bytes(b'{"device_id": "abc", "tok')
    settings = load_device_settings(path)
    assert settings.device_id and not settings.signed_in
    assert (tmp_path / "device.json.damaged").read_bytes() == b'{"device_id": "abc", "tok'


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "device.json"
    save_device_settings(DeviceSettings(device_id="old"), path)

    def crash(src, dst):
        raise OSError("power lost")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(OSError):
        save_device_settings(DeviceSettings(device_id="new"), path)
    assert json.loads(path.read_text())["device_id"] == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["device.json"]


def test_another_server_forgets_the_sign_in():
    settings = DeviceSettings(server_url="https://a.example", token="t", user=SignedInUser("u"))
    assert settings.with_server("https://a.example/").token == "t"
    moved = settings.with_server("https://b.example")
    assert moved.token == "" and moved.user is None and moved.device_id == settings.device_id


def test_an_expired_token_is_not_a_sign_in():
    settings = DeviceSettings(server_url="https://a.example", token="t", user=SignedInUser("u"),
                              token_expires_at="2026-01-01T00:00:00+00:00")
    assert settings.token_expired(datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert not settings.signed_in
    assert not settings.token_expired(datetime(2025, 12, 1, tzinfo=timezone.utc))


def test_settings_default_to_the_apps_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PHUM_DATA_DIR", str(tmp_path))
    settings = load_device_settings(config.device_settings_path())
    assert (tmp_path / "device.json").exists() and settings.device_id
