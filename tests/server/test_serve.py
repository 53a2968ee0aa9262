"""`serve --workers N`: several processes answer, each with a bounded pool; settings reach every worker."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from server.config import Settings
from server.db import Database
from server.serve import settings_from_env, settings_to_env, threshold
from tests.server.client import Api
from tests.support.live_server import live_server
from tests.support.records import household


def _workers(pid: int) -> list[int]:
    """The uvicorn worker processes under the server (multiprocessing's spawned children)."""
    children = [int(c) for f in Path(f"/proc/{pid}/task").glob("*/children") for c in f.read_text().split()]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def test_two_workers_share_the_load_each_with_the_pool_it_was_given(new_db_url, backend):
    url = new_db_url()
    with live_server(url, extra_args=["--workers", "2", "--pool-size", "2", "--max-overflow", "0",
                                      "--prepare-threshold", "none"]) as srv:
        deadline = time.monotonic() + 30
        while len(_workers(srv.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_workers(srv.process.pid)) == 2
        official = Api(srv, srv.official)
        homes = [household(n, village="01020101") for n in range(10)]
        assert {r["status"] for r in official.push(homes)} == {"accepted"}
        with ThreadPoolExecutor(8) as pool:  # enough at once for both workers to need all their connections
            pages = list(pool.map(lambda _: Api(srv, srv.official).pull_all()[0], range(16)))
        assert all({c["id"] for c in page} == {h.id for h in homes} for page in pages)
        if backend == "postgres":
            db = Database(url)
            try:
                with db.engine.connect() as conn:
                    held = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                             " AND pid <> pg_backend_pid()")).scalar_one()
            finally:
                db.dispose()
            assert 1 <= held <= 2 * 2  # workers × (pool size + overflow)


def test_the_serve_settings_travel_to_the_workers_through_the_environment():
    settings = Settings(db_url="postgresql://phum@db/phum", max_in_flight=7, token_ttl_s=60, pool_size=3,
                        max_overflow=1, prepare_threshold=None)
    assert settings_from_env(settings_to_env(settings)) == settings
    assert settings_from_env({}) == Settings()
    assert threshold("none") is None and threshold("0") == 0 and threshold("12") == 12
    with pytest.raises(ValueError):
        threshold("-1")


@pytest.mark.postgres
def test_behind_pgbouncer_psycopg_prepares_nothing(pg_cluster):
    url = pg_cluster.create_database()
    for given, expected in ((None, None), (5, 5)):
        db = Database(url, pool_size=1, max_overflow=0, prepare_threshold=given)
        try:
            with db.engine.connect() as conn:
                assert conn.connection.dbapi_connection.prepare_threshold == expected
            assert db.engine.pool.size() == 1
        finally:
            db.dispose()
