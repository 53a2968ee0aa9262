"""The activity report over the device's own records, offline (records/report.py defines every figure).

Reads stored field values, not models: a district desktop holds 50,000 households and twice as
many visits, and validating each would take seconds; the report only counts and compares dates.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any, Callable, Optional

from records.catalog import load_catalog
from records.models import ConcernCategory, Priority, utcnow
from records.report import (Period, Tally, assemble, child_code, days_to_resolution, escalated_entry, local_date,
                            outcome_of, resolved_on)
from storage.repository import Store


class ReportService:
    def __init__(self, store: Store, *, clock: Callable[[], datetime] = utcnow):
        self.store = store
        self.clock = clock

    def activity(self, area_code: str, period: Period, *, lang: str = "en") -> dict[str, Any]:
        """The report of ``area_code`` ("" = every record on the device) for ``period``."""
        start, end = period.start.isoformat(), period.end.isoformat()  # ISO days compare as text
        village_of = {i: v for i, v in self.store.households.stored_fields("id", "village_code")
                      if v and v.startswith(area_code)}
        children: dict[Optional[str], Tally] = defaultdict(Tally)
        households: dict[Optional[str], set] = defaultdict(set)
        by_month: Counter = Counter()
        visit_day: dict[str, str] = {}
        for visit_id, household_id, day in self.store.visits.stored_fields("id", "household_id", "visited_on"):
            village = village_of.get(household_id)
            if village is None or not (start <= day <= end):
                continue
            visit_day[visit_id] = day
            key = child_code(area_code, village)
            children[key].visits += 1
            households[key].add(household_id)
            by_month[day[:7]] += 1
        for key, ids in households.items():
            children[key].households = len(ids)
        today = local_date(self.clock())
        escalated: list[dict] = []
        fields = ("id", "visit_id", "household_id", "category", "priority", "status", "history", "updated_at",
                  "description")
        for cid, visit_id, household_id, category, priority, status, history, updated, text in \
                self.store.concerns.stored_fields(*fields):
            day = visit_day.get(visit_id)
            if day is None:
                continue
            village = village_of[household_id]
            t = children[child_code(area_code, village)]
            t.concerns += 1
            t.by_category[category] += 1
            t.by_priority[priority] += 1
            t.outcomes[outcome_of(status)] += 1
            if status == "resolved":
                done = resolved_on(status, history or [], _when(updated))
                days = days_to_resolution(date.fromisoformat(day), done)
                if days is not None:
                    t.resolution_days[days] += 1
            elif status == "escalated":
                escalated.append(escalated_entry(concern_id=cid, village_code=village,
                                                 visited_on=date.fromisoformat(day), category=category,
                                                 priority=priority, description=text, today=today))
        total = Tally()
        for t in children.values():
            total.add(t)
        named = {code: t for code, t in children.items() if code is not None}
        return assemble(area_code=area_code, area_name=self.area_name(area_code, lang), period=period, total=total,
                        children=named, child_names={c: self.area_name(c, lang) for c in named},
                        escalated=escalated, visits_by_month=by_month, generated_at=self.clock(),
                        categories=[c.value for c in ConcernCategory], priorities=[p.value for p in Priority])

    def area_name(self, code: str, lang: str) -> str:
        if not code:
            return load_catalog(lang).get("report.national", "Cambodia")
        area = self.store.areas.get(code)
        return area.name(lang) if area else code


def _when(text: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
