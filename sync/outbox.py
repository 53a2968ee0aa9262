"""The outbox seen from the app: counts for the sync screen and the pending badge.

The outbox is not a second queue: it is the records' ``sync_state`` and a query over it.
Local edits are saved through the store (``Store.save_edit``), under its own write lock.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from records.models import SyncState
from storage.repository import Store

RECORD_KINDS = ("household", "visit", "meeting", "concern")  # sync/decisions.py TYPE_ORDER, without importing it


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
    for kind in RECORD_KINDS:
        counts = store.repository_for(kind).state_counts()
        pending[kind] = counts[SyncState.pending] + counts[SyncState.sending]
        rejected[kind] = counts[SyncState.rejected]
        conflict[kind] = counts[SyncState.conflict]
    return OutboxCounts(pending, rejected, conflict)


def pending_ids(store: Store) -> frozenset[str]:
    ids: set[str] = set()
    for kind in RECORD_KINDS:
        ids.update(store.repository_for(kind).ids_in_state(SyncState.pending, SyncState.sending))
    return frozenset(ids)
