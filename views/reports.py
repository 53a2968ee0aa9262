"""Reports: pick an area and a period; key figures, bar charts, the sub-area table, a summary to share;
save it as XLSX or PDF, submit it to the level above, and see the sub-areas' submissions."""
from __future__ import annotations

import asyncio
from functools import partial

import flet as ft
import flet_charts as fc

from app.viewmodels.reports import KINDS, ReportsVM
from views.env import Env, Screen
from views.theme import GAP
from views.widgets import card, dropdown, field, muted, primary_button, secondary_button, section_title, tid

EVERYTHING = "all"  # the area choice "all on this device" (a Dropdown key cannot be empty)
BAR_COLORS = {"category": ft.Colors.PRIMARY, "outcome": ft.Colors.TERTIARY, "month": ft.Colors.SECONDARY}


class ReportsScreen(Screen):
    title_key = "report.title"
    tab = "reports"

    def __init__(self, env: Env):
        super().__init__(env)
        user = env.deps.account.user
        actions = env.deps.report_actions
        self.vm = ReportsVM(env.deps.reports, env.tr, env.lang, user.area_code if user else "", actions.today(),
                            actions)
        self.vm.compute()
        self.content = ft.Column(spacing=GAP, scroll=ft.ScrollMode.AUTO, expand=True,
                                 horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.export_box = ft.Column(spacing=8)  # repainted alone when a file is saved
        self.submit_box = ft.Column(spacing=8)  # repainted alone when a report is submitted or listed
        self.exporting = ""  # "xlsx" or "pdf" while a file is made or fetched
        self.asking = ""  # "submit" or "list" while the server is asked
        self._clipboard = ft.Clipboard()  # a service: kept referenced or Flet unregisters it

    def body(self) -> ft.Control:
        self._paint()
        return ft.Container(self.content, padding=12, expand=True)

    def _paint(self) -> None:
        # Room above the pickers for their floating labels, which the scrolling column would clip.
        self.content.controls = [ft.Container(self._pickers(), padding=ft.Padding.only(top=8)), *self._report()]

    def _pickers(self) -> ft.Control:
        tr, vm = self.tr, self.vm
        col = {"xs": 12, "sm": 4}
        own = vm.actions.own_area if vm.actions is not None and vm.actions.signed_in else None
        areas = [] if own is None or own == vm.area_code else [(own or EVERYTHING, self._area_name(own))]  # back up
        areas += [(vm.area_code or EVERYTHING, self._area_name(vm.area_code))]
        areas += [(a.code, a.label) for a in self.env.deps.areas.children(vm.area_code or None, self.env.lang)]
        return ft.ResponsiveRow([
            dropdown(tr, "report.pick_area", areas, vm.area_code or EVERYTHING,
                     on_select=lambda e: self._set("area", "" if e.control.value == EVERYTHING else e.control.value),
                     identifier="report-area", col=col),
            dropdown(tr, "report.pick_kind", [(k, tr(f"report.kind.{k}")) for k in KINDS], vm.kind,
                     on_select=lambda e: self._set("kind", e.control.value), identifier="report-kind", col=col),
            dropdown(tr, "report.pick_period", [(p, p) for p in vm.period_choices()], vm.period_label,
                     on_select=lambda e: self._set("period", e.control.value), identifier="report-period", col=col),
        ], spacing=8, run_spacing=8)

    def _area_name(self, code: str) -> str:
        return self.env.deps.areas.name(code, self.env.lang) if code else self.tr("report.everything_here")

    def shown(self, first: bool) -> None:
        super().shown(first)
        self._ask_for_submissions()

    def _ask_for_submissions(self) -> None:
        """In the background: whether this area submitted the period, and its sub-areas (office roles)."""
        if self.vm.may_see_submissions and not self.asking:
            try:
                self.env.page.run_task(self._load)
            except (RuntimeError, AttributeError):
                pass  # no live page (screens built in plain tests)

    def _set(self, what: str, value: str) -> None:
        {"area": self.vm.choose_area, "kind": self.vm.choose_kind, "period": self.vm.choose_period}[what](value or "")
        self.vm.compute()
        self._paint()
        self.env.refresh(self.content)
        self._ask_for_submissions()

    def _report(self) -> list[ft.Control]:
        tr, vm = self.tr, self.vm
        if vm.report is None:
            return [muted(tr.error(vm.error))]
        r = vm.report
        figures = ft.ResponsiveRow([
            ft.Container(card(ft.Column([muted(label, size=13), ft.Text(value, size=22, weight=ft.FontWeight.W_600)],
                                        spacing=2), padding=12), col={"xs": 6, "sm": 4, "md": 3})
            for label, value in vm.key_figures()], spacing=4, run_spacing=4)
        share = ft.Row([tid("report-share", primary_button(tr("report.share"), self._share, icon=ft.Icons.SHARE))],
                       wrap=True)
        self._paint_export()
        self._paint_submit()
        followup = ft.ResponsiveRow([
            ft.Container(card(ft.Column([muted(label, size=13), ft.Text(value, size=18, weight=ft.FontWeight.W_600)],
                                        spacing=2), padding=12), col={"xs": 6, "sm": 4, "md": 3})
            for label, value in vm.followup_figures()], spacing=4, run_spacing=4)
        out = [section_title(f"{r['area']['name']} · {r['period']['from']} – {r['period']['to']}"),
               tid("report-figures", figures), tid("report-followup-figures", followup), share,
               card(self.export_box, identifier="report-export")]
        for key, title, rows in vm.breakdowns():
            out.append(card(ft.Column([section_title(title), *[
                ft.Row([ft.Text(label, expand=True), ft.Text(count, weight=ft.FontWeight.W_600)], spacing=8)
                for label, count in rows]], spacing=6), identifier=f"report-breakdown-{key}"))
        count, lines = vm.listed()
        if count:
            shown = [ft.Text(line, size=13) for line in lines]
            if count > len(lines):
                shown.append(muted(tr("report.list_more", shown=len(lines), count=count), size=13))
            out.append(card(ft.Column([section_title(f"{tr('report.section.escalated')} ({count})"), *shown],
                                      spacing=8), identifier="report-list"))
        for which in ("category", "outcome", "month"):
            bars = vm.chart(which)
            if bars and any(n for _, n in bars):
                out.append(card(ft.Column([section_title(tr(f"report.chart.{which}")), self._bars(bars, which)],
                                          spacing=8)))
        header, rows = vm.table()
        if rows:
            out.append(card(ft.Column([section_title(tr("report.section.sub_areas")), tid("report-sub-areas", ft.Row(
                [ft.DataTable(columns=[ft.DataColumn(ft.Text(h, weight=ft.FontWeight.W_600)) for h in header],
                              rows=[ft.DataRow([ft.DataCell(ft.Text(c)) for c in row]) for row in rows],
                              column_spacing=16)], scroll=ft.ScrollMode.AUTO))], spacing=8)))
        if vm.may_see_submissions:  # last: the level above's part of the screen
            out.append(card(self.submit_box, identifier="report-submit-card"))
        return out

    def _bars(self, bars: list[tuple[str, int]], which: str) -> ft.Control:
        top = max(n for _, n in bars)
        chart = fc.BarChart(
            groups=[fc.BarChartGroup(x=i, rods=[fc.BarChartRod(from_y=0, to_y=n, width=18, color=BAR_COLORS[which],
                                                               tooltip=f"{label}: {n}",
                                                               border_radius=ft.BorderRadius.only(top_left=3,
                                                                                                  top_right=3))])
                    for i, (label, n) in enumerate(bars)],
            bottom_axis=fc.ChartAxis(labels=[fc.ChartAxisLabel(value=i, label=ft.Text(label, size=11, max_lines=2))
                                             for i, (label, _) in enumerate(bars)], label_size=40),
            left_axis=fc.ChartAxis(label_size=32),
            horizontal_grid_lines=fc.ChartGridLines(color=ft.Colors.OUTLINE_VARIANT, width=1),
            max_y=top + max(1, top // 5), interactive=True, expand=True,
        )
        return ft.Container(chart, height=220)

    # ---------------------------------------------------------------- save as a file

    def _paint_export(self) -> None:
        tr, vm = self.tr, self.vm
        here = vm.actions is not None and vm.actions.makes_locally("xlsx") and vm.actions.makes_locally("pdf")
        lines = vm.export_lines()
        result = [tid("report-export-result", ft.Column([ft.Text(line, size=13) for line in lines],
                                                        spacing=4))] if lines else []
        if vm.export_error:
            result.append(tid("report-export-error", ft.Text(tr.error(vm.export_error), color=ft.Colors.ERROR)))
        saving = [muted(tr("export.saving"))] if self.exporting else []
        self.export_box.controls = [
            section_title(tr("export.title")),
            muted(tr("export.made_here" if here else "export.made_by_server"), size=13),
            ft.Row([secondary_button(tr("export.xlsx"), partial(self._export, "xlsx"), icon=ft.Icons.TABLE_VIEW,
                                     identifier="report-export-xlsx", disabled=bool(self.exporting)),
                    secondary_button(tr("export.pdf"), partial(self._export, "pdf"),
                                     icon=ft.Icons.PICTURE_AS_PDF, identifier="report-export-pdf",
                                     disabled=bool(self.exporting))], wrap=True, spacing=8, run_spacing=8),
            *saving, *result]

    async def _export(self, fmt: str, e=None) -> None:
        self.exporting = fmt
        self._paint_export()
        self.env.refresh(self.export_box)
        try:
            await asyncio.to_thread(self.vm.export, fmt)
        finally:
            self.exporting = ""
        self._paint_export()
        self.env.refresh(self.export_box)

    # ---------------------------------------------------------------- up the chain

    def _paint_submit(self) -> None:
        tr, vm = self.tr, self.vm
        own = vm.own_submission()
        controls: list[ft.Control] = [section_title(tr("submission.title"))]
        if vm.may_submit:
            controls += [
                tid("report-own-status", ft.Text(f"{tr('submission.own')}: " + (
                    vm.submission_status(own) if vm.own_known else tr("submission.unknown")))),
                field(tr, "submission.note", vm.note, multiline=True, identifier="report-note",
                      on_change=lambda e: vm.set_note(e.control.value)),
                muted(tr("submission.server_counts"), size=13),
                primary_button(tr("submission.resubmit" if own else "submission.submit"), self._submit,
                               icon=ft.Icons.SEND, identifier="report-submit", disabled=bool(self.asking))]
        else:
            controls.append(muted(tr("submission.own_area_only"), size=13))
        if vm.submit_error:
            controls.append(tid("report-submit-error", ft.Text(tr.error(vm.submit_error), color=ft.Colors.ERROR)))
        if self.asking == "submit":
            controls.append(muted(tr("submission.sending")))
        controls += [ft.Divider(), section_title(tr("submission.submissions")),
                     secondary_button(tr("submission.load"), self._load, icon=ft.Icons.REFRESH,
                                      identifier="report-load-submissions", disabled=bool(self.asking))]
        if self.asking == "list":
            controls.append(muted(tr("submission.loading")))
        if vm.overview_error:
            controls.append(tid("report-submissions-error", ft.Text(tr.error(vm.overview_error),
                                                                    color=ft.Colors.ERROR)))
        if vm.overview is not None:
            controls += self._overview()
        self.submit_box.controls = controls

    def _overview(self) -> list[ft.Control]:
        tr, vm = self.tr, self.vm
        rows = vm.submissions_rows()
        if not rows:
            return [muted(tr("submission.no_sub_areas"))]
        if self.env.phone:  # a narrow screen: one block per sub-area, nothing to scroll sideways
            blocks = ft.Column([ft.Column([self._open_button(entry["area_code"], row[0]), ft.Text(row[1], size=13),
                                           *([muted(" · ".join(c for c in row[2:] if c), size=13)]
                                             if any(row[2:]) else [])], spacing=0)
                                for entry, row in zip(vm.overview["sub_areas"], rows)], spacing=6)
            table: ft.Control = blocks
        else:
            table = self._table(rows)
        compiled = ft.ResponsiveRow([
            ft.Container(ft.Column([muted(label, size=12), ft.Text(value, size=18, weight=ft.FontWeight.W_600)],
                                   spacing=2), col={"xs": 6, "sm": 3}) for label, value in vm.compiled_figures()],
            spacing=4, run_spacing=8)
        return [tid("report-rate", ft.Text(vm.reporting_rate(), weight=ft.FontWeight.W_500)),
                section_title(tr("submission.compiled")), tid("report-compiled", compiled),
                ft.Divider(), tid("report-submissions", table)]

    def _table(self, rows: list[list[str]]) -> ft.Control:
        """Wide screens: area, status, by whom, note, one row per sub-area (scrolls sideways if need be)."""
        vm = self.vm
        cells = [[ft.DataCell(self._open_button(entry["area_code"], row[0])),
                  *[ft.DataCell(ft.Text(c, max_lines=3, width=260 if i == 2 else None)) for i, c in enumerate(row[1:])]]
                 for entry, row in zip(vm.overview["sub_areas"], rows)]
        table = ft.DataTable(columns=[ft.DataColumn(ft.Text(h, weight=ft.FontWeight.W_600))
                                      for h in vm.submissions_header()],
                             rows=[ft.DataRow(c) for c in cells], column_spacing=16, data_row_max_height=72)
        return ft.Row([table], scroll=ft.ScrollMode.AUTO)

    def _open_button(self, code: str, name: str) -> ft.Control:
        """A sub-area's name opens its report and its own sub-areas' submissions (national → province …)."""
        style = ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=4), alignment=ft.Alignment.CENTER_LEFT)
        return tid(f"report-open-{code}", ft.TextButton(name, on_click=partial(self._open_area, code), style=style,
                                                         tooltip=self.tr("submission.open")))

    async def _open_area(self, code: str, e=None) -> None:
        self.vm.choose_area(code)
        self.vm.compute()
        self._paint()
        self.env.refresh(self.content)
        await self._load()

    async def _submit(self, e=None) -> None:
        await self._wait_for("submit", self.vm.submit)
        if self.vm.submitted and not self.vm.submit_error:
            self.env.toast("submission.done")

    async def _load(self, e=None) -> None:
        await self._wait_for("list", self.vm.load_submissions)

    async def _wait_for(self, what: str, call) -> None:
        self.asking = what
        self._paint_submit()
        self.env.refresh(self.submit_box)
        try:
            await asyncio.to_thread(call)
        finally:
            self.asking = ""
        self._paint_submit()
        self.env.refresh(self.submit_box)

    async def _share(self, e) -> None:
        await self._clipboard.set(self.vm.summary_text())
        self.env.toast("report.copied")
