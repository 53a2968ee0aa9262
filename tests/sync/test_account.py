"""Signing in and out: the token is kept in the device settings, and the runner follows it."""
from __future__ import annotations

import pytest

from sync.device import load_device_settings
from storage.memory import MemoryStore
from sync.account import SyncAccount
from sync.runner import CURSOR_KEY
from sync.transport import AuthError, InsecureServerURL
from tests.sync.fakes import FakeServer


@pytest.fixture
def server():
    return FakeServer()


def account_for(tmp_path, server):
    return SyncAccount(MemoryStore(), settings_path=tmp_path / "device.json", send=server)


def test_signing_in_keeps_the_token_and_user_on_the_device(tmp_path, server):
    account = account_for(tmp_path, server)
    user = account.sign_in("http://127.0.0.1:8000/", "official1", "secret")
    assert user.username == "official1" and user.area_code == "12"
    saved = load_device_settings(tmp_path / "device.json")
    assert saved.token == "token-1" and saved.server_url == "http://127.0.0.1:8000" and saved.signed_in
    runner = account.runner()
    assert runner is not None and runner.transport.token == "token-1" and runner.device_id == saved.device_id
    assert runner.cursor_key.startswith(CURSOR_KEY) and "official1" in runner.cursor_key
    assert account.runner() is runner


def test_a_wrong_password_saves_nothing(tmp_path, server):
    account = account_for(tmp_path, server)
    with pytest.raises(AuthError):
        account.sign_in("http://127.0.0.1:8000", "official1", "wrong")
    assert account.runner() is None and not load_device_settings(tmp_path / "device.json").token


def test_a_plain_http_server_elsewhere_needs_an_explicit_allowance(tmp_path, server):
    account = account_for(tmp_path, server)
    with pytest.raises(InsecureServerURL):
        account.sign_in("http://phum.example.org", "official1", "secret")
    account.sign_in("http://phum.example.org", "official1", "secret", allow_insecure=True)
    assert account.runner() is not None


def test_signing_out_revokes_the_token_and_forgets_it(tmp_path, server):
    account = account_for(tmp_path, server)
    account.sign_in("http://127.0.0.1:8000", "official1", "secret")
    account.sign_out()
    assert server.valid_tokens == set() and account.runner() is None
    assert load_device_settings(tmp_path / "device.json").token == ""


def test_signing_out_offline_still_forgets_the_token(tmp_path, server):
    account = account_for(tmp_path, server)
    account.sign_in("http://127.0.0.1:8000", "official1", "secret")
    server.faults = [ConnectionRefusedError("offline")]
    account.sign_out()
    assert account.runner() is None


def test_a_refused_token_is_forgotten_but_the_username_kept_for_the_sign_in_form(tmp_path, server):
    account = account_for(tmp_path, server)
    account.sign_in("http://127.0.0.1:8000", "official1", "secret")
    account.forget_token()
    assert account.runner() is None and account.settings.user.username == "official1"


def sealed_account(tmp_path, server, key=bytes(range(32))):
    from storage.tiny import TinyStore

    store = TinyStore(tmp_path / "records", tmp_path / "reference", data_key=key)
    return SyncAccount(store, settings_path=tmp_path / "device.json", send=server), store


def test_on_a_sealed_device_the_token_is_never_written_in_plain(tmp_path, server):
    account, store = sealed_account(tmp_path, server)
    try:
        account.sign_in("http://127.0.0.1:8000/", "official1", "secret")
        raw = (tmp_path / "device.json").read_bytes()
        assert b"token-1" not in raw and b"token_sealed" in raw
        assert load_device_settings(tmp_path / "device.json").token == ""  # unreadable without the key
        again = SyncAccount(store, settings_path=tmp_path / "device.json", send=server)
        assert again.settings.token == "token-1" and again.runner() is not None  # still signed in
    finally:
        store.close()


def test_a_plain_token_from_before_is_sealed_when_the_sealed_store_opens(tmp_path, server):
    account_for(tmp_path, server).sign_in("http://127.0.0.1:8000/", "official1", "secret")
    assert b"token-1" in (tmp_path / "device.json").read_bytes()
    account, store = sealed_account(tmp_path, server)
    try:
        assert account.settings.signed_in and account.settings.token == "token-1"
        assert b"token-1" not in (tmp_path / "device.json").read_bytes()
    finally:
        store.close()


def test_signing_out_wipes_the_sealed_token(tmp_path, server):
    account, store = sealed_account(tmp_path, server)
    try:
        account.sign_in("http://127.0.0.1:8000/", "official1", "secret")
        account.sign_out()
        raw = (tmp_path / "device.json").read_bytes()
        assert b"token_sealed" not in raw and b"token-1" not in raw
        assert account.runner() is None
    finally:
        store.close()


def test_a_token_sealed_with_another_key_reads_as_signed_out(tmp_path, server):
    account, store = sealed_account(tmp_path, server)
    account.sign_in("http://127.0.0.1:8000/", "official1", "secret")
    store.close()
    from storage.sealing import LineCipher

    other = load_device_settings(tmp_path / "device.json", LineCipher(bytes(32)))
    assert other.token == "" and not other.signed_in and other.user is not None  # username kept to prefill
