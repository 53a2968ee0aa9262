"""Database engine and transactions: SQLite (WAL) by default, PostgreSQL with the same code.

Every change that gets a pull sequence number (seq) runs in a *serial* transaction, and a
pull never reads past `committed_seq`: the highest seq below which every change has
committed or never will. So a pull cursor, which only moves up to it, never skips a change
that commits late. How each backend keeps that (docs/server.md "How changes are numbered"):

- SQLite has one writer at a time (BEGIN IMMEDIATE): the `seq` counter row is incremented
  and committed with the change, so the counter itself is the committed horizon.
- PostgreSQL lets batches commit in parallel. A transaction's seqs are
  `base + (xid << 20) + n` (n = 1, 2, … within it), where xid is its transaction id and base
  the `seq` counter row's value, which PostgreSQL never changes (it lifts the numbers above
  any given out before). Every transaction with an xid below the oldest still running one
  (`pg_snapshot_xmin`) has finished, and every transaction still to commit has an xid at
  least that; so `base + (xmin << 20) - 1` is the committed horizon. The counter row is
  only read, FOR SHARE: concurrent pushes do not wait for each other, and `exclusive()`
  (a gazetteer load) waits for the pushes in flight and holds new ones for its short check.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from server.tables import Counter

SEQ = "seq"
XID_SHIFT = 20  # seqs per PostgreSQL transaction: 2**20 - 1 (a batch has at most 500 records and their children)

_PG_BASE_XID = text("SELECT pg_current_xact_id()::text::bigint")
_PG_COMMITTED = text(f"SELECT value + (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << {XID_SHIFT}) - 1 "
                     "FROM counters WHERE name = :name")


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
            counter = select(Counter.value).where(Counter.name == SEQ)
            if self.is_sqlite:
                value = session.execute(counter).scalar_one()
                serial = SerialSession(session, value)
                yield serial
                if serial.last_seq != value:
                    session.execute(Counter.__table__.update().where(Counter.name == SEQ)
                                    .values(value=serial.last_seq))
                return
            base = session.execute(counter.with_for_update(read=True)).scalar_one()
            xid = session.execute(_PG_BASE_XID).scalar_one()
            yield SerialSession(session, base + (xid << XID_SHIFT), limit=base + ((xid + 1) << XID_SHIFT) - 1)

    @contextmanager
    def exclusive(self) -> Iterator[Session]:
        """A transaction no serial one runs beside: it starts once those in flight have ended (module doc)."""
        with self._serial_sessions() as session, session.begin():
            session.execute(select(Counter.value).where(Counter.name == SEQ).with_for_update())
            yield session

    def committed_seq(self, session: Session) -> int:
        """Every change numbered up to this has committed, or never will (module doc); read before the rows."""
        if self.is_sqlite:
            return session.execute(select(Counter.value).where(Counter.name == SEQ)).scalar_one()
        return session.execute(_PG_COMMITTED, {"name": SEQ}).scalar_one()

    def dispose(self) -> None:
        self.engine.dispose()


class SerialSession:
    """A serial transaction; next_seq() hands out its numbers, each higher than the one before."""

    def __init__(self, session: Session, last_seq: int, limit: Optional[int] = None):
        self.session = session
        self.last_seq = last_seq
        self._limit = limit

    def next_seq(self) -> int:
        if self._limit is not None and self.last_seq >= self._limit:
            raise OverflowError("more changes in one transaction than its share of seq numbers")
        self.last_seq += 1
        return self.last_seq
