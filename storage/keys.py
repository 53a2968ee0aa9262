"""Where the records store's data key lives: the KeyStore interface and the key file.

The data key is 32 random bytes made on the device the first time a store is sealed.
Desktops and web mode keep it in a key file beside the data folder (``data_dir/keys``, never
inside ``records/``), readable only by the OS user (0600), written atomically; an office may
wrap it with a passphrase (scrypt, then AES-GCM). Phones keep it in the platform key store
(app/secure_keys.py, over flet-secure-storage). ``open_data_key`` never makes a new key for a
store that is already sealed: a lost key is an error, not a fresh empty store.
"""
from __future__ import annotations

import base64
import json
import os
import sys
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Optional

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from storage.sealing import KEY_BYTES, KeyMissingError, StoreKeyError, WrongKeyError, is_sealed, new_data_key

KEY_FILE_FORMAT = 1
# scrypt cost: n=2**15, r=8 takes about 0.1 s and 32 MiB, once per opening (OWASP's minimum is 2**17/8/1
# for password storage; a wrapped data key is guessed offline only with the key file in hand).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_WRAP_AAD = b"phum/records/wrapped-key/1"


class KeyStore(ABC):
    """Keeps one data key. ``load`` answers None when there is none yet."""

    @abstractmethod
    def load(self) -> Optional[bytes]: ...

    @abstractmethod
    def save(self, key: bytes) -> None: ...


def open_data_key(records_dir: Path, keys: KeyStore) -> bytes:
    """The store's data key: the kept one, or a new one (kept first) for a store not sealed yet."""
    key = keys.load()
    if key is not None:
        return key
    if is_sealed(records_dir):
        raise KeyMissingError(f"{records_dir} is encrypted and its key is not in {keys}")
    key = new_data_key()
    keys.save(key)
    if keys.load() != key:  # never seal records with a key that was not kept
        raise StoreKeyError(f"{keys} did not keep the new data key")
    return key


async def open_data_key_async(records_dir: Path, keys) -> bytes:
    """``open_data_key`` for a key store whose ``load`` and ``save`` are coroutines (the phone's)."""
    key = await keys.load()
    if key is not None:
        return key
    if is_sealed(records_dir):
        raise KeyMissingError(f"{records_dir} is encrypted and its key is not in {keys}")
    key = new_data_key()
    await keys.save(key)
    if await keys.load() != key:
        raise StoreKeyError(f"{keys} did not keep the new data key")
    return key


class KeyFile(KeyStore):
    """The data key in a file (0600), plain or wrapped by a passphrase."""

    def __init__(self, path: Path, passphrase: Optional[str] = None) -> None:
        self.path = Path(path)
        self.passphrase = passphrase or None

    def __repr__(self) -> str:
        return f"KeyFile({str(self.path)!r})"

    def load(self) -> Optional[bytes]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StoreKeyError(f"{self.path} cannot be read: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != KEY_FILE_FORMAT:
            raise StoreKeyError(f"{self.path} is not a Phum key file")
        try:
            if "wrapped" in data:
                return self._unwrap(data)
            key = base64.b64decode(data["key"], validate=True)
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreKeyError(f"{self.path} is damaged: {exc}") from exc
        if len(key) != KEY_BYTES:
            raise StoreKeyError(f"{self.path} holds no {KEY_BYTES}-byte key")
        return key

    def save(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a data key is {KEY_BYTES} bytes")
        data = self._wrap(key) if self.passphrase else {"format": KEY_FILE_FORMAT, "key": _b64(key)}
        _write_private(self.path, json.dumps(data, indent=1).encode("utf-8"))

    def _kek(self, salt: bytes, n: int, r: int, p: int) -> bytes:
        assert self.passphrase is not None
        return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(self.passphrase.encode("utf-8"))

    def _wrap(self, key: bytes) -> dict:
        salt, nonce = os.urandom(16), os.urandom(12)
        wrapped = AESGCM(self._kek(salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)).encrypt(nonce, key, _WRAP_AAD)
        return {"format": KEY_FILE_FORMAT, "kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                "salt": _b64(salt), "wrapped": _b64(nonce + wrapped)}

    def _unwrap(self, data: dict) -> bytes:
        if not self.passphrase:
            raise WrongKeyError(f"{self.path} is protected by a passphrase and none was given")
        salt = base64.b64decode(data["salt"], validate=True)
        blob = base64.b64decode(data["wrapped"], validate=True)
        kek = self._kek(salt, int(data["n"]), int(data["r"]), int(data["p"]))
        try:
            return AESGCM(kek).decrypt(blob[:12], blob[12:], _WRAP_AAD)
        except InvalidTag:
            raise WrongKeyError(f"the passphrase does not open {self.path}") from None


class MemoryKeys(KeyStore):
    """A key held in memory: for tests and tools that already have the key."""

    def __init__(self, key: Optional[bytes] = None) -> None:
        self.key = key

    def load(self) -> Optional[bytes]:
        return self.key

    def save(self, key: bytes) -> None:
        self.key = key


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only the OS user can read, atomically: a kill leaves the old file or the new one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if sys.platform != "win32":  # Windows cannot fsync a directory; NTFS journals renames
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
