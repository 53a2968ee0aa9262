"""Device settings: server URL, sign-in token, signed-in user and the device id.

Kept in a small JSON file apart from the records store (the composition root passes its
path: app.config.device_settings_path()), so that signing out or changing server never
touches officials' records. Every write is atomic and durable (storage.files.write_atomic).
"""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Protocol

from storage.files import write_atomic


_TOKEN_AAD = b"phum-device-token"


class SecretBox(Protocol):
    """What seals the token (storage.sealing.LineCipher: AES-GCM with the records' data key)."""

    def seal(self, payload: bytes, aad: bytes) -> bytes: ...

    def open(self, blob: bytes, aad: bytes) -> Optional[bytes]: ...


@dataclass(frozen=True)
class SignedInUser:
    username: str
    full_name: str = ""
    role: str = "official"  # official | supervisor | admin
    area_code: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SignedInUser":
        return cls(
            username=str(data.get("username", "")),
            full_name=str(data.get("full_name") or ""),
            role=str(data.get("role") or "official"),
            area_code=str(data.get("area_code") or ""),
        )


@dataclass(frozen=True)
class DeviceSettings:
    device_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    server_url: str = ""
    token: str = ""
    token_expires_at: Optional[str] = None  # ISO 8601, as the server sent it
    user: Optional[SignedInUser] = None
    allow_insecure: bool = False  # plain http to a host other than this machine
    ca_path: str = ""  # extra CA bundle for a server with a private certificate

    @property
    def signed_in(self) -> bool:
        return bool(self.token and self.user and self.server_url) and not self.token_expired()

    def token_expired(self, now: Optional[datetime] = None) -> bool:
        if not self.token_expires_at:
            return False
        try:
            expires = datetime.fromisoformat(self.token_expires_at.replace("Z", "+00:00"))
        except ValueError:
            return False
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=timezone.utc)
        return expires <= (now or datetime.now(timezone.utc))

    def with_server(self, server_url: str, *, allow_insecure: bool = False, ca_path: str = "") -> "DeviceSettings":
        """A new server forgets the sign-in: a token is only good where it was issued."""
        url = server_url.strip().rstrip("/")
        if url == self.server_url and allow_insecure == self.allow_insecure and ca_path == self.ca_path:
            return self
        return replace(self, server_url=url, allow_insecure=allow_insecure, ca_path=ca_path,
                       token="", token_expires_at=None, user=None)

    def signed_in_as(self, token: str, user: SignedInUser, expires_at: Optional[str]) -> "DeviceSettings":
        return replace(self, token=token, user=user, token_expires_at=expires_at)

    def signed_out(self) -> "DeviceSettings":
        return replace(self, token="", token_expires_at=None, user=None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["user"] = asdict(self.user) if self.user else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DeviceSettings":
        user = data.get("user")
        device_id = str(data.get("device_id") or "") or str(uuid.uuid4())
        return cls(
            device_id=device_id,
            server_url=str(data.get("server_url") or ""),
            token=str(data.get("token") or ""),
            token_expires_at=data.get("token_expires_at") or None,
            user=SignedInUser.from_dict(user) if isinstance(user, dict) and user.get("username") else None,
            allow_insecure=bool(data.get("allow_insecure", False)),
            ca_path=str(data.get("ca_path") or ""),
        )


def load_device_settings(path: Path, box: Optional[SecretBox] = None) -> DeviceSettings:
    """The saved settings; a first start (or an unreadable file) makes and saves a new device id.

    An unreadable file is kept aside as ``device.json.damaged`` rather than deleted. With a
    ``box`` the token is kept sealed (a plain one from before is sealed now); a sealed token
    the box cannot open reads as signed out (the user signs in again; nothing else is lost).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("settings file is not a JSON object")
    except FileNotFoundError:
        settings = DeviceSettings()
        save_device_settings(settings, path, box)
        return settings
    except (ValueError, UnicodeDecodeError, OSError):
        os.replace(path, path.with_name(path.name + ".damaged"))
        settings = DeviceSettings()
        save_device_settings(settings, path, box)
        return settings
    sealed = data.get("token_sealed")
    if sealed:
        opened = box.open(str(sealed).encode("ascii"), _TOKEN_AAD) if box is not None else None
        data = {**data, "token": opened.decode("utf-8") if opened else ""}
    settings = DeviceSettings.from_dict(data)
    if settings.device_id != data.get("device_id") or (box is not None and data.get("token") and not sealed):
        save_device_settings(settings, path, box)
    return settings


def save_device_settings(settings: DeviceSettings, path: Path, box: Optional[SecretBox] = None) -> None:
    """Write atomically and durably: after this returns, a crash leaves the old or the new file.

    With a ``box`` the token is written sealed, never in plain; signing out writes neither.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = settings.to_dict()
    if box is not None and data["token"]:
        data["token_sealed"] = box.seal(data.pop("token").encode("utf-8"), _TOKEN_AAD).decode("ascii")
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    write_atomic(path, body, mode=0o600)  # holds a token: owner only
