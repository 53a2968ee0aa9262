"""During a forum: concern after concern from the floor, each saved when "Add" is tapped; the form clears."""
from __future__ import annotations

import flet as ft

from app.viewmodels.meeting_detail import CATEGORIES, ForumConcernsVM
from views.env import Env, Screen
from views.theme import GAP, TOUCH
from views.visit_form import ChoiceChips
from views.widgets import card, field, muted, primary_button, section_title, tid


class ForumConcernsScreen(Screen):
    title_key = "meeting.forum_title"
    tab = "meetings"

    def __init__(self, env: Env, meeting_id: str):
        super().__init__(env)
        self.vm = ForumConcernsVM(env.deps.meetings, env.deps.households, meeting_id)
        self.form = ft.Column(spacing=GAP, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.added = ft.Column(spacing=2)
        self.matches = ft.Column(spacing=0)

    def body(self) -> ft.Control:
        if self.vm.meeting is None:
            return ft.Container(muted(self.tr("meeting.not_found")), padding=12)
        self._paint_form()
        self._paint_added()
        return ft.Container(ft.Column([card(self.form, identifier="forum-form"), self.added],
                                      scroll=ft.ScrollMode.AUTO, expand=True, spacing=GAP,
                                      horizontal_alignment=ft.CrossAxisAlignment.STRETCH), padding=12, expand=True)

    def _paint_form(self) -> None:
        tr, vm, d = self.tr, self.vm, self.vm.draft
        err = vm.errors.get
        self.category = ChoiceChips(tr, "category", CATEGORIES, d.category, lambda v: vm.set("category", v),
                                    prefix="forum-category")
        self.description = field(tr, "concern.description", d.description, error=err("description"),
                                 identifier="forum-description", multiline=True,
                                 on_change=lambda e: vm.set("description", e.control.value))
        raised_by = field(tr, "meeting.raised_by", d.raised_by, error=err("raised_by"), identifier="forum-raised-by",
                          on_change=lambda e: vm.set("raised_by", e.control.value), on_submit=self._add)
        raised_by.visible = not d.anonymous
        linked: list[ft.Control] = []
        if d.household is not None:
            linked = [ft.Row([ft.Icon(ft.Icons.HOME_OUTLINED), ft.Text(tr("meeting.linked_household",
                                                                          name=d.household.head_name), expand=True),
                              ft.TextButton(tr("meeting.unlink_household"), on_click=self._unlink, height=TOUCH)])]
        self.form.controls = [
            section_title(tr("concern.category")), self.category.control,
            ft.Text(tr.error(err("category")), color=ft.Colors.ERROR, visible=bool(err("category"))),
            self.description,
            tid("forum-anonymous", ft.Switch(label=tr("meeting.anonymous"), value=d.anonymous,
                                             on_change=self._anonymous)),
            raised_by,
            field(tr, "meeting.household_search", "", identifier="forum-household", on_change=self._search),
            self.matches, *linked,
            ft.Text(" ".join(tr.error(c) for k, c in vm.errors.items()
                             if k not in ("category", "description", "raised_by")),
                    color=ft.Colors.ERROR, visible=bool(set(vm.errors) - {"category", "description", "raised_by"})),
            ft.Row([primary_button(tr("meeting.add_concern"), self._add, icon=ft.Icons.ADD, identifier="forum-add")]),
        ]

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
        self._paint_form()
        self.env.page.update()

    def _search(self, e) -> None:
        found = self.vm.search_household(e.control.value or "")
        self.matches.controls = [tid(f"forum-household-{n}", ft.ListTile(
            title=ft.Text(h.head_name), subtitle=ft.Text(self.env.deps.areas.label(h.village_code, self.env.lang)),
            on_click=lambda e, h=h: self._link(h), min_vertical_padding=2)) for n, h in enumerate(found)]
        self.env.refresh(self.matches)

    def _link(self, household) -> None:
        self.vm.link_household(household)
        self._paint_form()
        self.env.page.update()

    def _unlink(self, e) -> None:
        self.vm.link_household(None)
        self._paint_form()
        self.env.page.update()

    def _add(self, e=None) -> None:
        if self.vm.add():
            self.env.saved()
            self.env.toast("meeting.concern_added", count=len(self.vm.added))
            self.matches.controls = []
        self._paint_form()
        self._paint_added()
        self.env.page.update()
