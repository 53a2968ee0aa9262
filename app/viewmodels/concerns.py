"""The concerns screen: filter by status, category and area; change status with a note; the
follow-up steps on one concern (referral, summary, feedback). A little over 300 lines: one
screen's state; the follow-up list itself is app/viewmodels/followup.py."""
from __future__ import annotations

from datetime import date
from typing import Optional

from records.models import Concern, ConcernCategory, ConcernStatus, Household, StatusChange
from app.services.areas import AreaService
from app.services.concerns import ConcernRow, ConcernService
from app.services.edits import ChangedSinceOpened, SaveFailed
from app.i18n import Translator
from app.services.followup import OTHER, FollowupService
from app.services.parsing import InputError, parse_date
from app.services.drafts import DraftService
from app.viewmodels import status_draft
from app.viewmodels.drafts import DraftKeeper
from app.viewmodels.followup import FeedbackForm, FollowupVM, due_line, escalation_brief, submit_feedback
from app.viewmodels.area_picker import AreaPickerVM
from app.viewmodels.message import Message

ALL = "all"  # the filter choice that filters nothing
ESCALATION_FIELDS = ("level", "tried_locally", "who_was_urged", "why_not_solved", "ask")
FILTERS = {"status": ConcernStatus, "category": ConcernCategory}


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
        # A referral: a listed institution's id, or OTHER with its name typed in referred_to.
        self.institution_id = concern.institution_id or (OTHER if concern.referred_to else "")
        self.referred_to = concern.referred_to if not concern.institution_id else ""
        self.expected_text = ""  # dd/mm/yyyy as typed; read on submit
        # An escalation: the level and the summary for the level above (records.models.Escalation).
        self.escalation: dict[str, str] = {name: "" for name in ESCALATION_FIELDS}
        self.errors: dict[str, str] = {}
        # The note field must be set to ``note`` (a form just opened, or cleared by a save). A form
        # that keeps what was typed leaves the field alone: the field is ahead of ``note`` while
        # key events are still on their way, and setting it would throw those keys away.
        self.show_note = True

    @property
    def needs_institution(self) -> bool:
        return self.to == ConcernStatus.referred.value

    @property
    def needs_other_name(self) -> bool:
        return self.needs_institution and self.institution_id == OTHER

    @property
    def needs_summary(self) -> bool:
        return self.to == ConcernStatus.escalated.value

    @property
    def institution_error(self) -> Optional[str]:
        return self.errors.get("referred_to") or self.errors.get("institution_id")

    @property
    def escalation_error(self) -> Optional[str]:
        return self.errors.get("escalation")

    @property
    def other_errors(self) -> list[str]:
        """Codes shown under the form (the institution's and the summary's show at their fields)."""
        return [code for name, code in self.errors.items()
                if name not in ("referred_to", "institution_id", "escalation", "expected_on")]

    def pick(self, value: str) -> None:
        self.to = value
        self.errors = {}

    def keep_typed(self, earlier: "StatusChangeForm") -> "StatusChangeForm":
        """This form for a fresher copy, with what was typed in ``earlier``; the chosen move
        only while it is still offered."""
        self.note = earlier.note
        if earlier.referred_to:
            self.referred_to = earlier.referred_to
        if earlier.institution_id:
            self.institution_id = earlier.institution_id
        self.expected_text = earlier.expected_text
        self.escalation = dict(earlier.escalation)
        self.show_note = earlier.show_note
        if earlier.to in {s.value for s in self.choices}:
            self.to = earlier.to
            self.errors = dict(earlier.errors)  # what the official was told stays until they act
        return self


class ConcernsVM:
    LIMIT = 200

    VIEWS = ("all", "followup", "escalated")  # every concern, the ones to chase, the ones sent up

    def __init__(self, concerns: ConcernService, areas: AreaService, lang: str,
                 followup: Optional[FollowupService] = None, drafts: Optional[DraftService] = None):
        self.service = concerns
        self.drafts = drafts
        # The open concern's status form and its "told the household" form, kept as typed (none open:
        # keepers with no store, which keep nothing).
        self.draft = self.feedback_draft = DraftKeeper(None, "", dict)
        self.areas = areas
        self.lang = lang
        self.followup = followup or FollowupService(concerns.store, concerns.actor, concerns.reference,
                                                    clock=concerns.clock, on_saved=concerns.on_saved)
        self.view = "all"
        self.followups: Optional[FollowupVM] = None
        self.feedback: Optional[FeedbackForm] = None
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
        if self.view == "followup" and self.followups is not None:
            self.followups.refresh()
        if self.selected is not None:
            self.selected = self.service.get(self.selected.id)

    def filter_options(self, which: str) -> list[str]:
        """The values a filter offers, "all" first (the view labels them)."""
        return [ALL, *(v.value for v in FILTERS[which])]

    def filter_value(self, which: str) -> str:
        chosen = self.status if which == "status" else self.category
        return chosen.value if chosen else ALL

    def set_filter(self, which: str, value: Optional[str]) -> None:
        """A filter's dropdown changed; "all" (or nothing) lifts it."""
        value = None if value in (None, "", ALL) else value
        if which == "status":
            self.set_status(value)
        else:
            self.set_category(value)

    def summary(self) -> Message:
        shown = len(self.rows)
        if shown == self.total:
            return Message("concerns.count", {"count": self.total})
        return Message("concerns.count_limited", {"shown": shown, "count": self.total})

    def empty_keys(self) -> tuple[str, str]:
        """Title and message when no concern is listed: none at all, or none that match."""
        if self.filtered:
            return "concerns.no_match_title", "concerns.no_match_message"
        return "concerns.empty_title", "concerns.empty_message"

    def area_filter_label(self) -> str:
        """The chosen area, "" when the list is not filtered by area."""
        return self.areas.label(self.area_code, self.lang, depth=2) if self.area_code else ""

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
        self.draft.flush()  # the concern open until now keeps what was typed on it
        self.feedback_draft.flush()
        self.selected = self.service.get(concern_id)
        self.change = self._form(self.selected) if self.selected else None
        self.feedback = FeedbackForm(self.today) if self.selected else None
        self.draft = status_draft.keeper(
            self.drafts, concern_id,
            lambda: self.change if self.change is not None and self.change.concern.id == concern_id else None)
        self.feedback_draft = status_draft.feedback_keeper(
            self.drafts, concern_id,
            lambda: self.feedback if self.selected is not None and self.selected.id == concern_id else None)
        return self.selected

    def typed(self) -> None:
        """Something was typed or chosen on the status form: its draft is written once typing pauses."""
        self.draft.typed()

    def feedback_typed(self) -> None:
        self.feedback_draft.typed()

    def use_draft(self) -> None:
        _use(self.draft, self.change, status_draft.apply)

    def use_feedback_draft(self) -> None:
        _use(self.feedback_draft, self.feedback, status_draft.apply_feedback)

    def drop_draft(self) -> None:
        self.draft.drop()

    # ---------------------------------------------------------------- follow-up (issue 11)

    @property
    def today(self) -> date:
        return self.followup.today()

    def set_view(self, view: str) -> None:
        self.view = view if view in self.VIEWS else "all"
        if self.view == "followup":
            if self.followups is None:
                self.followups = FollowupVM(self.followup, self.areas, self.lang)
            else:
                self.followups.refresh()

    def due(self, tr: Translator, concern: Concern) -> tuple[str, str]:
        return due_line(tr, concern, self.today)

    def institution_name(self, concern: Concern) -> str:
        listed = self.service.reference.institution(concern.institution_id)
        return listed.name(self.lang) if listed else (concern.referred_to or "")

    def referral_options(self) -> list[tuple[str, str]]:
        """(id, name) for the referral picker: who handles this category where the household lives first;
        then "other" (the view labels it) for an institution not in the list."""
        c = self.selected
        if c is None:
            return []
        household = self.service.store.households.find(c.household_id)
        village = household.village_code if household else ""
        return [(i.id, i.name(self.lang)) for i in self.service.reference.picker(c.category.value, village,
                                                                               self.lang)] + [(OTHER, "")]

    def pick_institution(self, value: Optional[str]) -> None:
        if self.change is not None:
            self.change.institution_id = value or ""
            self.change.errors.pop("institution_id", None)
            self.change.errors.pop("referred_to", None)

    @property
    def offers_feedback(self) -> bool:
        """Telling the household is offered once something was decided: referred, resolved or escalated."""
        return self.selected is not None and self.selected.status.value in ("referred", "resolved", "escalated")

    def submit_feedback(self) -> bool:
        if self.selected is None or self.feedback is None:
            return False
        saved = submit_feedback(self.followup, self.selected.id, self.feedback)
        if saved is None:
            return False
        self.selected = saved
        self.change = self._form(saved)
        self.feedback = FeedbackForm(self.today)
        self.feedback_draft.drop()
        self.refresh()
        return True

    def escalated(self) -> list[tuple[Concern, Optional[Household]]]:
        return self.followup.escalated(area_code=self.area_code)

    def brief(self, tr: Translator) -> str:
        place = lambda code: self.areas.label(code, self.lang, depth=3)  # noqa: E731
        return escalation_brief(tr, self.area_filter_label(), self.escalated(), place, self.institution_name,
                                self.today)

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

    @property
    def offers_moves(self) -> bool:
        return self.change is not None and bool(self.change.choices)

    def pick_status(self, value: str) -> None:
        if self.change is not None:
            self.change.pick(value)

    def history(self) -> list[StatusChange]:
        """The open concern's moves, newest first."""
        return list(reversed(self.selected.history)) if self.selected else []

    def sync_changed(self) -> None:
        """A sync ended: list again; an open concern the office moved shows its new moves, the note kept."""
        self.refresh()
        selected, form = self.selected, self.change
        if selected is not None and form is not None and form.concern.rev != selected.rev:
            self.reopen()

    @property
    def saved_toast(self) -> str:
        return "concern.status_saved_on_newer" if self.saved_on_newer else "concern.status_saved"

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
            expected_on = parse_date(form.expected_text, required=False) if form.needs_institution else None
        except InputError as exc:
            form.errors = {"expected_on": exc.code}
            return False
        try:
            saved = self.service.change_status(
                self.selected.id, form.to, note=form.note, opened=form.concern,
                referred_to=form.referred_to if form.institution_id in ("", OTHER) else "",
                institution_id=form.institution_id, expected_on=expected_on, escalation=form.escalation)
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
        self.drop_draft()
        self.refresh()
        return True

    def place(self, row: ConcernRow) -> str:
        return self.areas.label(row.village_code, self.lang, depth=2)


def _use(keeper: DraftKeeper, form, apply) -> None:
    """Put the draft ``keeper`` offers back into ``form`` (and keep the form as it now is)."""
    fields = keeper.take_offer()
    if fields and form is not None:
        apply(form, fields)
        keeper.typed()
