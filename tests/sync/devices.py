"""Devices for the functional tests: a real TinyStore on disk, a SyncAccount signed in to a real
server, and a look into the server's database to count what it stored."""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from records.models import Record, SyncState
from storage.tiny import TinyStore
from sync.account import SyncAccount
from sync.report import SyncReport
from sync.transport import RetryLater, Send

DEMO_VILLAGE = "01020101"  # Ou Thum, in the demo official's commune 010201
OTHER_VILLAGE = "12010101"  # Phnom Penh: outside the demo users' areas


@dataclass
class Device:
    name: str
    store: TinyStore
    account: SyncAccount

    @property
    def runner(self):
        return self.account.runner()

    def sync(self, **kw) -> SyncReport:
        return self.runner.sync_now(**kw)

    def sync_until_done(self, *, rounds: int = 80, max_wait: float = 0.3) -> list[SyncReport]:
        """Sync again and again (as AutoSync would) until a sync ends cleanly with nothing pending."""
        reports = []
        for _ in range(rounds):
            report = self.sync()
            reports.append(report)
            if report.ok and not self.in_state(SyncState.pending, SyncState.sending):
                return reports
            if isinstance(report.error, RetryLater):
                time.sleep(min(max_wait, report.error.retry_after or 0))
        raise AssertionError(f"{self.name} did not finish syncing in {rounds} rounds: {reports[-1].errors}")

    def in_state(self, *states: SyncState) -> list[Record]:
        return [r for kind in ("household", "visit", "meeting", "concern") for r in self.store.repository_for(kind).in_state(*states)]

    def all(self) -> list[Record]:
        return [r for kind in ("household", "visit", "meeting", "concern") for r in self.store.repository_for(kind).all()]

    def get(self, record: Record) -> Record:
        return self.store.repository_for(record).get(record.id)


def make_device(tmp_path: Path, name: str, server_url: str, username: str, password: str, *,
                send: Optional[Send] = None, timeout=(5.0, 30.0), batch_size: Optional[int] = None,
                allow_insecure: bool = False) -> Device:
    root = tmp_path / name
    store = TinyStore(root / "records", root / "reference")
    account = SyncAccount(store, settings_path=root / "device.json", send=send, timeout=timeout,
                          batch_size=batch_size)
    account.sign_in(server_url, username, password, allow_insecure=allow_insecure)
    return Device(name, store, account)


class ServerDb:
    """Read-only counts straight from the server's SQLite file."""

    def __init__(self, db_url: str):
        assert db_url.startswith("sqlite:///"), db_url
        self.path = db_url[len("sqlite:///"):]

    def _query(self, sql: str, *args):
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(sql, args).fetchall()

    def records(self) -> dict[str, tuple[str, int, int]]:
        """id -> (type, rev, server_rev)."""
        return {i: (t, rev, srv) for i, t, rev, srv in self._query("SELECT id, type, rev, server_rev FROM records")}

    def accepted_versions(self) -> dict[str, list[int]]:
        """id -> the revs the server accepted from devices, in order (each version once)."""
        out: dict[str, list[int]] = {}
        for record_id, rev in self._query(
                "SELECT record_id, rev FROM audit_log WHERE action = 'push' ORDER BY id"):
            out.setdefault(record_id, []).append(rev)
        return out

    def conflict_revisions(self) -> int:
        return self._query("SELECT COUNT(*) FROM conflict_revisions")[0][0]
