"""What a screen may use: services, the UI status, the store's repair report, and the events it raises.

Built once by the composition root (app/composition.py); the shell and every screen get this
and nothing else, so no view reaches the store, AutoSync or the network.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from app.services.account import AccountService
from app.services.areas import AreaService
from app.services.concerns import ConcernService
from app.services.drafts import DraftService
from app.services.followup import FollowupService
from app.services.households import HouseholdService
from app.services.meetings import MeetingService
from app.services.report_actions import ReportActions
from app.services.reports import ReportService
from app.services.sync_review import SyncReview
from app.services.visits import VisitService
from app.viewmodels.status import AppStatus
from storage.repository import RecoveryReport


@dataclass(frozen=True)
class ScreenDeps:
    households: HouseholdService
    visits: VisitService
    concerns: ConcernService
    followup: FollowupService
    areas: AreaService
    reports: ReportService
    report_actions: ReportActions  # the report saved as XLSX/PDF, submitted up the chain
    review: SyncReview
    account: AccountService
    drafts: DraftService  # half-typed forms, kept in the store apart from the records
    meetings: MeetingService
    status: AppStatus
    recovery: RecoveryReport  # what opening the store found and repaired (empty when healthy)
    language: Callable[[], str]  # the device's language setting
    # Events: what the user did, for the composition root to act on.
    saved: Callable[[], None]  # records were saved on this device
    signed_in: Callable[[], None]
    signed_out: Callable[[], None]
    language_changed: Callable[[str], None]
    app_resumed: Callable[[], None]  # back in front (Android may have frozen Python meanwhile)
    sync_now: Callable[[], Awaitable[Any]]  # the "Sync now" button: the SyncReport
    session_started: Callable[[Callable], None]  # a window or tab opened: run background work with run_task
