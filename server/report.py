"""The activity report on the server: records/report.py's figures from SQL aggregates (docs/report.md).

The database counts (GROUP BY per sub-area, category, priority, status, days to resolution) over the
records' typed report columns (server.tables.report_columns: a visit's day, a concern's visit's day,
category, priority, status, resolved day), through the (area, type, day) indexes; no record is loaded
into Python except the escalated list. Only month and day arithmetic differ by dialect.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import Date, bindparam, select, text

from records.areas import is_code, level_of
from records.catalog import load_catalog
from records.models import ConcernCategory, Priority, utcnow
from records.report import Period, Tally, assemble, child_level, escalated_entry, local_date, outcome_of
from server.db import Database
from server.errors import ApiError
from server.tables import Area


def _area_sql(area_code: str) -> str:
    """The area as stored columns; a commune or village also names its district, whose (type, district,
    day) index then finds the rows."""
    if not area_code:
        return ""
    level = level_of(area_code)
    column = "village_code" if level == "village" else f"{level}_code"
    extra = " AND r.district_code = :district" if level in ("commune", "village") else ""
    return f" AND r.{column} = :area{extra}"


def _queries(dialect: str, area_code: str) -> dict[str, str]:
    level = child_level(area_code)
    if level == "village":  # a commune's meeting (and its concerns) in a commune's report: the total only
        child = "CASE WHEN length(r.village_code) = 8 THEN r.village_code ELSE '' END"
    else:
        child = f"r.{level}_code" if level else "''"
    days = ("(r.resolved_on - r.visited_on)" if dialect == "postgresql"
            else "CAST(julianday(r.resolved_on) - julianday(r.visited_on) AS INTEGER)")
    area = _area_sql(area_code)
    where = f"FROM records r WHERE r.type = '{{kind}}' AND r.visited_on BETWEEN :start AND :end{area}"
    visits, concerns = where.format(kind="visit"), where.format(kind="concern")
    meetings = f"FROM records r WHERE r.type = 'meeting'{area}"
    still_open = "r.status NOT IN ('resolved', 'escalated') AND r.due_on < :today"  # records.followup.is_overdue
    return {
        "visits": f"SELECT {child} AS k, count(*), count(DISTINCT r.household_id) {visits} GROUP BY 1",
        # Per day, summed into months below: grouping by a formatted month costs PostgreSQL 4x as much.
        "months": f"SELECT r.visited_on, count(*) {visits} GROUP BY 1",
        # Every concern figure in two passes over the period's concerns (a national quarter is millions of
        # index entries, read from the covering index of migration 0009 on PostgreSQL): the columns that
        # apply only to some statuses are NULL for the others; the resolved ones' days apart, as they would
        # multiply the groups of the first pass.
        "concerns": (f"SELECT {child} AS k, r.category, r.priority, r.status, r.source, "
                     f"CASE WHEN r.status = 'referred' THEN coalesce(r.institution_id, '') END, "
                     f"CASE WHEN {still_open} THEN CASE WHEN r.raised_on >= :age30 THEN '0-30' "
                     f"WHEN r.raised_on >= :age60 THEN '31-60' WHEN r.raised_on >= :age90 THEN '61-90' "
                     f"ELSE 'over_90' END END, count(*) {concerns} GROUP BY 1, 2, 3, 4, 5, 6, 7"),
        "resolved": (f"SELECT {child} AS k, CASE WHEN r.resolved_on IS NULL THEN NULL WHEN {days} < 0 THEN 0 "
                     f"ELSE {days} END, CASE WHEN r.resolved_on <= r.due_on THEN 1 ELSE 0 END, "
                     f"CASE WHEN r.told_on IS NOT NULL THEN 1 ELSE 0 END, count(*) {concerns} "
                     f"AND r.status = 'resolved' GROUP BY 1, 2, 3, 4"),
        "planned": (f"SELECT {child} AS k, r.meeting_kind, count(*) {meetings} "
                    f"AND r.planned_on BETWEEN :start AND :end GROUP BY 1, 2"),
        "held": (f"SELECT {child} AS k, r.meeting_kind, count(*), sum(r.public_total), sum(r.public_women), "
                 f"sum(r.officials_present) {meetings} AND r.status = 'held' AND r.held_on BETWEEN :start AND :end "
                 f"GROUP BY 1, 2"),
        "escalated": (f"SELECT r.id, r.village_code, r.visited_on, r.category, r.priority, r.status, r.raised_on, "
                      f"r.due_on, r.institution_id, r.data {concerns} "
                      f"AND (r.status = 'escalated' OR ({still_open} AND r.raised_on < :age90)) "
                      f"ORDER BY r.visited_on, r.id LIMIT :limit"),
    }


def _bound(sql: str):
    typed = [bindparam(name, type_=Date) for name in ("start", "end", "today", "age30", "age60", "age90")]
    return text(sql).bindparams(*(p for p in typed if re.search(f":{p.key}\\b", sql)))


# The longest pass (every concern of the period) runs on a second connection beside the others.
_BESIDE = "concerns"


def _fetch(db: Database, sql: dict[str, str], params: dict[str, Any]) -> dict[str, list]:
    """Every query's rows. On PostgreSQL the concerns pass runs on a second connection beside the others (a
    national quarter is millions of rows on each side), both in one snapshot (pg_export_snapshot), so the
    report counts one moment of the database; hashed in memory, not sorted on disk."""
    if db.engine.dialect.name != "postgresql":
        with db.session() as s:
            return {name: s.execute(_bound(q), params).all() for name, q in sql.items()}
    # The planner over-counts the groups of a national quarter and would sort millions of entries at the
    # default 4 MB; in memory they are hashed (tens of thousands of groups, a few MB).
    settings = text("SET LOCAL work_mem = '64MB'")
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as main:
        main.execute(settings)
        snapshot = main.execute(text("SELECT pg_export_snapshot()")).scalar_one()

        def beside() -> list:
            with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as other:
                other.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
                other.execute(settings)
                found = other.execute(_bound(sql[_BESIDE]), params).all()
                other.rollback()
                return found

        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(beside)
            out = {name: main.execute(_bound(q), params).all() for name, q in sql.items() if name != _BESIDE}
            out[_BESIDE] = pending.result()
        main.rollback()
    return out


def area_for(actor_area: str, wanted: Optional[str]) -> str:
    """The area a caller may report on: theirs when none is asked, else one inside theirs (403 outside)."""
    area = actor_area if wanted is None else wanted.strip()
    if area and not is_code(area):
        raise ApiError(400, "area_invalid", f"not an area code: {area!r} (2, 4, 6 or 8 digits, or empty)")
    if not area.startswith(actor_area):
        raise ApiError(403, "area_forbidden", "That area is outside yours.")
    return area


def activity(db: Database, area_code: str, period: Period, *, lang: str = "en",
             now: Optional[datetime] = None, limit: int = 500) -> dict[str, Any]:
    """The report of ``area_code`` ("" = national) for ``period``, the same shape as the device's."""
    from records.report import ESCALATED_LIST_LIMIT

    now = now or utcnow()
    sql = _queries(db.engine.dialect.name, area_code)
    today = local_date(now)
    params = {"area": area_code, "district": area_code[:4], "start": period.start, "end": period.end,
              "limit": min(limit, ESCALATED_LIST_LIMIT), "today": today,
              # Raised on or after this day: at most 30 (60, 90) days old today (records.report.age_bucket).
              **{f"age{n}": today - timedelta(days=n) for n in (30, 60, 90)}}
    children: dict[str, Tally] = defaultdict(Tally)
    by_month: Counter = Counter()
    rows = _fetch(db, sql, params)
    with db.session() as s:
        run = rows.__getitem__
        for k, visits, households in run("visits"):
            children[k].visits, children[k].households = visits, households
        for day, n in run("months"):
            by_month[str(day)[:7]] += n
        for k, category, priority, status, source, institution, age, n in run("concerns"):
            t = children[k]
            t.concerns += n
            t.by_category[category] += n
            t.by_priority[priority] += n
            t.by_source[source or "household_visit"] += n
            t.outcomes[outcome_of(status)] += n
            if institution is not None:
                t.by_institution[institution] += n
            if age is not None:
                t.overdue_by_age[age] += n
        for k, days, by_due, told, n in run("resolved"):
            t = children[k]
            if days is not None:
                t.resolution_days[int(days)] += n
            t.resolved_by_due += by_due * n
            t.told += told * n
        for k, kind, n in run("planned"):
            children[k].meetings_planned[kind] += n
        for k, kind, n, public, women, officials in run("held"):
            t = children[k]
            t.meetings_held[kind] += n
            t.public_total += int(public or 0)
            t.public_women += int(women or 0)
            t.officials_present += int(officials or 0)
        institutions = _institution_names(s, lang)
        escalated = []
        for cid, village, day, category, priority, status, raised, due, institution, data in run("escalated"):
            d = json.loads(data)
            escalated.append(escalated_entry(
                concern_id=cid, village_code=village, visited_on=_day(day), category=category, priority=priority,
                description=d.get("description", ""), today=today, status=status, raised=_day(raised),
                due=_day(due), history=d.get("history") or [], institution_id=institution,
                institution_name=institutions.get(institution or "", institution)))
        names = _names(s, [area_code, *children, *{e["village_code"] for e in escalated}], lang)
    for e in escalated:
        e["village_name"] = names.get(e["village_code"], e["village_code"])
    total = Tally()
    for t in children.values():
        total.add(t)
    named = {k: t for k, t in children.items() if k}
    return assemble(area_code=area_code, area_name=names.get(area_code, area_code), period=period, total=total,
                    children=named, child_names=names, escalated=escalated, visits_by_month=by_month,
                    generated_at=now, categories=[c.value for c in ConcernCategory],
                    priorities=[p.value for p in Priority], institution_names=institutions)


def _day(value):
    from datetime import date

    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _institution_names(s, lang: str) -> dict[str, str]:
    """Institution id -> its name in ``lang`` (the server's list, else the seed); "" for those not listed."""
    from server.institutions import current

    cat = load_catalog(lang)
    return {"": cat.get("report.institution_not_listed", "Not in the list"),
            **{i.id: i.name(lang) for i in current(s)[2]}}


def _names(s, codes: list[str], lang: str) -> dict[str, str]:
    out = {"": load_catalog(lang).get("report.national", "Cambodia")}
    wanted = [c for c in codes if c]
    if wanted:
        for code, en, km in s.execute(select(Area.code, Area.name_en, Area.name_km).where(Area.code.in_(wanted))):
            out[code] = (km if lang == "km" else en) or en or km or code
    return out


MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def activity_report_file(db: Database, actor_area: str, area: Optional[str], period: Optional[str],
                         start: Optional[str], end: Optional[str], fmt: str, lang: str) -> tuple[bytes, str, str]:
    """(body, media type, file name) of GET /reports/activity; a bad argument is a 400 with its code."""
    from datetime import date

    from records.report import PeriodError, parse_period, period_between
    from records import report_files
    from server.limits import json_bytes

    if fmt not in MEDIA:
        raise ApiError(400, "format_invalid", "format is one of json, csv, xlsx, pdf")
    code = area_for(actor_area, area)
    try:
        if period:
            chosen = parse_period(period)
        elif start and end:
            chosen = period_between(date.fromisoformat(start), date.fromisoformat(end))
        else:
            raise PeriodError("give period=2026-Q1 (or a month, a year), or from= and to=")
    except (PeriodError, ValueError) as exc:
        raise ApiError(400, "period_invalid", str(exc)) from None
    report = activity(db, code, chosen, lang=lang)
    name = f"phum-report-{code or 'national'}-{chosen.label.replace('..', '_')}.{fmt}"
    if fmt == "json":
        return json_bytes(report), MEDIA[fmt], name
    if fmt == "csv":
        return report_files.to_csv(report, lang), MEDIA[fmt], name
    if fmt == "xlsx":
        return report_files.to_xlsx(report, lang), MEDIA[fmt], name
    from records.report_pdf import to_pdf

    return to_pdf(report, lang), MEDIA[fmt], name
