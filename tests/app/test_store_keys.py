"""The device opens its records encrypted: the key file on desktops and web, the phone's key
store on phones; a wrong or missing key is told in both languages and nothing is touched."""
from __future__ import annotations

import asyncio

import pytest

from app.composition import key_file, open_store
from app.secure_keys import KEY_NAME, SecureStorageKeys, phone_data_key
from storage.sealing import KeyMissingError, WrongKeyError, new_data_key
from tests.app.flet_session import app_session
from tests.support.records import household


def files_of(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_desktop_store_is_sealed_with_a_key_file_beside_the_records(tmp_path):
    store = open_store(tmp_path)
    store.save(household(1, head_name="ចាន់ សុភាព"))
    store.close()
    assert (tmp_path / "keys" / "records.key").exists() and not list((tmp_path / "records").rglob("*.key"))
    assert (tmp_path / "records" / "sealed.json").exists()
    assert all("ចាន់".encode() not in data for name, data in files_of(tmp_path / "records").items())
    store = open_store(tmp_path)
    assert store.households.search("ចាន់")
    store.close()


def test_a_store_whose_key_file_is_gone_is_refused_and_left_as_it_was(tmp_path):
    open_store(tmp_path).close()
    key_file(tmp_path).path.unlink()
    before = files_of(tmp_path)
    with pytest.raises(KeyMissingError):
        open_store(tmp_path)
    assert files_of(tmp_path) == before  # no new key, no new store over the old one


class FakeSecureStorage:
    """Plays flet-secure-storage's get/set (its Flutter side needs a phone)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.options = []

    async def get(self, key, *, android=None):
        self.options.append(android)
        return self.values.get(key)

    async def set(self, key, value, *, android=None):
        self.options.append(android)
        self.values[key] = value


def test_the_phone_keeps_its_key_in_the_platform_key_store_and_never_lets_it_be_wiped(tmp_path):
    storage = FakeSecureStorage()
    keys = SecureStorageKeys(storage)
    key = asyncio.run(phone_data_key(tmp_path / "records", keys))
    assert len(key) == 32 and KEY_NAME in storage.values
    assert asyncio.run(phone_data_key(tmp_path / "records", keys)) == key
    assert all(o is not None and o.reset_on_error is False for o in storage.options)
    open_store(tmp_path, data_key=key).close()
    storage.values.clear()  # the key store lost it: never a new key for a sealed store
    with pytest.raises(KeyMissingError):
        asyncio.run(phone_data_key(tmp_path / "records", keys))


@pytest.mark.parametrize(("error", "khmer"), [(WrongKeyError, "សោផ្សេង"), (KeyMissingError, "បាត់សោ")])
def test_a_key_problem_is_shown_translated_instead_of_a_crash(ctx, error, khmer):
    def failing():
        raise error("the records cannot be opened")

    with app_session(ctx, factory=failing) as s:
        assert s.shown("store-problem")
        assert khmer in s.texts() and "Nothing was changed or deleted" in s.texts()


def test_a_wrong_key_from_the_phone_key_store_is_refused(tmp_path):
    open_store(tmp_path, data_key=new_data_key()).close()
    with pytest.raises(WrongKeyError):
        open_store(tmp_path, data_key=new_data_key())
