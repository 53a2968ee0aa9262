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
from tests.support.report_data import meetings_mixed, mixed, scenario, sections

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
SECTIONS = ("figures", "by_category", "by_priority", "visits_by_month", "resolution_days", "by_source", "meetings",
            "overdue_by_age", "referred_by_institution")


def _device(records, area: str, period: str) -> dict:
    store = MemoryStore()
    store.save(*records)
    return ReportService(store, clock=lambda: NOW).activity(area, parse_period(period))


def _counts(report: dict) -> dict:
    return {k: report[k] for k in SECTIONS} | {
        "sub_areas": [{k: v for k, v in r.items() if k != "name"} for r in report["sub_areas"]],
        "escalated": [{k: v for k, v in e.items() if k != "village_name"} for e in report["escalated"]]}


def _placed(records: list) -> list[dict]:
    """The records table's rows as a push stores them: where each lives (a meeting: its area; a concern raised
    at one: the meeting's area and id) and its JSON, without report columns."""
    homes = {r.id: r.village_code for r in records if r.kind == "household"}
    meetings = {r.id: r.area_code for r in records if r.kind == "meeting"}
    rows = []
    for i, r in enumerate(records):
        if r.kind == "household":
            where, owner = r.village_code, r.id
        elif r.kind == "meeting":
            where, owner = r.area_code, r.id
        elif r.kind == "concern" and r.meeting_id is not None:
            where, owner = meetings[r.meeting_id], r.meeting_id
        else:
            where, owner = homes[r.household_id], r.household_id
        rows.append({"id": r.id, "type": r.kind, "v": where, **area_columns(where), "h": owner,
                     "data": r.model_dump_json(exclude=set(r.LOCAL_FIELDS)), "now": NOW, "seq": i + 1})
    return rows


def test_records_stored_before_the_report_columns_are_counted_after_the_upgrade(new_db_url):
    """Rows stored before 0007 get its columns, then (as 0007 left them: a meeting without report columns, a
    forum's concern without a day, a household's telling taken for the resolution) 0008's."""
    records = scenario() + mixed(120) + sections() + meetings_mixed(80)
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
                " :data, :now, :seq)"), _placed(records))
            command.upgrade(config, "0007_report_columns")
            told = next(r for r in records if r.kind == "concern" and r.status.value == "resolved"
                        and any(e.feedback for e in r.history))
            # Pushes before 0008 took the day the household was told for the resolution's (records.report
            # read the feedback step, resolved to resolved, as a move): a row as they stored it.
            conn.execute(sa.text("UPDATE records SET resolved_on = :day WHERE id = :id"),
                         {"id": told.id, "day": date(2026, 3, 1)})
            forum = next(r for r in records if r.kind == "concern" and r.meeting_id is not None)
            assert conn.execute(sa.text("SELECT visited_on FROM records WHERE id = :id"),
                                {"id": forum.id}).scalar() is None
        assert upgrade(db) == ("0007_report_columns", head_revision())
        with db.engine.connect() as conn:
            assert str(conn.execute(sa.text("SELECT resolved_on FROM records WHERE id = :id"),
                                    {"id": told.id}).scalar()) == "2026-01-20"
        for area, period in (("0102", "2026-Q1"), ("", "2026"), ("01020101", "2025-12-20..2026-03-05"),
                             ("010201", "2026-Q1"), ("0102", "2026-04")):
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
        # Referred at the office to a listed institution, by a day in the future: counted by the institution's
        # name and no longer overdue (the referral's expected day is its due day).
        other = next(r for r in records if r.kind == "concern" and r.status.value == "open"
                     and r.id != still_open.id and r.visit_id != moved.id
                     and homes_in(records, r.household_id).startswith("0102"))
        answer = admin.post(f"/concerns/{other.id}/status", json={
            "status": "referred", "note": "to the ministry", "referred_to": "MOWRAM", "institution_id": "mowram",
            "expected_on": "2027-01-30"})
        assert answer.status_code == 200, answer.text
        report = admin.get("/reports/activity", params={"area": "0102", "period": "2026-Q1"}).json()
        assert [(e["id"], e["name"], e["count"]) for e in report["referred_by_institution"]] == [
            ("", "Not in the list (named by text)", 1), ("mowram", "Ministry of Water Resources and Meteorology", 1)]
        assert report["figures"]["overdue"] == now["overdue"] - 1


def homes_in(records, household_id: str) -> str:
    return next(r.village_code for r in records if r.id == household_id)
