"""Records for the activity report's tests, and a recount of its figures written apart from records/report.py.

``scenario()`` is hand-built with known answers (test_report_figures.py states them); ``mixed(n)``
adds many random records; ``recount`` recomputes every figure from the models, the slow obvious way.
"""
from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from records import followup
from records.meetings import Meeting, MeetingKind, MeetingStatus
from records.models import Concern, ConcernCategory, ConcernSource, ConcernStatus, Household, Priority, Visit
from tests.support.records import ESCALATION, OFFICIAL, concern, household, meeting, visit

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


# ---------------------------------------------------------------- meetings and follow-up (known answers)

TODAY = date(2026, 4, 10)  # the day sections() is reported on (NOW_SECTIONS in Phnom Penh)
NOW_SECTIONS = datetime(2026, 4, 10, 5, tzinfo=timezone.utc)
TOLD = {"told_on": date(2026, 3, 1), "channel": "visit", "answer": "satisfied"}


def _raised(h: Household, v: Visit, n: int, at: datetime, **fields) -> Concern:
    fields.setdefault("category", ConcernCategory.water)
    return Concern.raise_new(by=OFFICIAL, at=at, household_id=h.id, visit_id=v.id, description=f"បញ្ហា {n}",
                             device_id=h.device_id, **fields)


def _at(m: int, d: int, hh: int = 3) -> datetime:
    return datetime(2026, m, d, hh, tzinfo=timezone.utc)


def _held(n: int, *, on: date, area: str, level: str, kind: MeetingKind, total: int, women: int, present: int,
          invited: int) -> Meeting:
    people = [{"name": f"មន្ត្រី {n}-{i}", "attended": i < present} for i in range(invited)]
    return meeting(600 + n, area=area, level=level, meeting_kind=kind, planned_on=on - timedelta(days=1 if n == 2 else 0),
                   status=MeetingStatus.held, held_on=on, public_total=total, public_women=women, invitations=people)


def sections() -> list:
    """District 0102 in 2026-Q1, reported on TODAY: meetings held and planned, forum concerns, referrals,
    feedback, due dates and overdue concerns (tests/report/test_device_report.py states the answers)."""
    hs = [household(600 + i, village=VILLAGE_A1) for i in range(6)] + [household(606, village=VILLAGE_B1)]
    vs = [visit(h, 0, visited_on=date(2026, 1, 5)) for h in hs[:5]]
    vs += [visit(hs[5], 0, visited_on=date(2026, 3, 20)), visit(hs[6], 0, visited_on=date(2026, 2, 20)),
           visit(hs[1], 1, visited_on=date(2026, 3, 25))]
    jan5 = _at(1, 5)
    k = [_raised(hs[i], vs[i], 600 + i, jan5) for i in range(5)]  # normal: due Feb 4
    k[0] = _resolved(k[0], _at(1, 20)).record_feedback(TOLD, by=OFFICIAL, at=_at(3, 1))  # by the due day, told
    k[1] = _resolved(k[1], _at(2, 10))  # after it
    k[2] = _raised(hs[2], vs[2], 602, jan5, priority=Priority.high)  # due Jan 12
    k[2] = _resolved(k[2], _at(1, 10)).record_feedback(TOLD, by=OFFICIAL, at=_at(3, 1))
    k[3] = k[3].change_status(ConcernStatus.referred, by=OFFICIAL, at=_at(1, 8), referred_to="MOWRAM",
                              institution_id="mowram", expected_on=date(2026, 5, 30))  # due May 30
    k[4] = k[4].change_status(ConcernStatus.referred, by=OFFICIAL, at=_at(1, 8), referred_to="MOWRAM",
                              institution_id="mowram")  # still due Feb 4: 95 days old, long overdue
    k.append(_raised(hs[5], vs[5], 605, _at(3, 20)).change_status(  # due Apr 19
        ConcernStatus.referred, by=OFFICIAL, at=_at(3, 21), referred_to="គណៈកម្មការវត្ត"))
    k.append(_raised(hs[6], vs[6], 606, _at(2, 20), priority=Priority.urgent))  # due Feb 23: 49 days old
    k.append(_raised(hs[0], vs[0], 607, jan5).change_status(ConcernStatus.escalated, by=OFFICIAL, at=_at(2, 1),
                                                            escalation=ESCALATION))
    k.append(_raised(hs[1], vs[7], 608, _at(3, 25), priority=Priority.urgent).change_status(
        ConcernStatus.in_progress, by=OFFICIAL, at=_at(3, 26)))  # due Mar 28: 16 days old
    m1 = _held(1, on=date(2026, 2, 10), area=COMMUNE_A, level="commune", kind=MeetingKind.public_forum, total=40,
               women=25, present=2, invited=3)
    m2 = _held(2, on=date(2026, 3, 6), area="0102", level="district", kind=MeetingKind.working_group, total=10,
               women=3, present=1, invited=2)
    m3 = meeting(603, area=VILLAGE_B1, level="village", planned_on=date(2026, 3, 20))
    m4 = meeting(604, area=COMMUNE_B, level="commune", planned_on=date(2026, 1, 15),
                 status=MeetingStatus.postponed, postponed_to=date(2026, 4, 5))
    m5 = _held(5, on=date(2026, 2, 11), area="010301", level="commune", kind=MeetingKind.public_forum, total=99,
               women=50, present=1, invited=1)  # another district
    fc1 = Concern.raise_new(by=OFFICIAL, at=_at(2, 10), meeting_id=m1.id, source=ConcernSource.public_forum,
                            raised_by="ចាន់ ធី", category=ConcernCategory.roads, description="ផ្លូវខូច",
                            device_id=m1.device_id)  # due Mar 12: 59 days old
    fc2 = Concern.raise_new(by=OFFICIAL, at=_at(3, 6), meeting_id=m2.id, source=ConcernSource.meeting,
                            anonymous=True, category=ConcernCategory.health, description="គ្មានពេទ្យ",
                            device_id=m2.device_id)
    fc2 = _resolved(fc2, _at(3, 7))
    fc4 = Concern.raise_new(by=OFFICIAL, at=_at(1, 15), meeting_id=m4.id, source=ConcernSource.public_forum,
                            raised_by="សុខ ណា", category=ConcernCategory.land, description="ដីធ្លី",
                            device_id=m4.device_id)  # counts on April 5, its meeting's new day
    return hs + vs + k + [m1, m2, m3, m4, m5, fc1, fc2, fc4]


def meetings_mixed(n: int, *, seed: int = 11, areas=(VILLAGE_A1, VILLAGE_B1, COMMUNE_A, "0102", "01", OUTSIDE)) -> list:
    """``n`` random meetings over 2025-12..2026-04, planned, held, postponed or cancelled, with concerns raised
    at the held ones (referred to listed institutions or not, the households told or not)."""
    rng = random.Random(seed)
    levels = {2: "province", 4: "district", 6: "commune", 8: "village"}
    out: list = []
    for i in range(n):
        area = rng.choice(areas)
        day = date(2025, 12, 1) + timedelta(days=rng.randint(0, 140))
        kind = rng.choice(list(MeetingKind))
        roll = rng.random()
        if roll < 0.5:
            people = [{"name": f"អ្នក {i}-{j}", "attended": rng.random() < 0.6} for j in range(rng.randint(0, 4))]
            total = rng.randint(0, 80)
            m = meeting(700 + i, area=area, level=levels[len(area)], meeting_kind=kind, planned_on=day,
                        status=MeetingStatus.held, held_on=day + timedelta(days=rng.randint(0, 3)),
                        public_total=total, public_women=rng.randint(0, total), invitations=people)
        elif roll < 0.7:
            m = meeting(700 + i, area=area, level=levels[len(area)], meeting_kind=kind, planned_on=day,
                        status=MeetingStatus.postponed, postponed_to=day + timedelta(days=rng.randint(1, 40)))
        elif roll < 0.8:
            m = meeting(700 + i, area=area, level=levels[len(area)], meeting_kind=kind, planned_on=day,
                        status=MeetingStatus.cancelled, cancel_reason="ភ្លៀងខ្លាំង")
        else:
            m = meeting(700 + i, area=area, level=levels[len(area)], meeting_kind=kind, planned_on=day)
        out.append(m)
        for j in range(rng.randint(0, 3) if m.status != MeetingStatus.cancelled else 0):
            at = datetime.combine(m.effective_on, datetime.min.time(), timezone.utc) + timedelta(hours=2)
            c = Concern.raise_new(by=OFFICIAL, at=at, meeting_id=m.id, raised_by="ចាន់ ធី", description=f"បញ្ហា {j}",
                                  source=ConcernSource.public_forum if kind == MeetingKind.public_forum
                                  else ConcernSource.meeting, category=rng.choice(list(ConcernCategory)),
                                  priority=rng.choice(list(Priority)), device_id=m.device_id)
            when = at + timedelta(hours=rng.randint(1, 3000))
            r = rng.random()
            if r < 0.4:
                c = _resolved(c, when)
                if rng.random() < 0.5:
                    c = c.record_feedback({**TOLD, "told_on": when.date()}, by=OFFICIAL, at=when)
            elif r < 0.6:
                listed = rng.random() < 0.7
                c = c.change_status(ConcernStatus.referred, by=OFFICIAL, at=when, referred_to="MOH",
                                    institution_id=rng.choice(("moh", "mowram")) if listed else None,
                                    expected_on=(when + timedelta(days=20)).date() if rng.random() < 0.5 else None)
            elif r < 0.7:
                c = c.change_status(ConcernStatus.escalated, by=OFFICIAL, at=when, escalation=ESCALATION)
            out.append(c)
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


def recount(records: list, area: str, start: date, end: date, today: date = TODAY) -> dict:
    """Every key figure of ``area`` (overall) and of each sub-area, from the models, without records/report.py
    (overdue, due dates, age and telling are records.followup's, on the models)."""
    homes = {r.id: r for r in records if isinstance(r, Household)}
    meetings = {r.id: r for r in records if isinstance(r, Meeting) and r.area_code.startswith(area)}
    visits = {r.id: r for r in records if isinstance(r, Visit)
              and homes[r.household_id].village_code.startswith(area) and start <= r.visited_on <= end}
    at_meetings = {r.id: r for r in records if isinstance(r, Concern) and r.visit_id is None
                   and r.meeting_id in meetings and start <= meetings[r.meeting_id].effective_on <= end}
    concerns = [r for r in records if isinstance(r, Concern) and (r.visit_id in visits or r.id in at_meetings)]
    sub_len = {0: 2, 2: 4, 4: 6, 6: 8}.get(len(area))
    where = lambda x: (meetings[x.meeting_id].area_code if x.id in at_meetings  # noqa: E731
                       else homes[x.household_id].village_code)
    day = lambda x: meetings[x.meeting_id].effective_on if x.id in at_meetings else visits[x.visit_id].visited_on  # noqa: E731

    def figures(key) -> dict:
        vs = [x for x in visits.values() if key(homes[x.household_id].village_code)]
        cs = [x for x in concerns if key(where(x))]
        ms = [m for m in meetings.values() if key(m.area_code)]
        held = [m for m in ms if m.status == MeetingStatus.held and start <= m.held_on <= end]
        days, by_due = [], 0
        for x in cs:
            if x.status == ConcernStatus.resolved:
                done = [e.at for e in x.history if e.to_status == ConcernStatus.resolved and e.feedback is None][-1]
                done_day = done.astimezone(PHNOM_PENH).date()
                days.append(max(0, (done_day - day(x)).days))
                by_due += done_day <= followup.due_date(x)
        count = lambda s: sum(1 for x in cs if x.status in s)  # noqa: E731
        resolved = count({ConcernStatus.resolved})
        overdue = [x for x in cs if followup.is_overdue(x, today)]
        ages = [followup.age_days(x, today) for x in overdue]
        told = sum(1 for x in cs if x.status == ConcernStatus.resolved and not followup.needs_telling(x))
        referred = [x for x in cs if x.status == ConcernStatus.referred]
        return {
            "meetings_planned": sum(1 for m in ms if start <= m.planned_on <= end), "meetings_held": len(held),
            "public_total": sum(m.public_total for m in held), "public_women": sum(m.public_women for m in held),
            "officials_present": sum(m.attended_count() for m in held),
            "meetings": {k.value: {"planned": sum(1 for m in ms if m.meeting_kind == k and start <= m.planned_on <= end),
                                   "held": sum(1 for m in held if m.meeting_kind == k)} for k in MeetingKind},
            "by_source": {src.value: sum(1 for x in cs if x.source == src) for src in ConcernSource},
            "by_institution": {i: sum(1 for x in referred if (x.institution_id or "") == i)
                               for i in {x.institution_id or "" for x in referred}},
            "resolved_by_due": by_due, "resolved_by_due_pct": round(100 * by_due / len(cs), 1) if len(cs) >= 5 else None,
            "overdue": len(overdue),
            "overdue_by_age": {"0-30": sum(1 for a in ages if a <= 30), "31-60": sum(1 for a in ages if 30 < a <= 60),
                               "61-90": sum(1 for a in ages if 60 < a <= 90), "over_90": sum(1 for a in ages if a > 90)},
            "households_told": told, "households_told_pct": round(100 * told / resolved, 1) if resolved >= 5 else None,
            "listed_ids": sorted(x.id for x in cs if x.status == ConcernStatus.escalated or (
                followup.is_overdue(x, today) and followup.age_days(x, today) > 90)),
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

    subs = sorted({homes[x.household_id].village_code[:sub_len] for x in visits.values()}
                  | {where(x)[:sub_len] for x in at_meetings.values() if len(where(x)) >= sub_len}
                  | {m.area_code[:sub_len] for m in meetings.values() if len(m.area_code) >= sub_len
                     and (start <= m.planned_on <= end or (m.held_on and start <= m.held_on <= end))}) if sub_len else []
    return {"total": figures(lambda v: True),
            "sub_areas": {s: figures(lambda v, s=s: v.startswith(s)) for s in subs}}
