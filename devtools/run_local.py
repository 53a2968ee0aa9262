"""`make run`: a local central server (SQLite, demo data) and the app in a browser beside it.

    python -m devtools.run_local --port 8550 --server-port 8000
    python -m devtools.run_local --port 8550 --server-url http://127.0.0.1:8000   # a server already running

The server's database is ./var/server/phum.db and the device's data ./var/device (both kept
between runs); the device is preset to the local server. Ctrl-C stops both.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

from storage.journal import StoreLockedError

REPO = Path(__file__).resolve().parent.parent


def wait_for_health(url: str, process: Optional[subprocess.Popen], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit code {process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no answer from {url}/api/v1/health within {timeout:.0f} s")


def start_server(var: Path, port: int) -> subprocess.Popen:
    (var / "server").mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{(var / 'server' / 'phum.db').resolve()}"
    log = open(var / "server" / "server.log", "ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--db", db, "--host", "127.0.0.1", "--port", str(port),
             "--seed-demo"],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
    finally:
        log.close()


def stop(process: Optional[subprocess.Popen]) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class ServerWatch:
    """Notices when the local server process dies: says so and starts it again, a bounded number
    of times in a row; then gives up with a clear message (the app keeps running offline)."""

    def __init__(self, var: Path, port: int, process: subprocess.Popen, *, max_restarts: int = 3,
                 interval_s: float = 1.0, health_timeout_s: float = 60.0, out=sys.stderr):
        self.var, self.port, self.process = var, port, process
        self.max_restarts, self.interval_s, self.health_timeout_s = max_restarts, interval_s, health_timeout_s
        self.out = out
        self.restarts = 0  # in a row: a server that stays up for a while earns its retries back
        self.gave_up = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="phum-server-watch", daemon=True)

    def start(self) -> "ServerWatch":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _say(self, text: str) -> None:
        print(f"run_local: {text}", file=self.out, flush=True)

    def _run(self) -> None:
        up_since = time.monotonic()
        while not self._stop.wait(self.interval_s):
            code = self.process.poll()
            if code is None:
                if self.restarts and time.monotonic() - up_since > 60:
                    self.restarts = 0
                continue
            log = self.var / "server" / "server.log"
            if self.restarts >= self.max_restarts:
                self._say(f"the local server stopped again (exit code {code}) after {self.restarts} restarts; "
                          f"giving up. The app keeps working offline; see {log}")
                self.gave_up = True
                return
            self.restarts += 1
            self._say(f"the local server stopped (exit code {code}); restarting it "
                      f"({self.restarts} of {self.max_restarts}); its log: {log}")
            self.process = start_server(self.var, self.port)
            try:
                wait_for_health(f"http://127.0.0.1:{self.port}", self.process, timeout=self.health_timeout_s)
                self._say("the local server is back")
                up_since = time.monotonic()
            except RuntimeError as exc:
                self._say(str(exc))


def demo_credentials() -> list[tuple[str, str, str]]:
    # Only for the message printed here; the app itself never imports server/.
    try:
        from server.demo import DEMO_USERS
    except ImportError:
        return []
    return [(u.role, u.username, u.password) for u in DEMO_USERS]


def _interrupt(signum, frame) -> None:
    """SIGTERM (from make, a test, systemd) ends like Ctrl-C: the server is stopped too."""
    raise KeyboardInterrupt


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m devtools.run_local", description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=8550, help="the app's port (web)")
    p.add_argument("--server-port", type=int, default=8000, help="the local server's port")
    p.add_argument("--server-url", default="", help="use this running server instead of starting one")
    p.add_argument("--offline", action="store_true", help="no server at all: the device as in the field")
    p.add_argument("--var", type=Path, default=REPO / "var", help="where the server and device keep data")
    p.add_argument("--data-dir", type=Path, default=None, help="the device's data folder (default VAR/device)")
    return p.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    var = args.var.resolve()
    server: Optional[subprocess.Popen] = None
    watch: Optional[ServerWatch] = None
    server_url = "" if args.offline else args.server_url.rstrip("/")
    if not server_url and not args.offline:
        server_url = f"http://127.0.0.1:{args.server_port}"
        server = start_server(var, args.server_port)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if server_url:
            wait_for_health(server_url, server)
        if server is not None:
            watch = ServerWatch(var, args.server_port, server).start()
        data_dir = (args.data_dir or var / "device").resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        os.environ["PHUM_DATA_DIR"] = str(data_dir)
        if server_url:
            os.environ.setdefault("PHUM_SERVER_URL", server_url)
        os.environ.setdefault("FLET_WEB_NO_CDN", "true")
        if not os.environ.get("DISPLAY"):
            os.environ["FLET_FORCE_WEB_SERVER"] = "true"  # headless: serve, do not try to open a browser
        print(f"Phum server: {server_url or 'none (offline)'}", flush=True)
        for role, username, password in ([] if args.server_url or args.offline else demo_credentials()):
            print(f"  demo {role}: {username} / {password}", flush=True)
        print(f"Phum app:    http://127.0.0.1:{args.port}  (device data: {data_dir})", flush=True)

        import flet as ft

        from app.composition import shared_context
        from views.app import ASSETS_DIR, main as app_main

        shared_context()  # open the store now, not when the first official connects

        ft.run(app_main, host="127.0.0.1", port=args.port, view=ft.AppView.WEB_BROWSER, assets_dir=ASSETS_DIR,
               no_cdn=True)
    except KeyboardInterrupt:
        pass
    except StoreLockedError:
        print(f"run_local: the device data in {data_dir} is open in another process: is Phum already running?",
              file=sys.stderr, flush=True)
        return 1
    except RuntimeError as exc:
        print(f"run_local: {exc}", file=sys.stderr, flush=True)
        if server is not None:
            print((var / "server" / "server.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        return 1
    finally:
        try:
            from app.composition import close_shared

            close_shared()
        finally:
            if watch is not None:
                watch.stop()
                server = watch.process
            stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
