"""A report to draw (PDF tests, screenshots): the device's report of the scenario, areas named from the gazetteer."""
from __future__ import annotations

from datetime import datetime, timezone

from app.services.reports import ReportService
from records.areas import read_builtin
from records.report import parse_period
from storage.memory import MemoryStore
from tests.support.report_data import scenario


def sample_report(lang: str = "km") -> dict:
    store = MemoryStore()
    store.save(*scenario())
    report = ReportService(store, clock=lambda: datetime(2026, 4, 10, tzinfo=timezone.utc)).activity(
        "0102", parse_period("2026-Q1"), lang=lang)
    names = {u["code"]: u[f"name_{lang}"] or u["name_en"] for u in read_builtin().units}
    report["area"]["name"] = names["0102"]
    for row in report["sub_areas"]:
        row["name"] = names.get(row["code"], row["code"])
    for e in report["escalated"]:
        e["village_name"] = names.get(e["village_code"], e["village_code"])
        e["description"] = "អណ្ដូងទឹករបស់ភូមិខូចតាំងពីខែមុន ហើយគ្រួសារជាច្រើនត្រូវដើរទៅយកទឹកពីស្ទឹងឆ្ងាយពីផ្ទះ"
    return report
