"""TinyStore: the durable local store, TinyDB over JournalStorage.

Two TinyDB databases, each a directory with its own journal: the officials' records
(households, visits, concerns, meta, conflicts, migrations) and, apart from them, the
reference data (the gazetteer), so that loading 16,000 areas never touches the records'
journal or its compaction. The repositories are the same DocStore code as the in-memory
fake; what TinyStore adds is the disk: every commit is one fsync'd journal line.

``db`` and ``reference_db`` are ordinary TinyDB objects (with JournalTable tables) for ad-hoc
queries and tools; writes made through them are journaled like any other.
"""
from __future__ import annotations

import copy
import gc
import os
from contextlib import contextmanager
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from tinydb import TinyDB
from tinydb.table import Table

from records.models import utcnow
from storage.documents import Clock, DocStore
from storage.journal import DEFAULT_COMPACT_MIN_BYTES, JournalStorage, Op
from storage.migrations import MIGRATIONS, Migration
from storage.repository import RecoveryReport
from storage.sealing import LineCipher


class _Changes(MutableMapping):
    """What TinyDB's table updaters see: the live table, with every change kept on the side
    (copy on write) so that it can be journaled as single documents and applied only once
    the journal line is on disk."""

    def __init__(self, live: dict[str, Any]) -> None:
        self.live = live
        self.written: dict[str, Any] = {}
        self.deleted: set[str] = set()

    def __getitem__(self, doc_id: Any) -> Any:
        key = str(doc_id)
        if key in self.written:
            return self.written[key]
        if key in self.deleted or key not in self.live:
            raise KeyError(doc_id)
        # The caller may change the document in place: hand out a copy and keep it.
        self.written[key] = doc = copy.deepcopy(self.live[key])
        return doc

    def __setitem__(self, doc_id: Any, doc: Any) -> None:
        self.deleted.discard(str(doc_id))
        self.written[str(doc_id)] = doc

    def __delitem__(self, doc_id: Any) -> None:
        if doc_id not in self:
            raise KeyError(doc_id)
        self.written.pop(str(doc_id), None)
        self.deleted.add(str(doc_id))

    def __contains__(self, doc_id: object) -> bool:
        key = str(doc_id)
        return key in self.written or (key in self.live and key not in self.deleted)

    def __iter__(self) -> Iterator[Any]:
        for key in list(self.live):
            if key not in self.deleted:
                yield self.id_class(key)
        for key in list(self.written):
            if key not in self.live:
                yield self.id_class(key)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    id_class: Callable[[str], Any] = str

    def ops(self, table: str) -> list[Op]:
        puts = [["put", table, k, doc] for k, doc in self.written.items() if self.live.get(k) != doc]
        return puts + [["del", table, k] for k in self.deleted if k in self.live]


class JournalTable(Table):
    """A TinyDB table whose writes cost what they change, not what the table holds.

    TinyDB's own ``_update_table`` copies the whole table and hands it to ``Storage.write``;
    this one runs the same updaters over a copy-on-write view and commits only the documents
    they touched. Query results are not cached: records also change through the store's own
    commits, which a per-table cache would not see.
    """

    # Records are keyed by their UUID; tables used the TinyDB way keep integer ids.
    document_id_class = staticmethod(lambda key: int(key) if str(key).isdigit() else str(key))  # type: ignore

    def __init__(self, storage: JournalStorage, name: str, cache_size: int = 0):
        super().__init__(storage, name, cache_size=cache_size)

    def _update_table(self, updater: Callable[[dict], None]) -> None:
        storage: JournalStorage = self._storage  # type: ignore[assignment]
        with storage.lock:
            changes = _Changes(storage.table(self.name))
            changes.id_class = self.document_id_class
            updater(changes)  # type: ignore[arg-type]
            storage.commit(changes.ops(self.name))
        self.clear_cache()


class PhumTinyDB(TinyDB):
    table_class = JournalTable
    default_storage_class = JournalStorage


def open_tinydb(path: str | os.PathLike, **options: Any) -> PhumTinyDB:
    return PhumTinyDB(path, storage=JournalStorage, **options)


class TinyStore(DocStore):
    def __init__(
        self,
        records_dir: str | os.PathLike,
        reference_dir: Optional[str | os.PathLike] = None,
        *,
        migrations: Iterable[Migration] = MIGRATIONS,
        clock: Clock = utcnow,
        compact_min_bytes: int = DEFAULT_COMPACT_MIN_BYTES,
        background_compaction: bool = True,
        data_key: Optional[bytes] = None,
    ) -> None:
        """``data_key`` (32 bytes, storage/keys.py) seals the records at rest; the reference data stays plain."""
        with _gc_paused():
            self._open(records_dir, reference_dir, migrations, clock, compact_min_bytes, background_compaction,
                       data_key)
        # What was just loaded lives as long as the store: keep the cyclic GC from scanning
        # it again and again (a full pass over 200,000 documents takes half a second). The
        # documents hold no cycles, so reference counting still frees any that are replaced.
        gc.freeze()

    def _open(self, records_dir, reference_dir, migrations, clock, compact_min_bytes, background_compaction,
              data_key) -> None:
        records_dir = Path(records_dir)
        reference_dir = Path(reference_dir) if reference_dir is not None else records_dir.parent / "reference"
        options = dict(compact_min_bytes=compact_min_bytes, background_compaction=background_compaction, clock=clock)
        cipher = LineCipher(data_key) if data_key is not None else None
        self.db = open_tinydb(records_dir, cipher=cipher, **options)
        try:
            self.reference_db = open_tinydb(reference_dir, **options)
        except BaseException:
            self.db.close()
            raise
        records: JournalStorage = self.db.storage  # type: ignore[assignment]
        reference: JournalStorage = self.reference_db.storage  # type: ignore[assignment]
        report = _merged(records.report, reference.report)
        try:
            super().__init__(records, reference, migrations=migrations, clock=clock, recovery=report)
            self.secret_box = cipher  # the sign-in token is sealed with the records' key
        except BaseException:
            self.close()
            raise

    @property
    def storages(self) -> tuple[JournalStorage, JournalStorage]:
        return self.db.storage, self.reference_db.storage  # type: ignore[return-value]

    def compact(self) -> None:
        for storage in self.storages:
            storage.compact(wait=True)

    def close(self) -> None:
        self.db.close()
        self.reference_db.close()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Loading creates millions of objects and no garbage: collecting meanwhile only costs time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _merged(*reports: RecoveryReport) -> RecoveryReport:
    out = RecoveryReport()
    for r in reports:
        out.damaged_files += r.damaged_files
        out.records_recovered += r.records_recovered
        out.entries_lost += r.entries_lost
        out.messages += r.messages
    return out
