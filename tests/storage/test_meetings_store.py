"""The store's meetings and the concerns raised at them, on the fake and on disk (one contract for both)."""
from __future__ import annotations

from datetime import date

from records.models import ConcernStatus
from tests.support.records import COMMUNE, family, forum_concern, meeting


def test_a_quarters_meetings_come_back_by_day_within_an_area_after_a_restart(store, reopen):
    ms = [meeting(0, planned_on=date(2026, 4, 30)), meeting(1, planned_on=date(2026, 4, 2)),
          meeting(2, planned_on=date(2026, 7, 1)), meeting(3, planned_on=date(2026, 3, 31)),
          meeting(4, level="district", area="0102", planned_on=date(2026, 5, 5)),
          meeting(5, area="010202", planned_on=date(2026, 6, 30))]
    store.save(*ms)
    store = reopen(store)
    q2 = store.meetings.planned_between(date(2026, 4, 1), date(2026, 6, 30))
    assert [m.id for m in q2] == [ms[1].id, ms[0].id, ms[4].id, ms[5].id]
    assert [m.id for m in store.meetings.planned_between(date(2026, 4, 1), date(2026, 6, 30), area_code=COMMUNE)] == [
        ms[1].id, ms[0].id]
    assert store.meetings.get(ms[2].id).wire() == ms[2].wire()


def test_a_meeting_moved_to_another_month_leaves_the_old_months_schedule(store, reopen):
    m = meeting(planned_on=date(2026, 4, 2))
    store.save(m)
    store.save_edit(m.edited(planned_on=date(2026, 8, 3)))
    store = reopen(store)
    assert store.meetings.planned_between(date(2026, 4, 1), date(2026, 6, 30)) == []
    assert [x.id for x in store.meetings.planned_between(date(2026, 7, 1), date(2026, 9, 30))] == [m.id]


def test_the_latest_meeting_of_an_area_is_the_one_planned_last(store):
    early, late = meeting(0, planned_on=date(2026, 4, 2)), meeting(1, planned_on=date(2026, 5, 2))
    store.save(late, early, meeting(2, area="010202", planned_on=date(2026, 6, 1)))
    assert store.meetings.latest_in(COMMUNE).id == late.id
    assert store.meetings.latest_in(COMMUNE, before=date(2026, 5, 2)).id == early.id
    assert store.meetings.latest_in("010203") is None


def test_concerns_raised_at_a_meeting_are_found_by_meeting_and_with_household_filters(store, reopen):
    m = meeting()
    h, v, c = family()
    raised = [forum_concern(m, 0), forum_concern(m, 1, raised_by=None, household_id=h.id)]
    store.save(m, h, v, c, *raised)
    store = reopen(store)
    assert {x.id for x in store.concerns.for_meeting(m.id)} == {r.id for r in raised}
    assert {x.id for x in store.concerns.filtered(meeting_ids={m.id})} == {r.id for r in raised}
    assert {x.id for x in store.concerns.filtered(household_ids={h.id})} == {c.id, raised[1].id}
    both = store.concerns.filtered(household_ids={h.id}, meeting_ids={m.id}, statuses=[ConcernStatus.open])
    assert {x.id for x in both} == {c.id, *(r.id for r in raised)}
    assert store.concerns.open_counts() == {h.id: 2}


def test_the_pending_badge_counts_every_state_in_one_pass_as_the_state_queries_do(store, reopen):
    from records.models import SyncState

    m = meeting()
    h, v, c = family()
    store.save(m.model_copy(update={"sync_state": SyncState.rejected}), h, v.model_copy(
        update={"sync_state": SyncState.synced}), c)
    store = reopen(store)
    for kind in ("household", "visit", "meeting", "concern"):
        repo = store.repository_for(kind)
        assert repo.state_counts() == {s: len(repo.ids_in_state(s)) for s in SyncState}
    assert store.meetings.state_counts()[SyncState.rejected] == 1
