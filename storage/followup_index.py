"""What the follow-up list needs of each concern, kept beside the store's documents.

A district office holds 100,000 concerns: building every record to find the overdue ones
would take seconds. The store keeps these few facts per concern (updated on every save), so
the list is one pass over small tuples and only the rows shown are built as records.
"""
from __future__ import annotations

import bisect
from datetime import date, timedelta
from typing import Any, Iterable, NamedTuple, Optional

from records.followup import DEFAULT_DUE_DAYS


class FollowupFacts(NamedTuple):
    id: str
    household_id: str
    status: str
    category: str
    priority: str
    due: int  # date.toordinal() of its due date
    institution_id: Optional[str]
    needs_telling: bool  # resolved, and no feedback since
    created_at: str  # ISO, UTC
    source: Optional[str]  # where it was raised (a field the meetings work adds; None before it)
    referred: bool  # referred to someone (an institution of the list, or one named by its text)


def _due(doc: dict[str, Any]) -> int:
    if doc.get("due_on"):
        return date.fromisoformat(doc["due_on"]).toordinal()
    raised = date.fromisoformat(str(doc["created_at"])[:10])  # as records.followup.due_date
    return (raised + timedelta(days=DEFAULT_DUE_DAYS.get(doc.get("priority"), 30))).toordinal()


def _needs_telling(doc: dict[str, Any]) -> bool:
    if doc["status"] != "resolved":
        return False
    for entry in reversed(doc.get("history") or ()):  # as records.followup.needs_telling
        if entry.get("feedback") is not None:
            return False
        if entry.get("to_status") == "resolved" and entry.get("from_status") != "resolved":
            return True
    return True


def facts_of(record_id: str, doc: dict[str, Any]) -> FollowupFacts:
    return FollowupFacts(record_id, doc["household_id"], doc["status"], doc["category"], doc.get("priority", "normal"),
                         _due(doc), doc.get("institution_id"), _needs_telling(doc), str(doc["created_at"]),
                         doc.get("source"), bool(doc.get("referred_to") or doc.get("institution_id")))


# ---------------------------------------------------------------- the index the list reads

OTHER = "other"  # the institution key of a referral to an institution named only by its text
Key = tuple[str, str]  # ("category", "water"), ("institution", "bmc-dowram"), ("source", "forum")


class FollowupPage(NamedTuple):
    overdue: int
    due_soon: int
    tell_household: int
    top: list[tuple[str, str]]  # (concern id, "overdue" | "due_soon" | "tell_household"), most pressing first


def keys_of(f: FollowupFacts) -> list[Key]:
    keys = [("category", f.category)]
    institution = f.institution_id or (OTHER if f.referred else None)
    if institution:
        keys.append(("institution", institution))
    if f.source:
        keys.append(("source", f.source))
    return keys


class FollowupIndex:
    """Open concerns sorted by due day (all of them, and per category, institution and source), and
    the resolved ones whose household is still to be told: counts by bisection, the first page by
    slicing. Kept up to date on every save (``put``)."""

    def __init__(self) -> None:
        self.facts: dict[str, FollowupFacts] = {}
        self._open: dict[Optional[Key], list[tuple[int, str, str]]] = {None: []}  # (due, created_at, id)
        self._tell: dict[Optional[Key], set[str]] = {None: set()}
        self.escalated: set[str] = set()

    def _places(self, f: FollowupFacts) -> list[Optional[Key]]:
        return [None, *keys_of(f)]

    def _remove(self, f: FollowupFacts) -> None:
        entry = (f.due, f.created_at, f.id)
        for key in self._places(f):
            rows = self._open.get(key)
            if rows is not None:
                i = bisect.bisect_left(rows, entry)
                if i < len(rows) and rows[i] == entry:
                    del rows[i]
            self._tell.get(key, set()).discard(f.id)
        self.escalated.discard(f.id)

    def put(self, record_id: str, doc: dict[str, Any]) -> None:
        old = self.facts.get(record_id)
        if old is not None:
            self._remove(old)
        f = facts_of(record_id, doc)
        self.facts[record_id] = f
        if f.status == "escalated":
            self.escalated.add(record_id)
        for key in self._places(f):
            if f.status not in ("resolved", "escalated"):
                bisect.insort(self._open.setdefault(key, []), (f.due, f.created_at, f.id))
            elif f.needs_telling:
                self._tell.setdefault(key, set()).add(f.id)

    def keys(self, kind: str) -> list[str]:
        return sorted(k[1] for k, rows in list(self._open.items()) + list(self._tell.items())
                      if k is not None and k[0] == kind and rows)

    def query(self, today: int, soon: int, *, keys: tuple[Key, ...] = (), ids: Optional[Iterable[str]] = None,
              limit: int = 50) -> FollowupPage:
        """The concerns to follow up on ``today`` (day ordinals): due before today, due by ``soon``, or
        resolved without telling the household; with every key of ``keys``, among ``ids`` if given."""
        wanted = set(keys[1:])

        def passes(f: FollowupFacts) -> bool:
            return not wanted or wanted <= set(keys_of(f))

        if ids is not None:
            return self._query_ids(today, soon, keys, ids, limit)
        first = keys[0] if keys else None
        rows = self._open.get(first, [])
        late_end = bisect.bisect_left(rows, (today, "", ""))
        soon_end = bisect.bisect_left(rows, (soon + 1, "", ""))
        tell_ids = self._tell.get(first, set())
        if wanted:  # a second filter: scan this key's candidates
            facts = self.facts
            late = [r for r in rows[:late_end] if passes(facts[r[2]])]
            due_soon = [r for r in rows[late_end:soon_end] if passes(facts[r[2]])]
            tell = [i for i in tell_ids if passes(facts[i])]
            return self._page(late, due_soon, tell, limit)
        top = [(r[2], "overdue") for r in rows[:min(late_end, limit)]]
        top += [(r[2], "due_soon") for r in rows[late_end:min(soon_end, late_end + limit - len(top))]]
        if len(top) < limit:
            top += [(i, "tell_household") for i in self._sorted_tell(tell_ids)[:limit - len(top)]]
        return FollowupPage(late_end, soon_end - late_end, len(tell_ids), top)

    def _sorted_tell(self, ids: Iterable[str]) -> list[str]:
        facts = self.facts
        return sorted(ids, key=lambda i: (facts[i].due, facts[i].created_at))

    def _page(self, late: list, due_soon: list, tell: list[str], limit: int) -> FollowupPage:
        top = [(r[2], "overdue") for r in late[:limit]] + [(r[2], "due_soon") for r in due_soon[:limit]]
        top = top[:limit]
        if len(top) < limit:
            top += [(i, "tell_household") for i in self._sorted_tell(tell)[:limit - len(top)]]
        return FollowupPage(len(late), len(due_soon), len(tell), top)

    def _query_ids(self, today: int, soon: int, keys: tuple[Key, ...], ids: Iterable[str], limit: int
                   ) -> FollowupPage:
        wanted = set(keys)
        late, due_soon, tell = [], [], []
        for record_id in ids:
            f = self.facts.get(record_id)
            if f is None or (wanted and not wanted <= set(keys_of(f))):
                continue
            if f.status in ("resolved", "escalated"):
                if f.needs_telling:
                    tell.append(record_id)
            elif f.due < today:
                late.append((f.due, f.created_at, record_id))
            elif f.due <= soon:
                due_soon.append((f.due, f.created_at, record_id))
        late.sort()
        due_soon.sort()
        return self._page(late, due_soon, tell, limit)
