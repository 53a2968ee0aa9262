"""The activity report as files: CSV (one table per section) and XLSX (one sheet per section).

Labels come from the app's catalogue (records/catalog.py) in Khmer or English; areas by name,
categories and outcomes by their label, never a code.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Iterator

from records.catalog import load_catalog
from records.report import AGE_BUCKETS, OUTCOMES

FIGURES = ("households_visited", "visits", "meetings_planned", "meetings_held", "public_total", "public_women",
           "officials_present", "concerns", *OUTCOMES, "resolved_pct", "resolved_by_due", "resolved_by_due_pct",
           "median_days_to_resolution", "p90_days_to_resolution", "overdue", "households_told",
           "households_told_pct")
ESCALATION_PARTS = ("tried_locally", "who_was_urged", "why_not_solved", "ask")


def _label(cat: dict[str, str], key: str) -> str:
    return cat.get(key, key)


def _summary(cat: dict[str, str], escalation: Any) -> str:
    """The escalation summary as labelled lines ("" for a concern on the list without one)."""
    if not escalation:
        return ""
    lines = [f"{_label(cat, 'report.esc.level')}: {_label(cat, 'followup.level.' + escalation['level'])}"
             ] if escalation.get("level") else []
    return "\n".join(lines + [f"{_label(cat, 'report.esc.' + k)}: {escalation[k]}" for k in ESCALATION_PARTS
                              if escalation.get(k)])


def sections(report: dict[str, Any], lang: str) -> Iterator[tuple[str, list[list[Any]]]]:
    """(title, rows with a header row first) for each section, the same for CSV, XLSX and PDF."""
    cat = load_catalog(lang)
    hidden = _label(cat, "report.hidden")
    shown = lambda v: hidden if v is None else v  # noqa: E731
    area, period = report["area"], report["period"]
    yield _label(cat, "report.section.figures"), [
        [_label(cat, "report.col.figure"), _label(cat, "report.col.value")],
        [_label(cat, "report.col.area"), area["name"]],
        [_label(cat, "report.col.period"), f"{period['from']} – {period['to']}"],
        *[[_label(cat, f"report.fig.{k}"), shown(report["figures"].get(k))] for k in FIGURES]]
    meetings = report.get("meetings", {})
    yield _label(cat, "report.section.meetings"), [
        [_label(cat, "report.col.kind"), _label(cat, "report.col.planned"), _label(cat, "report.col.held")],
        *[[_label(cat, f"meeting_kind.{k}"), m["planned"], m["held"]] for k, m in meetings.items()],
        [_label(cat, "report.total"), sum(m["planned"] for m in meetings.values()),
         sum(m["held"] for m in meetings.values())]]
    for section, column, prefix, counts in (("categories", "category", "category", report["by_category"]),
                                            ("priorities", "priority", "priority", report["by_priority"]),
                                            ("sources", "source", "concern_source", report.get("by_source", {}))):
        yield _label(cat, f"report.section.{section}"), [
            [_label(cat, f"report.col.{column}"), _label(cat, "report.col.count")],
            *[[_label(cat, f"{prefix}.{k}"), n] for k, n in counts.items()]]
    yield _label(cat, "report.section.institutions"), [
        [_label(cat, "report.col.institution"), _label(cat, "report.col.count")],
        *[[e["name"], e["count"]] for e in report.get("referred_by_institution", [])]]
    yield _label(cat, "report.section.overdue"), [
        [_label(cat, "report.col.age"), _label(cat, "report.col.count")],
        *[[_label(cat, f"report.age.{b}"), report.get("overdue_by_age", {}).get(b, 0)] for b in AGE_BUCKETS]]
    yield _label(cat, "report.section.months"), [
        [_label(cat, "report.col.month"), _label(cat, "report.fig.visits")],
        *[[m, n] for m, n in report["visits_by_month"].items()]]
    yield _label(cat, "report.section.sub_areas"), [
        [_label(cat, "report.col.area"), *[_label(cat, f"report.fig.{k}") for k in FIGURES]],
        *[[row["name"], *[shown(row.get(k)) for k in FIGURES]] for row in report["sub_areas"]]]
    yield _label(cat, "report.section.escalated"), [
        [_label(cat, "report.col.visited_on"), _label(cat, "report.col.village"), _label(cat, "report.col.category"),
         _label(cat, "report.col.reason"), _label(cat, "report.col.institution"), _label(cat, "report.col.age_days"),
         _label(cat, "report.col.summary"), _label(cat, "report.col.escalation")],
        *[[e["visited_on"], e.get("village_name", e["village_code"]), _label(cat, f"category.{e['category']}"),
           _label(cat, f"report.reason.{e.get('reason', 'escalated')}"), e.get("institution_name") or "",
           e["age_days"], e["description"], _summary(cat, e.get("escalation"))] for e in report["escalated"]]]


def to_csv(report: dict[str, Any], lang: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for i, (title, rows) in enumerate(sections(report, lang)):
        if i:
            writer.writerow([])
        writer.writerow([title])
        writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read the Khmer as UTF-8


def to_xlsx(report: dict[str, Any], lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, rows in sections(report, lang):
        sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet name
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
