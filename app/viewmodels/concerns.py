"""The concerns screen: filter by status, category and area; change status with a note."""
from __future__ import annotations

from typing import Optional

from records.models import Concern, ConcernCategory, ConcernStatus
from app.services.areas import AreaService
from app.services.concerns import ConcernRow, ConcernService
from app.services.edits import ChangedSinceOpened, SaveFailed
from app.viewmodels.area_picker import AreaPickerVM


class StatusChangeForm:
    """Moving one concern: the target status, a note, and the institution when referring.

    ``concern`` is the copy the form shows (opened): the move is made on the stored copy,
    and refused only when a change since then means it is no longer allowed.
    """

    def __init__(self, concern: Concern, choices: list[ConcernStatus]):
        self.concern = concern
        self.choices = choices
        self.to: str = ""  # chosen on purpose, never by default
        self.note = ""
        self.referred_to = concern.referred_to or ""
        self.errors: dict[str, str] = {}

    @property
    def needs_institution(self) -> bool:
        return self.to == ConcernStatus.referred.value

    def keep_typed(self, earlier: "StatusChangeForm") -> "StatusChangeForm":
        """This form for a fresher copy, with what was typed in ``earlier``; the chosen move
        only while it is still offered."""
        self.note = earlier.note
        if earlier.referred_to:
            self.referred_to = earlier.referred_to
        if earlier.to in {s.value for s in self.choices}:
            self.to = earlier.to
        return self


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
        # The last status change went onto a copy that had changed since the form showed it
        # (the district office moved it meanwhile); the history has both moves.
        self.saved_on_newer = False
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
        self.change = self._form(self.selected) if self.selected else None
        return self.selected

    def _form(self, concern: Concern) -> StatusChangeForm:
        return StatusChangeForm(concern, self.service.choices(concern))

    def reopen(self) -> None:
        """Show the stored copy of the open concern (a sync changed it), keeping what was typed."""
        if self.selected is None:
            return
        fresh = self.service.get(self.selected.id)
        self.selected = fresh
        earlier = self.change
        self.change = self._form(fresh) if fresh else None
        if self.change is not None and earlier is not None:
            self.change.keep_typed(earlier)

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
            saved = self.service.change_status(self.selected.id, form.to, note=form.note,
                                               referred_to=form.referred_to, opened=form.concern)
        except ChangedSinceOpened as exc:
            # Changed meanwhile and this move is no longer possible: show the stored copy and its
            # moves, keep the note and institution typed.
            self.selected = exc.fresh
            self.change = self._form(exc.fresh).keep_typed(form)
            self.change.errors = dict(exc.errors)
            self.saved_on_newer = False
            self.refresh()
            return False
        except SaveFailed as exc:
            form.errors = dict(exc.errors)
            return False
        self.saved_on_newer = saved.rev != form.concern.rev + 1  # the copy it went on was not the one shown
        self.selected = saved
        self.change = self._form(saved)
        self.refresh()
        return True

    def place(self, row: ConcernRow) -> str:
        return self.areas.label(row.village_code, self.lang, depth=2)
