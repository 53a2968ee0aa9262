"""The server's settings: where the database is and the limits it enforces."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

API_PREFIX = "/api/v1"
DEFAULT_DB_URL = "sqlite:///var/server/phum.db"


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    # Limits of the push endpoint (docs/sync-protocol.md).
    max_batch: int = 500
    max_body_bytes: int = 5 * 1024 * 1024  # after decompression
    max_wire_bytes: int = 5 * 1024 * 1024  # as received (gzip or plain)
    max_other_body_bytes: int = 64 * 1024  # every other endpoint takes small JSON
    # Overload: requests in flight beyond this are answered 503 + Retry-After at once.
    max_in_flight: int = 32
    retry_after_s: int = 2
    # Auth.
    token_ttl_s: int = 30 * 24 * 3600  # officials work offline for weeks between syncs
    login_max_failures: int = 5
    login_window_s: int = 15 * 60
    pull_default_limit: int = 500
    pull_max_limit: int = 1000
    # Database connections of one process (one uvicorn worker): at most pool_size + max_overflow.
    pool_size: int = 8
    max_overflow: int = 16
    # psycopg prepares a statement run this many times on a connection; None: never (PgBouncer
    # in transaction mode hands each transaction another server connection, without it).
    prepare_threshold: Optional[int] = 5
