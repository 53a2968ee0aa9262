"""The runner against the in-memory store, with a FakeServer at the transport seam."""
from __future__ import annotations

import threading

import pytest

from records.models import ConcernStatus, SyncState
from storage.memory import MemoryStore
from storage.repository import Area
from sync import decisions
from sync.conflicts import keep_local, keep_server
from sync.outbox import outbox_counts
from sync.runner import CURSOR_KEY, SyncInProgress, SyncRunner
from sync.transport import AuthError, HttpResponse, Refused, Transport, Unreachable
from tests.sync.fakes import FakeServer, json_response
from tests.support.records import concern, day_of_work, household, visit


@pytest.fixture
def server():
    return FakeServer()


@pytest.fixture
def store():
    return MemoryStore()


def runner_for(store, server, **kw):
    transport = Transport("http://127.0.0.1:8000", token="token-1", send=server)
    return SyncRunner(store, transport, device_id="device-test", **kw)


def states(store):
    return {r.id: r.sync_state for kind in ("household", "visit", "meeting", "concern")
            for r in store.repository_for(kind).all()}


def test_sync_pushes_every_pending_record_and_marks_it_synced(store, server):
    records = day_of_work(10)
    store.save(*records)
    report = runner_for(store, server, batch_size=7).sync_now()
    assert report.ok and report.accepted == 40 and report.total == 40 and report.sent == 40
    assert set(states(store).values()) == {SyncState.synced}
    assert set(server.records) == {r.id for r in records}
    assert all(store.repository_for(r).get(r.id).server_rev == 1 for r in records)
    assert [len(b) for b in server.pushed_batches] == [7] * 5 + [5]


def test_records_are_marked_sending_on_disk_before_their_batch_goes_out(store, server):
    records = day_of_work(2)
    store.save(*records)
    seen = []
    real = server.__call__

    def send(request):
        if request.url.endswith("/sync/push"):
            seen.append({r.id: states(store)[r.id] for r in records})
        return real(request)

    transport = Transport("http://127.0.0.1:8000", token="token-1", send=send)
    SyncRunner(store, transport, device_id="d").sync_now()
    assert seen and set(seen[0].values()) == {SyncState.sending}


def test_records_left_sending_by_a_crash_are_sent_again_and_stored_once(store, server):
    records = day_of_work(3)
    store.save(*records)
    runner_for(store, server).sync_now()
    # The app died after the server committed but before the answers were saved.
    store.save(*[decisions.mark_sending(store.repository_for(r).get(r.id).model_copy(
        update={"server_rev": None})) for r in records])
    report = runner_for(store, server).sync_now()
    assert report.ok and report.duplicates == 12 and report.accepted == 0
    assert len(server.records) == 12 and set(states(store).values()) == {SyncState.synced}


def test_a_record_edited_while_its_batch_is_on_the_wire_goes_back_to_pending(store, server):
    h = household()
    store.save(h)

    def official_edits(entries):
        store.save_edit(store.households.get(h.id).edited(members=7))

    server.before_push_answer = official_edits
    runner = runner_for(store, server)
    report = runner.sync_now()
    local = store.households.get(h.id)
    assert report.requeued == 1
    assert local.sync_state == SyncState.pending and local.members == 7 and local.server_rev == 1
    server.before_push_answer = None
    assert runner.sync_now().accepted == 1
    assert server.records[h.id]["data"]["members"] == 7 and server.records[h.id]["server_rev"] == 2
    assert store.households.get(h.id).sync_state == SyncState.synced


def test_in_a_big_batch_only_the_records_edited_on_the_wire_go_back_to_pending(store, server):
    records = day_of_work(10)
    store.save(*records)
    edited = [r for r in records if r.kind == "concern"][:3]

    def official_edits(entries):
        for r in edited:
            store.save_edit(store.concerns.get(r.id).edited(description="changed meanwhile"))

    server.before_push_answer = official_edits
    report = runner_for(store, server, batch_size=40).sync_now()
    assert report.requeued == 3 and report.accepted == 37
    assert {i for i, s in states(store).items() if s == SyncState.pending} == {r.id for r in edited}
    assert all(store.concerns.get(r.id).description == "changed meanwhile" for r in edited)


def test_rejected_records_come_back_with_reasons_and_do_not_block_the_rest(store, server):
    good, bad = household(1), household(2)
    store.save(good, bad)
    server.force[bad.id] = {"status": "rejected", "code": "outside_area", "reason": "not your area",
                            "field": "village_code"}
    report = runner_for(store, server).sync_now()
    assert report.ok and report.accepted == 1
    assert [(r.record_id, r.code, r.reason, r.field) for r in report.rejected] == [
        (bad.id, "outside_area", "not your area", "village_code")]
    assert store.households.get(bad.id).sync_state == SyncState.rejected
    assert store.households.get(bad.id).sync_error["code"] == "outside_area"
    assert store.households.get(good.id).sync_state == SyncState.synced


def test_a_visit_whose_household_is_not_on_the_server_waits_pending(store, server):
    h = household()
    v = visit(h)
    store.save(h, v)
    server.force[h.id] = {"status": "rejected", "code": "phone_invalid", "reason": "bad", "field": "phone"}
    report = runner_for(store, server).sync_now()
    assert report.deferred == 1 and not [r for r in report.rejected if r.record_id == v.id]
    assert store.visits.get(v.id).sync_state == SyncState.pending


def test_a_push_conflict_keeps_both_versions_until_someone_chooses(store, server):
    h = household()
    store.save(h)
    runner = runner_for(store, server)
    runner.sync_now()
    server.district_change(h.id, members=9)  # the office changed it meanwhile
    store.save_edit(store.households.get(h.id).edited(members=4))
    report = runner.sync_now()
    assert report.conflicts == [h.id]
    assert store.households.get(h.id).sync_state == SyncState.conflict
    assert store.households.get(h.id).members == 4
    kept = store.conflicts.find(h.id)
    assert kept.server_rev == 2 and kept.server_data["members"] == 9
    assert server.records[h.id]["data"]["members"] == 9  # nothing overwritten


def in_conflict(store, server):
    """A synced household the office changed (members 9) while the device changed it too (members 4),
    after the sync that found the conflict."""
    h = household()
    store.save(h)
    runner = runner_for(store, server)
    runner.sync_now()
    server.district_change(h.id, members=9)
    store.save_edit(store.households.get(h.id).edited(members=4))
    runner.sync_now()
    return h, runner


def test_keeping_the_local_version_of_a_conflict_wins_on_the_next_sync(store, server):
    h, runner = in_conflict(store, server)
    keep_local(store, h.id)
    assert store.conflicts.find(h.id) is None
    assert runner.sync_now().accepted == 1
    assert server.records[h.id]["data"]["members"] == 4 and server.records[h.id]["server_rev"] == 3
    assert store.households.get(h.id).sync_state == SyncState.synced


def test_keeping_the_server_version_of_a_conflict_replaces_the_local_copy(store, server):
    h, runner = in_conflict(store, server)
    kept = keep_server(store, h.id)
    assert kept.members == 9 and store.households.get(h.id).sync_state == SyncState.synced
    assert store.conflicts.all() == []
    assert runner.sync_now().total == 0


def test_pull_brings_district_status_changes_page_by_page(store, server):
    records = day_of_work(5)
    store.save(*records)
    runner = runner_for(store, server, pull_limit=3)
    runner.sync_now()
    concerns = [r for r in records if r.kind == "concern"]
    for c in concerns[:4]:
        moved = c.change_status(ConcernStatus.in_progress, by="district")
        server.district_change(c.id, status="in_progress", history=[e.model_dump(mode="json") for e in moved.history])
    report = runner.sync_now()
    assert report.ok and report.pulled == 4
    assert all(store.concerns.get(c.id).status == ConcernStatus.in_progress for c in concerns[:4])
    assert all(store.concerns.get(c.id).server_rev == 2 for c in concerns[:4])
    assert store.meta.get(CURSOR_KEY) == str(server.seq)
    pulls = [r for r in server.requests if "/sync/pull" in r.url]
    assert len(pulls) >= 2 + 2  # first sync pages over 20 echoes; second over 4 changes


def test_a_pull_never_overwrites_a_record_with_unsynced_local_edits(store, server):
    h = household()
    store.save(h)
    runner = runner_for(store, server)
    runner.sync_now()
    server.district_change(h.id, members=9)
    # Edited on the device after the push phase: still pending when the pull comes.
    original_push = runner.push

    def push_then_edit(report, emit):
        original_push(report, emit)
        store.save_edit(store.households.get(h.id).edited(members=3))

    runner.push = push_then_edit
    report = runner.sync_now()
    assert report.conflicts == [h.id]
    assert store.households.get(h.id).members == 3
    assert store.households.get(h.id).sync_state == SyncState.conflict
    assert store.conflicts.find(h.id).server_data["members"] == 9


class FailingStore(MemoryStore):
    """Saves fine until told to fail, like a disk that fills up."""

    fail_after: int | None = None

    def save(self, *records):
        if self.fail_after is not None:
            if self.fail_after == 0:
                raise OSError("disk full")
            self.fail_after -= 1
        super().save(*records)


def test_the_cursor_moves_only_after_a_page_is_saved(server):
    store = FailingStore()
    others = MemoryStore()
    records = day_of_work(3)
    others.save(*records)
    runner_for(others, server).sync_now()  # another device filled the server
    store.fail_after = 1  # the first page saves, the second does not
    runner = runner_for(store, server, pull_limit=5)
    with pytest.raises(OSError):
        runner.sync_now()
    assert store.meta.get(CURSOR_KEY) == "5"
    assert len(states(store)) == 5
    store.fail_after = None
    assert runner.sync_now().pulled == 7
    assert len(states(store)) == 12


def test_a_server_that_goes_away_mid_push_leaves_the_rest_pending_for_next_time(store, server):
    records = day_of_work(5)
    store.save(*records)
    calls = {"push": 0}
    real = server.__call__

    def send(request):
        if request.url.endswith("/sync/push"):
            calls["push"] += 1
            if calls["push"] == 2:
                raise ConnectionResetError("link dropped")
        return real(request)

    runner = SyncRunner(store, Transport("http://127.0.0.1:8000", token="token-1", send=send),
                        device_id="d", batch_size=5)
    report = runner.sync_now()
    assert isinstance(report.error, Unreachable) and report.accepted == 5
    assert list(states(store).values()).count(SyncState.pending) == 15
    assert SyncState.sending not in states(store).values()
    assert runner.sync_now().ok
    assert set(states(store).values()) == {SyncState.synced} and len(server.records) == 20


def test_a_batch_too_large_for_the_server_is_split(store, server):
    store.save(*day_of_work(10))
    server.max_batch = 12
    report = runner_for(store, server, batch_size=40).sync_now()
    assert report.ok and report.accepted == 40
    assert max(len(b) for b in server.pushed_batches) <= 12


def test_an_expired_token_stops_the_sync_and_keeps_everything_pending(store, server):
    store.save(*day_of_work(2))
    server.valid_tokens = set()
    report = runner_for(store, server).sync_now()
    assert isinstance(report.error, AuthError)
    assert set(states(store).values()) == {SyncState.pending}


def test_a_cursor_the_server_cannot_read_restarts_the_pull_from_the_beginning(store, server):
    store.save(*day_of_work(2))
    runner = runner_for(store, server)
    runner.sync_now()
    store.meta.set(CURSOR_KEY, "garbage")
    assert runner.sync_now().ok
    assert store.meta.get(CURSOR_KEY) == str(server.seq)


def test_progress_reports_phase_and_counts_for_a_progress_bar(store, server):
    store.save(*day_of_work(5))
    events = []
    runner_for(store, server, batch_size=8).sync_now(progress=events.append)
    push = [(e.sent, e.total) for e in events if e.phase == "push"]
    assert push == [(0, 20), (8, 20), (16, 20), (20, 20)]
    assert [e.phase for e in events][-1] == "done" and events[-1].fraction == 1.0
    assert "pull" in [e.phase for e in events]


def test_a_progress_callback_that_fails_does_not_stop_the_sync(store, server):
    store.save(*day_of_work(1))

    def broken(event):
        raise RuntimeError("page closed")

    assert runner_for(store, server).sync_now(progress=broken).accepted == 4


def test_two_syncs_of_one_store_never_run_at_once(store, server):
    store.save(household())
    entered, release = threading.Event(), threading.Event()
    real = server.__call__

    def slow(request):
        if request.url.endswith("/sync/push"):
            entered.set()
            release.wait(5)
        return real(request)

    first = SyncRunner(store, Transport("http://127.0.0.1:8000", token="token-1", send=slow), device_id="d")
    worker = threading.Thread(target=first.sync_now)
    worker.start()
    assert entered.wait(5)
    with pytest.raises(SyncInProgress):
        runner_for(store, server).sync_now()
    release.set()
    worker.join(5)
    assert runner_for(store, server).sync_now().ok


def test_a_new_gazetteer_version_on_the_server_is_loaded_once(store, server):
    server.areas = [{"code": "12", "level": "province", "parent_code": None, "name_en": "Phnom Penh",
                     "name_km": "ភ្នំពេញ"},
                    {"code": "1201", "level": "district", "parent_code": "12", "name_en": "Chamkar Mon",
                     "name_km": "ចំការមន"}]
    runner = runner_for(store, server)
    assert runner.sync_now().gazetteer_version == "v1"
    assert store.areas.get("1201").name_en == "Chamkar Mon" and store.areas.info().source == "fake"
    assert runner.sync_now().gazetteer_version is None


def test_a_gazetteer_that_would_orphan_households_is_refused_and_reported(store, server):
    store.areas.replace_all([Area("12010101", "village", "120101", "Village", "ភូមិ")], source="old", version="v0")
    store.save(household())
    server.areas = [{"code": "13", "level": "province", "parent_code": None, "name_en": "X", "name_km": "X"}]
    report = runner_for(store, server).sync_now()
    assert report.ok and report.gazetteer_version is None
    assert any("gazetteer" in e for e in report.errors)
    assert store.areas.info().version == "v0"


def test_outbox_counts_by_state_and_type(store, server):
    h = household()
    v = visit(h)
    store.save(h, v, concern(h, v), decisions.mark_sending(household(2)),
               household(3).model_copy(update={"sync_state": SyncState.rejected}))
    counts = outbox_counts(store)
    assert counts.pending == {"household": 2, "visit": 1, "meeting": 0, "concern": 1}
    assert counts.total_pending == 4 and counts.total_rejected == 1 and counts.total_conflicts == 0


def test_an_edit_from_a_form_opened_before_a_sync_keeps_the_servers_rev(store, server):
    h = household()
    store.save(h)
    opened = store.households.get(h.id)  # the form reads the record...
    runner_for(store, server).sync_now()  # ...a sync pushes it meanwhile...
    store.save_edit(opened.edited(members=6))  # ...and the official saves
    local = store.households.get(h.id)
    assert local.server_rev == 1 and local.sync_state == SyncState.pending
    report = runner_for(store, server).sync_now()
    assert report.accepted == 1 and not report.conflicts


def test_a_refused_batch_stops_the_sync_and_leaves_records_pending(store, server):
    store.save(household())
    server.faults = [json_response(422, {"detail": {"code": "bad_shape", "reason": "no"}})]
    report = runner_for(store, server).sync_now()
    assert isinstance(report.error, Refused) and report.error.code == "bad_shape"
    assert set(states(store).values()) == {SyncState.pending}


def test_an_answer_cut_after_the_server_stored_the_batch_is_harmless_to_retry(store, server):
    records = day_of_work(2)
    store.save(*records)

    def cut(entries):
        server.before_push_answer = None
        raise ConnectionResetError("cut after commit")

    server.before_push_answer = cut
    runner = runner_for(store, server)
    assert isinstance(runner.sync_now().error, Unreachable)
    report = runner.sync_now()
    assert report.ok and report.duplicates == 8 and len(server.records) == 8
    assert set(states(store).values()) == {SyncState.synced}


def test_an_unexpected_response_is_unreachable_not_a_crash(store, server):
    store.save(household())
    server.faults = [HttpResponse(200, {}, b"<html>captive portal</html>")]
    report = runner_for(store, server).sync_now()
    assert isinstance(report.error, Unreachable)
    assert set(states(store).values()) == {SyncState.pending}
