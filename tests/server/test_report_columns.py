"""The report's typed columns: filled from the JSON of records stored before them, kept in step by a
visit's new day and by a status changed at the office."""
from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa
from alembic import command

from app.services.reports import ReportService
from records.report import parse_period
from server.db import Database
from server.migrate import alembic_config, head_revision, upgrade
from server.report import activity
from server.tables import area_columns
from storage.memory import MemoryStore
from tests.server.client import Api
from tests.support.live_server import live_server
from tests.support.report_data import mixed, scenario

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def _device(records, area: str, period: str) -> dict:
    store = MemoryStore()
    store.save(*records)
    return ReportService(store, clock=lambda: NOW).activity(area, parse_period(period))


def _counts(report: dict) -> dict:
    return {k: report[k] for k in ("figures", "by_category", "by_priority", "visits_by_month", "resolution_days")} | {
        "sub_areas": [{k: v for k, v in r.items() if k != "name"} for r in report["sub_areas"]],
        "escalated": [e["id"] for e in report["escalated"]]}


def test_records_stored_before_the_report_columns_are_counted_after_the_upgrade(new_db_url):
    records = scenario() + mixed(120)
    homes = {r.id: r.village_code for r in records if r.kind == "household"}
    db = Database(new_db_url())
    try:
        config = alembic_config(db)
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0006_report_submissions")
            conn.execute(sa.text(
                "INSERT INTO records (id, type, village_code, province_code, district_code, commune_code,"
                " household_id, server_rev, rev, base_rev, device_id, content_hash, data, updated_at, seq)"
                " VALUES (:id, :type, :v, :province_code, :district_code, :commune_code, :h, 1, 1, NULL, 'd', 'x',"
                " :data, :now, :seq)"),
                [{"id": r.id, "type": r.kind, "v": homes[r.id if r.kind == "household" else r.household_id],
                  **area_columns(homes[r.id if r.kind == "household" else r.household_id]),
                  "h": r.id if r.kind == "household" else r.household_id,
                  "data": r.model_dump_json(exclude=set(r.LOCAL_FIELDS)), "now": NOW, "seq": i + 1}
                 for i, r in enumerate(records)])
        assert upgrade(db) == ("0006_report_submissions", head_revision())
        for area, period in (("0102", "2026-Q1"), ("", "2026"), ("01020101", "2025-12-20..2026-03-05")):
            assert _counts(activity(db, area, parse_period(period), now=NOW)) == \
                _counts(_device(records, area, period)), area
    finally:
        db.dispose()


def test_a_visit_moved_to_another_day_takes_its_concerns_along_and_an_office_resolution_counts(new_db_url):
    records = scenario()
    with live_server(new_db_url()) as srv:
        admin = Api(srv, srv.create_user("columns-admin", "password-123", "admin", ""), "device-admin")
        ordered = sorted(records, key=lambda r: ("household", "visit", "concern").index(r.kind))
        assert {r["status"] for r in admin.push(ordered)} == {"accepted"}
        before = admin.get("/reports/activity", params={"area": "0102", "period": "2026-Q1"}).json()["figures"]
        moved = next(r for r in records if r.kind == "visit" and r.visited_on == date(2026, 3, 31))
        later = moved.edited(visited_on=date(2026, 4, 2))
        assert admin.push([later])[0]["status"] == "accepted"  # the visit and its open roads concern leave Q1
        after = admin.get("/reports/activity", params={"area": "0102", "period": "2026-Q1"}).json()["figures"]
        assert (after["visits"], after["concerns"], after["open"]) == (before["visits"] - 1,
                                                                       before["concerns"] - 1, before["open"] - 1)
        april = admin.get("/reports/activity", params={"area": "0102", "period": "2026-04"}).json()["figures"]
        assert april["concerns"] == 2  # the moved one and the April household's
        still_open = next(r for r in records if r.kind == "concern" and r.status.value == "open"
                          and r.visit_id != moved.id and r.household_id != moved.household_id
                          and homes_in(records, r.household_id).startswith("0102"))
        answer = admin.post(f"/concerns/{still_open.id}/status", json={"status": "resolved", "note": "fixed"})
        assert answer.status_code == 200, answer.text
        now = admin.get("/reports/activity", params={"area": "0102", "period": "2026-Q1"}).json()["figures"]
        assert (now["resolved"], now["open"]) == (after["resolved"] + 1, after["open"] - 1)


def homes_in(records, household_id: str) -> str:
    return next(r.village_code for r in records if r.id == household_id)
