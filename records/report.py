"""The activity report: the one definition of every figure (docs/report.md), for the device and the server.

Each side reduces its records to ``Tally``s, additive counts per area (the device by walking its
records, the server with SQL GROUP BY); this module parses periods, classifies a concern, and
turns tallies into the report: rates only where n >= 5, median and p90 days from a histogram.
Figures that need meetings (issue 10) or follow-up (issue 11) are not here yet (docs/report.md).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Optional

from records.areas import CODE_LENGTH, LEVELS, level_of

# Periods and resolution days are counted in Cambodia's time (ICT, UTC+7, no daylight saving).
CAMBODIA = timezone(timedelta(hours=7), "ICT")
MIN_N = 5  # a rate over fewer cases says nothing and may point at one household: hidden
OUTCOMES: tuple[str, ...] = ("resolved", "referred", "escalated", "open")
ESCALATED_LIST_LIMIT = 500


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


def resolved_on(status: str, history: Iterable[Mapping[str, Any]], updated_at: Optional[datetime]) -> Optional[date]:
    """The Cambodian day of the last move to resolved, for a concern resolved now (else None)."""
    if status != "resolved":
        return None
    last = None
    for entry in history:
        if entry.get("to_status") == "resolved":
            last = entry.get("at")
    when = last if last is not None else updated_at  # a record made before history existed
    if when is None:
        return None
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    return local_date(when)


def days_to_resolution(visited_on: date, resolved_day: Optional[date]) -> Optional[int]:
    """Whole days from the visit the concern was raised at to its resolution (0 = the same day)."""
    return None if resolved_day is None else max(0, (resolved_day - visited_on).days)


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

    def add(self, other: "Tally") -> "Tally":
        self.households += other.households
        self.visits += other.visits
        self.concerns += other.concerns
        for mine, theirs in ((self.by_category, other.by_category), (self.by_priority, other.by_priority),
                             (self.outcomes, other.outcomes), (self.resolution_days, other.resolution_days)):
            mine.update(theirs)
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
        "concerns": t.concerns,
        **{o: t.outcomes.get(o, 0) for o in OUTCOMES},
        "resolved_pct": rate(resolved, t.concerns),
        "median_days_to_resolution": percentile(t.resolution_days, 50) if enough else None,
        "p90_days_to_resolution": percentile(t.resolution_days, 90) if enough else None,
    }


def child_level(area_code: str) -> Optional[str]:
    """The level one below the area ("" = national -> province), None below a village."""
    if not area_code:
        return LEVELS[0]
    i = LEVELS.index(level_of(area_code))
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def child_code(area_code: str, village_code: str) -> Optional[str]:
    level = child_level(area_code)
    return None if level is None else village_code[: CODE_LENGTH[level]]


def assemble(*, area_code: str, area_name: str, period: Period, total: Tally, children: Mapping[str, Tally],
             child_names: Mapping[str, str], escalated: list[dict], visits_by_month: Mapping[str, int],
             generated_at: datetime, categories: Iterable[str], priorities: Iterable[str]) -> dict[str, Any]:
    """The report as JSON-ready data: the same shape from the device and the server."""
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
        "visits_by_month": {m: visits_by_month.get(m, 0) for m in period.months()},
        "sub_area_level": child_level(area_code),
        "sub_areas": rows,
        # Oldest first; the list stops at ESCALATED_LIST_LIMIT, the figure above counts them all.
        "escalated": sorted(escalated, key=lambda e: (e["visited_on"], e["id"]))[:ESCALATED_LIST_LIMIT],
    }


def escalated_entry(*, concern_id: str, village_code: str, visited_on: date, category: str, priority: str,
                    description: str, today: date) -> dict[str, Any]:
    return {"id": concern_id, "village_code": village_code, "visited_on": visited_on.isoformat(),
            "category": category, "priority": priority, "description": description,
            "age_days": max(0, (today - visited_on).days)}


def tally_of(report: Mapping[str, Any]) -> Tally:
    """The additive counts behind a report (a frozen submission), to compile several into one."""
    f = report["figures"]
    return Tally(households=f["households_visited"], visits=f["visits"], concerns=f["concerns"],
                 by_category=Counter(report["by_category"]), by_priority=Counter(report["by_priority"]),
                 outcomes=Counter({o: f[o] for o in OUTCOMES}),
                 resolution_days=Counter({int(d): n for d, n in report.get("resolution_days", {}).items()}))
