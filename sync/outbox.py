"""The outbox seen from the app: counts for the sync screen, and saving a local edit safely
while a sync may be running in another thread.

The outbox is not a second queue: it is the records' ``sync_state`` and a query over it.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Optional

from records.models import Record, SyncState
from storage.repository import Store

_locks: "weakref.WeakKeyDictionary[Store, threading.RLock]" = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def store_lock(store: Store) -> threading.RLock:
    """The process-wide lock around read-then-save of records of ``store``.

    The sync runner holds it while it reads a record and saves the answer for it, so an
    edit saved through ``save_local_edit`` is never overwritten by a sync answer.
    """
    with _locks_guard:
        lock = _locks.get(store)
        if lock is None:
            lock = _locks[store] = threading.RLock()
        return lock


def save_local_edit(store: Store, *records: Record) -> list[Record]:
    """Save records edited on the device (new ones or ``record.edited(...)`` copies).

    A form may have been opened before a sync changed the stored copy's sync bookkeeping;
    the edit keeps the stored copy's ``server_rev`` (what the server has) and a rev above
    the stored one, so the next push is based on the right server version.
    """
    with store_lock(store):
        rebased = [rebase_edit(r, store.repository_for(r).find(r.id)) for r in records]
        store.save(*rebased)
    return rebased


def rebase_edit(edit: Record, stored: Optional[Record]) -> Record:
    """``edit`` with the stored copy's sync bookkeeping: pending, server_rev kept, rev ahead."""
    if stored is None:
        return edit.model_copy(update={"sync_state": SyncState.pending, "sync_error": None})
    return edit.model_copy(update={
        "sync_state": SyncState.pending,
        "sync_error": None,
        "server_rev": stored.server_rev,
        "rev": max(edit.rev, stored.rev + 1),
    })


@dataclass(frozen=True)
class OutboxCounts:
    """Records by sync state and type, for the pending badge and the sync screen."""

    pending: dict[str, int] = field(default_factory=dict)  # pending + sending
    rejected: dict[str, int] = field(default_factory=dict)
    conflict: dict[str, int] = field(default_factory=dict)

    @property
    def total_pending(self) -> int:
        return sum(self.pending.values())

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())

    @property
    def total_conflicts(self) -> int:
        return sum(self.conflict.values())


def outbox_counts(store: Store) -> OutboxCounts:
    pending, rejected, conflict = {}, {}, {}
    for kind in ("household", "visit", "concern"):
        repo = store.repository_for(kind)
        pending[kind] = len(repo.ids_in_state(SyncState.pending, SyncState.sending))
        rejected[kind] = len(repo.ids_in_state(SyncState.rejected))
        conflict[kind] = len(repo.ids_in_state(SyncState.conflict))
    return OutboxCounts(pending, rejected, conflict)


def pending_ids(store: Store) -> frozenset[str]:
    ids: set[str] = set()
    for kind in ("household", "visit", "concern"):
        ids.update(store.repository_for(kind).ids_in_state(SyncState.pending, SyncState.sending))
    return frozenset(ids)
