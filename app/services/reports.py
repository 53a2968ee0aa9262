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
        key_of = {v: child_code(area_code, v) for v in set(village_of.values())}  # village -> its sub-area
        # One counter per combination, expanded into tallies at the end: one dict update per record.
        visit_combos: Counter = Counter()
        households: dict[Optional[str], set] = defaultdict(set)
        visit_day: dict[str, str] = {}
        for visit_id, household_id, day in self.store.visits.stored_fields("id", "household_id", "visited_on"):
            if start <= day <= end and (village := village_of.get(household_id)) is not None:
                visit_day[visit_id] = day
                key = key_of[village]
                visit_combos[(key, day[:7])] += 1
                households[key].add(household_id)
        children: dict[Optional[str], Tally] = defaultdict(Tally)
        by_month: Counter = Counter()
        for (key, month), n in visit_combos.items():
            children[key].visits += n
            by_month[month] += n
        for key, ids in households.items():
            children[key].households = len(ids)
        concern_combos: Counter = Counter()
        resolved: list[tuple[str, Optional[str], str]] = []
        escalated_ids: dict[str, tuple[str, str]] = {}
        wanted = self.store.concerns.ids_for_visits(visit_day)
        for cid, visit_id, household_id, category, priority, status in self.store.concerns.stored_fields(
                "id", "visit_id", "household_id", "category", "priority", "status", ids=wanted):
            village = village_of.get(household_id)
            if village is None:  # its household is not the visit's: a record the server will refuse
                continue
            key = key_of[village]
            concern_combos[(key, category, priority, status)] += 1
            if status == "resolved":
                resolved.append((cid, key, visit_day[visit_id]))
            elif status == "escalated":
                escalated_ids[cid] = (village, visit_day[visit_id])
        for (key, category, priority, status), n in concern_combos.items():
            t = children[key]
            t.concerns += n
            t.by_category[category] += n
            t.by_priority[priority] += n
            t.outcomes[outcome_of(status)] += n
        # History and text only for the concerns that need them: a fraction of the store.
        histories = {c: (h, u) for c, h, u in self.store.concerns.stored_fields(
            "id", "history", "updated_at", ids=[c for c, _, _ in resolved])}
        for cid, key, day in resolved:
            history, updated = histories[cid]
            days = days_to_resolution(date.fromisoformat(day), resolved_on("resolved", history or [], _when(updated)))
            if days is not None:
                children[key].resolution_days[days] += 1
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
