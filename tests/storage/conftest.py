"""Both store implementations behind one fixture: the contract suite runs against each.

``reopen(store)`` is the identity for the in-memory fake and a close-and-open for the
TinyDB store, so every contract test that reopens also checks that what it saved is on disk.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest

from storage.memory import MemoryStore
from storage.repository import Store
from storage.tiny import TinyStore

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TEST_KEY = bytes(range(32))  # a data key for sealed stores in tests


def fixed_clock() -> datetime:
    return NOW


def open_tiny(path: Path, **options) -> TinyStore:
    options.setdefault("clock", fixed_clock)
    return TinyStore(path / "records", path / "reference", **options)


@pytest.fixture(params=["memory", "tiny", "sealed"])
def kind(request) -> str:
    """The fake, the plain TinyDB store, and the sealed one the device keeps."""
    return request.param


@pytest.fixture
def stores(kind, tmp_path):
    """(store, reopen)."""
    opened: list[Store] = []

    def make() -> Store:
        if kind == "memory":
            store = MemoryStore(clock=fixed_clock)
        else:
            store = open_tiny(tmp_path, data_key=TEST_KEY if kind == "sealed" else None)
        opened.append(store)
        return store

    def reopen(store: Store) -> Store:
        if kind == "memory":
            return store
        store.close()
        return make()

    yield make(), reopen
    for store in opened:
        store.close()


@pytest.fixture
def store(stores) -> Store:
    return stores[0]


@pytest.fixture
def reopen(stores) -> Callable[[Store], Store]:
    return stores[1]


@pytest.fixture
def tiny(tmp_path):
    store = open_tiny(tmp_path)
    yield store
    store.close()
