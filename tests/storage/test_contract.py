"""The store contract: one suite, run against the in-memory fake and the TinyDB store."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from records.models import ConcernCategory, ConcernStatus, SyncState
from storage.migrations import MIGRATIONS
from storage.repository import Area, ConflictCopy, GazetteerOrphansError, NotFoundError
from tests.storage.conftest import NOW
from tests.support.records import T0, concern, household, visit


def test_a_saved_household_reads_back_equal(store, reopen):
    h = household(head_name="ចាន់ សុភាព", head_name_latin="Chan Sopheap", phone="០១២ ៣៤៥ ៦៧៨", members="៥",
                  vulnerabilities=["idpoor", "disability"], gps={"lat": 13.1, "lon": 103.2})
    store.save(h)
    store = reopen(store)
    assert store.households.get(h.id) == h
    assert store.households.count() == 1


def test_stored_fields_read_back_each_records_values_after_reopening(store, reopen):
    h = household(1)
    v = visit(h, 1)
    store.save(h, v)
    store = reopen(store)
    assert store.visits.stored_fields("id", "household_id", "visited_on") == [
        (v.id, h.id, v.visited_on.isoformat())]
    assert store.households.stored_fields("village_code", "no_such_field") == [(h.village_code, None)]


def test_an_unknown_id_is_none_for_find_and_not_found_for_get(store):
    assert store.households.find("00000000-0000-4000-8000-000000000000") is None
    with pytest.raises(NotFoundError):
        store.visits.get("00000000-0000-4000-8000-000000000000")


def test_a_visit_and_its_concerns_are_saved_together(store, reopen):
    h = household()
    v = visit(h)
    c1, c2 = concern(h, v, 1), concern(h, v, 2, category=ConcernCategory.roads)
    store.save(h, v, c1, c2)
    store = reopen(store)
    assert store.visits.get(v.id) == v
    assert {c.id for c in store.concerns.for_visit(v.id)} == {c1.id, c2.id}
    assert store.concerns.get(c2.id).history == c2.history


def test_saving_an_edit_replaces_the_record(store, reopen):
    h = household()
    store.save(h)
    edited = h.edited(members=7, phone="097 777 7777")
    store.save(edited)
    store = reopen(store)
    got = store.households.get(h.id)
    assert (got.rev, got.members, got.phone) == (2, 7, "+855977777777")
    assert store.households.count() == 1
    assert store.households.search("0977777777")[0].id == h.id
    assert store.households.search("012 100000") == []


def test_the_outbox_is_the_records_in_a_sync_state(store, reopen):
    pending, synced = household(1), household(2, sync_state=SyncState.synced)
    rejected = household(3, sync_state=SyncState.rejected, sync_error={"code": "phone_invalid"})
    store.save(pending, synced, rejected)
    store = reopen(store)
    assert store.households.ids_in_state(SyncState.pending) == [pending.id]
    assert {h.id for h in store.households.in_state(SyncState.pending, SyncState.rejected)} == {pending.id, rejected.id}
    store.save(store.households.get(pending.id).model_copy(update={"sync_state": SyncState.synced}))
    assert store.households.ids_in_state(SyncState.pending) == []


def test_a_sync_copy_is_a_records_bookkeeping_and_wire_form_read_without_the_model(store):
    h = household(1, sync_state=SyncState.rejected, server_rev=3, sync_error={"code": "phone_invalid"})
    v = visit(h)
    c = concern(h, v)
    store.save(h, v, c)
    copies = store.sync_copies([("household", h.id), ("concern", c.id), ("visit", v.id),
                                ("visit", "00000000-0000-4000-8000-000000000000")])
    assert [(x.kind, x.id, x.rev) for x in copies[:3]] == [("household", h.id, 1), ("concern", c.id, 1),
                                                           ("visit", v.id, 1)]
    assert copies[3] is None
    assert (copies[0].sync_state, copies[0].server_rev, copies[0].sync_error) == (
        SyncState.rejected, 3, {"code": "phone_invalid"})
    assert [x.wire() for x in copies[:3]] == [h.wire(), c.wire(), v.wire()]
    with pytest.raises(ValueError):
        copies[0].model_copy(update={"members": 9})  # content never changes this way


def test_saving_sync_bookkeeping_changes_only_those_fields_durably(store, reopen):
    h = household(1)
    v = visit(h)
    store.save(h, v)
    sent_h, sent_v = store.sync_copies([("household", h.id), ("visit", v.id)])
    store.save_sync(sent_h.model_copy(update={"sync_state": SyncState.synced, "server_rev": 4}),
                    sent_v.model_copy(update={"sync_state": "rejected", "sync_error": {"code": "x", "field": None}}))
    store = reopen(store)
    got_h, got_v = store.households.get(h.id), store.visits.get(v.id)
    assert (got_h.sync_state, got_h.server_rev) == (SyncState.synced, 4)
    assert (got_v.sync_state, got_v.sync_error) == (SyncState.rejected, {"code": "x", "field": None})
    assert got_h.model_copy(update={"sync_state": h.sync_state, "server_rev": None}) == h
    assert store.households.search("សុខ")[0].id == h.id
    assert store.households.ids_in_state(SyncState.pending) == []


def test_sync_bookkeeping_read_before_an_edit_never_lands_on_the_edit(store, reopen):
    h = household(1)
    store.save(h)
    [sent] = store.sync_copies([("household", h.id)])
    store.save(h.edited(members=6))  # the official edits while the copy is on its way
    store.save_sync(sent.model_copy(update={"sync_state": SyncState.synced, "server_rev": 1}))
    store = reopen(store)
    got = store.households.get(h.id)
    assert (got.rev, got.members, got.sync_state, got.server_rev) == (2, 6, SyncState.pending, None)


@pytest.mark.parametrize("typed", ["ស្រីមុំ", "ស្រី", "SOK", "sok sr", "chan", "  sok  "])
def test_households_are_found_by_part_of_a_khmer_or_latin_name(store, typed):
    found = household(1, head_name="សុខ ស្រីមុំ", head_name_latin="Sok Sreymom")
    other = household(2, head_name="ចាន់ ដារ៉ា", head_name_latin="Chan Dara")
    store.save(found, other)
    expected = {other.id} if typed == "chan" else {found.id}
    assert {h.id for h in store.households.search(typed)} == expected


def test_zero_width_spaces_and_composition_do_not_hide_a_name(store):
    h = household(head_name="សុខ\u200bស្រីមុំ")
    store.save(h)
    assert [x.id for x in store.households.search("សុខស្រី")] == [h.id]


@pytest.mark.parametrize("typed", ["+855 12 345 678", "012345678", "012-345-678", "០១២ ៣៤៥ ៦៧៨", "345678", "85512345"])
def test_households_are_found_by_phone_typed_any_way(store, typed):
    h = household(1, phone="012 345 678")
    store.save(h, household(2, phone="097 111 2222"))
    assert [x.id for x in store.households.search(typed)] == [h.id]


def test_search_narrows_to_an_area_sorts_by_name_and_stops_at_the_limit(store):
    names = ["ខ", "ក", "គ", "ឃ"]
    hs = [household(i, head_name=f"{n} សុខ", village_code="01020101") for i, n in enumerate(names)]
    elsewhere = household(9, head_name="ក សុខ", village_code="02030405")
    store.save(*hs, elsewhere)
    assert [h.head_name for h in store.households.search("សុខ", area_code="0102")] == ["ក សុខ", "ខ សុខ", "គ សុខ", "ឃ សុខ"]
    assert len(store.households.search("", limit=3)) == 3
    assert [h.id for h in store.households.search("", area_code="02")] == [elsewhere.id]


def test_households_are_listed_by_village_commune_district_and_province(store, reopen):
    a = household(1, village_code="01020101")
    b = household(2, village_code="01020102")
    c = household(3, village_code="01030101")
    d = household(4, village_code="17010101")
    store.save(a, b, c, d)
    store = reopen(store)

    def ids(code):
        return {h.id for h in store.households.in_area(code)}

    assert ids("01020101") == {a.id}
    assert ids("010201") == {a.id, b.id}
    assert ids("0103") == {c.id}
    assert ids("01") == {a.id, b.id, c.id}
    assert store.households.village_codes_in_use() == {"01020101": 1, "01020102": 1, "01030101": 1, "17010101": 1}


def test_visits_of_a_household_come_newest_first(store, reopen):
    h = household()
    old, new = visit(h, 0), visit(h, 5)
    store.save(h, old, new, visit(household(2), 1))
    store = reopen(store)
    assert [v.id for v in store.visits.for_household(h.id)] == [new.id, old.id]


def test_concerns_filter_by_status_category_and_household(store, reopen):
    h1, h2 = household(1), household(2)
    v1, v2 = visit(h1), visit(h2)
    water = concern(h1, v1, 1)
    roads = concern(h1, v1, 2, category=ConcernCategory.roads).change_status(
        ConcernStatus.referred, by="dara", referred_to="Provincial Department of Public Works", at=T0 + timedelta(days=1))
    health = concern(h2, v2, 3, category=ConcernCategory.health)
    store.save(h1, h2, v1, v2, water, roads, health)
    store = reopen(store)

    def ids(**filters):
        return [c.id for c in store.concerns.filtered(**filters)]

    assert ids() == [health.id, roads.id, water.id]
    assert ids(statuses=[ConcernStatus.referred]) == [roads.id]
    assert ids(categories=[ConcernCategory.water, ConcernCategory.health]) == [health.id, water.id]
    assert ids(household_ids={h1.id}) == [roads.id, water.id]
    assert ids(household_ids={h2.id}, statuses=[ConcernStatus.open]) == [health.id]
    assert ids(household_ids=set()) == []
    assert [c.id for c in store.concerns.for_household(h1.id)] == [roads.id, water.id]


def test_open_counts_follow_status_changes(store, reopen):
    h = household()
    v = visit(h)
    c1, c2 = concern(h, v, 1), concern(h, v, 2)
    store.save(h, v, c1, c2)
    assert store.concerns.open_counts() == {h.id: 2}
    store.save(c1.change_status(ConcernStatus.resolved, by="dara", at=NOW))
    store = reopen(store)
    assert store.concerns.open_counts() == {h.id: 1}
    store.save(store.concerns.get(c1.id).change_status(ConcernStatus.open, by="dara", note="came back", at=NOW))
    assert store.concerns.open_counts() == {h.id: 2}
    assert [e.to_status for e in store.concerns.get(c1.id).history] == ["open", "resolved", "open"]


AREAS = [
    Area("01", "province", None, "Banteay Meanchey", "បន្ទាយមានជ័យ"),
    Area("0102", "district", "01", "Mongkol Borey", "មង្គលបូរី"),
    Area("010201", "commune", "0102", "Banteay Neang", "បន្ទាយនាង"),
    Area("01020101", "village", "010201", "Ou Thum", "អូរធំ"),
    Area("01020102", "village", "010201", "Phnum", "ភ្នំ"),
]


def test_the_gazetteer_is_replaced_whole_and_read_by_code_parent_and_name(store, reopen):
    info = store.load_gazetteer(AREAS, source="test", version="1")
    assert (info.source, info.version, info.counts) == ("test", "1", {"province": 1, "district": 1, "commune": 1,
                                                                      "village": 2})
    store = reopen(store)
    assert store.areas.count() == 5
    assert store.areas.get("01020102").name("km") == "ភ្នំ"
    assert [a.code for a in store.areas.children(None)] == ["01"]
    assert [a.code for a in store.areas.children("010201")] == ["01020101", "01020102"]
    assert [a.code for a in store.areas.search_villages("thum")] == ["01020101"]
    assert [a.code for a in store.areas.search_villages("ភ្នំ", within="0102")] == ["01020102"]
    assert store.areas.info().version == "1"
    store.load_gazetteer(AREAS[:4], source="test", version="2")
    store = reopen(store)
    assert (store.areas.count(), store.areas.get("01020102"), store.areas.info().version) == (4, None, "2")


def test_a_gazetteer_that_would_orphan_used_village_codes_is_refused(store):
    store.load_gazetteer(AREAS, source="test", version="1")
    store.save(household(1, village_code="01020102"), household(2, village_code="01020102"))
    with pytest.raises(GazetteerOrphansError) as refused:
        store.load_gazetteer(AREAS[:4], source="test", version="2")
    assert refused.value.orphaned == {"01020102": 2}
    assert store.areas.info().version == "1"


def test_meta_values_are_json_kept_and_copied(store, reopen):
    assert store.meta.get("cursor", {"n": 0}) == {"n": 0}
    value = {"cursor": "abc", "pages": [1, 2]}
    store.meta.set("sync", value)
    value["pages"].append(3)
    store = reopen(store)
    got = store.meta.get("sync")
    got["pages"].append(4)
    assert store.meta.get("sync") == {"cursor": "abc", "pages": [1, 2]}
    with pytest.raises(TypeError):
        store.meta.set("bad", object())


def test_conflict_copies_are_kept_until_removed(store, reopen):
    h = household()
    copy = ConflictCopy("household", h.id, h.wire() | {"members": 4}, 3, NOW)
    store.conflicts.put(copy)
    store = reopen(store)
    assert store.conflicts.find(h.id) == copy
    assert store.conflicts.all() == [copy]
    store.conflicts.remove(h.id)
    store.conflicts.remove(h.id)
    store = reopen(store)
    assert store.conflicts.all() == []


def test_a_new_store_has_its_migrations_recorded(store, reopen):
    every = [m.name for m in MIGRATIONS]
    assert every[:3] == ["0001_initial", "0002_concern_source", "0003_concern_due_dates"]
    assert store.applied_migrations() == every
    assert reopen(store).applied_migrations() == every


def test_an_edit_from_a_form_opened_before_a_sync_keeps_the_servers_rev(store, reopen):
    opened = household(members=4)
    store.save(opened)
    store.save(opened.model_copy(update={"sync_state": SyncState.synced, "server_rev": 3}))  # a sync ran meanwhile
    saved = store.save_edit(opened.edited(members=5))[0]
    store = reopen(store)
    got = store.households.get(opened.id)
    assert got == saved
    assert (got.members, got.sync_state, got.server_rev, got.sync_error) == (5, SyncState.pending, 3, None)
    assert got.rev == opened.rev + 1


def test_a_new_record_saved_as_an_edit_is_pending(store, reopen):
    new = household(sync_state=SyncState.rejected, sync_error={"code": "phone_invalid"})
    store.save_edit(new)
    got = reopen(store).households.get(new.id)
    assert (got.sync_state, got.sync_error, got.rev) == (SyncState.pending, None, new.rev)


def test_the_write_lock_keeps_a_save_edit_out_until_the_holder_is_done(store):
    h = household()
    store.save(h)
    done = threading.Event()
    with store.write_lock:  # what the sync runner holds while it applies an answer
        worker = threading.Thread(target=lambda: (store.save_edit(h.edited(members=9)), done.set()))
        worker.start()
        assert not done.wait(0.2)
        assert store.write_lock.acquire(blocking=False)  # reentrant for its holder
        store.write_lock.release()
    worker.join(5)
    assert done.is_set() and store.households.get(h.id).members == 9


def test_a_draft_is_kept_apart_from_the_records_and_never_in_the_outbox(store, reopen):
    h = household()
    store.save(h)
    store.drafts.put("household:new", {"head_name": "ស្រី សុខលាភ", "vulnerabilities": ["idpoor"]})
    store.drafts.put(f"household:{h.id}", {"members": "4"})
    store = reopen(store)
    assert store.drafts.keys() == sorted(["household:new", f"household:{h.id}"])
    assert store.drafts.find("household:new") == {"head_name": "ស្រី សុខលាភ", "vulnerabilities": ["idpoor"]}
    assert store.households.count() == 1 and store.households.get(h.id).members == h.members
    assert store.households.ids_in_state(SyncState.pending) == [h.id]  # the drafts are not in the outbox
    store.drafts.remove("household:new")
    store.drafts.remove("household:new")  # gone already: nothing to do
    store = reopen(store)
    assert store.drafts.keys() == [f"household:{h.id}"] and store.drafts.find("household:new") is None
def test_the_concerns_of_some_visits_are_found_from_the_index(store, reopen):
    h = household(1)
    v1, v2, v3 = visit(h, 1), visit(h, 2), visit(h, 3)
    c1, c2, c3 = concern(h, v1, 1), concern(h, v1, 2), concern(h, v2, 3)
    store.save(h, v1, v2, v3, c1, c2, c3)
    store = reopen(store)
    assert sorted(store.concerns.ids_for_visits([v1.id, v3.id, "no-such-visit"])) == sorted([c1.id, c2.id])
    assert store.concerns.stored_fields("id", ids=[c3.id, "gone"]) == [(c3.id,)]
