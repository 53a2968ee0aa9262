"""The gazetteer as screens need it: names in the chosen language, parents, type-to-filter."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from records.areas import CODE_LENGTH, LEVELS, covers, parent_code, parents  # noqa: F401  (LEVELS/CODE_LENGTH: for view-models)
from storage.repository import Area, AreaRepository, GazetteerInfo


@dataclass(frozen=True)
class AreaOption:
    code: str
    name: str  # in the chosen language
    context: str  # the parents, nearest first ("Commune, District, Province"), for villages
    outside: bool = False  # outside the signed-in user's area: listed after theirs, and marked

    @property
    def label(self) -> str:
        return f"{self.name} — {self.context}" if self.context else self.name


class AreaService:
    def __init__(self, areas: AreaRepository):
        self.areas = areas

    def gazetteer_info(self) -> Optional[GazetteerInfo]:
        """Which gazetteer this device has (source, version, counts); None before any is loaded."""
        return self.areas.info()

    def chain(self, code: str) -> list[Area]:
        """Province … down to the area of ``code`` (those the gazetteer knows)."""
        found = (self.areas.get(c) for c in parents(code))
        return [area for area in found if area is not None]

    def name(self, code: Optional[str], lang: str) -> str:
        if not code:
            return ""
        area = self.areas.get(code)
        return area.name(lang) if area else code

    def label(self, code: Optional[str], lang: str, *, depth: int = 2) -> str:
        """Village and its commune (depth 2) … up to the province (depth 4), nearest first."""
        if not code:
            return ""
        chain = self.chain(code)
        if not chain:
            return code
        return ", ".join(a.name(lang) for a in reversed(chain[-depth:]))

    def children(self, parent_code: Optional[str], lang: str) -> list[AreaOption]:
        return [AreaOption(a.code, a.name(lang), "") for a in self.areas.children(parent_code)]

    def filter_villages(self, text: str, lang: str, *, within: str = "", limit: int = 30,
                        home: str = "") -> list[AreaOption]:
        """Villages whose Khmer or Latin name (or code) contains ``text``, with their parents.

        With ``home`` (the user's area), its villages come first and the others are marked outside.
        """
        if home and home != within and home.startswith(within):  # the user's area lies in what is chosen
            found = self.areas.search_villages(text, within=home, limit=limit)
            seen = {v.code for v in found}
            found += [v for v in self.areas.search_villages(text, within=within, limit=limit)
                      if v.code not in seen][:limit - len(found)]
        else:
            found = self.areas.search_villages(text, within=within, limit=limit)
        parents: dict[str, str] = {}
        out = []
        for village in found:
            commune = parent_code(village.code, "commune")
            if commune not in parents:
                parents[commune] = self.label(commune, lang, depth=3)
            out.append(AreaOption(village.code, village.name(lang), parents[commune],
                                  outside=bool(home) and not covers(home, village.code)))
        return out
