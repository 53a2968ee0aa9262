"""The Reports screen: an area and a period, the key figures, the chart series, the sub-area table
and a plain-text summary to paste into Telegram (records/report.py defines every figure); the
report saved as XLSX or PDF, submitted up the chain, and the sub-areas' submissions
(app/services/report_actions.py does those; its calls block: the screen runs them off the UI loop)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable, Optional

from app.services.report_actions import ReportActionError, ReportActions, SavedFile
from app.services.reports import ReportService
from records.report import OUTCOMES, Period, PeriodError, parse_period

KINDS = ("month", "quarter", "year")
KEY_FIGURES = ("households_visited", "visits", "concerns", "resolved", "referred", "escalated", "open",
               "resolved_pct", "median_days_to_resolution", "p90_days_to_resolution")
# Forums and meetings, and how concerns are followed up (issues 10 and 11): a second row of figures.
FOLLOWUP_FIGURES = ("meetings_held", "public_total", "public_women", "officials_present", "resolved_by_due_pct",
                    "overdue", "households_told")
TABLE = ("households_visited", "visits", "concerns", "resolved", "resolved_pct")
LIST_SHOWN = 10  # lines of the government's list on the screen; the files carry all of them
COMPILED = ("households_visited", "visits", "concerns", "resolved", "referred", "escalated", "open", "resolved_pct")


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
    def __init__(self, reports: ReportService, tr: Callable[..., str], lang: str, area_code: str, today: date,
                 actions: Optional[ReportActions] = None):
        self.reports, self.tr, self.lang = reports, tr, lang
        self.actions = actions
        self.area_code = area_code
        self.today = today
        self.kind = "quarter"
        self.period_label = period_text(self.kind, today)
        self.report: Optional[dict[str, Any]] = None
        self.error: Optional[str] = None  # an error code (translated by the view as error.<code>)
        self.saved: dict[str, SavedFile] = {}  # format -> the file saved last, for this area and period
        self.export_error: Optional[str] = None
        self.note = ""
        self.submit_error: Optional[str] = None
        self.submitted: Optional[dict[str, Any]] = None  # what the server answered to this screen's submission
        self.overview: Optional[dict[str, Any]] = None  # GET /reports/submissions for this area and period
        self.overview_error: Optional[str] = None

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
        self._forget_actions()
        try:
            period: Period = parse_period(self.period_label)
        except PeriodError:
            self.report, self.error = None, "period_invalid"
            return
        self.report, self.error = self.reports.activity(self.area_code, period, lang=self.lang), None

    # ---------------------------------------------------------------- what the screen shows

    def shown(self, value) -> str:
        """A figure in the language's digits (Khmer digits in Khmer), or 'n < 5' where it is hidden."""
        if value is None:
            return self.tr("report.hidden")
        number = getattr(self.tr, "number", None)
        return number(value) if number else str(value)

    def key_figures(self) -> list[tuple[str, str]]:
        f = self.report["figures"]
        return [(self.tr(f"report.fig.{k}"), self.shown(f[k])) for k in KEY_FIGURES]

    def followup_figures(self) -> list[tuple[str, str]]:
        """Meetings held of planned, attendance, resolved by the due date, overdue now, households told."""
        f, tr = self.report["figures"], self.tr
        out = []
        for k in FOLLOWUP_FIGURES:
            value = (tr("report.held_of_planned", held=f["meetings_held"], planned=f["meetings_planned"])
                     if k == "meetings_held" else self.shown(f[k]))
            out.append((tr(f"report.fig.{k}"), value))
        return out

    def breakdowns(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """(identifier, title, [(label, count)]) for each breakdown that has anything: forums and meetings
        by kind (held of planned), concerns by source, referred by institution, overdue now by age."""
        r, tr = self.report, self.tr
        meetings = [(tr(f"meeting_kind.{k}"), tr("report.held_of_planned", held=m["held"], planned=m["planned"]))
                    for k, m in r.get("meetings", {}).items() if m["planned"] or m["held"]]
        sources = [(tr(f"concern_source.{k}"), self.shown(n)) for k, n in r.get("by_source", {}).items() if n]
        institutions = [(i["name"], self.shown(i["count"])) for i in r.get("referred_by_institution", [])]
        overdue = [(tr(f"report.age.{b}"), self.shown(n)) for b, n in r.get("overdue_by_age", {}).items()]
        out = [("meetings", tr("report.section.meetings"), meetings),
               ("sources", tr("report.section.sources"), sources),
               ("institutions", tr("report.section.institutions"), institutions),
               ("overdue", tr("report.section.overdue"), overdue if any(r.get("overdue_by_age", {}).values()) else [])]
        return [b for b in out if b[2]]

    def listed(self) -> tuple[int, list[str]]:
        """The government's list (escalated and long overdue): how many, and the first LIST_SHOWN as lines."""
        tr, lines = self.tr, []
        entries = self.report.get("escalated", [])
        for e in entries[:LIST_SHOWN]:
            parts = [tr(f"category.{e['category']}"), e.get("village_name", e["village_code"]),
                     tr(f"report.reason.{e.get('reason', 'escalated')}"), tr("report.age_days", days=e["age_days"])]
            if e.get("institution_name"):
                parts.append(e["institution_name"])
            lines.append(" · ".join(parts) + (f"\n{e['description']}" if e.get("description") else ""))
        return len(entries), lines

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
        lines += [f"{label}: {value}" for label, value in self.followup_figures()]
        top = sorted(((n, k) for k, n in r["by_category"].items() if n), reverse=True)[:3]
        if top:
            lines.append(f"{tr('report.section.categories')}: " +
                         ", ".join(f"{tr(f'category.{k}')} {self.shown(n)}" for n, k in top))
        return "\n".join(lines)

    # ---------------------------------------------------------------- export, submit, submissions

    def _forget_actions(self) -> None:
        """Another area or period: the files, the submission and the overview were of the last one."""
        self.saved, self.export_error = {}, None
        self.submit_error, self.submitted = None, None
        self.overview, self.overview_error = None, None

    def export(self, fmt: str) -> Optional[SavedFile]:
        """Save the report as ``fmt`` (blocking); the saved file, or None with ``export_error`` set."""
        self.export_error = None
        if self.actions is None:
            self.export_error = "report_offline"
            return None
        try:
            saved = self.actions.export(fmt, self.report, area_code=self.area_code, period_label=self.period_label,
                                        lang=self.lang)
        except ReportActionError as exc:
            self.export_error = exc.code
            return None
        self.saved[fmt] = saved
        return saved

    def export_lines(self) -> list[str]:
        """What was saved where, one line a file (the path in full: the user opens it from there)."""
        key = {"device": "export.saved", "server": "export.saved_from_server"}
        return [self.tr(key[f.made_by], kind=self.tr(f"export.kind.{fmt}"), path=str(f.path))
                for fmt, f in self.saved.items()]

    @property
    def may_submit(self) -> bool:
        """A supervisor or admin, looking at their own area: the server takes only that one."""
        return bool(self.actions and self.actions.may_submit and self.area_code == self.actions.own_area)

    @property
    def may_see_submissions(self) -> bool:
        return bool(self.actions and self.actions.may_submit)

    def set_note(self, text: str) -> None:
        self.note = text or ""

    def submit(self) -> bool:
        """Submit the period's report with the note (blocking); then the overview is fetched again."""
        self.submit_error = None
        if self.actions is None:
            self.submit_error = "report_offline"
            return False
        try:
            self.submitted = self.actions.submit(self.period_label, self.note)
        except ReportActionError as exc:
            self.submit_error = exc.code
            return False
        self.note = ""
        self.load_submissions()
        return True

    def load_submissions(self) -> None:
        """The sub-areas' submissions for this area and period (blocking)."""
        self.overview_error = None
        if self.actions is None:
            self.overview_error = "report_offline"
            return
        try:
            self.overview = self.actions.submissions(self.area_code, self.period_label, self.lang)
        except ReportActionError as exc:
            self.overview, self.overview_error = None, exc.code

    @property
    def own_known(self) -> bool:
        """The server was asked (or just answered a submission): the area's status can be said."""
        return self.overview is not None or self.submitted is not None

    def own_submission(self) -> Optional[dict[str, Any]]:
        """This area's submission for the period: from the overview, or the one just made here."""
        if self.overview is not None and self.overview.get("own"):
            return self.overview["own"]
        return self.submitted

    def _when(self, text: Optional[str]) -> str:
        if not text:
            return ""
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        return self.tr.date_time(moment)

    def submission_status(self, entry: Optional[dict[str, Any]]) -> str:
        """'Submitted on 5 Oct 2026 10:00, on time' / '…, late' / 'Not submitted'; with a correction."""
        if not entry or not entry.get("submitted", True):
            return self.tr("submission.not_submitted")
        text = self.tr("submission.on_time" if entry.get("on_time") else "submission.late",
                       when=self._when(entry.get("submitted_at")))
        if entry.get("corrected_at"):
            text += " · " + self.tr("submission.corrected", when=self._when(entry["corrected_at"]))
        return text

    def submissions_header(self) -> list[str]:
        return [self.tr("report.col.area"), self.tr("submission.col.status"), self.tr("submission.col.by"),
                self.tr("submission.col.note")]

    def submissions_rows(self) -> list[list[str]]:
        """One row per sub-area expected to submit (which did, on time or late, by whom, the note)."""
        if not self.overview:
            return []
        return [[e.get("name") or e["area_code"], self.submission_status(e),
                 (e.get("submitted_name") or e.get("submitted_by") or "") if e.get("submitted") else "",
                 (e.get("note") or "") if e.get("submitted") else ""] for e in self.overview["sub_areas"]]

    def reporting_rate(self) -> str:
        """'2 of 5 submitted (40%), 1 on time; due 10 Oct 2026'."""
        o = self.overview
        if not o:
            return ""
        rate = o.get("reporting_rate")
        return self.tr("submission.rate", submitted=o["submitted"], expected=o["expected"],
                       rate="–" if rate is None else self.tr.number(rate), on_time=o["on_time"],
                       due=self._day(o.get("due")))

    def _day(self, text: Optional[str]) -> str:
        if not text:
            return ""
        try:
            return self.tr.date(date.fromisoformat(text))
        except ValueError:
            return text

    def compiled_figures(self) -> list[tuple[str, str]]:
        """The area's totals compiled from the sub-areas' submitted reports."""
        if not self.overview:
            return []
        figures = self.overview["compiled"]["figures"]
        return [(self.tr(f"report.fig.{k}"), self.shown(figures.get(k))) for k in COMPILED]
