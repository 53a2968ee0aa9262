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
        key_of: dict[str, Optional[str]] = {}  # village -> its sub-area, worked out once per village
        children: dict[Optional[str], Tally] = defaultdict(Tally)
        households: dict[Optional[str], set] = defaultdict(set)
        by_month: Counter = Counter()
        visit_day: dict[str, str] = {}
        for visit_id, household_id, day in self.store.visits.stored_fields("id", "household_id", "visited_on"):
            village = village_of.get(household_id)
            if village is None or not (start <= day <= end):
                continue
            visit_day[visit_id] = day
            if village not in key_of:
                key_of[village] = child_code(area_code, village)
            key = key_of[village]
            children[key].visits += 1
            households[key].add(household_id)
            by_month[day[:7]] += 1
        for key, ids in households.items():
            children[key].households = len(ids)
        resolved: list[tuple[str, Tally, str]] = []
        escalated_ids: dict[str, tuple[str, str]] = {}
        for cid, visit_id, household_id, category, priority, status in self.store.concerns.stored_fields(
                "id", "visit_id", "household_id", "category", "priority", "status"):
            day = visit_day.get(visit_id)
            if day is None:
                continue
            t = children[key_of[village_of[household_id]]]
            t.concerns += 1
            t.by_category[category] += 1
            t.by_priority[priority] += 1
            t.outcomes[outcome_of(status)] += 1
            if status == "resolved":
                resolved.append((cid, t, day))
            elif status == "escalated":
                escalated_ids[cid] = (village_of[household_id], day)
        # History and text only for the concerns that need them: a fraction of the store.
        histories = {c: (h, u) for c, h, u in self.store.concerns.stored_fields(
            "id", "history", "updated_at", ids=[c for c, _, _ in resolved])}
        for cid, t, day in resolved:
            history, updated = histories[cid]
            days = days_to_resolution(date.fromisoformat(day), resolved_on("resolved", history or [], _when(updated)))
            if days is not None:
                t.resolution_days[days] += 1
        today = local_date(self.clock())
        escalated = [escalated_entry(concern_id=cid, village_code=escalated_ids[cid][0],
                                     visited_on=date.fromisoformat(escalated_ids[cid][1]), category=category,
                                     priority=priority, description=text, today=today)
                     for cid, category, priority, text in self.store.concerns.stored_fields(
                         "id", "category", "priority", "description", ids=list(escalated_ids))]
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
