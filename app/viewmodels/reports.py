"""The Reports screen: an area and a period, the key figures, the chart series, the sub-area table
and a plain-text summary to paste into Telegram (records/report.py defines every figure)."""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, Optional

from app.services.reports import ReportService
from records.report import OUTCOMES, Period, PeriodError, parse_period

KINDS = ("month", "quarter", "year")
KEY_FIGURES = ("households_visited", "visits", "concerns", "resolved", "referred", "escalated", "open",
               "resolved_pct", "median_days_to_resolution", "p90_days_to_resolution")
TABLE = ("households_visited", "visits", "concerns", "resolved", "resolved_pct")


def period_text(kind: str, today: date, back: int = 0) -> str:
    """The period of ``kind`` holding ``today``, or ``back`` periods before it: '2026-03', '2026-Q1', '2026'."""
    if kind == "year":
        return str(today.year - back)
    if kind == "quarter":
        index = today.year * 4 + (today.month - 1) // 3 - back
        return f"{index // 4}-Q{index % 4 + 1}"
    index = today.year * 12 + today.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class ReportsVM:
    def __init__(self, reports: ReportService, tr: Callable[..., str], lang: str, area_code: str, today: date):
        self.reports, self.tr, self.lang = reports, tr, lang
        self.area_code = area_code
        self.today = today
        self.kind = "quarter"
        self.period_label = period_text(self.kind, today)
        self.report: Optional[dict[str, Any]] = None
        self.error: Optional[str] = None  # an error code (translated by the view as error.<code>)

    def period_choices(self) -> list[str]:
        """The current period of the chosen kind and the ones before it, newest first."""
        return [period_text(self.kind, self.today, back) for back in range({"month": 12, "quarter": 8}.get(
            self.kind, 5))]

    def choose_kind(self, kind: str) -> None:
        if kind in KINDS:
            self.kind = kind
            self.period_label = period_text(kind, self.today)

    def choose_period(self, label: str) -> None:
        self.period_label = label

    def choose_area(self, code: str) -> None:
        self.area_code = code

    def compute(self) -> None:
        try:
            period: Period = parse_period(self.period_label)
        except PeriodError:
            self.report, self.error = None, "period_invalid"
            return
        self.report, self.error = self.reports.activity(self.area_code, period, lang=self.lang), None

    # ---------------------------------------------------------------- what the screen shows

    def shown(self, value) -> str:
        return self.tr("report.hidden") if value is None else str(value)

    def key_figures(self) -> list[tuple[str, str]]:
        f = self.report["figures"]
        return [(self.tr(f"report.fig.{k}"), self.shown(f[k])) for k in KEY_FIGURES]

    def chart(self, which: str) -> list[tuple[str, int]]:
        """(label, count) bars: 'category' (those with any), 'outcome', or 'month'."""
        r = self.report
        if which == "category":
            return [(self.tr(f"category.{k}"), n) for k, n in r["by_category"].items() if n]
        if which == "outcome":
            return [(self.tr(f"report.fig.{k}"), r["figures"][k]) for k in OUTCOMES]
        return [(month, n) for month, n in r["visits_by_month"].items()]

    def table(self) -> tuple[list[str], list[list[str]]]:
        header = [self.tr("report.col.area"), *[self.tr(f"report.fig.{k}") for k in TABLE]]
        return header, [[row["name"], *[self.shown(row[k]) for k in TABLE]] for row in self.report["sub_areas"]]

    def summary_text(self) -> str:
        """The report in a few lines of plain text, to share in Telegram or by SMS."""
        r, tr = self.report, self.tr
        lines = [f"{tr('report.title')}: {r['area']['name']}", f"{r['period']['from']} – {r['period']['to']}"]
        lines += [f"{label}: {value}" for label, value in self.key_figures()]
        top = sorted(((n, k) for k, n in r["by_category"].items() if n), reverse=True)[:3]
        if top:
            lines.append(f"{tr('report.section.categories')}: " +
                         ", ".join(f"{tr(f'category.{k}')} {n}" for n, k in top))
        return "\n".join(lines)
