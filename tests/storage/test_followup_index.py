"""The store's follow-up index answers what the record rules say, after any sequence of saves."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from records import followup
from records.followup import DUE_SOON_DAYS
from records.models import Concern, ConcernCategory, ConcernStatus, Feedback, Priority
from storage.memory import MemoryStore
from tests.support.records import ESCALATION, household, visit

TODAY = date(2026, 3, 20)


def test_the_follow_up_index_agrees_with_the_rules_after_raising_moving_and_telling():
    rng = random.Random(5)
    store = MemoryStore()
    houses = [household(i) for i in range(6)]
    visits = [visit(h) for h in houses]
    store.save(*houses, *visits)
    concerns: dict[str, Concern] = {}
    for n in range(120):
        if concerns and rng.random() < 0.5:  # move one that exists
            c = concerns[rng.choice(sorted(concerns))]
            to = rng.choice(sorted(followup_moves(c), key=lambda s: s.value) or [c.status])
            if to == c.status:
                if c.status == ConcernStatus.resolved:
                    c = c.record_feedback(Feedback(told_on=date(2026, 3, 1), channel="visit", answer="no_answer"),
                                          by="Dara")
            else:
                c = c.change_status(to, by="Dara", referred_to="Dept", institution_id=rng.choice(["moh", None]),
                                    escalation=ESCALATION)
        else:
            i = rng.randrange(len(houses))
            c = Concern.raise_new(by="Dara", at=datetime(2026, 3, 1, tzinfo=timezone.utc) + timedelta(days=n % 19),
                                  household_id=houses[i].id, visit_id=visits[i].id,
                                  category=rng.choice(list(ConcernCategory)), priority=rng.choice(list(Priority)),
                                  description=f"n{n}")
        concerns[c.id] = c
        store.save(c)
    today = TODAY.toordinal()
    for keys in ((), (("category", "water"),), (("institution", "moh"),), (("category", "roads"),
                                                                           ("institution", "other"))):
        expected = {c.id: followup.state(c, TODAY) for c in concerns.values()
                    if followup.to_follow_up(c, TODAY) and matches(c, keys)}
        for households in (None, [houses[0].id, houses[3].id]):
            page = store.concerns.followup(today, today + DUE_SOON_DAYS, keys=keys, household_ids=households,
                                           limit=1000)
            want = {i: s for i, s in expected.items() if households is None or concerns[i].household_id in households}
            assert dict(page.top) == want, keys
            assert (page.overdue, page.due_soon, page.tell_household) == tuple(
                sum(1 for s in want.values() if s == name) for name in ("overdue", "due_soon", "tell_household"))
            order = [followup.sort_key(concerns[i], TODAY) for i, _ in page.top]
            assert order == sorted(order)
    assert set(store.concerns.escalated_ids()) == {c.id for c in concerns.values() if c.status.value == "escalated"}


def followup_moves(c: Concern) -> set:
    from records.models import ALLOWED_TRANSITIONS

    return set(ALLOWED_TRANSITIONS[c.status])


def matches(c: Concern, keys) -> bool:
    for kind, value in keys:
        if kind == "category" and c.category.value != value:
            return False
        if kind == "institution" and (c.institution_id or ("other" if c.referred_to else None)) != value:
            return False
    return True
