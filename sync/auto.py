"""AutoSync: the background loop that syncs when the server is reachable and something waits.

The UI starts it with ``page.run_task(auto.run)``, calls ``trigger()`` when the app becomes
visible again (Android may have frozen Python meanwhile: no timer is trusted to fire in the
background), passes the reachability probe's answers to ``set_online`` (sync/reachability.py:
the one periodic /health probe; a way back online triggers a sync), and shows ``auto.status``
(online, running, pending counts, last success). Blocking work runs in threads (``asyncio.to_thread``);
one loop per process even if ``main()`` runs again, and one sync at a time.

(Just over 300 lines: the loop, its backoff and its status are one state machine; split, each
half would need the other's state.)
"""
from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Awaitable, Callable, Optional

from records.models import utcnow
from storage.repository import Store
from sync import decisions
from sync.outbox import OutboxCounts, outbox_counts, pending_ids
from sync.report import SyncProgress, SyncReport
from sync.runner import LAST_SUCCESS_KEY, SyncRunner
from sync.transport import AuthError, RetryLater, SyncError, Temporary

log = logging.getLogger("phum.sync.auto")


@dataclass(frozen=True)
class SyncStatus:
    """What the sync screen, the pending badge and the offline banner show."""

    online: Optional[bool] = None  # None until the server was asked once
    running: bool = False
    signed_in: bool = False
    needs_sign_in: bool = False  # the server refused the token
    counts: OutboxCounts = OutboxCounts()
    last_success_at: Optional[datetime] = None
    last_report: Optional[SyncReport] = None
    last_error: str = ""
    progress: Optional[SyncProgress] = None  # of the sync running now
    retry_in_s: Optional[float] = None  # when the loop tries again after a failure


Listener = Callable[[SyncStatus], None]
MakeRunner = Callable[[], Optional[SyncRunner]]

_claims: dict[str, "AutoSync"] = {}
_claims_guard = threading.Lock()


class AutoSync:
    def __init__(
        self,
        store: Store,
        make_runner: MakeRunner,
        *,
        name: str = "default",
        poll_interval: float = 30.0,  # how often the loop looks at the outbox while idle
        pull_interval: float = 900.0,  # pull district changes at least this often when online
        base_delay: float = 5.0,
        max_delay: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], datetime] = utcnow,
        rand: Callable[[], float] = random.random,
    ):
        self.store = store
        self.make_runner = make_runner
        self.name = name
        self.poll_interval = poll_interval
        self.pull_interval = pull_interval
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self.rand = rand
        self.status = SyncStatus()
        self._listeners: list[Listener] = []
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._wake: Optional[asyncio.Event] = None
        self._sync_lock: Optional[asyncio.Lock] = None
        self._stopping = False
        self._forced = False
        self._failures = 0
        self._backoff_until = 0.0  # our own backoff after failures
        self._server_until = 0.0  # the server's Retry-After
        self._last_sync: Optional[float] = None
        self._settled: frozenset[str] = frozenset()  # pending after the last good sync: waiting for a parent
        self._refused_token: Optional[str] = None

    # ---------------------------------------------------------------- for the UI

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(status)`` on every change (on the event loop); returns an unsubscribe."""
        self._listeners.append(listener)
        listener(self.status)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def trigger(self) -> None:
        """Try now: connectivity changed, the app became visible, or a record was saved. Thread-safe."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._on_trigger)
        else:
            self._forced = True

    def set_online(self, online: Optional[bool]) -> None:
        """The reachability probe's answer (None: no server set); back online, send what waited."""
        was = self.status.online
        if online != was:
            self._publish(online=online)
        if online and was is False:
            self.trigger()

    def stop(self) -> None:
        self._stopping = True
        self.trigger()

    async def sync_now(self, progress: Optional[Callable[[SyncProgress], None]] = None) -> SyncReport:
        """The "Sync now" button: waits for a running sync to finish, then syncs.

        ``progress`` is called from the sync's worker thread; the status listeners get the
        same events on the event loop.
        """
        runner = self.make_runner()
        if runner is None:
            from sync.account import NotSignedIn
            raise NotSignedIn("sign in to sync")
        return await self._sync(runner, progress)

    # ---------------------------------------------------------------- the loop

    async def run(self) -> None:
        """The background loop; returns at once if another one already runs in this process."""
        if not self._claim():
            log.info("auto-sync %r already runs in this process; not starting another", self.name)
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._sync_lock = self._sync_lock or asyncio.Lock()
        if self._forced:
            self._wake.set()
        try:
            last = await asyncio.to_thread(self.store.meta.get, LAST_SUCCESS_KEY)
            if last:
                self._publish(last_success_at=datetime.fromisoformat(last))
            while not self._stopping:
                try:
                    delay = await self.step()
                except Exception as exc:  # noqa: BLE001 - the loop must outlive any one failure
                    log.exception("auto-sync step failed")
                    delay = self._schedule_retry(None)
                    self._publish(last_error=f"{type(exc).__name__}: {exc}")
                if not self._stopping:
                    await self._sleep_or_wake(delay)
        finally:
            self._release()

    async def step(self) -> float:
        """One look: sync when due and reachable; returns seconds until the next look."""
        forced, self._forced = self._forced, False
        counts = await asyncio.to_thread(outbox_counts, self.store)
        self._publish(counts=counts)
        runner = self.make_runner()
        if runner is None:
            self._publish(signed_in=False, needs_sign_in=False)
            return self.poll_interval
        token = runner.transport.token
        if self._refused_token is not None and token == self._refused_token:
            return self.poll_interval  # still the token the server refused: wait for a new sign-in
        self._refused_token = None
        self._publish(signed_in=True, needs_sign_in=False)
        if forced:
            # A new connection or the app coming back is a fresh start for our own backoff...
            self._failures = 0
            self._backoff_until = 0.0
        now = self.clock()
        wait_until = max(self._backoff_until, self._server_until)  # ...but not for the server's Retry-After
        if now < wait_until:
            self._forced = self._forced or forced
            return wait_until - now
        waiting = await asyncio.to_thread(pending_ids, self.store)
        pull_due = self._last_sync is None or now - self._last_sync >= self.pull_interval
        if not (forced or (waiting - self._settled) or pull_due):
            return self.poll_interval  # nothing to do: whether the server is there is the probe's question
        if not await self._probe(runner):
            failed_at = self.clock()
            if self._backoff_until <= failed_at:
                self._schedule_retry(None)
            return max(self._backoff_until, self._server_until) - failed_at
        await self._sync(runner, None)
        if self.status.last_report is not None and self.status.last_report.ok:
            return self.poll_interval
        return max(0.0, self._backoff_until - self.clock(), self._server_until - self.clock())

    async def _probe(self, runner: SyncRunner) -> bool:
        """The cheap "is the server there" knock (GET /health) before a sync sends a batch."""
        try:
            await asyncio.to_thread(runner.transport.health)
        except RetryLater as exc:
            self._schedule_retry(exc.retry_after)
            self._publish(online=True, last_error=str(exc))
            return False
        except SyncError as exc:
            self._publish(online=False, last_error=str(exc))
            return False
        self._publish(online=True)
        return True

    async def _sync(self, runner: SyncRunner, progress: Optional[Callable[[SyncProgress], None]]) -> SyncReport:
        if self._sync_lock is None:
            self._sync_lock = asyncio.Lock()
        loop = asyncio.get_running_loop()

        def on_progress(event: SyncProgress) -> None:  # called from the worker thread
            loop.call_soon_threadsafe(self._publish_progress, event)
            if progress is not None:
                progress(event)

        async with self._sync_lock:
            self._publish(running=True, progress=SyncProgress("push"))
            try:
                report = await asyncio.to_thread(runner.sync_now, on_progress)
            except Exception as exc:  # noqa: BLE001 - a store failure: the loop retries later
                self._publish(running=False, progress=None, last_error=f"{type(exc).__name__}: {exc}")
                raise
            self._last_sync = self.clock()
            await self._after(report, runner)
            return report

    async def _after(self, report: SyncReport, runner: SyncRunner) -> None:
        counts = await asyncio.to_thread(outbox_counts, self.store)
        error = report.error
        if error is None:
            self._failures = 0
            self._backoff_until = 0.0
            self._settled = await asyncio.to_thread(pending_ids, self.store)
            self._publish(running=False, progress=None, online=True, counts=counts, last_report=report,
                          last_success_at=report.finished_at, last_error="", retry_in_s=None)
            return
        if isinstance(error, AuthError):
            self._refused_token = runner.transport.token
            self._publish(running=False, progress=None, counts=counts, last_report=report, online=True,
                          needs_sign_in=True, last_error=str(error))
            return
        retry_after = error.retry_after if isinstance(error, RetryLater) else None
        online = not isinstance(error, Temporary) or isinstance(error, RetryLater)
        self._schedule_retry(retry_after)
        self._publish(running=False, progress=None, counts=counts, last_report=report, online=online,
                      last_error=str(error))

    def _schedule_retry(self, retry_after: Optional[float]) -> float:
        self._failures += 1
        delay = decisions.backoff_delay(self._failures, base=self.base_delay, cap=self.max_delay,
                                        retry_after=retry_after, rand=self.rand)
        self._backoff_until = self.clock() + delay
        if retry_after is not None:
            self._server_until = max(self._server_until, self.clock() + retry_after)
        self._publish(retry_in_s=delay)
        return delay

    async def _sleep_or_wake(self, delay: float) -> None:
        assert self._wake is not None
        if self._wake.is_set():
            self._wake.clear()
            return
        sleeper = asyncio.ensure_future(self.sleep(max(0.0, delay)))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
            self._wake.clear()

    def _on_trigger(self) -> None:
        self._forced = True
        if self._wake is not None:
            self._wake.set()

    # ---------------------------------------------------------------- one loop per process

    def _claim(self) -> bool:
        with _claims_guard:
            holder = _claims.get(self.name)
            if holder is not None and holder is not self and holder._alive():
                return False
            if holder is self and self._alive():
                return False
            _claims[self.name] = self
            self._stopping = False
            return True

    def _alive(self) -> bool:
        return self._loop is not None and not self._loop.is_closed() and not self._stopping

    def _release(self) -> None:
        with _claims_guard:
            if _claims.get(self.name) is self:
                del _claims[self.name]
        self._loop = None

    # ---------------------------------------------------------------- state

    def _publish_progress(self, event: SyncProgress) -> None:
        self._publish(progress=event if event.phase != "done" else self.status.progress)

    def _publish(self, **changes) -> None:
        self.status = replace(self.status, **changes)
        for listener in list(self._listeners):
            try:
                listener(self.status)
            except Exception:  # noqa: BLE001 - a closed page must not stop the loop
                log.exception("auto-sync listener failed; dropping it")
                self._listeners.remove(listener)


def running_autosync(name: str = "default") -> Optional[AutoSync]:
    """The loop already running in this process, for a main() that runs again to reuse."""
    with _claims_guard:
        holder = _claims.get(name)
        return holder if holder is not None and holder._alive() else None
