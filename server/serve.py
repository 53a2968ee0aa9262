"""The app of one server process, made from the environment: what each uvicorn worker imports.

    python -m server serve --workers 4 …                              (sets the variables, then runs uvicorn)
    PHUM_SERVER_DB=postgresql://… uvicorn server.serve:app_from_env --factory --workers 4

uvicorn starts each worker as a new process that imports this factory, so the settings travel
in the environment. The schema is not migrated here (several workers would race): `serve` or
`python -m server migrate` does that first; a worker refuses a schema that is not the newest.
"""
from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from contextlib import asynccontextmanager
from typing import Optional

from fastapi import FastAPI

from server.config import DEFAULT_DB_URL, Settings

ENV = {"db_url": "PHUM_SERVER_DB", "max_in_flight": "PHUM_MAX_IN_FLIGHT", "token_ttl_s": "PHUM_TOKEN_TTL",
       "pool_size": "PHUM_POOL_SIZE", "max_overflow": "PHUM_MAX_OVERFLOW",
       "prepare_threshold": "PHUM_PREPARE_THRESHOLD"}


def threshold(text: str) -> Optional[int]:
    """`none` (or empty) → None: psycopg prepares nothing; else a count ≥ 0."""
    if text.strip().lower() in ("", "none"):
        return None
    value = int(text)
    if value < 0:
        raise ValueError(f"prepare threshold must be ≥ 0 or 'none', not {text!r}")
    return value


def settings_from_env(environ: Mapping[str, str]) -> Settings:
    defaults = Settings()
    return Settings(
        db_url=environ.get(ENV["db_url"], DEFAULT_DB_URL),
        max_in_flight=int(environ.get(ENV["max_in_flight"], defaults.max_in_flight)),
        token_ttl_s=int(environ.get(ENV["token_ttl_s"], defaults.token_ttl_s)),
        pool_size=int(environ.get(ENV["pool_size"], defaults.pool_size)),
        max_overflow=int(environ.get(ENV["max_overflow"], defaults.max_overflow)),
        prepare_threshold=threshold(environ[ENV["prepare_threshold"]]) if ENV["prepare_threshold"] in environ
        else defaults.prepare_threshold)


def settings_to_env(settings: Settings) -> dict[str, str]:
    """The variables settings_from_env reads back as these settings."""
    return {name: "none" if getattr(settings, field) is None else str(getattr(settings, field))
            for field, name in ENV.items()}


def _dispose_on_shutdown(app: FastAPI, db) -> None:
    """Close the worker's connections when uvicorn stops it (after the app's own shutdown)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a):
        async with inner(a) as state:
            yield state
        db.dispose()

    app.router.lifespan_context = lifespan


def app_from_env() -> FastAPI:
    from server.api import create_app
    from server.db import Database
    from server.migrate import current_revision, head_revision

    settings = settings_from_env(os.environ)
    db = Database(settings.db_url, pool_size=settings.pool_size, max_overflow=settings.max_overflow,
                  prepare_threshold=settings.prepare_threshold)
    at, head = current_revision(db), head_revision()
    if at != head:
        db.dispose()
        raise RuntimeError(f"database schema at {at or 'nothing'}, this server needs {head}: "
                           "run `python -m server migrate` first")
    app = create_app(settings, db)
    _dispose_on_shutdown(app, db)
    with db.session() as session:
        app.state.villages.current(session)  # the gazetteer's village codes, loaded before the first push
    # What is loaded now lives as long as the worker: keep the cyclic GC from scanning it on every
    # full collection (a push allocates enough to trigger several per batch). Per worker: each is
    # its own process with its own heap.
    gc.collect()
    gc.freeze()
    return app
