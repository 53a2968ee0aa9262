"""A real Phum server (`python -m server serve`) on 127.0.0.1 for tests, stopped afterwards.

    from tests.support.live_server import live_server

    with live_server() as srv:                      # fresh SQLite file, demo users, built-in gazetteer
        srv.api_url                                 # "http://127.0.0.1:PORT/api/v1"
        srv.official, srv.supervisor                # Credentials(username, password, role, area_code)
        token = srv.login(srv.official)             # bearer token (device_id "test-device")
        other = srv.create_user("o2", "password-2", "official", "010202")   # another account
        srv.kill(); srv.start()                     # SIGKILL, then start again: same port, same database

Arguments of ``live_server(db_url=None, *, seed_demo=True, extra_args=(), env=None, startup_timeout=60)``:
``db_url`` - any SQLAlchemy URL (e.g. a PostgreSQL database from tests/support/postgres.py);
default a new SQLite file in a temporary directory, removed afterwards. ``extra_args`` go
to `serve` (e.g. ``["--max-in-flight", "1"]``, ``["--token-ttl", "5"]``).

The server process dies with the test process (PR_SET_PDEATHSIG) and is always stopped
when the block ends, even on failure. Its output is in ``srv.log_path`` (``srv.log()``).
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence

from devtools.run_local import wait_for_health

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    role: str
    area_code: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class LiveServer:
    db_url: str
    port: int
    log_path: Path
    official: Credentials
    supervisor: Credentials
    seed_demo: bool = True
    extra_args: Sequence[str] = ()
    env: dict = field(default_factory=dict)
    startup_timeout: float = 60
    process: Optional[subprocess.Popen] = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v1"

    # ------------------------------------------------------------ process

    def start(self) -> None:
        """Start `python -m server serve` (again) and wait until /api/v1/health answers."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("server already running")
        args = [sys.executable, "-m", "server", "serve", "--db", self.db_url, "--host", "127.0.0.1",
                "--port", str(self.port), *(["--seed-demo"] if self.seed_demo else []), *self.extra_args]
        log = open(self.log_path, "ab")
        env = dict(os.environ, PYTHONUNBUFFERED="1", **self.env)
        self.process = subprocess.Popen(args, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env,
                                        preexec_fn=_die_with_parent)
        log.close()
        try:
            wait_for_health(self.base_url, self.process, self.startup_timeout)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}:\n{self.log()}") from None

    def stop(self) -> None:
        """SIGTERM (graceful), SIGKILL after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: the server dies wherever it is (mid-request, mid-transaction)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # ------------------------------------------------------------ conveniences

    def login(self, who: Credentials, device_id: str = "test-device") -> str:
        """A bearer token for ``who``."""
        body = json.dumps({"username": who.username, "password": who.password, "device_id": device_id}).encode()
        request = urllib.request.Request(f"{self.api_url}/auth/login", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)["token"]

    def push(self, who: Credentials, device_id: str, records: Sequence) -> None:
        """Push new records (rev 1, no base) as ``who`` on ``device_id``; every one must be accepted."""
        token = self.login(who, device_id)
        body = json.dumps({"device_id": device_id, "records": [
            {"type": r.kind, "id": r.id, "rev": r.rev, "base_rev": None, "data": r.wire()} for r in records]}).encode()
        request = urllib.request.Request(f"{self.api_url}/sync/push", data=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            results = json.load(answer)["results"]
        assert {r["status"] for r in results} == {"accepted"}, results

    def create_user(self, username: str, password: str, role: str, area_code: str,
                    full_name: str = "") -> Credentials:
        """Create an account directly in the server's database (as the admin CLI does)."""
        from server.db import Database
        from server.users import create_user

        db = Database(self.db_url)
        try:
            create_user(db, username, password, role, area_code, full_name)
        finally:
            db.dispose()
        return Credentials(username, password, role, area_code)


@contextmanager
def live_server(db_url: Optional[str] = None, *, seed_demo: bool = True, extra_args: Sequence[str] = (),
                env: Optional[dict] = None, startup_timeout: float = 60) -> Iterator[LiveServer]:
    """A started server; see the module docstring."""
    from server.demo import DEMO_OFFICIAL, DEMO_SUPERVISOR

    workdir = Path(tempfile.mkdtemp(prefix="phum-server-"))
    url = db_url or f"sqlite:///{workdir / 'server.db'}"
    official, supervisor = (Credentials(u.username, u.password, u.role, u.area_code)
                            for u in (DEMO_OFFICIAL, DEMO_SUPERVISOR))
    server = None
    try:
        for attempt in range(3):  # a free port can be taken between choosing and binding it
            server = LiveServer(db_url=url, port=free_port(), log_path=workdir / "server.log", official=official,
                                supervisor=supervisor, seed_demo=seed_demo, extra_args=tuple(extra_args),
                                env=dict(env or {}), startup_timeout=startup_timeout)
            try:
                server.start()
                break
            except RuntimeError:
                if attempt == 2 or "address already in use" not in server.log().lower():
                    raise
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
