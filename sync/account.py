"""The device's sign-in, and the sync runner that goes with it.

The app's composition root makes one SyncAccount; the settings screen calls ``sign_in`` /
``sign_out``; AutoSync calls ``runner()`` (None while signed out). The token and server
URL live in the device settings file (sync/device.py, at the path the composition root
gives), never in the records store.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Optional

from sync.device import DeviceSettings, SignedInUser, load_device_settings, save_device_settings
from storage.repository import Store
from sync.runner import SyncRunner, cursor_key
from sync.transport import DEFAULT_TIMEOUT, Send, Transport


class NotSignedIn(RuntimeError):
    """Sync needs a server URL and a sign-in first."""


class SyncAccount:
    def __init__(self, store: Store, *, settings_path: Path, send: Optional[Send] = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, batch_size: Optional[int] = None):
        self.store = store
        self.settings_path = settings_path
        self._send = send  # tests and the benchmark put a fake or a counting send here
        self._timeout = timeout
        self._batch_size = batch_size
        self._guard = threading.Lock()
        self._settings = load_device_settings(settings_path, store.secret_box)
        self._runner: Optional[SyncRunner] = None
        self._runner_key: Optional[tuple] = None

    @property
    def settings(self) -> DeviceSettings:
        return self._settings

    @property
    def device_id(self) -> str:
        return self._settings.device_id

    def transport_for(self, server_url: str, *, allow_insecure: bool = False, ca_path: str = "",
                      token: str = "") -> Transport:
        return Transport(server_url, token=token, allow_insecure=allow_insecure, ca_path=ca_path,
                         timeout=self._timeout, send=self._send)

    def sign_in(self, server_url: str, username: str, password: str, *, allow_insecure: bool = False,
                ca_path: str = "") -> SignedInUser:
        """Log in and keep the token; raises the transport's errors (AuthError for a wrong password,
        RetryLater when the server locked the username for a while, Unreachable...)."""
        transport = self.transport_for(server_url, allow_insecure=allow_insecure, ca_path=ca_path)
        try:
            answer = transport.login(username, password, device_id=self.device_id)
        finally:
            transport.close()
        user = SignedInUser.from_dict(answer.get("user") or {"username": username})
        settings = self._settings.with_server(transport.base_url, allow_insecure=allow_insecure, ca_path=ca_path)
        self._update(settings.signed_in_as(answer["token"], user, answer.get("expires_at")))
        return user

    def sign_out(self) -> None:
        """Revoke the token when the server can be reached, and forget it on the device anyway."""
        runner = self.runner()
        if runner is not None:
            try:
                runner.transport.logout()
            except Exception:  # noqa: BLE001 - offline sign-out still forgets the token
                pass
        self._update(self._settings.signed_out())

    def forget_token(self) -> None:
        """The server refused the token (expired, revoked): ask the user to sign in again."""
        self._update(replace(self._settings, token="", token_expires_at=None))  # keeps the username to prefill

    def runner(self) -> Optional[SyncRunner]:
        """The runner for the current sign-in, made once and kept while the settings stay the same."""
        s = self._settings
        if not (s.server_url and s.token and s.user):
            return None
        key = (s.server_url, s.token, s.user.username, s.allow_insecure, s.ca_path)
        with self._guard:
            if self._runner is None or self._runner_key != key:
                if self._runner is not None:
                    self._runner.transport.close()
                transport = self.transport_for(s.server_url, allow_insecure=s.allow_insecure, ca_path=s.ca_path,
                                               token=s.token)
                extra = {"batch_size": self._batch_size} if self._batch_size else {}
                self._runner = SyncRunner(self.store, transport, device_id=s.device_id,
                                          cursor_key=cursor_key(s.server_url, s.user.username), **extra)
                self._runner_key = key
            return self._runner

    def _update(self, settings: DeviceSettings) -> None:
        save_device_settings(settings, self.settings_path, self.store.secret_box)
        self._settings = settings
