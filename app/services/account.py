"""Signing in and out on the settings screen: SyncAccount's errors as codes the screen translates."""
from __future__ import annotations

from typing import Optional

from records.models import SyncState
from sync.device import SignedInUser
from app.services.actor import Actor
from sync.account import SyncAccount
from sync.transport import AuthError, InsecureServerURL, Refused, RetryLater, SyncError, check_server_url


class AccountError(Exception):
    """Signing in did not work; ``code`` is a key under error.* in the translations."""

    def __init__(self, code: str, field: str = ""):
        super().__init__(code)
        self.code = code
        self.field = field  # where to show it: server_url, username, password, or "" (under the button)


# Store meta: someone signed out, so the device's records are not shown until the next sign-in.
RECORDS_HIDDEN_KEY = "account.records_hidden"
UNSENT = (SyncState.pending, SyncState.sending, SyncState.rejected, SyncState.conflict)


class AccountService:
    def __init__(self, account: SyncAccount):
        self.account = account

    @property
    def records_hidden(self) -> bool:
        """Signed out since the last sign-in: lists and records stay closed (they stay on the device)."""
        return bool(self.account.store.meta.get(RECORDS_HIDDEN_KEY, False)) and self.user is None

    def unsent_count(self) -> int:
        """Records on this device the server does not have yet (what signing out leaves behind)."""
        store = self.account.store
        return sum(len(repo.ids_in_state(*UNSENT)) for repo in (store.households, store.visits, store.concerns))

    @property
    def device_id(self) -> str:
        return self.account.device_id

    @property
    def server_url(self) -> str:
        return self.account.settings.server_url

    @property
    def user(self) -> Optional[SignedInUser]:
        settings = self.account.settings
        return settings.user if settings.signed_in else None

    @property
    def last_username(self) -> str:
        """Kept after the server refused a token, to prefill the sign-in form."""
        user = self.account.settings.user
        return user.username if user else ""

    def actor(self) -> Actor:
        user = self.account.settings.user
        return Actor(username=user.username if user else "", full_name=user.full_name if user else "",
                     device_id=self.account.device_id, role=user.role if user else "official",
                     area_code=user.area_code if user else "")

    def sign_in(self, server_url: str, username: str, password: str) -> SignedInUser:
        """Blocking (a network call): run it off the UI loop. Raises AccountError."""
        try:
            url = check_server_url(server_url)
        except InsecureServerURL:
            raise AccountError("server_url_insecure", "server_url") from None
        except ValueError:
            raise AccountError("server_url_invalid", "server_url") from None
        if not (username or "").strip():
            raise AccountError("required", "username")
        if not password:
            raise AccountError("required", "password")
        try:
            user = self.account.sign_in(url, username.strip(), password)
        except AuthError:
            raise AccountError("login_failed", "password") from None
        except RetryLater as exc:
            raise AccountError("login_locked" if exc.code == "login_locked" else "server_busy") from None
        except Refused as exc:
            raise AccountError(exc.code if exc.code == "tls_failed" else "login_failed") from None
        except SyncError:
            raise AccountError("server_unreachable", "server_url") from None
        # Someone signed in: the records show again, and the unsent ones go with the next sync (the
        # server takes those in the user's area; others are refused as outside_area, and kept).
        self.account.store.meta.set(RECORDS_HIDDEN_KEY, False)
        return user

    def sign_out(self) -> None:
        """Blocking when the server is reachable (it revokes the token); forgets it here anyway.
        The records stay on the device, hidden until someone signs in again."""
        self.account.store.meta.set(RECORDS_HIDDEN_KEY, True)
        self.account.sign_out()
