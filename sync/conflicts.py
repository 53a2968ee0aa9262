"""A supervisor's decision on a conflict: keep this device's version or the server's.

The server's copy was kept in ``store.conflicts`` when the conflict was found (push or pull);
sync/decisions.py says what each choice makes of the local record; this saves it under the
store's write lock and forgets the kept copy.
"""
from __future__ import annotations

from records.models import Record
from storage.repository import ConflictCopy, NotFoundError, Store
from sync import decisions


def keep_local(store: Store, record_id: str) -> Record:
    """Resolve a conflict with the device's version: it goes to the server again, based on the server's rev."""
    with store.write_lock:
        copy = _conflict(store, record_id)
        current = store.repository_for(copy.record_type).get(record_id)
        kept = decisions.keep_local(current, copy)
        store.save(kept)
        store.conflicts.remove(record_id)
    return kept


def keep_server(store: Store, record_id: str) -> Record:
    """Resolve a conflict with the server's version: it replaces the device's copy."""
    with store.write_lock:
        copy = _conflict(store, record_id)
        kept = decisions.keep_server(copy)
        store.save(kept)
        store.conflicts.remove(record_id)
    return kept


def _conflict(store: Store, record_id: str) -> ConflictCopy:
    copy = store.conflicts.find(record_id)
    if copy is None:
        raise NotFoundError(f"no conflict kept for {record_id}")
    return copy
