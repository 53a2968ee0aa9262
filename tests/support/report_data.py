"""Records for the activity report's tests, and a recount of its figures written apart from records/report.py.

``scenario()`` is hand-built with known answers (test_report_figures.py states them); ``mixed(n)``
adds many random records; ``recount`` recomputes every figure from the models, the slow obvious way.
"""
from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from records.models import Concern, ConcernCategory, ConcernStatus, Household, Priority, Visit
from tests.support.records import ESCALATION, OFFICIAL, concern, household, visit

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
COMMUNE_A, COMMUNE_B = "010201", "010202"
VILLAGE_A1, VILLAGE_A2, VILLAGE_B1 = "01020101", "01020102", "01020201"
OUTSIDE = "01030101"  # another district


def _resolved(c: Concern, at: datetime) -> Concern:
    return c.change_status(ConcernStatus.resolved, by=OFFICIAL, at=at)


def scenario() -> list:
    """District 0102 in 2026-Q1, and records that must not count (another district, April)."""
    out: list = []
    # Commune A: 6 households visited; one of them twice (counted once); 6 concerns.
    a = [household(i, village=VILLAGE_A1 if i < 4 else VILLAGE_A2) for i in range(6)]
    out += a
    v = [visit(h, 0, visited_on=date(2026, 1, 5 + i)) for i, h in enumerate(a)]
    v.append(visit(a[0], 1, visited_on=date(2026, 3, 31)))  # last day of the quarter: in
    out += v
    t = lambda d, hh=3: datetime(2026, 1, d, hh, 0, tzinfo=timezone.utc)  # noqa: E731
    c = [concern(a[i], v[i], i, priority=Priority.high if i < 2 else Priority.normal) for i in range(6)]
    # Resolved 0, 2, 4 and 10 days after the visit (Jan 5, 6, 7, 8 visits); the third one at
    # 18:30 UTC, already the next day in Cambodia.
    c[0] = _resolved(c[0], t(5))
    c[1] = _resolved(c[1], t(8))
    c[2] = _resolved(c[2], datetime(2026, 1, 10, 18, 30, tzinfo=timezone.utc))  # Jan 11 in Phnom Penh: 4 days
    c[3] = _resolved(c[3], t(18))
    c[4] = c[4].change_status(ConcernStatus.referred, by=OFFICIAL, referred_to="Provincial water office",
                              at=t(12))
    c[5] = c[5].change_status(ConcernStatus.escalated, by=OFFICIAL, at=t(12), note="needs the ministry",
                              escalation=ESCALATION)
    c.append(concern(a[0], v[6], 10, category=ConcernCategory.roads))  # raised on March 31, open
    out += c
    # Commune B: 2 households, 3 concerns (rates hidden: n < 5).
    b = [household(10 + i, village=VILLAGE_B1) for i in range(2)]
    vb = [visit(h, 0, visited_on=date(2026, 2, 14)) for h in b]
    cb = [concern(b[0], vb[0], 20, category=ConcernCategory.health),
          concern(b[0], vb[0], 21, category=ConcernCategory.health, priority=Priority.urgent),
          concern(b[1], vb[1], 22, category=ConcernCategory.land)]
    cb[0] = _resolved(cb[0], datetime(2026, 2, 20, 3, tzinfo=timezone.utc))
    out += b + vb + cb
    # Not counted: April (the next quarter) and another district.
    late = household(30, village=VILLAGE_B1)
    lv = visit(late, 0, visited_on=date(2026, 4, 1))
    far = household(31, village=OUTSIDE)
    fv = visit(far, 0, visited_on=date(2026, 2, 1))
    out += [late, lv, concern(late, lv, 30), far, fv, concern(far, fv, 31)]
    return out


def mixed(n: int, *, seed: int = 7, villages=(VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, OUTSIDE)) -> list:
    """``n`` random households with visits over 2025-12..2026-04 and concerns in every status."""
    rng = random.Random(seed)
    out: list = []
    for i in range(n):
        h = household(100 + i, village=rng.choice(villages))
        out.append(h)
        for j in range(rng.randint(0, 3)):
            day = date(2025, 12, 1) + timedelta(days=rng.randint(0, 150))
            vv = visit(h, j, visited_on=day)
            out.append(vv)
            for k in range(rng.randint(0, 3)):
                cc = concern(h, vv, 1000 * i + 10 * j + k, category=rng.choice(list(ConcernCategory)),
                             priority=rng.choice(list(Priority)))
                when = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=rng.randint(0, 2000))
                roll = rng.random()
                if roll < 0.4:
                    cc = _resolved(cc, when)
                elif roll < 0.5:
                    cc = cc.change_status(ConcernStatus.referred, by=OFFICIAL, referred_to="Health centre", at=when)
                elif roll < 0.6:
                    cc = cc.change_status(ConcernStatus.escalated, by=OFFICIAL, at=when, escalation=ESCALATION)
                elif roll < 0.7:
                    cc = cc.change_status(ConcernStatus.in_progress, by=OFFICIAL, at=when)
                out.append(cc)
    return out


def _nearest_rank(values: list[int], p: int):
    values = sorted(values)
    return values[math.ceil(p / 100 * len(values)) - 1]


def recount(records: list, area: str, start: date, end: date) -> dict:
    """Every key figure of ``area`` (overall) and of each sub-area, from the models, without records/report.py."""
    homes = {r.id: r for r in records if isinstance(r, Household)}
    visits = {r.id: r for r in records if isinstance(r, Visit)
              and homes[r.household_id].village_code.startswith(area) and start <= r.visited_on <= end}
    concerns = [r for r in records if isinstance(r, Concern) and r.visit_id in visits]
    sub_len = {0: 2, 2: 4, 4: 6, 6: 8}.get(len(area))

    def figures(key) -> dict:
        vs = [x for x in visits.values() if key(homes[x.household_id].village_code)]
        cs = [x for x in concerns if key(homes[x.household_id].village_code)]
        days = []
        for x in cs:
            if x.status == ConcernStatus.resolved:
                done = [e.at for e in x.history if e.to_status == ConcernStatus.resolved][-1]
                days.append(max(0, (done.astimezone(PHNOM_PENH).date() - visits[x.visit_id].visited_on).days))
        count = lambda s: sum(1 for x in cs if x.status in s)  # noqa: E731
        resolved = count({ConcernStatus.resolved})
        return {
            "households_visited": len({x.household_id for x in vs}), "visits": len(vs), "concerns": len(cs),
            "resolved": resolved, "referred": count({ConcernStatus.referred}),
            "escalated": count({ConcernStatus.escalated}),
            "open": count({ConcernStatus.open, ConcernStatus.in_progress}),
            "resolved_pct": round(100 * resolved / len(cs), 1) if len(cs) >= 5 else None,
            "median_days_to_resolution": _nearest_rank(days, 50) if len(days) >= 5 else None,
            "p90_days_to_resolution": _nearest_rank(days, 90) if len(days) >= 5 else None,
            "by_category": {c.value: sum(1 for x in cs if x.category == c) for c in ConcernCategory},
            "by_priority": {p.value: sum(1 for x in cs if x.priority == p) for p in Priority},
            "escalated_ids": sorted(x.id for x in cs if x.status == ConcernStatus.escalated),
        }

    subs = sorted({homes[x.household_id].village_code[:sub_len] for x in visits.values()}) if sub_len else []
    return {"total": figures(lambda v: True),
            "sub_areas": {s: figures(lambda v, s=s: v.startswith(s)) for s in subs}}
