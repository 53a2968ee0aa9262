"""A throwaway PostgreSQL cluster on 127.0.0.1 for tests, from Debian's /usr/lib/postgresql/*/bin.

    with postgres_cluster() as pg:            # initdb + pg_ctl start on a free port
        url = pg.create_database("phum_t1")   # postgresql://postgres@127.0.0.1:PORT/phum_t1
    # stopped (immediate) and its directory removed, even after a failure
    with postgres_cluster(locale="C.UTF-8") as pg: …   # a cluster whose databases sort as real text

Test clusters are locale C unless asked: the server must also be right (and fast) on the
locales production databases have, where e.g. `LIKE 'prefix%'` can use no ordinary index.

initdb refuses to run as root, so as root every command runs as the `postgres` user
(`runuser -u postgres --`) in a temporary directory owned by it. PHUM_TEST_POSTGRES_URL
(a server URL whose user may CREATE DATABASE) uses an existing server instead.

`python -m tests.support.postgres -- CMD…` runs CMD with PHUM_TEST_POSTGRES_URL set.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

ENV_URL = "PHUM_TEST_POSTGRES_URL"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be had; the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_bin_dir() -> Optional[Path]:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if candidates:
        return candidates[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """A running server: ``url`` connects as a superuser to the ``postgres`` database."""

    def __init__(self, url: str, stop=None):
        self.url = url
        self._stop = stop
        self._count = 0

    def database_url(self, name: str) -> str:
        base, _, _ = self.url.rpartition("/")
        return f"{base}/{name}"

    def create_database(self, name: Optional[str] = None, locale: Optional[str] = None) -> str:
        """A new empty database (with this locale, else the cluster's); returns its URL."""
        import psycopg

        self._count += 1
        name = name or f"phum_test_{os.getpid()}_{self._count}"
        with_locale = f" TEMPLATE template0 LOCALE '{locale}'" if locale else ""
        with psycopg.connect(_psycopg_dsn(self.url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"{with_locale}')
        return self.database_url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rpartition("/")[2]
        with psycopg.connect(_psycopg_dsn(self.url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None


def _psycopg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _parent_dir() -> str:
    """A temporary directory the postgres user can reach (TMPDIR may be private to root)."""
    for candidate in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        path = Path(candidate)
        if path.is_dir() and all(p.stat().st_mode & 0o001 for p in (path, *path.parents)):
            return str(path)
    return tempfile.gettempdir()


def _start_local(locale: str = "C", startup_timeout: int = 60) -> PostgresCluster:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("no initdb found (install Debian's postgresql: scripts/system-deps.sh)")
    as_root = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="phum-pg-", dir=_parent_dir() if as_root else None))
    prefix: list[str] = []
    if as_root:
        try:
            pg_user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            raise PostgresUnavailable("running as root and there is no 'postgres' user to run initdb as") from None
        os.chown(root, pg_user.pw_uid, pg_user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"

    def run(*args: str, timeout: int = startup_timeout) -> None:
        done = subprocess.run(prefix + list(args), capture_output=True, text=True, timeout=timeout, cwd=root)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{Path(args[0]).name} failed ({done.returncode}): "
                                      f"{done.stderr.strip() or done.stdout.strip()}")

    def stop() -> None:
        try:
            subprocess.run(prefix + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60, cwd=root)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            f"--locale={locale}", "--no-sync")
        for attempt in range(3):
            port = free_port()
            # Durability settings are off: this cluster holds only test data and dies with the tests.
            options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            try:
                run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "-t",
                    str(startup_timeout), "start")
                break
            except PostgresUnavailable:
                if attempt == 2:
                    raise PostgresUnavailable("pg_ctl start failed: " + (log.read_text() if log.exists() else ""))
    except BaseException:
        stop()
        raise
    return PostgresCluster(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop)


@contextmanager
def postgres_cluster(locale: str = "C") -> Iterator[PostgresCluster]:
    """PHUM_TEST_POSTGRES_URL's server if set, else a throwaway local cluster made with this locale
    (stopped afterwards). On a server of the URL, ask create_database for the locale."""
    url = os.environ.get(ENV_URL)
    cluster = (PostgresCluster(url.replace("postgresql://", "postgresql+psycopg://", 1)) if url
               else _start_local(locale))
    try:
        yield cluster
    finally:
        cluster.stop()


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: python -m tests.support.postgres -- COMMAND [ARGS…]", file=sys.stderr)
        return 2
    with postgres_cluster() as pg:
        env = dict(os.environ, **{ENV_URL: pg.url})
        print(f"PostgreSQL at {pg.url}", flush=True)
        return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
