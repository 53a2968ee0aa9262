"""The data key on phones: the platform key store (Android Keystore, iOS Keychain) through
flet-secure-storage, behind the same load/save interface as storage.keys.KeyStore, async
because the Flet service answers over the session. Not testable here without a phone
(docs/STATE.md); desktops and web mode use storage.keys.KeyFile instead.
"""
from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Optional

from flet_secure_storage import AndroidOptions, SecureStorage

from storage.keys import KEY_BYTES, open_data_key_async
from storage.sealing import StoreKeyError

KEY_NAME = "phum.records.data_key"
# The plugin's default wipes everything it holds on a Keystore error: that would make the
# records unreadable for good. Let the error surface instead (the app shows it).
ANDROID = AndroidOptions(reset_on_error=False, shared_preferences_name="phum_keys")


class SecureStorageKeys:
    """The data key as one entry of the platform key store."""

    def __init__(self, storage: Optional[SecureStorage] = None) -> None:
        # A Flet service stays registered only while Python holds a reference: keep this one.
        self.storage = storage or SecureStorage(android_options=ANDROID)

    def __repr__(self) -> str:
        return "the phone's key store"

    async def load(self) -> Optional[bytes]:
        value = await self.storage.get(KEY_NAME, android=ANDROID)
        if not value:
            return None
        try:
            key = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise StoreKeyError(f"the key store holds an unreadable data key: {exc}") from exc
        if len(key) != KEY_BYTES:
            raise StoreKeyError("the key store holds no 32-byte data key")
        return key

    async def save(self, key: bytes) -> None:
        await self.storage.set(KEY_NAME, base64.b64encode(key).decode("ascii"), android=ANDROID)


async def phone_data_key(records_dir: Path, keys: Optional[SecureStorageKeys] = None) -> bytes:
    """The records' data key from the phone's key store (made and kept there on first use)."""
    return await open_data_key_async(records_dir, keys or SecureStorageKeys())
