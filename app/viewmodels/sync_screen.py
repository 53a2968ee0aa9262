"""The sync screen: connection, what waits by type, Sync now with progress, rejected and conflicts,
and what opening the store repaired."""
from __future__ import annotations

from pathlib import Path
from typing import Awaitable, Callable, Optional

from app.services.account import AccountService
from app.services.sync_review import RECORD_KINDS, ConflictItem, RejectedItem, SyncReview
from app.viewmodels.message import Message
from app.viewmodels.status import AppStatus
from storage.repository import RecoveryReport
from sync.account import NotSignedIn
from sync.runner import SyncInProgress, SyncReport
from sync.transport import AuthError, RetryLater, SyncError, Temporary


def fix_route(item: RejectedItem) -> str:
    """Where the official fixes a rejected record."""
    if item.kind == "household":
        return f"/households/{item.household_id}/edit"
    if item.meeting_id and not item.visit_id:
        return f"/meetings/{item.meeting_id}"
    if item.visit_id and item.household_id:
        return f"/households/{item.household_id}/visits/{item.visit_id}"
    return f"/households/{item.household_id}"


def repair_notice(report: Optional[RecoveryReport]) -> Optional[Message]:
    """What to tell the user when opening the store found damage: how much came back, where the copy is."""
    if report is None or not report.had_damage:
        return None
    folders = sorted({str(Path(p).parent) for p in report.damaged_files})
    return Message("sync.store_repaired", {"count": report.records_recovered, "folder": ", ".join(folders)})


class SyncScreenVM:
    def __init__(self, review: SyncReview, status: AppStatus, account: AccountService,
                 sync_now: Callable[[], Awaitable[SyncReport]], recovery: Optional[RecoveryReport] = None):
        self.review = review
        self.status = status
        self.account = account
        self._sync_now = sync_now
        self.repair = repair_notice(recovery)
        self.message: Optional[Message] = None
        self.rejected: list[RejectedItem] = []
        self.conflicts: list[ConflictItem] = []
        self._result: Optional[Message] = None
        self._seen_report: Optional[SyncReport] = None
        self.reload()

    def reload(self) -> None:
        if self.account.records_hidden:  # signed out: the counts stay, the names of households do not
            self.rejected, self.conflicts = [], []
            return
        self.rejected = self.review.rejected()
        self.conflicts = self.review.conflicts()

    @property
    def connection(self) -> str:
        if not self.account.server_url:
            return "no_server"
        if self.status.online is None:
            return "unknown"
        return "online" if self.status.online else "offline"

    @property
    def signed_in(self) -> bool:
        return self.account.user is not None

    @property
    def offer_sign_in(self) -> bool:
        """Show the way to Settings: nobody can sync from here before signing in."""
        return not self.signed_in

    def who(self) -> Message:
        user = self.account.user
        if user is None:
            return Message("sync.not_signed_in", {})
        return Message("sync.signed_in_as", {"name": user.full_name or user.username})

    def last_success(self) -> Message:
        when = self.status.last_success_at
        return Message("sync.last_success", {"when": when}) if when else Message("sync.never", {})

    @property
    def button_key(self) -> str:
        return "sync.running" if self.status.running else "sync.now"

    def count_rows(self) -> list[tuple[str, int, int, int]]:
        c = self.status.counts
        return [(k, c.pending.get(k, 0), c.rejected.get(k, 0), c.conflict.get(k, 0)) for k in RECORD_KINDS]

    @property
    def can_sync(self) -> bool:
        return self.signed_in and not self.status.running

    def progress(self) -> tuple[Optional[float], Optional[Message]]:
        """The bar's value (None = indeterminate) and its caption, while a sync runs."""
        p = self.status.progress
        if not self.status.running or p is None:
            return None, None
        if p.phase == "push":
            return p.fraction, Message("sync.progress_push", {"sent": p.sent, "total": p.total})
        if p.phase == "reference":
            return None, Message("sync.progress_reference", {})
        return None, Message("sync.progress_pull", {"sent": p.sent, "total": p.total, "pulled": p.pulled})

    def last_result(self) -> Optional[Message]:
        report = self.status.last_report
        if report is None:
            return None
        params = {"sent": report.sent, "accepted": report.accepted + report.duplicates,
                  "rejected": len(report.rejected), "conflicts": len(report.conflicts), "pulled": report.pulled}
        if report.ok:
            return Message("sync.result_ok", params)
        return Message("sync.result_stopped", {**params, "reason": _error_code(report.error)})

    def result(self) -> Optional[Message]:
        """Under the button: the last outcome; while a sync runs, what was there (the bar speaks)."""
        if not self.status.running:
            self._result = self.message or self.last_result()
        return self._result

    def begin_sync(self) -> None:
        """The button was pressed: the previous outcome no longer stands."""
        self.message = None

    async def sync_now(self) -> Message:
        """The button: runs one sync (AutoSync reports progress to every screen meanwhile)."""
        try:
            report = await self._sync_now()
        except NotSignedIn:
            self.message = Message("sync.need_sign_in", {})
        except SyncInProgress:
            self.message = Message("sync.already_running", {})
        else:
            self.message = self.last_result() or Message("sync.done", {})
            if not report.ok:
                self.message = Message("sync.result_stopped", {**self.message.params,
                                                               "reason": _error_code(report.error)})
        self.status.records_changed()
        self.reload()
        return self.message

    def status_changed(self) -> None:
        """The app status moved: once a sync has ended with a new report, read the lists again."""
        if not self.status.running and self._seen_report is not self.status.last_report:
            self._seen_report = self.status.last_report
            self.reload()

    def keep_local(self, record_id: str) -> Message:
        """Keep this device's version of a conflict (sent again); the toast to show."""
        self.review.keep_local(record_id)
        return self._resolved()

    def keep_server(self, record_id: str) -> Message:
        """Keep the server's version of a conflict; the toast to show."""
        self.review.keep_server(record_id)
        return self._resolved()

    def _resolved(self) -> Message:
        self.status.records_changed()
        self.reload()
        return Message("sync.conflict_resolved", {})


def _error_code(error: Optional[BaseException]) -> str:
    """Why a sync stopped, as an error.* key the screen can translate."""
    if error is None:
        return ""
    if isinstance(error, AuthError):
        return "token_invalid"
    if isinstance(error, RetryLater):
        return "server_busy"
    if isinstance(error, Temporary):
        return "server_unreachable"
    if isinstance(error, SyncError) and error.code:
        return error.code
    return "sync_failed"
