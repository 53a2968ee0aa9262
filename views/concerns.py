"""Concerns: filter by status, category and area; follow one through its lifecycle with notes."""
from __future__ import annotations

from typing import Optional

import flet as ft

from app.services.concerns import ConcernRow
from app.viewmodels.concerns import ConcernsVM
from views.area_picker import area_dialog
from views.env import Env, Screen
from views.theme import GAP, STATUS_COLORS, TOUCH
from views.visit_form import choice_chips
from views.widgets import (
    card, chip, dropdown, empty_state, field, labelled, muted, primary_button, section_title, tid,
)


class ConcernsScreen(Screen):
    title_key = "concerns.title"
    tab = "concerns"

    def __init__(self, env: Env, concern_id: Optional[str]):
        super().__init__(env)
        self.vm = ConcernsVM(env.deps.concerns, env.deps.areas, env.lang)
        self.concern_id = concern_id
        if concern_id:
            self.vm.open(concern_id)
        self.list = ft.ListView(expand=True, spacing=4, padding=ft.Padding.only(bottom=24))
        self.summary = muted("")
        self.area_chip = ft.Row(spacing=4, visible=False)
        self.detail = ft.Container(expand=True)

    @property
    def title(self) -> str:
        return self.tr("concern.title") if (self.concern_id and self.env.phone) else self.tr("concerns.title")

    # ---------------------------------------------------------------- layout

    def body(self) -> ft.Control:
        self._paint_list()
        self._paint_detail()
        if self.env.phone:
            if self.concern_id:
                return ft.Container(ft.Column([self.detail], scroll=ft.ScrollMode.AUTO, expand=True,
                                horizontal_alignment=ft.CrossAxisAlignment.STRETCH), padding=12,
                                    expand=True)
            return ft.Container(ft.Column([self._filters(), self.summary, self.list], spacing=8, expand=True),
                                padding=12, expand=True)
        left = ft.Column([self._filters(), self.summary, self.list], spacing=8, expand=True)
        right = ft.Column([self.detail], scroll=ft.ScrollMode.AUTO, expand=True,
                                horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        return ft.Container(ft.Row([ft.Container(left, expand=3), ft.VerticalDivider(width=1),
                                    ft.Container(right, expand=2, padding=ft.Padding.only(left=8))],
                                   vertical_alignment=ft.CrossAxisAlignment.START, expand=True),
                            padding=12, expand=True)

    def _filters(self) -> ft.Control:
        tr, vm = self.tr, self.vm
        everything = {"status": tr("concerns.all_statuses"), "category": tr("concerns.all_categories")}

        def options(which: str) -> list[tuple[str, str]]:
            return [(v, everything[which] if i == 0 else tr(f"{which}.{v}"))
                    for i, v in enumerate(vm.filter_options(which))]

        col = {"xs": 12, "sm": 6, "md": 4}
        return ft.Column([
            ft.ResponsiveRow([
                dropdown(tr, "concerns.filter_status", options("status"), vm.filter_value("status"),
                         on_select=lambda e: self._filter("status", e.control.value), identifier="filter-status",
                         col=col),
                dropdown(tr, "concerns.filter_category", options("category"), vm.filter_value("category"),
                         on_select=lambda e: self._filter("category", e.control.value), identifier="filter-category",
                         col=col),
                ft.Container(tid("concerns-area-filter", ft.OutlinedButton(
                    tr("households.filter_area"), icon=ft.Icons.FILTER_LIST, on_click=self._open_area, height=TOUCH)),
                    col=col),
            ], spacing=8, run_spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER),
            self.area_chip,
        ], spacing=4)

    # ---------------------------------------------------------------- list

    def _paint_list(self) -> None:
        tr, vm = self.tr, self.vm
        area = vm.area_filter_label()
        self.area_chip.controls = [ft.Chip(label=ft.Text(tr("households.in_area", area=area)),
                                           on_delete=self._clear_area)] if area else []
        self.area_chip.visible = bool(area)
        summary = vm.summary()
        self.summary.value = tr(summary.key, **summary.params)
        if not vm.rows:
            title, message = vm.empty_keys()
            self.list.controls = [empty_state(ft.Icons.CAMPAIGN_OUTLINED, tr(title), tr(message))]
            return
        self.list.controls = [self._row(i, r) for i, r in enumerate(vm.rows)]

    def _row(self, index: int, row: ConcernRow) -> ft.Control:
        tr, c = self.tr, row.concern
        selected = self.vm.selected is not None and self.vm.selected.id == c.id
        place = self.vm.place(row)
        where = row.head_name or row.meeting_title  # a forum concern may name no household
        source = f"{tr(f'concern_source.{c.source.value}')} · " if row.meeting_id else ""
        return tid(f"concern-row-{index}", ft.ListTile(
            title=ft.Text(f"{tr(f'category.{c.category.value}')} · {where}", weight=ft.FontWeight.W_600),
            subtitle=ft.Text(f"{c.description}\n{source}{place} · {tr.date(row.raised_on)}", max_lines=3,
                             overflow=ft.TextOverflow.ELLIPSIS),
            trailing=chip(tr(f"status.{c.status.value}"), STATUS_COLORS[c.status.value]),
            selected=selected, on_click=lambda e, cid=c.id: self._open(cid), min_vertical_padding=6,
            is_three_line=True,
        ))

    # ---------------------------------------------------------------- detail

    def _paint_detail(self) -> None:
        tr, vm = self.tr, self.vm
        c = vm.selected
        if c is None:
            if self.concern_id:
                self.detail.content = empty_state(ft.Icons.SEARCH_OFF, tr("concern.not_found"),
                                                  tr("concern.not_found_message"))
            elif not self.env.phone:
                self.detail.content = empty_state(ft.Icons.TOUCH_APP_OUTLINED, tr("concerns.pick_title"),
                                                  tr("concerns.pick_message"), identifier="concern-pick")
            return
        household = self.env.deps.households.find(c.household_id) if c.household_id else None
        meeting = self.env.deps.meetings.find(c.meeting_id) if c.meeting_id else None
        raised_at = [labelled(tr("concern.source"), " · ".join(
            x for x in (tr(f"concern_source.{c.source.value}"), meeting.title if meeting else "") if x))]
        if c.meeting_id:
            who = tr("meeting.anonymous") if c.anonymous else (c.raised_by or "")
            answered = self.env.deps.meetings.decisions_answering(c)
            raised_at += [ft.Text(tr("concern.raised_by_line", name=who)),
                          *(tid(f"concern-decision-{n}", labelled(tr("concern.answered_by"), " · ".join(
                              x for x in (d.text, d.owner_name, d.owner_institution,
                                          tr.date(d.due_on) if d.due_on else "",
                                          tr(f"decision_status.{d.status.value}")) if x)))
                            for n, d in enumerate(answered)),
                          ft.Row([ft.TextButton(tr("concern.open_meeting"), icon=ft.Icons.GROUPS_OUTLINED,
                                                height=TOUCH, on_click=lambda e: self.env.go(f"/meetings/{c.meeting_id}"),
                                                )])]
        info = ft.Column([
            ft.Row([ft.Text(tr(f"category.{c.category.value}"), theme_style=ft.TextThemeStyle.TITLE_LARGE,
                            expand=True), tid("concern-status", chip(tr(f"status.{c.status.value}"),
                                                                     STATUS_COLORS[c.status.value]))]),
            ft.Text(c.description),
            labelled(tr("concern.priority"), tr(f"priority.{c.priority.value}")),
            *raised_at,
            labelled(tr("concern.household"), household.head_name if household else "—"),
            labelled(tr("concern.referred_to"), c.referred_to or ""),
            ft.Row([ft.TextButton(tr("concern.open_household"), icon=ft.Icons.HOME_OUTLINED, height=TOUCH,
                                  on_click=lambda e: self.env.go(f"/households/{c.household_id}"))],
                   visible=household is not None),
        ], spacing=8)
        self.detail.content = ft.Column([card(info, identifier="concern-detail"), self._change_form(),
                                         self._history()], spacing=GAP,
                                        horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def _change_form(self) -> ft.Control:
        tr, form = self.tr, self.vm.change
        if form is None or not self.vm.offers_moves:
            return muted(tr("concern.no_moves"))
        other_errors = form.other_errors
        error_text = ft.Text(" ".join(tr.error(code) for code in other_errors), color=ft.Colors.ERROR,
                             visible=bool(other_errors))
        institution = field(tr, "concern.referred_to", form.referred_to, error=form.institution_error,
                            on_change=lambda e: setattr(form, "referred_to", e.control.value or ""),
                            identifier="status-referred-to", on_submit=self._change)
        institution.visible = form.needs_institution
        return card(ft.Column([
            section_title(tr("concern.change_status")),
            choice_chips(tr, "status", [s.value for s in form.choices], form.to, self._pick_status,
                         prefix="status-to"),
            institution,
            field(tr, "concern.note", form.note, on_change=lambda e: setattr(form, "note", e.control.value or ""),
                  identifier="status-note", multiline=True),
            error_text,
            ft.Row([primary_button(tr("concern.apply_status"), self._change, icon=ft.Icons.CHECK,
                                   identifier="change-status")]),
        ], spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH), identifier="status-form")

    def _history(self) -> ft.Control:
        tr = self.tr
        rows: list[ft.Control] = [section_title(tr("concern.history"))]
        for entry in self.vm.history():
            move = tr(f"status.{entry.to_status.value}") if entry.from_status is None else tr(
                "concern.moved", from_status=tr(f"status.{entry.from_status.value}"),
                to_status=tr(f"status.{entry.to_status.value}"))
            lines: list[ft.Control] = [ft.Text(move, weight=ft.FontWeight.W_600),
                                       muted(tr("concern.by_when", who=entry.by, when=tr.date_time(entry.at)))]
            if entry.referred_to:
                lines.append(ft.Text(tr("concern.referred_line", institution=entry.referred_to)))
            if entry.note:
                lines.append(ft.Text(entry.note))
            stripe = ft.Border.only(left=ft.BorderSide(3, STATUS_COLORS[entry.to_status.value]))
            rows.append(ft.Container(ft.Column(lines, spacing=2), padding=ft.Padding.only(left=12), border=stripe))
        return card(ft.Column(rows, spacing=10), identifier="concern-history")

    # ---------------------------------------------------------------- events

    def _open(self, concern_id: str) -> None:
        self.env.go(f"/concerns/{concern_id}")

    def _filter(self, which: str, value: Optional[str]) -> None:
        self.vm.set_filter(which, value)
        self._paint_list()

    def _pick_status(self, value: str) -> None:
        self.vm.pick_status(value)
        self._paint_detail()

    def _change(self, e=None) -> None:
        if self.vm.submit_change():
            self.env.saved()
            self.env.toast(self.vm.saved_toast)
            self._paint_list()
        self._paint_detail()

    def _open_area(self, e) -> None:
        page = self.env.page
        page.show_dialog(area_dialog(self.tr, self.vm.area, prefix="concerns-area", on_apply=self._apply_area,
                                     on_clear=self._clear_area, close=page.pop_dialog, refresh=self.env.refresh))

    def _apply_area(self) -> None:
        self.vm.apply_area()
        self._paint_list()
        self.env.page.update()

    def _clear_area(self, e=None) -> None:
        self.vm.clear_area()
        self._paint_list()
        self.env.page.update()

    def status_changed(self) -> bool:
        if not self.sync_settled():
            return False
        self.vm.sync_changed()
        self._paint_list()
        self._paint_detail()
        return True
