"""The households screen: search, area filter, and a list that grows a page at a time."""
from __future__ import annotations

from app.services.areas import AreaService
from app.services.households import HouseholdRow, HouseholdService
from app.viewmodels.area_picker import AreaPickerVM


class HouseholdListVM:
    PAGE = 50  # rows sent to the screen at a time: 10,000 rows at once would stall a phone

    def __init__(self, households: HouseholdService, areas: AreaService, lang: str, *, page_size: int = PAGE):
        self.page_size = page_size
        self.households = households
        self.areas = areas
        self.lang = lang
        self.query = ""
        self.area = AreaPickerVM(areas, lang)
        self.area_code = ""
        self.rows: list[HouseholdRow] = []
        self.has_more = False
        self.total = 0
        self.found = 0  # what the search and area filter match ("12 of 3,400")
        self.refresh()

    def refresh(self, *, keep_length: bool = False) -> None:
        wanted = max(len(self.rows), self.page_size) if keep_length else self.page_size
        self._load(wanted)

    def _load(self, wanted: int) -> None:
        found = self.households.search(self.query, area_code=self.area_code, limit=wanted + 1)
        self.has_more = len(found) > wanted
        self.rows = found[:wanted]
        self.total = self.households.count()
        filtered = bool(self.query.strip() or self.area_code)
        self.found = self.households.count_matching(self.query, area_code=self.area_code) if filtered else self.total

    @property
    def filtered(self) -> bool:
        return bool(self.query.strip() or self.area_code)

    def search(self, text: str) -> None:
        self.query = text
        self._load(self.page_size)

    def load_more(self) -> None:
        if self.has_more:
            self._load(len(self.rows) + self.page_size)

    def apply_area(self) -> None:
        """Filter by what the area picker holds (any level: province down to village)."""
        self.area_code = self.area.code
        self._load(self.page_size)

    def clear_area(self) -> None:
        self.area.clear()
        self.apply_area()

    @property
    def area_label(self) -> str:
        return self.areas.label(self.area_code, self.lang, depth=2) if self.area_code else ""

    @property
    def empty_state(self) -> str:
        """Which empty message to show: none, no households at all, or nothing matches."""
        if self.rows:
            return ""
        return "no_match" if (self.query or self.area_code) and self.total else "no_households"

    def village_label(self, row: HouseholdRow) -> str:
        return self.areas.label(row.village_code, self.lang, depth=2)
