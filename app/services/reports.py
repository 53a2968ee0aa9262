"""The activity report over the device's own records, offline (records/report.py defines every figure).

Reads stored field values and the store's follow-up facts, not models: a district desktop holds
50,000 households and twice as many visits, and validating each would take seconds; the report
only counts and compares dates.
"""
from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any, Callable, Optional

from records.catalog import load_catalog
from records.institutions import Institution
from records.models import ConcernCategory, Priority, utcnow
from records.report import (ESCALATED_LIST_LIMIT, LONG_OVERDUE_DAYS, NOT_LISTED, Period, Tally, age_bucket, assemble,
                            child_code, days_to_resolution, escalated_entry, local_date, meeting_day,
                            officials_present, outcome_of, resolved_on)
from storage.followup_reference import load_institutions
from storage.repository import Store

_MEETING_FIELDS = ("id", "area_code", "meeting_kind", "status", "planned_on", "held_on", "postponed_to",
                   "public_total", "public_women", "invitations")


class ReportService:
    def __init__(self, store: Store, *, clock: Callable[[], datetime] = utcnow):
        self.store = store
        self.clock = clock

    def activity(self, area_code: str, period: Period, *, lang: str = "en") -> dict[str, Any]:
        """The report of ``area_code`` ("" = every record on the device) for ``period``."""
        start, end = period.start.isoformat(), period.end.isoformat()  # ISO days compare as text
        today = local_date(self.clock())
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
        meeting_place = self._meetings(area_code, start, end, children)  # meeting id -> (day, sub-area, area)
        # Where and on which day each concern counts: its visit's (where its household lives), else its
        # meeting's, else the day it was raised (``elsewhere``: concern id -> (day, sub-area, village or area)).
        wanted = self.store.concerns.ids_for_visits(visit_day)
        elsewhere = self._unvisited(start, end, meeting_place, village_of, key_of)
        if elsewhere:
            wanted += list(elsewhere)
        concern_combos: Counter = Counter()
        resolved: list[tuple[str, Optional[str], int, bool]] = []
        listed: dict[str, tuple[str, int]] = {}  # escalated or long overdue: id -> (village, due)
        referred: Counter = Counter()
        overdue: Counter = Counter()
        today_n = today.toordinal()
        ages: dict[str, int] = {}  # the day a concern was raised -> its age today (few distinct days)
        # Unpacked (storage.followup_index.FollowupFacts' order): faster than its attributes, 100,000 times.
        for (cid, household_id, status, category, priority, due, institution_id, needs_telling, created_at, source,
             _) in self.store.concerns.followup_facts_of(wanted):
            where = elsewhere.get(cid) if elsewhere else None
            if where is None:
                village = village_of.get(household_id)
                if village is None:  # its household is not the visit's: a record the server will refuse
                    continue
                key = key_of[village]
            else:
                key, village = where[1], where[2]
            concern_combos[(key, category, priority, status, source or "household_visit")] += 1
            if status == "resolved":
                resolved.append((cid, key, due, not needs_telling))
            elif status == "escalated":
                listed[cid] = (village, due)
            else:
                if status == "referred":
                    referred[(key, institution_id or NOT_LISTED)] += 1
                if today_n > due:  # neither resolved nor escalated: records.followup.is_overdue
                    raised = created_at[:10]
                    if (age := ages.get(raised)) is None:
                        age = ages[raised] = max(0, today_n - date.fromisoformat(raised).toordinal())
                    overdue[(key, age)] += 1
                    if age > LONG_OVERDUE_DAYS:  # records.report.is_long_overdue
                        listed[cid] = (village, due)

        # The visit of the few concerns whose day is needed: the resolved (days to resolution) and the listed.
        histories = {c: (v, h, u) for c, v, h, u in self.store.concerns.stored_fields(
            "id", "visit_id", "history", "updated_at", ids=[c[0] for c in resolved])}
        visit_of = {c: v for c, (v, _, _) in histories.items()}
        visit_of.update(self.store.concerns.stored_fields("id", "visit_id", ids=listed) if listed else ())

        def day_of(cid: str) -> str:
            return elsewhere[cid][0] if cid in elsewhere else visit_day[visit_of[cid]]

        # Only the lines the list shows (oldest first, as assemble orders them) are read and built.
        shown = [c for _, c in heapq.nsmallest(ESCALATED_LIST_LIMIT, (
            (elsewhere[c][0] if c in elsewhere else visit_day[visit_of[c]], c) for c in listed))]

        for (key, category, priority, status, source), n in concern_combos.items():
            t = children[key]
            t.concerns += n
            t.by_category[category] += n
            t.by_priority[priority] += n
            t.by_source[source] += n
            t.outcomes[outcome_of(status)] += n
        for (key, institution), n in referred.items():
            children[key].by_institution[institution] += n
        for (key, age), n in overdue.items():
            children[key].overdue_by_age[age_bucket(age)] += n
        for cid, key, due, told in resolved:
            _, history, updated = histories[cid]
            done = resolved_on("resolved", history or [], updated)  # stored text: read as it is
            day = elsewhere[cid][0] if cid in elsewhere else visit_day[histories[cid][0]]
            days = days_to_resolution(date.fromisoformat(day), done)
            t = children[key]
            if days is not None:
                t.resolution_days[days] += 1
            if done is not None and done.toordinal() <= due:
                t.resolved_by_due += 1
            if told:
                t.told += 1
        names = self.institution_names(lang)
        escalated = []
        for cid, category, priority, text, status, history, created, institution in self.store.concerns.stored_fields(
                "id", "category", "priority", "description", "status", "history", "created_at", "institution_id",
                ids=shown) if shown else ():
            village, due = listed[cid]
            escalated.append(escalated_entry(
                concern_id=cid, village_code=village, visited_on=date.fromisoformat(day_of(cid)), category=category,
                priority=priority, description=text, today=today, status=status,
                raised=date.fromisoformat(str(created)[:10]), due=date.fromordinal(due), history=history or [],
                institution_id=institution, institution_name=names.get(institution or "", institution)))
        total = Tally()
        for t in children.values():
            total.add(t)
        named = {code: t for code, t in children.items() if code is not None}
        return assemble(area_code=area_code, area_name=self.area_name(area_code, lang), period=period, total=total,
                        children=named, child_names={c: self.area_name(c, lang) for c in named},
                        escalated=escalated, visits_by_month=by_month, generated_at=self.clock(),
                        categories=[c.value for c in ConcernCategory], priorities=[p.value for p in Priority],
                        institution_names=names)

    def _meetings(self, area_code: str, start: str, end: str,
                  children: dict[Optional[str], Tally]) -> dict[str, tuple[str, Optional[str], str]]:
        """Count the area's meetings planned and held in the period; returns every one's (day, sub-area, area)."""
        out: dict[str, tuple[str, Optional[str], str]] = {}
        for (mid, area, kind, status, planned, held, postponed, total, women,
             invitations) in self.store.meetings.stored_fields(*_MEETING_FIELDS):
            if not area or not area.startswith(area_code):
                continue
            key = child_code(area_code, area)
            if start <= planned <= end:
                children[key].meetings_planned[kind] += 1
            if status == "held" and held and start <= held <= end:
                t = children[key]
                t.meetings_held[kind] += 1
                t.public_total += total or 0
                t.public_women += women or 0
                t.officials_present += officials_present(invitations)
            out[mid] = (meeting_day(held, postponed, planned).isoformat(), key, area)
        return out

    def _unvisited(self, start: str, end: str, meeting_place: dict, village_of: dict,
                   key_of: dict) -> dict[str, tuple[str, Optional[str], str]]:
        """The concerns raised at no visit that count: on their meeting's day and in its area, else on the
        Cambodian day they were raised, where their household lives."""
        place: dict[str, tuple[str, Optional[str], str]] = {}
        ids = [cid for cid, _ in self.store.concerns.visit_of_concerns([None])]
        ids += self.store.concerns.ids_for_meetings(meeting_place)  # those with a visit too are left below
        for cid, visit_id, meeting_id, household_id, created in self.store.concerns.stored_fields(
                "id", "visit_id", "meeting_id", "household_id", "created_at", ids=set(ids)):
            if visit_id is not None:
                continue
            if meeting_id is not None:
                where = meeting_place.get(meeting_id)
                if where is not None and start <= where[0] <= end:
                    place[cid] = where
            elif (village := village_of.get(household_id)) is not None and created:
                day = local_date(_when(str(created))).isoformat()
                if start <= day <= end:
                    place[cid] = (day, key_of[village], village)
        return place

    def institution_names(self, lang: str) -> dict[str, str]:
        """Institution id -> its name in ``lang`` (the pulled list, else the seed); "" for those not listed."""
        cat = load_catalog(lang)
        institutions: list[Institution] = load_institutions(self.store)[2]
        return {"": cat.get("report.institution_not_listed", "Not in the list"),
                **{i.id: i.name(lang) for i in institutions}}

    def area_name(self, code: str, lang: str) -> str:
        if not code:
            return load_catalog(lang).get("report.national", "Cambodia")
        area = self.store.areas.get(code)
        return area.name(lang) if area else code


def _when(text: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
