"""Is the server there? The app's one periodic probe: a cheap GET /health every few seconds.

The offline banner must follow the network within seconds, signed in or not and with
auto-sync off too; the composition root passes each answer to ``AutoSync.set_online``, so
AutoSync's status is the one place the screens read "online" from (blocking I/O in a thread).
"""
from __future__ import annotations

import asyncio
from typing import Callable, Optional

from sync.account import SyncAccount
from sync.transport import SyncError, Transport

PROBE_TIMEOUT = (3.0, 5.0)  # connect, read: an answer slower than this is "offline" for the banner


class Reachability:
    def __init__(self, account: SyncAccount, *, interval_s: float = 10.0):
        self.account = account
        self.interval_s = interval_s
        self._transport: Optional[Transport] = None
        self._url = ""
        self._stop = False

    def check(self) -> Optional[bool]:
        """True/False; None when no server is set. Blocking."""
        s = self.account.settings
        if not s.server_url:
            return None
        try:
            if self._transport is None or self._url != s.server_url:
                if self._transport is not None:
                    self._transport.close()
                self._transport = Transport(s.server_url, allow_insecure=s.allow_insecure, ca_path=s.ca_path,
                                            timeout=PROBE_TIMEOUT)
                self._url = s.server_url
            self._transport.health()
            return True
        except (SyncError, ValueError):
            return False

    async def run(self, report: Callable[[Optional[bool]], None]) -> None:
        """Probe until stopped, reporting each answer (the caller ignores repeats)."""
        while not self._stop:
            report(await asyncio.to_thread(self.check))
            await asyncio.sleep(self.interval_s)

    def stop(self) -> None:
        self._stop = True
        if self._transport is not None:
            self._transport.close()
