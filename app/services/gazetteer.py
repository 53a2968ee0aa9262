"""Loading the built-in gazetteer into a fresh device's store."""
from __future__ import annotations

from records.areas import read_builtin
from storage.repository import Area, GazetteerInfo, Store


def builtin_areas() -> list[Area]:
    return [Area(**unit) for unit in read_builtin().units]


def load_builtin(store: Store) -> GazetteerInfo:
    builtin = read_builtin()
    return store.load_gazetteer((Area(**unit) for unit in builtin.units), source=builtin.source,
                                version=builtin.version)
