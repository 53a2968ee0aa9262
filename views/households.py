"""Households: search by name or phone, filter by area, a list that grows as you scroll."""
from __future__ import annotations

from typing import Optional

import flet as ft

from app.services.households import HouseholdRow
from app.viewmodels.household_list import HouseholdListVM
from views.area_picker import area_dialog
from views.env import Env, Screen
from views.theme import FAB_CLEARANCE, GAP, TOUCH
from views.widgets import empty_state, muted, primary_button, secondary_button, sync_mark, tid


class HouseholdsScreen(Screen):
    title_key = "households.title"
    tab = "households"

    def __init__(self, env: Env):
        super().__init__(env)
        # A phone shows about eight rows: send 25 and more as the official scrolls.
        self.vm = HouseholdListVM(env.deps.households, env.deps.areas, env.lang, page_size=25 if env.phone else 50)
        tr = self.tr
        self.search = tid("household-search", ft.TextField(
            label=tr("households.search"), prefix_icon=ft.Icons.SEARCH, on_change=self._on_search,
            hint_text=tr("households.search_hint"), autofocus=not env.phone, expand=True,
        ), expand=True)
        self.area_chip = ft.Row(spacing=4, visible=False)
        self.summary = muted("")
        self.list = ft.ListView(expand=True, spacing=0, on_scroll=self._on_scroll, scroll_interval=150,
                                padding=ft.Padding.only(bottom=FAB_CLEARANCE))
        self.sync_settled(env.deps.status.pending)  # what is painted now is up to date
        self._paint()

    # ---------------------------------------------------------------- layout

    def body(self) -> ft.Control:
        tr = self.tr
        filter_btn = tid("area-filter", ft.OutlinedButton(tr("households.filter_area"), icon=ft.Icons.FILTER_LIST,
                                                          on_click=self._open_filter, height=TOUCH))
        top = [ft.Row([self.search], spacing=GAP)]
        if self.env.phone:
            top.append(ft.Row([filter_btn, self.area_chip], wrap=True, spacing=8))
        else:
            top[0].controls.append(filter_btn)
            top[0].controls.append(tid("add-household", ft.FilledButton(
                tr("households.add"), icon=ft.Icons.PERSON_ADD_ALT, on_click=lambda e: self.env.go("/households/new"),
                height=TOUCH)))
            top.append(self.area_chip)
        return ft.Container(ft.Column([*top, self.summary, self.list], spacing=8, expand=True),
                            padding=ft.Padding.only(left=12, right=12, top=12), expand=True)

    def fab(self) -> Optional[ft.FloatingActionButton]:
        if not self.env.phone:
            return None
        return ft.FloatingActionButton(icon=ft.Icons.PERSON_ADD_ALT,
                                       content=tid("add-household", ft.Text(self.tr("households.add"))),
                                       on_click=lambda e: self.env.go("/households/new"))

    # ---------------------------------------------------------------- painting

    def _paint(self) -> None:
        vm, tr = self.vm, self.tr
        if vm.area_code:
            self.area_chip.controls = [tid("area-filter-active", ft.Chip(
                label=ft.Text(tr("households.in_area", area=vm.area_label)), on_delete=self._clear_area,
                delete_icon_tooltip=tr("action.clear")))]
            self.area_chip.visible = True
        else:
            self.area_chip.controls = []
            self.area_chip.visible = False
        self.summary.value = (tr("fieldcheck.households_found", count=vm.found, total=tr.number(vm.total))
                              if vm.filtered else tr("households.count", count=vm.total))
        if vm.empty_state == "no_households":
            self.list.controls = [empty_state(
                ft.Icons.HOLIDAY_VILLAGE_OUTLINED, tr("households.empty_title"), tr("households.empty_message"),
                primary_button(tr("households.add"), lambda e: self.env.go("/households/new"),
                               icon=ft.Icons.PERSON_ADD_ALT, identifier="empty-add-household"))]
            return
        if vm.empty_state == "no_match":
            self.list.controls = [empty_state(ft.Icons.SEARCH_OFF, tr("households.no_match_title"),
                                              tr("households.no_match_message"))]
            return
        rows: list[ft.Control] = [self._table()] if not self.env.phone else [self._tile(i, r) for i, r in
                                                                             enumerate(vm.rows)]
        if vm.has_more:
            rows.append(ft.Container(secondary_button(tr("households.show_more"), self._more, identifier="show-more"),
                                     alignment=ft.Alignment.CENTER, padding=12))
        self.list.controls = rows

    def _open(self, household_id: str) -> None:
        self.env.go(f"/households/{household_id}")

    def _tile(self, index: int, row: HouseholdRow) -> ft.Control:
        tr = self.tr
        place = self.vm.village_label(row)
        details = " · ".join(x for x in (place, tr.phone(row.phone)) if x)
        trailing = None
        if row.open_concerns:
            # Icon and count only: the Khmer sentence would squeeze the name on a narrow phone.
            trailing = ft.Container(
                ft.Row([ft.Icon(ft.Icons.CAMPAIGN, color=ft.Colors.WHITE, size=16),
                        ft.Text(tr.number(row.open_concerns), color=ft.Colors.WHITE, weight=ft.FontWeight.W_600)],
                       spacing=4, tight=True),
                bgcolor=ft.Colors.RED_700, border_radius=12, padding=ft.Padding.symmetric(horizontal=8, vertical=2),
                tooltip=tr("households.open_concerns", count=row.open_concerns))
        title = row.head_name + (f" ({row.head_name_latin})" if row.head_name_latin else "")
        return tid(f"household-row-{index}", ft.ListTile(
            leading=sync_mark(tr, row.sync_state), title=ft.Text(title, weight=ft.FontWeight.W_600),
            subtitle=ft.Text(details, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS), trailing=trailing,
            on_click=lambda e, hid=row.id: self._open(hid), min_vertical_padding=8,
        ))

    def _table(self) -> ft.Control:
        tr = self.tr
        columns = [ft.DataColumn(ft.Text(tr(k))) for k in (
            "household.head_name", "household.head_name_latin", "household.phone", "household.village")]
        columns += [ft.DataColumn(ft.Text(tr("household.members")), numeric=True),
                    ft.DataColumn(ft.Text(tr("households.open_concerns_column")), numeric=True),
                    ft.DataColumn(ft.Text(tr("households.sync_column")))]
        rows = []
        for i, r in enumerate(self.vm.rows):
            def open_row(e, hid=r.id):
                self._open(hid)
            cells = [
                ft.DataCell(tid(f"household-row-{i}", ft.Text(r.head_name, weight=ft.FontWeight.W_600)),
                            on_tap=open_row),
                ft.DataCell(ft.Text(r.head_name_latin), on_tap=open_row),
                ft.DataCell(ft.Text(tr.phone(r.phone)), on_tap=open_row),
                ft.DataCell(ft.Text(self.vm.village_label(r), max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
                            on_tap=open_row),
                ft.DataCell(ft.Text(tr.number(r.members)), on_tap=open_row),
                ft.DataCell(ft.Text(tr.number(r.open_concerns) if r.open_concerns else ""), on_tap=open_row),
                ft.DataCell(sync_mark(tr, r.sync_state), on_tap=open_row),
            ]
            rows.append(ft.DataRow(cells=cells))
        return ft.DataTable(columns=columns, rows=rows, column_spacing=20, heading_row_height=44,
                            data_row_min_height=48, data_row_max_height=64, show_checkbox_column=False)

    # ---------------------------------------------------------------- events

    def _on_search(self, e: ft.ControlEvent) -> None:
        self.vm.search(e.control.value or "")
        self._paint()
        self.env.refresh(self.list, self.summary)

    def _more(self, e=None) -> None:
        self.vm.load_more()
        self._paint()

    def _on_scroll(self, e: ft.OnScrollEvent) -> None:
        if self.vm.has_more and e.max_scroll_extent and e.pixels >= e.max_scroll_extent - 300:
            self._more()
            self.env.refresh(self.list)

    def _open_filter(self, e) -> None:
        page = self.env.page
        dlg = area_dialog(self.tr, self.vm.area, prefix="households-area", on_apply=self._apply_area,
                          on_clear=self._clear_area, close=page.pop_dialog, refresh=self.env.refresh)
        page.show_dialog(dlg)

    def _apply_area(self) -> None:
        self.vm.apply_area()
        self._paint()
        self.env.page.update()

    def _clear_area(self, e=None) -> None:
        self.vm.clear_area()
        self._paint()
        self.env.page.update()

    def status_changed(self) -> bool:
        # When a sync ends it may have brought households or changed sync marks: refresh what is shown.
        if not self.sync_settled(self.env.deps.status.pending):
            return False
        self.vm.refresh(keep_length=True)
        self._paint()
        return True


class NotFoundScreen(Screen):
    title_key = "not_found.title"

    def body(self) -> ft.Control:
        return empty_state(ft.Icons.TRAVEL_EXPLORE, self.tr("not_found.title"), self.tr("not_found.message"),
                           primary_button(self.tr("nav.households"), lambda e: self.env.go("/households")))
