"""During a forum: concern after concern from the floor, each saved when "Add" is tapped; the form clears."""
from __future__ import annotations

import flet as ft

from app.viewmodels.meeting_detail import CATEGORIES, ForumConcernsVM
from views.env import Env, Screen
from views.theme import GAP, TOUCH
from views.visit_form import ChoiceChips
from views.widgets import card, field, inner, muted, primary_button, section_title, set_error, tid


class ForumConcernsScreen(Screen):
    title_key = "meeting.forum_title"
    tab = "meetings"

    keeps_draft = True  # the concern being written down stays through a width or language change

    def __init__(self, env: Env, meeting_id: str):
        super().__init__(env)
        self.vm = ForumConcernsVM(env.deps.meetings, env.deps.households, meeting_id)
        self.form = ft.Column(spacing=GAP, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.added = ft.Column(spacing=2)
        self.matches = ft.Column(spacing=0)

    def has_unsaved(self) -> bool:
        return self.vm.has_typed

    def body(self) -> ft.Control:
        if self.vm.meeting is None:
            return ft.Container(muted(self.tr("meeting.not_found")), padding=12)
        self._build_form()
        self._paint_added()
        return ft.Container(ft.Column([card(self.form, identifier="forum-form"), self.added],
                                      scroll=ft.ScrollMode.AUTO, expand=True, spacing=GAP,
                                      horizontal_alignment=ft.CrossAxisAlignment.STRETCH), padding=12, expand=True)

    def _build_form(self) -> None:
        """Built once; each change updates these controls in place, so the next tap finds them where they were."""
        tr, vm, d = self.tr, self.vm, self.vm.draft
        self.category = ChoiceChips(tr, "category", CATEGORIES, d.category, lambda v: vm.set("category", v),
                                    prefix="forum-category")
        self.category_error = ft.Text("", color=ft.Colors.ERROR, visible=False)
        self.description = field(tr, "concern.description", d.description, identifier="forum-description",
                                 multiline=True, on_change=lambda e: vm.set("description", e.control.value))
        self.anonymous = ft.Switch(label=tr("meeting.anonymous"), value=d.anonymous, on_change=self._anonymous)
        self.raised_by = field(tr, "meeting.raised_by", d.raised_by, identifier="forum-raised-by",
                               on_change=lambda e: vm.set("raised_by", e.control.value), on_submit=self._add)
        self.household = field(tr, "meeting.household_search", "", identifier="forum-household",
                               on_change=self._search)
        self.linked_name = ft.Text("", expand=True)
        self.linked = ft.Row([ft.Icon(ft.Icons.HOME_OUTLINED), self.linked_name,
                              ft.TextButton(tr("meeting.unlink_household"), on_click=self._unlink, height=TOUCH)],
                             visible=False)
        self.other_errors = ft.Text("", color=ft.Colors.ERROR, visible=False)
        self.form.controls = [
            section_title(tr("concern.category")), self.category.control, self.category_error, self.description,
            tid("forum-anonymous", self.anonymous), self.raised_by, self.household, self.matches, self.linked,
            self.other_errors,
            ft.Row([primary_button(tr("meeting.add_concern"), self._add, icon=ft.Icons.ADD, identifier="forum-add")]),
        ]
        self._show_draft()

    def _show_draft(self) -> None:
        tr, vm, d = self.tr, self.vm, self.vm.draft
        err = vm.errors.get
        for value, chip_ in self.category.chips.items():
            chip_.selected = value == d.category
        self.category_error.value = tr.error(err("category")) if err("category") else ""
        self.category_error.visible = bool(err("category"))
        inner(self.description).value = d.description
        set_error(self.description, tr, err("description"))
        self.anonymous.value = d.anonymous
        inner(self.raised_by).value = d.raised_by
        set_error(self.raised_by, tr, err("raised_by"))
        self.raised_by.visible = not d.anonymous
        self.linked_name.value = tr("meeting.linked_household", name=d.household.head_name) if d.household else ""
        self.linked.visible = d.household is not None
        others = [tr.error(c) for k, c in vm.errors.items() if k not in ("category", "description", "raised_by")]
        self.other_errors.value = " ".join(others)
        self.other_errors.visible = bool(others)

    def _paint_added(self) -> None:
        tr, vm = self.tr, self.vm
        rows: list[ft.Control] = [tid("forum-added-count", section_title(tr("meeting.added_count",
                                                                            count=len(vm.added))))]
        for n, c in enumerate(reversed(vm.added)):
            who = tr("meeting.anonymous") if c.anonymous else (c.raised_by or "")
            rows.append(tid(f"forum-added-{n}", ft.ListTile(
                title=ft.Text(f"{tr(f'category.{c.category.value}')} · {c.description}", max_lines=2,
                              overflow=ft.TextOverflow.ELLIPSIS), subtitle=ft.Text(who), min_vertical_padding=2)))
        self.added.controls = rows

    # ---------------------------------------------------------------- events

    def _anonymous(self, e) -> None:
        self.vm.set("anonymous", bool(e.control.value))
        self._show_draft()
        self.env.page.update()

    def _search(self, e) -> None:
        found = self.vm.search_household(e.control.value or "")
        self.matches.controls = [tid(f"forum-household-{n}", ft.ListTile(
            title=ft.Text(h.head_name), subtitle=ft.Text(self.env.deps.areas.label(h.village_code, self.env.lang)),
            on_click=lambda e, h=h: self._link(h), min_vertical_padding=2)) for n, h in enumerate(found)]
        self.env.refresh(self.matches)

    def _link(self, household) -> None:
        self.vm.link_household(household)
        self.matches.controls = []
        inner(self.household).value = ""
        self._show_draft()
        self.env.page.update()

    def _unlink(self, e) -> None:
        self.vm.link_household(None)
        self._show_draft()
        self.env.page.update()

    def _add(self, e=None) -> None:
        if self.vm.add():
            self.env.saved()
            self.env.toast("meeting.concern_added", count=len(self.vm.added))
            self.matches.controls = []
        self._show_draft()
        self._paint_added()
        self.env.page.update()
