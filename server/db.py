"""Database engine and transactions: SQLite (WAL) by default, PostgreSQL with the same code.

Every change that gets a pull sequence number runs in a *serial* transaction: on SQLite
BEGIN IMMEDIATE, on PostgreSQL a row lock on the 'seq' counter taken first. So such
transactions commit one after another, in seq order, and a pull cursor never skips a
change that committed late.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from server.tables import Counter

SEQ = "seq"


def normalize_url(url: str) -> str:
    """Accept the usual spellings; PostgreSQL goes through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_engine(url: str, pool_size: int, max_overflow: int) -> Engine:
    parsed = make_url(url)
    on_disk = bool(parsed.database) and parsed.database != ":memory:"
    if on_disk:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    pool = {"pool_size": pool_size, "max_overflow": max_overflow} if on_disk else {}
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # We issue BEGIN ourselves (below): pysqlite's own handling breaks SAVEPOINTs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged push survives power loss
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("phum_serial", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    def __init__(self, url: str, *, pool_size: int = 8, max_overflow: int = 16, prepare_threshold: Optional[int] = 5):
        """At most pool_size + max_overflow connections; prepare_threshold: psycopg's (None: never prepare)."""
        self.url = normalize_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = _sqlite_engine(self.url, pool_size, max_overflow)
        else:
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True,
                                        connect_args={"prepare_threshold": prepare_threshold})
        self._serial_engine = self.engine.execution_options(phum_serial=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._serial_sessions = sessionmaker(self._serial_engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction that commits when the block ends without an exception."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def serial(self) -> Iterator["SerialSession"]:
        """A transaction that may allocate pull sequence numbers (see module doc)."""
        with self._serial_sessions() as session, session.begin():
            counter = session.execute(
                select(Counter).where(Counter.name == SEQ).with_for_update()
            ).scalar_one()
            serial = SerialSession(session, counter.value)
            yield serial
            counter.value = serial.last_seq

    def dispose(self) -> None:
        self.engine.dispose()


class SerialSession:
    """A session holding the seq lock; next_seq() hands out the numbers of this transaction."""

    def __init__(self, session: Session, last_seq: int):
        self.session = session
        self.last_seq = last_seq

    def next_seq(self) -> int:
        self.last_seq += 1
        return self.last_seq
