"""Driving the real app in headless Chromium (see ../shared FLET.md, "Testing a Flet UI for real").

    with running_app(server_url, data_dir) as app:      # `python -m devtools.run_local` in web mode
        ui = Ui.open(browser, app.url + "/settings", size="phone")
        ui.type("username", "demo-official")
        ui.click("sign-in")

Elements are found by their ft.Semantics identifier (language independent). A Python
exception in a handler makes the test fail through ``app.assert_clean()``.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

from playwright.sync_api import Browser, Error as PlaywrightError, Locator, Page, expect

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def chromium_path() -> Optional[str]:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningApp:
    url: str
    process: subprocess.Popen
    log_path: Path
    data_dir: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def assert_clean(self) -> None:
        """A handler that raised shows only as a banner in the browser: fail loudly here instead."""
        text = self.log()
        for marker in ("Unhandled error", "Traceback (most recent call last)"):
            assert marker not in text, f"the app logged an error:\n{text[-4000:]}"


@contextmanager
def running_app(server_url: Optional[str], data_dir: Path, *, env: Optional[dict] = None,
                startup_timeout: float = 60) -> Iterator[RunningApp]:
    """The app in web mode (no_cdn) on 127.0.0.1 against ``server_url`` (None: no server at all);
    stopped afterwards, always."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"app-{port}.log"
    full_env = dict(os.environ, PYTHONUNBUFFERED="1", FLET_FORCE_WEB_SERVER="true", PHUM_PROBE_S="1",
                    **(env or {}))
    full_env.pop("DISPLAY", None)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.run_local", "--port", str(port),
             *(["--server-url", server_url] if server_url else ["--offline"]),
             "--var", str(data_dir.parent), "--data-dir", str(data_dir)],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=full_env, start_new_session=True,
        )
    app = RunningApp(f"http://127.0.0.1:{port}", process, log_path, data_dir)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the app exited ({process.returncode}):\n{app.log()}")
            try:
                with urllib.request.urlopen(app.url + "/", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start within {startup_timeout} s:\n{app.log()}")
            time.sleep(0.1)
        yield app
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def launch_browser(playwright) -> Browser:
    playwright.selectors.set_test_id_attribute("flt-semantics-identifier")
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


class Ui:
    """One browser context (= one Flet session) on the app."""

    def __init__(self, page: Page, *, touch: bool):
        self.page = page
        self.touch = touch

    @classmethod
    def open(cls, browser: Browser, url: str, *, size: str = "phone", device: Optional[dict] = None) -> "Ui":
        options = dict(device) if device else {"viewport": SIZES[size]}
        options.setdefault("locale", "km-KH")
        context = browser.new_context(**options)
        context.set_default_timeout(20_000)
        page = context.new_page()
        # Offline by design: the Flutter client asks a CDN for a script it does not need.
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            ("http://127.0.0.1", "ws://127.0.0.1")) else route.abort())
        ui = cls(page, touch=bool(device and device.get("has_touch")))
        page.goto(url)
        ui.enable_semantics()
        return ui

    def close(self) -> None:
        self.page.context.close()

    def enable_semantics(self, timeout: float = 30, poll: float = 0.5) -> None:
        """Flutter paints a canvas; its accessibility tree (our test ids) appears once enabled."""
        deadline = time.monotonic() + timeout
        placeholder = self.page.locator("flt-semantics-placeholder")
        while time.monotonic() < deadline:
            if self.page.locator("flt-semantics").count() > 0:
                return
            try:
                if self.touch:
                    size = self.page.viewport_size or SIZES["phone"]
                    self.page.touchscreen.tap(size["width"] / 2, size["height"] / 2)
                elif placeholder.count():
                    placeholder.dispatch_event("click", timeout=500)
            except Exception:  # noqa: BLE001 - not there yet: try again
                pass
            time.sleep(poll)
        raise AssertionError("the app's semantics tree never appeared")

    # ---------------------------------------------------------------- finding

    def tid(self, identifier: str) -> Locator:
        return self.page.get_by_test_id(identifier)

    def wait(self, identifier: str, timeout: float = 20_000) -> Locator:
        loc = self.tid(identifier).first
        expect(loc).to_be_attached(timeout=timeout)
        return loc

    def gone(self, identifier: str, timeout: float = 20_000) -> None:
        expect(self.tid(identifier)).to_have_count(0, timeout=timeout)

    def text(self, text: str, timeout: float = 20_000) -> Locator:
        """Text on screen: a text node, or part of a group's label (cards read as one group)."""
        quoted = text.replace("\\", "\\\\").replace('"', '\\"')
        loc = self.page.get_by_text(text, exact=False).or_(self.page.locator(f'[aria-label*="{quoted}"]')).first
        expect(loc).to_be_attached(timeout=timeout)
        return loc

    def box(self, locator: Locator, timeout: float = 10) -> dict:
        """Where a node is on screen (waits through a redraw that briefly detaches it)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = locator.bounding_box(timeout=2000)
            except PlaywrightError:
                found = None
            if found is not None or time.monotonic() > deadline:
                assert found is not None, f"{locator} has no box on screen"
                return found
            time.sleep(0.2)

    def said(self, identifier: str) -> str:
        """Everything a screen reader gets from a node: its labels and text, descendants included."""
        return self.wait(identifier).evaluate(
            "e => [e, ...e.querySelectorAll('*')].map(n => (n.getAttribute('aria-label') || '') + ' ' + "
            "(n.children.length ? '' : n.textContent || '')).join(' ')")

    # ---------------------------------------------------------------- acting

    def click(self, identifier: str) -> None:
        """Activate the node as a screen reader does (a click on its tappable semantics node).

        Pointer coordinates can be stale while Flutter scrolls (the semantics overlay updates a
        frame later), which makes a mouse click land on a neighbour; the semantic tap cannot.
        Again if the node was replaced by a redraw meanwhile.
        """
        for attempt in range(4):
            loc = self.wait(identifier)
            target = loc.locator("xpath=descendant-or-self::*[@flt-tappable]").first
            try:
                expect(target).to_be_attached(timeout=5000)
                target.dispatch_event("click", timeout=5000)
                return
            except PlaywrightError as exc:
                if attempt == 3 or "not attached" not in str(exc) and "detached" not in str(exc):
                    raise
                time.sleep(0.3)

    def click_until_shown(self, identifier: str, text: str, attempts: int = 3) -> Locator:
        """Tap, then wait for ``text``; tap again if the node was redrawn under the tap.

        While a list re-renders for the last key typed, a semantic tap can reach a node that
        Flutter has just replaced and is dropped without effect (a person would tap again).
        """
        return self._tap_until(identifier, lambda timeout: self.text(text, timeout=timeout), attempts)

    def click_until_there(self, identifier: str, shown: str, attempts: int = 3) -> Locator:
        """As :meth:`click_until_shown`, waiting for the node ``shown`` (a test id) instead of a text."""
        return self._tap_until(identifier, lambda timeout: self.wait(shown, timeout=timeout), attempts)

    def _tap_until(self, identifier: str, seen: Callable[[float], Locator], attempts: int) -> Locator:
        for attempt in range(attempts):
            self.click(identifier)
            try:
                return seen(5_000 if attempt < attempts - 1 else 20_000)
            except AssertionError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError(f"nothing came of tapping {identifier}")

    def field(self, identifier: str) -> Locator:
        return self.wait(identifier).locator("input, textarea").first

    def value_of(self, identifier: str) -> Locator:
        """The text field's input, focused (Flutter fills the DOM input only while it has focus).

        Flutter scrolls a field low on a long form into view a frame after the page asks, so the
        tap waits until the field stops moving; and a tap that landed where another field now is
        gives Flutter's focus to that one a moment later: the focus must still be here after it.
        """
        for attempt in range(4):
            box = self.field(identifier)
            try:
                box.scroll_into_view_if_needed(timeout=5000)
                self._stopped_moving(box)
                box.click(timeout=5000)
                expect(box).to_be_focused(timeout=3000 if attempt < 3 else 10_000)
                time.sleep(0.3)  # Flutter takes the tap a frame or two after the DOM focus moved
                expect(box).to_be_focused(timeout=500)
                return box
            except AssertionError:
                # the tap reached a node a redraw replaced, or another field: tap again
                if attempt == 3:
                    raise
                time.sleep(0.6)
            except PlaywrightError as exc:
                if attempt == 3 or "not attached" not in str(exc) and "detached" not in str(exc):
                    raise
                time.sleep(0.3)
        return box

    @staticmethod
    def _stopped_moving(box: Locator, *, limit_s: float = 3.0) -> None:
        """Wait until the node is where it was 0.1 s ago (a scroll in progress has settled)."""
        deadline, where = time.monotonic() + limit_s, box.bounding_box()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = box.bounding_box()
            if now == where:
                return
            where = now

    def type(self, identifier: str, text: str, *, clear: bool = False) -> None:
        """click, then real key presses (``fill()`` loses the value in Flutter's text fields).

        A key pressed while the previous field's update is still landing can be lost: check
        the value and type again when it differs.
        """
        for attempt in range(3):
            box = self.value_of(identifier)  # again on a retry: the focus may have gone elsewhere
            if clear or attempt:
                self.page.keyboard.press("Control+A")
                self.page.keyboard.press("Delete")
            self.page.keyboard.type(text, delay=20)
            try:
                expect(box).to_have_value(text, timeout=3000)
                expect(box).to_be_focused(timeout=500)  # the keys went to this field, not one Flutter moved to
                return
            except AssertionError:
                if attempt == 2:
                    raise

    def type_and_read_back(self, identifier: str, text: str) -> None:
        """Type, then focus the field again and read it: for a multiline field low on a long form, where
        Flutter may move its editing element while the form scrolls and leave the keys in one it no
        longer reads (the DOM said the text was there; the field, focused again, said it was not)."""
        for attempt in range(3):
            self.type(identifier, text, clear=attempt > 0)
            try:
                expect(self.value_of(identifier)).to_have_value(text, timeout=2000)
                return
            except AssertionError:
                if attempt == 2:
                    raise

    def sign_in(self, who, tr, lang: str) -> None:
        """On the Settings screen: English first if ``lang`` is "en", then the user's name and password,
        Sign in, and wait until the screen says who is signed in."""
        if lang == "en":
            self.click("lang-en")
            self.text(tr("settings.sign_in_title"))
        self.type("username", who.username)
        self.type("password", who.password)
        self.click("sign-in")
        self.wait("signed-in-as")

    def go(self, route: str, ready: str) -> None:
        """Navigate inside the app (a new address in the same session) and wait for a test id."""
        self.page.evaluate("route => { history.pushState(null, '', route); "
                           "window.dispatchEvent(new PopStateEvent('popstate')); }", route)
        self.wait(ready)

    def screenshot(self, name: str) -> Path:
        """A stable frame (semantics can update before the canvas): shoot until two agree."""
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        previous = None
        for _ in range(12):
            time.sleep(0.35)
            shot = self.page.screenshot()
            if shot == previous:
                break
            previous = shot
        path.write_bytes(previous or shot)
        return path
