"""The gazetteer as screens need it: names in the chosen language, parents, type-to-filter."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from storage.repository import Area, AreaRepository

LEVELS = ("province", "district", "commune", "village")
CODE_LENGTH = {"province": 2, "district": 4, "commune": 6, "village": 8}


@dataclass(frozen=True)
class AreaOption:
    code: str
    name: str  # in the chosen language
    context: str  # the parents, nearest first ("Commune, District, Province"), for villages

    @property
    def label(self) -> str:
        return f"{self.name} — {self.context}" if self.context else self.name


class AreaService:
    def __init__(self, areas: AreaRepository):
        self.areas = areas

    def has_gazetteer(self) -> bool:
        return self.areas.count() > 0

    def chain(self, code: str) -> list[Area]:
        """Province … down to the area of ``code`` (those the gazetteer knows)."""
        out = []
        for level in LEVELS:
            n = CODE_LENGTH[level]
            if len(code) < n:
                break
            area = self.areas.get(code[:n])
            if area is not None:
                out.append(area)
        return out

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

    def filter_villages(self, text: str, lang: str, *, within: str = "", limit: int = 30) -> list[AreaOption]:
        """Villages whose Khmer or Latin name (or code) contains ``text``, with their parents."""
        found = self.areas.search_villages(text, within=within, limit=limit)
        parents: dict[str, str] = {}
        out = []
        for village in found:
            commune = village.code[:6]
            if commune not in parents:
                parents[commune] = self.label(commune, lang, depth=3)
            out.append(AreaOption(village.code, village.name(lang), parents[commune]))
        return out
