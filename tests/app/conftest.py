"""Fixtures for the app's services, view-models and screens: a real store, the real gazetteer."""
from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest

from app.composition import AppConfig, AppContext
from app.services.actor import fixed_actor
from storage.memory import MemoryStore
from storage.repository import Area, Store
from sync.account import SyncAccount

GAZETTEER_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "cambodia-admin-areas.csv"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
VILLAGE = "01020101"  # Ou Thum / អូរធំ, commune Banteay Neang (010201)


def read_areas() -> list[Area]:
    """The NCDD list from ../shared (14,578 villages); the built-in MEF list where it is absent."""
    if GAZETTEER_CSV.exists():
        with open(GAZETTEER_CSV, encoding="utf-8", newline="") as fh:
            return [Area(r["code"], r["level"], r["parent_code"] or None, r["name_en"], r["name_km"])
                    for r in csv.DictReader(fh)]
    from app.services.gazetteer import builtin_areas

    return builtin_areas()


@pytest.fixture(scope="session")
def areas() -> list[Area]:
    return read_areas()


@pytest.fixture
def store(areas) -> Store:
    s = MemoryStore()
    s.load_gazetteer(areas, source="test", version="test-1")
    return s


@pytest.fixture
def actor():
    return fixed_actor("demo-official", "Demo Official", "device-1")


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: NOW


@pytest.fixture
def ctx(store, tmp_path) -> AppContext:
    account = SyncAccount(store, settings_path=tmp_path / "device.json")
    context = AppContext(store, account, AppConfig(data_dir=tmp_path, autosync=False, probe_s=3600))
    yield context
    context.auto.stop()
    context.reachability.stop()

