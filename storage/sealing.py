"""Sealing the records store at rest: AES-256-GCM over each journal and snapshot line.

A sealed line is ``<crc32 hex> <base64(nonce || ciphertext || tag)>``: the same framing as a
plain line, so torn writes and damage are found by the same checksum; the GCM tag then
proves the line was written with this key and not altered. Every line has a fresh random
96-bit nonce (a device writes far fewer than the 2**32 lines one key may seal that way).
docs/storage.md ("Encryption at rest") explains the design and what it does not protect.
"""
from __future__ import annotations

import base64
import binascii
import os
from typing import Optional

from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.repository import StoreError

KEY_BYTES = 32
_NONCE = 12
_TAG = 16
# Associated data keeps a sealed value from being read as another kind of value.
_LINE = b"phum/records/line/1"
_CHECK = b"phum/records/key-check/1"
_FILE = b"phum/records/kept-file/1"
_CHECK_TEXT = b"phum records key check"

SEALED_MARK = "sealed.json"  # the key check: its presence says the store's lines are sealed
SEALED_SUFFIX = ".sealed"  # snapshot.sealed, journal-000007.sealed (plain ones end in .jsonl)


class StoreKeyError(StoreError):
    """The records cannot be opened with the key at hand; nothing was read, moved or deleted.

    ``message_key`` names the translated text the app shows.
    """

    message_key = "store.key_problem"


class WrongKeyError(StoreKeyError):
    """The data key (or the passphrase that unwraps it) is not the one the store was sealed with."""

    message_key = "store.key_wrong"


class KeyMissingError(StoreKeyError):
    """The store is sealed and no data key was found for it."""

    message_key = "store.key_missing"


def is_sealed(records_dir: Path) -> bool:
    """Whether the store in ``records_dir`` holds sealed lines (or was started as a sealed one)."""
    records_dir = Path(records_dir)
    if not records_dir.is_dir():
        return False
    return any(p.name == SEALED_MARK or p.name.endswith(SEALED_SUFFIX) for p in records_dir.iterdir())


class LineCipher:
    """Seals and opens the lines of one store with its data key."""

    name = "AES-256-GCM"

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a data key is {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)

    def seal(self, payload: bytes, aad: bytes = _LINE) -> bytes:
        nonce = os.urandom(_NONCE)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, payload, aad))

    def open(self, blob: bytes, aad: bytes = _LINE) -> Optional[bytes]:
        """The payload, or None when the blob was not sealed by this key or was altered."""
        try:
            raw = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(raw) < _NONCE + _TAG:
            return None
        try:
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], aad)
        except InvalidTag:
            return None

    def key_check(self) -> bytes:
        """A value only this key opens: stored beside the files to tell a wrong key at once."""
        return self.seal(_CHECK_TEXT, _CHECK)

    def matches(self, check: bytes) -> bool:
        return self.open(check, _CHECK) == _CHECK_TEXT

    def seal_file(self, data: bytes) -> bytes:
        """A whole file kept aside (a damaged plain file found while migrating) as one sealed value."""
        return self.seal(data, _FILE)

    def open_file(self, data: bytes) -> Optional[bytes]:
        return self.open(data, _FILE)


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)
