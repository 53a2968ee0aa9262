"""Server suite fixtures: every functional test runs against SQLite and against PostgreSQL.

PostgreSQL comes from PHUM_TEST_POSTGRES_URL or a throwaway local cluster. When none can
be had the PostgreSQL tests skip on a developer machine and FAIL in CI (CI=true).
"""
from __future__ import annotations

import itertools
import os

import pytest

from tests.server.client import Api
from tests.support.live_server import live_server
from tests.support.postgres import PostgresUnavailable, postgres_cluster

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
_names = itertools.count(1)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _cluster(locale: str):
    cluster = postgres_cluster(locale)
    try:
        pg = cluster.__enter__()
    except PostgresUnavailable as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL is required in CI and could not be started: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        yield pg
    finally:
        cluster.__exit__(None, None, None)


@pytest.fixture(scope="session")
def pg_cluster():
    yield from _cluster("C")


@pytest.fixture(scope="session")
def pg_utf8_cluster():
    """A second cluster made with initdb --locale=C.UTF-8, as production databases usually are."""
    yield from _cluster("C.UTF-8")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def new_db_url(backend, request, tmp_path_factory):
    """Makes URLs of new, empty databases of the current backend."""

    def make() -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'server.db'}"
        return request.getfixturevalue("pg_cluster").create_database()

    return make


@pytest.fixture(scope="session")
def server(new_db_url):
    """One live server per backend, shared by the tests that do not need a server of their own."""
    with live_server(new_db_url()) as srv:
        yield srv


@pytest.fixture
def unique():
    """Unique names for accounts made by a test on the shared server."""
    return lambda prefix="user": f"{prefix}-{os.getpid()}-{next(_names)}"


@pytest.fixture
def official(server) -> Api:
    return Api(server, server.official, "device-official")


@pytest.fixture
def supervisor(server) -> Api:
    return Api(server, server.supervisor, "device-supervisor")


@pytest.fixture(scope="session")
def communes() -> list[tuple[str, list[str]]]:
    """Communes of the built-in gazetteer outside the demo district, with their villages."""
    from server.gazetteer import builtin

    villages: dict[str, list[str]] = {}
    for area in builtin().areas:
        if area["level"] == "village" and not area["code"].startswith("0102"):
            villages.setdefault(area["code"][:6], []).append(area["code"])
    return sorted(villages.items())


_commune_index = itertools.count(0)


@pytest.fixture
def commune(communes) -> tuple[str, list[str]]:
    """A commune no other test in this run uses: (code, village codes)."""
    return communes[next(_commune_index) % len(communes)]


@pytest.fixture
def new_user(server, unique):
    """Creates an account on the shared server and signs it in: new_user(role, area) -> Api."""

    def make(role: str, area: str, device_id: str = "device-x") -> Api:
        creds = server.create_user(unique(role), "password-123", role, area)
        return Api(server, creds, device_id)

    return make
