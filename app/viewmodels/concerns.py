"""The concerns screen: filter by status, category and area; change status with a note."""
from __future__ import annotations

from typing import Optional

from app.models import Concern, ConcernCategory, ConcernStatus
from app.services.areas import AreaService
from app.services.concerns import ConcernRow, ConcernService
from app.services.households import SaveFailed
from app.viewmodels.area_picker import AreaPickerVM


class StatusChangeForm:
    """Moving one concern: the target status, a note, and the institution when referring."""

    def __init__(self, concern: Concern):
        self.concern = concern
        self.choices = ConcernService.next_statuses(concern)
        self.to: str = ""  # chosen on purpose, never by default
        self.note = ""
        self.referred_to = concern.referred_to or ""
        self.errors: dict[str, str] = {}

    @property
    def needs_institution(self) -> bool:
        return self.to == ConcernStatus.referred.value


class ConcernsVM:
    LIMIT = 200

    def __init__(self, concerns: ConcernService, areas: AreaService, lang: str):
        self.service = concerns
        self.areas = areas
        self.lang = lang
        self.status: Optional[ConcernStatus] = None
        self.category: Optional[ConcernCategory] = None
        self.area = AreaPickerVM(areas, lang)
        self.area_code = ""
        self.rows: list[ConcernRow] = []
        self.total = 0
        self.selected: Optional[Concern] = None
        self.change: Optional[StatusChangeForm] = None
        self.refresh()

    def refresh(self) -> None:
        self.rows, self.total = self.service.list(status=self.status, category=self.category,
                                                  area_code=self.area_code, limit=self.LIMIT)
        if self.selected is not None:
            self.selected = self.service.get(self.selected.id)

    def set_status(self, value: Optional[str]) -> None:
        self.status = ConcernStatus(value) if value else None
        self.refresh()

    def set_category(self, value: Optional[str]) -> None:
        self.category = ConcernCategory(value) if value else None
        self.refresh()

    def apply_area(self) -> None:
        self.area_code = self.area.code
        self.refresh()

    def clear_area(self) -> None:
        self.area.clear()
        self.apply_area()

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.category or self.area_code)

    def open(self, concern_id: str) -> Optional[Concern]:
        self.selected = self.service.get(concern_id)
        self.change = StatusChangeForm(self.selected) if self.selected else None
        return self.selected

    def close(self) -> None:
        self.selected = None
        self.change = None

    def submit_change(self) -> bool:
        form = self.change
        if form is None or self.selected is None:
            return False
        if not form.to:
            form.errors = {"status": "choose_status"}
            return False
        try:
            self.selected = self.service.change_status(self.selected.id, form.to, note=form.note,
                                                       referred_to=form.referred_to)
        except SaveFailed as exc:
            form.errors = dict(exc.errors)
            return False
        self.change = StatusChangeForm(self.selected)
        self.refresh()
        return True

    def place(self, row: ConcernRow) -> str:
        return self.areas.label(row.village_code, self.lang, depth=2)
