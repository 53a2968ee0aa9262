"""A visit and its concerns, added in one screen and saved in one step."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import flet as ft

from app.i18n import locale_of
from app.services.parsing import InputError, parse_date
from app.viewmodels.visit_form import CATEGORIES, KINDS, PRIORITIES, ConcernDraft, VisitFormVM
from views.env import Env, Screen
from views.form_focus import FormFocus
from views.theme import GAP
from views.widgets import (
    ChoiceChips, card, changed_notice, choice_chips, draft_offer, empty_state, field, icon_button, inner, muted,
    primary_button, secondary_button, section_title, set_error,
)


class ConcernCard:
    """The controls of one concern draft, kept while other drafts come and go."""

    def __init__(self, screen: "VisitFormScreen", draft: ConcernDraft):
        tr = screen.tr
        self.draft = draft
        self.title = ft.Text("", weight=ft.FontWeight.W_600, expand=True)
        self.remove = icon_button(ft.Icons.DELETE_OUTLINE, tr("visit.remove_concern"),
                                  lambda e, k=draft.key: screen._remove(k), identifier=f"concern-{draft.key}-remove",
                                  visible=not draft.id)
        self.category = ChoiceChips(tr, "category", CATEGORIES, draft.category,
                                    lambda v: screen._set_concern(draft.key, "category", v), prefix="")
        self.category_error = ft.Text("", color=ft.Colors.ERROR, visible=False)
        self.description = field(tr, "concern.description", draft.description,
                                 on_change=lambda e: screen._set_concern(draft.key, "description", e.control.value),
                                 multiline=True, identifier="-")
        self.priority = ChoiceChips(tr, "priority", PRIORITIES, draft.priority,
                                    lambda v: screen._set_concern(draft.key, "priority", v), prefix="")
        self.body = ft.Column([
            ft.Row([self.title, self.remove]),
            muted(tr("concern.category")), self.category.control, self.category_error,
            self.description,
            muted(tr("concern.priority")), self.priority.control,
        ], spacing=8)
        self.card = card(self.body, identifier="-", padding=12)

    def paint(self, tr, index: int) -> None:
        """Number the card and its test ids by position; show the draft's errors."""
        prefix = f"concern-{index}"
        self.title.value = tr("visit.concern_number", number=index + 1)
        self.card.identifier = f"{prefix}-card"
        self.description.identifier = f"{prefix}-description"
        self.remove.identifier = f"{prefix}-remove"
        for chips, group in ((self.category, "category"), (self.priority, "priority")):
            for wrapper, value in zip(chips.control.controls, chips.chips):
                wrapper.identifier = f"{prefix}-{group}-{value}"
        errors = self.draft.errors
        self.category_error.value = tr.error(errors.get("category")) if "category" in errors else ""
        self.category_error.visible = "category" in errors
        set_error(self.description, tr, errors.get("description"))


class VisitFormScreen(Screen):
    tab = "households"
    keeps_draft = True

    def __init__(self, env: Env, household_id: str, visit_id: Optional[str]):
        super().__init__(env)
        actor = env.deps.account.actor()
        self.vm = VisitFormVM(env.deps.visits, env.deps.households, household_id, official=actor.display_name,
                              visit_id=visit_id, drafts=env.deps.drafts)
        self.title_key = "visit.edit_title" if visit_id else "visit.new_title"
        self.inputs: dict[str, ft.Control] = {}
        self.kind_row = ft.Container()
        self.concern_list = ft.Column(spacing=GAP, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.cards: dict[int, ConcernCard] = {}
        self.form_error = ft.Text("", color=ft.Colors.ERROR, visible=False)
        self.root = ft.Container(padding=16, expand=True)
        self.focus = FormFocus(env.page)
        self.pickers: dict[str, ft.Control] = {}
        self.buttons: dict[str, ft.Control] = {}
        self._discarded = False

    def body(self) -> ft.Control:
        tr, vm = self.tr, self.vm
        if not vm.found:
            return empty_state(ft.Icons.SEARCH_OFF, tr("household.not_found"), tr("household.not_found_message"))
        self.root.content = self._form()
        return self.root

    def _form(self) -> ft.Control:
        tr, vm = self.tr, self.vm
        self.inputs = {}
        self._paint_kind()
        self._paint_concerns()
        wide = {"xs": 12, "md": 6}
        dates = ft.ResponsiveRow([
            self._date_field("visited_on", col=wide),
            self._date_field("follow_up_on", col=wide),
        ], spacing=GAP, run_spacing=GAP)
        notice = [changed_notice(tr, vm.unsaved)] if vm.reloaded else []  # refused: changed since opened
        if vm.draft.offered is not None:
            notice.append(draft_offer(tr, vm.draft.offered.saved_at, self._use_draft, self._drop_draft))
        officials = self._text("officials", helper="visit.officials_help")
        notes = self._text("notes", multiline=True)
        self.buttons = {
            "add_concern": secondary_button(tr("visit.add_concern"), self._add_concern, icon=ft.Icons.ADD,
                                            identifier="add-concern"),
            "save": primary_button(tr("visit.save"), self._save, icon=ft.Icons.SAVE, identifier="save-visit"),
            "cancel": secondary_button(tr("action.cancel"), lambda e: self.env.go(f"/households/{vm.household_id}"),
                                       identifier="cancel"),
        }
        content = ft.Column([
            *notice,
            muted(tr("visit.for_household", name=vm.household.head_name)),
            dates,
            section_title(tr("visit.kind")), self.kind_row,
            officials,
            notes,
            ft.Row([section_title(tr("visit.concerns")), self.buttons["add_concern"]],
                   alignment=ft.MainAxisAlignment.SPACE_BETWEEN, wrap=True),
            self.concern_list,
            self.form_error,
            ft.Row([self.buttons["save"], self.buttons["cancel"]], wrap=True, spacing=GAP),
        ], spacing=GAP, scroll=ft.ScrollMode.AUTO, expand=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self._track()
        return content

    def _track(self) -> None:
        """The form's fields in reading order, for Enter, Tab and focus after a rebuild."""
        focus = self.focus
        focus.reset()
        for name in ("visited_on", "follow_up_on"):
            focus.track(name, self.inputs[name])
            focus.track(f"pick_{name}", self.pickers[name])
        for i, chip_ in enumerate(self.kind_row.content.controls):
            focus.track(f"kind_{i}", chip_, focusable=False)
        focus.track("officials", self.inputs["officials"])
        focus.track("notes", self.inputs["notes"])
        focus.track("add_concern", self.buttons["add_concern"])
        for key, item in self.cards.items():
            focus.track(f"concern_{key}_remove", item.remove)
            for i, chip_ in enumerate(item.category.control.controls):
                focus.track(f"concern_{key}_category_{i}", chip_, focusable=False)
            focus.track(f"concern_{key}_description", item.description)
            for i, chip_ in enumerate(item.priority.control.controls):
                focus.track(f"concern_{key}_priority_{i}", chip_, focusable=False)
        focus.track("save", self.buttons["save"])
        focus.track("cancel", self.buttons["cancel"])

    # ---------------------------------------------------------------- fields

    def _text(self, name: str, *, multiline: bool = False, helper: str = "", col=None,
              value: Optional[str] = None) -> ft.Control:
        shown = str(getattr(self.vm, name)) if value is None else value
        control = field(self.tr, f"visit.{name}", shown, error=self.vm.errors.get(name),
                        on_change=lambda e, n=name: self._on_text(n, e.control.value),
                        on_submit=None if multiline else self.focus.submit_moves_on(name),
                        identifier=f"visit-{name.replace('_', '-')}",
                        multiline=multiline, helper_key=helper, col=col)
        self.inputs[name] = control
        return control

    def _date_field(self, name: str, col=None) -> ft.Control:
        text = self._text(name, helper="visit.date_help", value=self.tr.number(getattr(self.vm, name)))
        pick = icon_button(ft.Icons.CALENDAR_MONTH, self.tr("visit.pick_date"), lambda e, n=name: self._pick_date(n),
                           identifier=f"pick-{name.replace('_', '-')}")
        text.expand = True
        self.pickers[name] = pick
        return ft.Row([text, pick], spacing=4, col=col, vertical_alignment=ft.CrossAxisAlignment.START)

    def _paint_kind(self) -> None:
        self.kind_row.content = choice_chips(self.tr, "visit_kind", KINDS, self.vm.kind, self._on_kind,
                                             prefix="visit-kind")

    def _paint_concerns(self) -> None:
        if not self.vm.concerns:
            self.concern_list.controls = [muted(self.tr("visit.no_concerns"))]
            return
        cards = []
        for index, draft in enumerate(self.vm.concerns):
            if draft.key not in self.cards:
                self.cards[draft.key] = ConcernCard(self, draft)
            item = self.cards[draft.key]
            item.draft = draft
            item.paint(self.tr, index)
            cards.append(item.card)
        self.cards = {d.key: self.cards[d.key] for d in self.vm.concerns}
        self.concern_list.controls = cards

    # ---------------------------------------------------------------- events

    def _on_text(self, name: str, value: str) -> None:
        self.vm.set(name, value or "")
        control = self.inputs.get(name)
        if control is not None and inner(control).error:
            set_error(control, self.tr, None)

    def _on_kind(self, value: str) -> None:
        self.vm.set("kind", value)

    def _set_concern(self, key: int, name: str, value: str) -> None:
        self.vm.set_concern(key, name, value)
        card_ = self.cards.get(key)
        if card_ is not None and name == "category":
            card_.category_error.visible = False
        if card_ is not None and name == "description" and inner(card_.description).error:
            set_error(card_.description, self.tr, None)

    def _add_concern(self, e=None) -> None:
        self.vm.add_concern()
        self._paint_concerns()
        self._track()

    def _remove(self, key: int) -> None:
        self.vm.remove_concern(key)
        self._paint_concerns()
        self._track()

    def _use_draft(self, e=None) -> None:
        self.vm.use_draft()
        self.cards = {}
        self.root.content = self._form()
        self.focus.focus_first()

    def _drop_draft(self, e=None) -> None:
        self.vm.draft.drop()
        self.root.content = self._form()
        self.focus.focus_first()

    def has_unsaved(self) -> bool:
        return not self._discarded and self.vm.has_changes

    def discard(self) -> None:
        self._discarded = True
        self.vm.draft.drop()

    def dispose(self) -> None:
        # Left without a word (browser back, app closed): the draft stays and is offered next time.
        if not self._discarded:
            self.vm.draft.flush()

    def _pick_date(self, name: str) -> None:
        try:
            current = parse_date(getattr(self.vm, name), required=False)
        except InputError:
            current = None

        def picked(e: ft.ControlEvent) -> None:
            value = e.control.value
            if isinstance(value, datetime):
                value = value.date()
            if isinstance(value, date):
                text = value.strftime("%d/%m/%Y")
                self.vm.set(name, text)
                inner(self.inputs[name]).value = self.tr.number(text)
                set_error(self.inputs[name], self.tr, None)

        self.env.page.show_dialog(ft.DatePicker(
            value=datetime.combine(current, datetime.min.time()) if current else datetime.now(),
            first_date=datetime(2000, 1, 1), last_date=datetime(datetime.now().year + 2, 12, 31),
            on_change=picked, help_text=self.tr(f"visit.{name}"), cancel_text=self.tr("action.cancel"),
            confirm_text=self.tr("action.ok"), locale=ft.Locale(*locale_of(self.tr.lang)),
        ))

    def _save(self, e=None) -> None:
        if self.vm.submit():
            self.env.saved()
            self.env.toast("visit.saved", count=len(self.vm.concerns))
            self.env.go(f"/households/{self.vm.household_id}")
            return
        if self.vm.reloaded:
            # Changed since opened: show the stored values, say so, list what was typed.
            self.form_error.value = self.tr.error("changed_since_opened")
            self.form_error.visible = True
            self.cards = {}
            self.root.content = self._form()
            return
        for name, control in self.inputs.items():
            set_error(control, self.tr, self.vm.errors.get(name))
        self._paint_concerns()
        other = [c for n, c in self.vm.errors.items() if n not in self.inputs]
        self.form_error.value = self.tr("household_form.fix_errors") + (
            " " + " ".join(self.tr.error(c) for c in other) if other else "")
        self.form_error.visible = True
