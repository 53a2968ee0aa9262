"""Settings and sign-in: server address, account, language, and what this device is."""
from __future__ import annotations

import asyncio
from typing import Optional

from records.version import APP_VERSION
from sync.device import SignedInUser
from app.i18n import LANGUAGES
from app.services.account import AccountError, AccountService
from app.services.areas import AreaService


class SettingsVM:
    def __init__(self, account: AccountService, areas: AreaService, language: str):
        self.account = account
        self.areas = areas
        self.language = language
        self.server_url = account.server_url
        self.username = account.last_username
        self.password = ""
        self.errors: dict[str, str] = {}  # field -> code; "" is the form as a whole
        self.busy = False

    @property
    def user(self) -> Optional[SignedInUser]:
        return self.account.user

    @property
    def device_id(self) -> str:
        return self.account.device_id

    @property
    def version(self) -> str:
        return APP_VERSION

    @property
    def languages(self) -> tuple[str, ...]:
        return LANGUAGES

    def gazetteer(self) -> tuple[str, str, int]:
        """(source, version, number of villages) of the gazetteer on this device."""
        info = self.areas.gazetteer_info()
        if info is None:
            return "", "", 0
        return info.source, info.version, int(info.counts.get("village", 0))

    def set(self, name: str, value: str) -> None:
        setattr(self, name, value or "")
        self.errors.pop(name, None)
        self.errors.pop("", None)

    async def sign_in(self) -> bool:
        """Ask the server (off the UI loop); errors land at their field."""
        self.busy = True
        self.errors = {}
        try:
            await asyncio.to_thread(self.account.sign_in, self.server_url, self.username, self.password)
        except AccountError as exc:
            self.errors = {exc.field: exc.code}
            return False
        finally:
            self.busy = False
        self.password = ""
        self.server_url = self.account.server_url
        return True

    def unsent_before_sign_out(self) -> int:
        """Records not on the server yet: signing out with any asks first, with this number."""
        return self.account.unsent_count()

    async def sign_out(self) -> None:
        self.busy = True
        try:
            await asyncio.to_thread(self.account.sign_out)
        finally:
            self.busy = False
        self.username = self.account.last_username
