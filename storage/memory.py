"""MemoryStore: the in-memory fake of the store, for tests of services, sync and views.

It is the same DocStore as the real TinyStore, over tables that live only in memory: every
query behaves exactly as on the device, only nothing reaches a disk.
"""
from __future__ import annotations

from typing import Iterable

from records.models import utcnow
from storage.documents import Clock, DocStore, MemoryTables
from storage.migrations import MIGRATIONS, Migration


class MemoryStore(DocStore):
    def __init__(self, *, migrations: Iterable[Migration] = MIGRATIONS, clock: Clock = utcnow) -> None:
        super().__init__(MemoryTables(), MemoryTables(), migrations=migrations, clock=clock)
