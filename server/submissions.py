"""Reports submitted up the chain: a supervisor freezes a period's report for their area; the level
above sees which of its sub-areas submitted, on time or late, and the compiled totals (docs/report.md).

A submission is never changed: a correction is a new submission; the latest one's figures count,
the first one's time decides on time (a correction of an on-time report is not late).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any, Optional

from sqlalchemy import select

from records.models import ConcernCategory, Priority, utcnow
from records.report import Period, PeriodError, Tally, assemble, child_level, local_date, parse_period, tally_of
from records.roles import OFFICE_ROLES
from server.auth import Actor
from server.db import Database
from server.errors import ApiError
from server.report import activity, area_for
from server.tables import Area, ReportSubmission, ServerSetting

DEADLINE_KEY = "report.deadline_days"
DEFAULT_DEADLINE_DAYS = 10  # days after the period's last day; an administrator changes it (CLI)
MAX_NOTE = 2000


def deadline_days(db: Database) -> int:
    with db.session() as s:
        value = s.get(ServerSetting, DEADLINE_KEY)
    return int(value.value) if value else DEFAULT_DEADLINE_DAYS


def set_deadline_days(db: Database, days: int) -> int:
    if not 0 <= days <= 366:
        raise ValueError("the day limit is 0 to 366 days after the period ends")
    with db.session() as s:
        row = s.get(ServerSetting, DEADLINE_KEY)
        if row is None:
            s.add(ServerSetting(name=DEADLINE_KEY, value=str(days)))
        else:
            row.value = str(days)
    return days


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise ApiError(400, "period_invalid", str(exc)) from None


def submit(db: Database, actor: Actor, period_text: str, note: str, *, now: Optional[datetime] = None) -> dict:
    """Freeze the report of the actor's own area for the period, with a note."""
    if actor.role not in OFFICE_ROLES:
        raise ApiError(403, "forbidden_role", "Only a supervisor or admin submits a report.")
    period = _period(period_text)
    now = now or utcnow()
    if local_date(now) < period.end:
        raise ApiError(409, "period_not_over", f"The period ends on {period.end}; submit it from that day on.")
    if len(note) > MAX_NOTE:
        raise ApiError(422, "text_too_long", f"The note is at most {MAX_NOTE} characters.")
    figures = activity(db, actor.area_code, period, lang="en", now=now)
    with db.session() as s:
        row = ReportSubmission(area_code=actor.area_code, period=period.label, submitted_by=actor.username,
                               submitted_name=actor.full_name, submitted_at=now, note=note.strip(),
                               figures=json.dumps(figures, ensure_ascii=False, sort_keys=True))
        s.add(row)
        s.flush()
        return _entry([row], _due(period, deadline_days(db)))


def _due(period: Period, days: int) -> date:
    return period.end + timedelta(days=days)


def _entry(rows: list[ReportSubmission], due: date) -> dict[str, Any]:
    """One area's submissions for a period (oldest first) as the level above sees them."""
    first, latest = rows[0], rows[-1]
    return {"area_code": latest.area_code, "period": latest.period, "submitted": True,
            "submitted_at": first.submitted_at.isoformat(), "on_time": local_date(first.submitted_at) <= due,
            "corrected_at": latest.submitted_at.isoformat() if len(rows) > 1 else None,
            "submitted_by": latest.submitted_by, "submitted_name": latest.submitted_name, "note": latest.note,
            "submissions": len(rows), "figures": json.loads(latest.figures)}


def overview(db: Database, actor: Actor, area: Optional[str], period_text: str, *, lang: str = "en") -> dict:
    """The area's own submission, each sub-area's (or that it is missing), the reporting rate and the
    report compiled from what the sub-areas submitted."""
    if actor.role not in OFFICE_ROLES:
        raise ApiError(403, "forbidden_role", "Only a supervisor or admin sees submissions.")
    area_code = area_for(actor.area_code, area)
    period = _period(period_text)
    due = _due(period, deadline_days(db))
    level = child_level(area_code)
    with db.session() as s:
        expected = _children(s, area_code, level, lang)
        wanted = [area_code] + [code for code, _ in expected]
        rows = s.execute(select(ReportSubmission).where(ReportSubmission.period == period.label,
                                                        ReportSubmission.area_code.in_(wanted))
                         .order_by(ReportSubmission.id)).scalars().all()
        area_name = _name(s, area_code, lang)
    by_area: dict[str, list[ReportSubmission]] = {}
    for row in rows:
        by_area.setdefault(row.area_code, []).append(row)
    subs = []
    for code, name in expected:
        entry = _entry(by_area[code], due) if code in by_area else {"area_code": code, "submitted": False}
        subs.append({**entry, "name": name})
    done = [e for e in subs if e["submitted"]]
    return {
        "area": {"code": area_code, "name": area_name}, "period": period.label, "due": due.isoformat(),
        "own": _entry(by_area[area_code], due) if area_code in by_area else None,
        "sub_area_level": level, "sub_areas": subs, "expected": len(subs), "submitted": len(done),
        "on_time": sum(1 for e in done if e["on_time"]),
        "reporting_rate": round(100.0 * len(done) / len(subs), 1) if subs else None,
        "compiled": _compile(area_code, area_name, period, done),
    }


def _compile(area_code: str, area_name: str, period: Period, done: list[dict]) -> dict:
    """The report of the area from its sub-areas' frozen figures (only those that submitted)."""
    children: dict[str, Tally] = {e["area_code"]: tally_of(e["figures"]) for e in done}
    total = Tally()
    months: dict[str, int] = {}
    escalated: list[dict] = []
    for e in done:
        total.add(tally_of(e["figures"]))
        for month, n in e["figures"].get("visits_by_month", {}).items():
            months[month] = months.get(month, 0) + n
        escalated += e["figures"].get("escalated", [])
    return assemble(area_code=area_code, area_name=area_name, period=period, total=total, children=children,
                    child_names={e["area_code"]: e["name"] for e in done}, escalated=escalated,
                    visits_by_month=months, generated_at=utcnow(),
                    categories=[c.value for c in ConcernCategory], priorities=[p.value for p in Priority],
                    # The names each submission was made with (a frozen report names its institutions).
                    institution_names={x["id"]: x["name"] for e in done
                                       for x in e["figures"].get("referred_by_institution", [])})


def _children(s, area_code: str, level: Optional[str], lang: str) -> list[tuple[str, str]]:
    """(code, name) of the areas one level down that are expected to submit."""
    if level is None:
        return []
    query = select(Area.code, Area.name_en, Area.name_km).where(Area.level == level)
    query = query.where(Area.parent_code == area_code) if area_code else query
    return [(code, ((km if lang == "km" else en) or en or km or code))
            for code, en, km in s.execute(query.order_by(Area.code))]


def _name(s, code: str, lang: str) -> str:
    from records.catalog import load_catalog

    if not code:
        return load_catalog(lang).get("report.national", "Cambodia")
    row = s.get(Area, code)
    return ((row.name_km if lang == "km" else row.name_en) or row.name_en) if row else code

