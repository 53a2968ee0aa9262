"""The activity report: the one definition of every figure (docs/report.md), for the device and the server.

Each side reduces its records to ``Tally``s, additive counts per area (the device by walking its
records, the server with SQL GROUP BY); this module parses periods, classifies a concern, and
turns tallies into the report: rates only where n >= 5, median and p90 days from a histogram.
docs/report.md defines every figure in words. Overdue, due dates, age and "the household was told"
are the follow-up rules' (records/followup.py), read here over stored fields.

(Over 300 lines on purpose: the report's one definition, periods, tallies and the assembled shape,
stays in one module that the device, the server and their equality tests all read.)
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Optional

from records.areas import CODE_LENGTH, LEVELS, level_of
from records.followup import CLOSED, DEFAULT_DUE_DAYS

# Periods and resolution days are counted in Cambodia's time (ICT, UTC+7, no daylight saving).
CAMBODIA = timezone(timedelta(hours=7), "ICT")
MIN_N = 5  # a rate over fewer cases says nothing and may point at one household: hidden
OUTCOMES: tuple[str, ...] = ("resolved", "referred", "escalated", "open")
ESCALATED_LIST_LIMIT = 500
SOURCES: tuple[str, ...] = ("household_visit", "public_forum", "meeting", "other")  # records.models.ConcernSource
MEETING_KINDS: tuple[str, ...] = ("public_forum", "working_group", "other")  # records.meetings.MeetingKind
# Overdue concerns by age (days since raised, records.followup.age_days); "over_90" is "long overdue".
AGE_BUCKETS: tuple[str, ...] = ("0-30", "31-60", "61-90", "over_90")
LONG_OVERDUE_DAYS = 90
NOT_LISTED = ""  # the institution key of a referral named only by its text


class PeriodError(ValueError):
    """Not a period this report understands (code ``period_invalid``)."""


def local_date(at: datetime) -> date:
    """The calendar day in Cambodia of an aware UTC timestamp."""
    return at.astimezone(CAMBODIA).date()


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    label: str  # "2026-03", "2026-Q1", "2026" or "2026-01-05..2026-02-01"

    def months(self) -> list[str]:
        """Every month the period touches, "YYYY-MM", in order (the visits-per-month chart)."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def _month_end(y: int, m: int) -> date:
    return (date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)) - timedelta(days=1)


def parse_period(text: str) -> Period:
    """'2026-03' (month), '2026-Q1' (quarter), '2026' (year) or 'YYYY-MM-DD..YYYY-MM-DD' (from-to)."""
    text = (text or "").strip()
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            y, mo = int(m[1]), int(m[2])
            return Period(date(y, mo, 1), _month_end(y, mo), text)
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
            y, q = int(m[1]), int(m[2])
            return Period(date(y, 3 * q - 2, 1), _month_end(y, 3 * q), f"{y}-Q{q}")
        if m := re.fullmatch(r"(\d{4})", text):
            y = int(m[1])
            return Period(date(y, 1, 1), date(y, 12, 31), text)
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
            return period_between(date.fromisoformat(m[1]), date.fromisoformat(m[2]))
    except ValueError:
        pass
    raise PeriodError(f"not a period: {text!r} (2026-03, 2026-Q1, 2026 or 2026-01-01..2026-03-31)")


def period_between(start: date, end: date) -> Period:
    if end < start:
        raise PeriodError(f"the period ends ({end}) before it starts ({start})")
    if (end - start).days > 3660:
        raise PeriodError("a period is at most ten years")
    return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")


# ---------------------------------------------------------------- one concern


def outcome_of(status: str) -> str:
    """resolved | referred | escalated | open (open and in progress are both still open)."""
    return status if status in ("resolved", "referred", "escalated") else "open"


def resolved_on(status: str, history: Iterable[Mapping[str, Any]], updated_at: Optional[datetime | str]) -> Optional[date]:
    """The Cambodian day of the last move to resolved, for a concern resolved now (else None). Telling the
    household (a feedback step, resolved to resolved) is no move: it does not change the day."""
    if status != "resolved":
        return None
    last = None
    for entry in history:
        if entry.get("to_status") == "resolved" and entry.get("feedback") is None:
            last = entry.get("at")
    when = last if last is not None else updated_at  # a record made before history existed
    if when is None:
        return None
    if isinstance(when, str):
        if len(when) >= 20 and when[10] == "T" and when[-1] == "Z":  # stored UTC: 17:00 on is the next day
            day = date.fromisoformat(when[:10])
            return day + timedelta(days=1) if when[11:13] >= "17" else day
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    return local_date(when)


def days_to_resolution(visited_on: date, resolved_day: Optional[date]) -> Optional[int]:
    """Whole days from the visit the concern was raised at to its resolution (0 = the same day)."""
    return None if resolved_day is None else max(0, (resolved_day - visited_on).days)


def _day(value: Any) -> Optional[date]:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


def raised_day(created_at: Any) -> date:
    """The day a concern was raised, as records.followup reads it (created_at's UTC date)."""
    if isinstance(created_at, datetime):
        return created_at.astimezone(timezone.utc).date()
    return date.fromisoformat(str(created_at)[:10])


def due_day(due_on: Any, created_at: Any, priority: str) -> date:
    """records.followup.due_date over stored fields: the stored due date, else raised + the priority's days."""
    stored = _day(due_on)
    if stored is not None:
        return stored
    return raised_day(created_at) + timedelta(days=DEFAULT_DUE_DAYS.get(priority, DEFAULT_DUE_DAYS["normal"]))


def is_overdue(status: str, due: date, today: date) -> bool:
    """records.followup.is_overdue: neither resolved nor escalated, and its due day has passed."""
    return status not in CLOSED and today > due


def age_bucket(age_days: int) -> str:
    """0-30, 31-60, 61-90 or over_90 (days)."""
    return AGE_BUCKETS[0 if age_days <= 30 else 1 if age_days <= 60 else 2 if age_days <= 90 else 3]


def told_on(status: str, history: Iterable[Mapping[str, Any]]) -> Optional[date]:
    """The day the household was told the outcome since the concern's last move to resolved, or None
    (not resolved, or still to tell: records.followup.needs_telling)."""
    if status != "resolved":
        return None
    for entry in reversed(list(history)):
        feedback = entry.get("feedback")
        if feedback is not None:
            return _day(feedback.get("told_on"))
        if entry.get("to_status") == "resolved":
            return None
    return None


def escalation_summary(history: Iterable[Mapping[str, Any]]) -> Optional[dict[str, Any]]:
    """The summary that went up with the last move to escalated (records.followup.escalation_of)."""
    for entry in reversed(list(history)):
        if entry.get("feedback") is None and entry.get("to_status") == "escalated":
            e = entry.get("escalation")
            return None if e is None else {k: e.get(k) or "" for k in
                                           ("level", "tried_locally", "who_was_urged", "why_not_solved", "ask")}
    return None


def meeting_day(held_on: Any, postponed_to: Any, planned_on: Any) -> date:
    """records.meetings.Meeting.effective_on: held day, else the new day of a postponed one, else the plan.
    A concern raised at a meeting counts on this day."""
    return _day(held_on) or _day(postponed_to) or _day(planned_on)  # type: ignore[return-value]


def officials_present(invitations: Iterable[Mapping[str, Any]]) -> int:
    """records.meetings.Meeting.attended_count: invitees marked present."""
    return sum(1 for i in invitations or () if i.get("attended"))


# ---------------------------------------------------------------- tallies


@dataclass
class Tally:
    """Additive counts of one area in one period (a household lives in one village, so distinct
    households add up across sub-areas)."""

    households: int = 0
    visits: int = 0
    concerns: int = 0
    by_category: Counter = field(default_factory=Counter)
    by_priority: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    resolution_days: Counter = field(default_factory=Counter)  # days -> concerns resolved in that many
    by_source: Counter = field(default_factory=Counter)
    by_institution: Counter = field(default_factory=Counter)  # referred now: institution id ("" not listed)
    resolved_by_due: int = 0  # resolved on or before the due day
    overdue_by_age: Counter = field(default_factory=Counter)  # AGE_BUCKETS -> overdue now
    told: int = 0  # resolved, and the household told the outcome since
    meetings_planned: Counter = field(default_factory=Counter)  # kind -> planned for a day in the period
    meetings_held: Counter = field(default_factory=Counter)  # kind -> held on a day in the period
    public_total: int = 0  # at the meetings held
    public_women: int = 0
    officials_present: int = 0

    INTS = ("households", "visits", "concerns", "resolved_by_due", "told", "public_total", "public_women",
            "officials_present")
    COUNTERS = ("by_category", "by_priority", "outcomes", "resolution_days", "by_source", "by_institution",
                "overdue_by_age", "meetings_planned", "meetings_held")

    def add(self, other: "Tally") -> "Tally":
        for name in self.INTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in self.COUNTERS:
            getattr(self, name).update(getattr(other, name))
        return self


def percentile(histogram: Mapping[int, int], p: int) -> Optional[int]:
    """Nearest-rank percentile: the smallest value with at least p% of cases at or below it."""
    n = sum(histogram.values())
    if n == 0:
        return None
    rank = max(1, -(-p * n // 100))  # ceil(p * n / 100) in integers
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def rate(part: int, n: int) -> Optional[float]:
    """part/n in percent to one decimal, or None (hidden) below MIN_N cases."""
    return None if n < MIN_N else round(100.0 * part / n, 1)


def key_figures(t: Tally) -> dict[str, Any]:
    resolved = t.outcomes.get("resolved", 0)
    n_resolved = sum(t.resolution_days.values())
    enough = n_resolved >= MIN_N
    return {
        "households_visited": t.households,
        "visits": t.visits,
        "meetings_planned": sum(t.meetings_planned.values()),
        "meetings_held": sum(t.meetings_held.values()),
        "public_total": t.public_total,
        "public_women": t.public_women,
        "officials_present": t.officials_present,
        "concerns": t.concerns,
        **{o: t.outcomes.get(o, 0) for o in OUTCOMES},
        "resolved_pct": rate(resolved, t.concerns),
        "resolved_by_due": t.resolved_by_due,
        "resolved_by_due_pct": rate(t.resolved_by_due, t.concerns),
        "median_days_to_resolution": percentile(t.resolution_days, 50) if enough else None,
        "p90_days_to_resolution": percentile(t.resolution_days, 90) if enough else None,
        "overdue": sum(t.overdue_by_age.values()),
        "households_told": t.told,
        "households_told_pct": rate(t.told, resolved),
    }


def child_level(area_code: str) -> Optional[str]:
    """The level one below the area ("" = national -> province), None below a village."""
    if not area_code:
        return LEVELS[0]
    i = LEVELS.index(level_of(area_code))
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def child_code(area_code: str, village_code: str) -> Optional[str]:
    """The sub-area a village (or a meeting's area) is in; None for an area above the sub-areas' level
    (a commune's meeting in a commune's report: counted in the total only)."""
    level = child_level(area_code)
    if level is None or len(village_code) < CODE_LENGTH[level]:
        return None
    return village_code[: CODE_LENGTH[level]]


def assemble(*, area_code: str, area_name: str, period: Period, total: Tally, children: Mapping[str, Tally],
             child_names: Mapping[str, str], escalated: list[dict], visits_by_month: Mapping[str, int],
             generated_at: datetime, categories: Iterable[str], priorities: Iterable[str],
             institution_names: Mapping[str, str] = {}) -> dict[str, Any]:  # noqa: B006 (read only)
    """The report as JSON-ready data: the same shape from the device and the server.

    ``escalated``: the escalated and the long-overdue concerns' entries (escalated_entry), any order."""
    rows = [{"code": code, "name": child_names.get(code, code), **key_figures(t)}
            for code, t in sorted(children.items())]
    return {
        "area": {"code": area_code, "name": area_name, "level": level_of(area_code) if area_code else "national"},
        "period": {"label": period.label, "from": period.start.isoformat(), "to": period.end.isoformat()},
        "generated_at": generated_at.isoformat(),
        "figures": key_figures(total),
        # The days histogram behind the median and p90: lets a compiled report recount them (tally_of).
        "resolution_days": {str(d): n for d, n in sorted(total.resolution_days.items())},
        "by_category": {c: total.by_category.get(c, 0) for c in categories},
        "by_priority": {p: total.by_priority.get(p, 0) for p in priorities},
        "by_source": {src: total.by_source.get(src, 0) for src in SOURCES},
        "meetings": {kind: {"planned": total.meetings_planned.get(kind, 0), "held": total.meetings_held.get(kind, 0)}
                     for kind in MEETING_KINDS},
        # Most referrals first; "" = institutions named only by their text.
        "referred_by_institution": [
            {"id": i, "name": institution_names.get(i, i), "count": n}
            for i, n in sorted(total.by_institution.items(), key=lambda kv: (-kv[1], kv[0])) if n],
        "overdue_by_age": {b: total.overdue_by_age.get(b, 0) for b in AGE_BUCKETS},
        "visits_by_month": {m: visits_by_month.get(m, 0) for m in period.months()},
        "sub_area_level": child_level(area_code),
        "sub_areas": rows,
        # Oldest first; the list stops at ESCALATED_LIST_LIMIT, the figure above counts them all.
        "escalated": sorted(escalated, key=lambda e: (e["visited_on"], e["id"]))[:ESCALATED_LIST_LIMIT],
    }


def is_long_overdue(status: str, due: date, raised: date, today: date) -> bool:
    """Overdue now and raised more than LONG_OVERDUE_DAYS ago: on the government's list with the escalated."""
    return is_overdue(status, due, today) and (today - raised).days > LONG_OVERDUE_DAYS


def escalated_entry(*, concern_id: str, village_code: str, visited_on: date, category: str, priority: str,
                    description: str, today: date, status: str = "escalated", raised: Optional[date] = None,
                    due: Optional[date] = None, history: Iterable[Mapping[str, Any]] = (),
                    institution_id: Optional[str] = None, institution_name: Optional[str] = None) -> dict[str, Any]:
    """One line of the government's list: an escalated concern, or a long-overdue one (``status`` tells).
    ``age_days`` counts from the day the concern counts on (its visit's or meeting's); whether it is long
    overdue, from the day it was raised (records.followup.age_days, ``raised``)."""
    return {"id": concern_id, "village_code": village_code, "visited_on": visited_on.isoformat(),
            "category": category, "priority": priority, "description": description,
            "status": status, "reason": "escalated" if status == "escalated" else "overdue",
            "age_days": max(0, (today - visited_on).days),
            "raised_on": None if raised is None else raised.isoformat(),
            "due_on": None if due is None else due.isoformat(),
            "days_overdue": max(0, (today - due).days) if due is not None and is_overdue(status, due, today) else 0,
            "institution_id": institution_id or None,
            "institution_name": institution_name if institution_id else None,
            "escalation": escalation_summary(history)}


def tally_of(report: Mapping[str, Any]) -> Tally:
    """The additive counts behind a report (a frozen submission), to compile several into one."""
    f = report["figures"]
    meetings = report.get("meetings", {})
    return Tally(households=f["households_visited"], visits=f["visits"], concerns=f["concerns"],
                 by_category=Counter(report["by_category"]), by_priority=Counter(report["by_priority"]),
                 outcomes=Counter({o: f[o] for o in OUTCOMES}),
                 resolution_days=Counter({int(d): n for d, n in report.get("resolution_days", {}).items()}),
                 # A submission frozen before these sections existed counts none of them.
                 by_source=Counter(report.get("by_source", {})),
                 by_institution=Counter({e["id"]: e["count"] for e in report.get("referred_by_institution", [])}),
                 resolved_by_due=f.get("resolved_by_due", 0),
                 overdue_by_age=Counter(report.get("overdue_by_age", {})), told=f.get("households_told", 0),
                 meetings_planned=Counter({k: m["planned"] for k, m in meetings.items()}),
                 meetings_held=Counter({k: m["held"] for k, m in meetings.items()}),
                 public_total=f.get("public_total", 0), public_women=f.get("public_women", 0),
                 officials_present=f.get("officials_present", 0))
