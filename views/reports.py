"""Reports: pick an area and a period; key figures, bar charts, the sub-area table, a summary to share."""
from __future__ import annotations

import flet as ft
import flet_charts as fc

from app.viewmodels.reports import KINDS, ReportsVM
from records.models import utcnow
from records.report import local_date
from views.env import Env, Screen
from views.theme import GAP
from views.widgets import card, dropdown, muted, primary_button, section_title, tid

EVERYTHING = "all"  # the area choice "all on this device" (a Dropdown key cannot be empty)
BAR_COLORS = {"category": ft.Colors.PRIMARY, "outcome": ft.Colors.TERTIARY, "month": ft.Colors.SECONDARY}


class ReportsScreen(Screen):
    title_key = "report.title"
    tab = "reports"

    def __init__(self, env: Env):
        super().__init__(env)
        user = env.deps.account.user
        self.vm = ReportsVM(env.deps.reports, env.tr, env.lang, user.area_code if user else "",
                            local_date(utcnow()))
        self.vm.compute()
        self.content = ft.Column(spacing=GAP, scroll=ft.ScrollMode.AUTO, expand=True,
                                 horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self._clipboard = ft.Clipboard()  # a service: kept referenced or Flet unregisters it

    def body(self) -> ft.Control:
        self._paint()
        return ft.Container(self.content, padding=12, expand=True)

    def _paint(self) -> None:
        self.content.controls = [self._pickers(), *self._report()]

    def _pickers(self) -> ft.Control:
        tr, vm = self.tr, self.vm
        col = {"xs": 12, "sm": 4}
        areas = [(vm.area_code or EVERYTHING, self._area_name(vm.area_code))]
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

    def _set(self, what: str, value: str) -> None:
        {"area": self.vm.choose_area, "kind": self.vm.choose_kind, "period": self.vm.choose_period}[what](value or "")
        self.vm.compute()
        self._paint()
        self.env.refresh(self.content)

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
        out = [section_title(f"{r['area']['name']} · {r['period']['from']} – {r['period']['to']}"),
               tid("report-figures", figures), share]
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

    async def _share(self, e) -> None:
        await self._clipboard.set(self.vm.summary_text())
        self.env.toast("report.copied")
