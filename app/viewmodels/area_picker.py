"""Choosing an area: cascading province → district → commune → village, or type to filter villages."""
from __future__ import annotations

from typing import Optional

from app.services.areas import CODE_LENGTH, LEVELS, AreaOption, AreaService
from records.text import clean_text


class AreaPickerVM:
    """Selected codes per level; choosing a level clears the levels below it."""

    FILTER_LIMIT = 10  # enough to spot the village; typing one more letter narrows further

    def __init__(self, areas: AreaService, lang: str, code: str = "", *, home: str = ""):
        self.areas = areas
        self.lang = lang
        self.home = home  # the signed-in user's area: offered first, villages outside it are marked
        self.selected: dict[str, str] = {level: "" for level in LEVELS}
        self.query = ""
        self.matches: list[AreaOption] = []
        if code:
            self.pick(code)

    @property
    def code(self) -> str:
        """The deepest chosen area ("" when nothing is chosen)."""
        for level in reversed(LEVELS):
            if self.selected[level]:
                return self.selected[level]
        return ""

    @property
    def village_code(self) -> str:
        return self.selected["village"]

    def parent_of(self, level: str) -> Optional[str]:
        index = LEVELS.index(level)
        return None if index == 0 else self.selected[LEVELS[index - 1]]

    def options(self, level: str) -> list[AreaOption]:
        parent = self.parent_of(level)
        if parent == "":
            return []  # the level above is not chosen yet
        return self.areas.children(parent, self.lang)

    def select(self, level: str, code: Optional[str]) -> None:
        code = code or ""
        if code and (len(code) != CODE_LENGTH[level] or (self.parent_of(level) and
                                                         not code.startswith(self.parent_of(level) or ""))):
            return  # a stale choice from a list that no longer applies
        index = LEVELS.index(level)
        self.selected[level] = code
        for lower in LEVELS[index + 1:]:
            self.selected[lower] = ""

    def pick(self, code: str) -> None:
        """Choose an area (usually a village from the filter) and everything above it."""
        code = (code or "").strip()
        for level in LEVELS:
            n = CODE_LENGTH[level]
            self.selected[level] = code[:n] if len(code) >= n else ""
        self.query = ""
        self.matches = []

    def clear(self) -> None:
        self.pick("")

    def filter(self, text: str) -> list[AreaOption]:
        """Villages matching the typed text, within the area already chosen above the village."""
        self.query = text
        # Narrow to what is chosen above; once a village is chosen, typing starts a fresh search.
        within = "" if self.selected["village"] else (
            self.selected["commune"] or self.selected["district"] or self.selected["province"])
        if within and within == self.home:
            within = ""  # still in the user's own area: theirs come first, the rest of the country after, marked
        if not clean_text(text):
            self.matches = []
        else:
            self.matches = self.areas.filter_villages(text, self.lang, within=within, limit=self.FILTER_LIMIT,
                                                      home=self.home)
        return self.matches

    @property
    def outside_home(self) -> bool:
        """The chosen village lies outside the user's area (saving it will be refused)."""
        return bool(self.home and self.village_code and not self.village_code.startswith(self.home))

    def home_label(self) -> str:
        return self.areas.label(self.home, self.lang, depth=3) if self.home else ""

    def label(self) -> str:
        return self.areas.label(self.code, self.lang, depth=4)
