"""The pure sync rules: what to send and what each answer means. No store, no network."""
from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from records.models import ConcernStatus, Household, SyncState
from storage.repository import ConflictCopy, SyncCopy
from sync import decisions
from tests.support.records import concern, day_of_work, household, visit

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def answer(record, status, **extra):
    return {"id": record.id, "type": record.kind, "status": status, "server_rev": extra.pop("server_rev", None),
            "code": None, "reason": None, "field": None, "current": None, **extra}


def synced(record, server_rev=1):
    return record.model_copy(update={"sync_state": SyncState.synced, "server_rev": server_rev})


# ---------------------------------------------------------------- what to send


def test_batches_send_households_before_visits_before_concerns():
    records = day_of_work(5)
    random.Random(4).shuffle(records)
    batches = decisions.plan_batches([(r.kind, r.id) for r in records], batch_size=3)
    kinds = [kind for batch in batches for kind, _ in batch]
    assert kinds == ["household"] * 5 + ["visit"] * 5 + ["concern"] * 10
    assert [len(b) for b in batches] == [3, 3, 3, 3, 3, 3, 2]


def test_batch_size_never_exceeds_the_servers_limit():
    assert decisions.clamp_batch_size(10_000) == decisions.MAX_BATCH_SIZE == 500
    assert decisions.clamp_batch_size(0) == 1
    assert decisions.DEFAULT_BATCH_SIZE <= decisions.MAX_BATCH_SIZE


def test_a_sync_that_starts_resends_records_left_sending_by_a_crash():
    assert SyncState.sending in decisions.outbox_states()
    assert decisions.outbox_states(resuming=False) == (SyncState.pending,)


def test_push_entry_carries_rev_and_the_server_rev_it_was_edited_from_without_local_fields():
    h = synced(household(), server_rev=4).edited(members=3)
    entry = decisions.push_entry(h)
    assert entry["type"] == "household" and entry["id"] == h.id
    assert entry["rev"] == 2 and entry["base_rev"] == 4
    assert not {"sync_state", "server_rev", "sync_error"} & set(entry["data"])


def test_a_new_record_is_pushed_with_no_base_rev():
    assert decisions.push_entry(household())["base_rev"] is None


def test_marking_sending_keeps_the_rev_and_clears_the_old_error():
    h = household().model_copy(update={"sync_error": {"code": "x"}})
    sending = decisions.mark_sending(h)
    assert sending.sync_state == SyncState.sending and sending.rev == h.rev and sending.sync_error is None


def test_a_batch_without_answer_goes_back_to_pending_unless_edited_meanwhile():
    sent = decisions.mark_sending(household())
    assert decisions.unmark_sending(sent, sent).sync_state == SyncState.pending
    assert decisions.unmark_sending(sent, sent.edited(members=5)) is None
    assert decisions.unmark_sending(sent, None) is None


# ---------------------------------------------------------------- push answers


@pytest.mark.parametrize("status", ["accepted", "duplicate"])
def test_accepted_or_duplicate_marks_synced_with_the_servers_rev(status):
    sent = decisions.mark_sending(household())
    out = decisions.apply_push_result(sent, sent, answer(sent, status, server_rev=1), now=NOW)
    assert out.kind == status
    assert out.record.sync_state == SyncState.synced and out.record.server_rev == 1
    assert out.record.rev == sent.rev and out.conflict is None


def test_a_record_edited_while_sending_goes_back_to_pending_based_on_what_was_accepted():
    sent = decisions.mark_sending(household())
    edited = sent.edited(members=7)  # saved by the official while the batch was on the wire
    out = decisions.apply_push_result(sent, edited, answer(sent, "accepted", server_rev=1), now=NOW)
    assert out.kind == "requeued"
    assert out.record.sync_state == SyncState.pending
    assert out.record.server_rev == 1 and out.record.rev == 2 and out.record.members == 7


def test_rejected_keeps_the_record_with_code_reason_and_field():
    sent = decisions.mark_sending(household())
    out = decisions.apply_push_result(
        sent, sent, answer(sent, "rejected", code="phone_invalid", reason="not a phone", field="phone"), now=NOW)
    assert out.kind == "rejected"
    assert out.record.sync_state == SyncState.rejected
    assert out.record.sync_error == {"code": "phone_invalid", "reason": "not a phone", "field": "phone"}
    assert (out.code, out.field) == ("phone_invalid", "phone")


def test_a_rejected_record_edited_meanwhile_is_sent_again_before_being_called_rejected():
    sent = decisions.mark_sending(household())
    edited = sent.edited(members=2)
    out = decisions.apply_push_result(sent, edited, answer(sent, "rejected", code="phone_invalid"), now=NOW)
    assert out.kind == "requeued" and out.record is None  # the stored edit stays pending as it is


@pytest.mark.parametrize("code", ["household_missing", "visit_missing"])
def test_a_record_whose_parent_is_not_on_the_server_stays_pending(code):
    h = household()
    sent = decisions.mark_sending(visit(h))
    out = decisions.apply_push_result(sent, sent, answer(sent, "rejected", code=code, field="household_id"), now=NOW)
    assert out.kind == "deferred"
    assert out.record.sync_state == SyncState.pending and out.record.sync_error is None


def test_conflict_keeps_the_local_version_and_the_servers_current_copy():
    sent = decisions.mark_sending(synced(household(), 1).edited(members=4))
    server_data = {**sent.wire(), "members": 9, "rev": 3}
    out = decisions.apply_push_result(
        sent, sent, answer(sent, "conflict", server_rev=2, current={"server_rev": 2, "data": server_data}), now=NOW)
    assert out.kind == "conflict"
    assert out.record.sync_state == SyncState.conflict and out.record.members == 4
    assert out.conflict == ConflictCopy("household", sent.id, server_data, 2, NOW)


def test_an_answer_for_a_record_no_longer_on_the_device_changes_nothing():
    sent = decisions.mark_sending(household())
    assert decisions.apply_push_result(sent, None, answer(sent, "accepted", server_rev=1), now=NOW).kind == "gone"


def sync_copy(record):
    """The store's SyncCopy of ``record`` (what the runner reads instead of the model)."""
    return SyncCopy(record.kind, record.id, record.rev, record.sync_state, record.server_rev, record.sync_error,
                    record.wire())


def test_the_push_rules_answer_the_same_for_the_stores_sync_copy_of_a_record():
    h = synced(household(), 2).edited(members=4)
    sent = decisions.mark_sending(sync_copy(h))
    assert isinstance(sent, SyncCopy) and sent.sync_state == SyncState.sending
    assert decisions.push_entry(sent) == decisions.push_entry(h)
    for status, record in (("accepted", decisions.mark_sending(h)), ("accepted", sent)):
        out = decisions.apply_push_result(record, record, answer(record, status, server_rev=3), now=NOW)
        assert (out.record.sync_state, out.record.server_rev, out.record.rev) == (SyncState.synced, 3, h.rev)
    edited = sync_copy(h.edited(members=5))
    out = decisions.apply_push_result(sent, edited, answer(sent, "accepted", server_rev=3), now=NOW)
    assert out.kind == "requeued" and out.record == edited.model_copy(
        update={"sync_state": SyncState.pending, "server_rev": 3})
    out = decisions.apply_push_result(sent, sent, answer(sent, "rejected", code="phone_invalid"), now=NOW)
    assert out.record.sync_error == {"code": "phone_invalid", "reason": "", "field": None}
    assert decisions.unmark_sending(sent, sent).sync_state == SyncState.pending


def test_an_unknown_answer_is_an_error_not_a_silent_success():
    sent = decisions.mark_sending(household())
    with pytest.raises(ValueError):
        decisions.apply_push_result(sent, sent, answer(sent, "maybe"), now=NOW)


# ---------------------------------------------------------------- pulled changes


def change(record, server_rev, **data_changes):
    return {"type": record.kind, "id": record.id, "server_rev": server_rev, "data": {**record.wire(), **data_changes}}


def test_a_pulled_record_the_device_does_not_have_is_added_as_synced():
    h = household()
    out = decisions.apply_pulled_change(None, change(h, 3), now=NOW)
    assert out.kind == "new"
    assert out.record.sync_state == SyncState.synced and out.record.server_rev == 3
    assert out.record.head_name == h.head_name


def test_a_pulled_change_replaces_a_synced_copy():
    h = household()
    c = synced(concern(h, visit(h)), 1)
    moved = c.change_status(ConcernStatus.in_progress, by="district")
    out = decisions.apply_pulled_change(c, change(moved, 2), now=NOW)
    assert out.kind == "updated"
    assert out.record.status == ConcernStatus.in_progress and out.record.server_rev == 2
    assert out.record.sync_state == SyncState.synced


def test_the_echo_of_our_own_push_changes_nothing():
    h = synced(household(), 2)
    assert decisions.apply_pulled_change(h, change(h, 2), now=NOW).kind == "unchanged"
    assert decisions.apply_pulled_change(h, change(h, 1), now=NOW).kind == "unchanged"


def test_a_synced_copy_at_the_same_rev_but_other_content_takes_the_servers_content():
    # A retry answered "duplicate" carries the server's current rev, which may be newer than what we sent.
    h = synced(household(), 2)
    out = decisions.apply_pulled_change(h, change(h, 2, members=9, rev=4), now=NOW)
    assert out.kind == "updated" and out.record.members == 9 and out.record.server_rev == 2


def test_the_echo_of_an_accepted_push_does_not_touch_a_newer_local_edit():
    h = synced(household(), 2).edited(members=6)
    assert decisions.apply_pulled_change(h, change(h, 2, members=1), now=NOW).kind == "unchanged"


@pytest.mark.parametrize("state", [SyncState.pending, SyncState.sending, SyncState.rejected])
def test_a_pull_never_overwrites_unsynced_local_edits(state):
    local = synced(household(), 1).edited(members=5).model_copy(update={"sync_state": state})
    out = decisions.apply_pulled_change(local, change(local, 2, members=8), now=NOW)
    assert out.kind == "conflict"
    assert out.record.members == 5 and out.record.sync_state == SyncState.conflict
    assert out.conflict.server_rev == 2 and out.conflict.server_data["members"] == 8


def test_a_newer_server_version_of_a_record_already_in_conflict_refreshes_the_kept_copy_only():
    local = synced(household(), 1).edited(members=5).model_copy(update={"sync_state": SyncState.conflict})
    out = decisions.apply_pulled_change(local, change(local, 3, members=9), now=NOW)
    assert out.kind == "conflict" and out.record is None
    assert out.conflict.server_rev == 3


def test_a_pulled_change_the_device_cannot_read_is_reported_not_applied():
    h = household()
    out = decisions.apply_pulled_change(None, change(h, 1, members=0), now=NOW)
    assert out.kind == "invalid" and out.record is None and "members" in out.reason
    assert decisions.apply_pulled_change(None, {"type": "alien", "id": h.id, "server_rev": 1, "data": {}},
                                         now=NOW).kind == "invalid"


# ---------------------------------------------------------------- conflict resolution


def conflict_of(local: Household, server_rev: int, **server_changes) -> ConflictCopy:
    return ConflictCopy("household", local.id, {**local.wire(), **server_changes}, server_rev, NOW)


def test_keeping_the_local_version_sends_it_again_based_on_the_servers_rev():
    local = synced(household(), 1).edited(members=5).model_copy(update={"sync_state": SyncState.conflict})
    kept = decisions.keep_local(local, conflict_of(local, 4, members=8, rev=6))
    assert kept.sync_state == SyncState.pending and kept.server_rev == 4
    assert kept.members == 5 and kept.rev == 7  # ahead of the server's edit counter
    assert decisions.push_entry(kept)["base_rev"] == 4


def test_keeping_the_server_version_replaces_the_local_copy():
    local = synced(household(), 1).edited(members=5).model_copy(update={"sync_state": SyncState.conflict})
    kept = decisions.keep_server(conflict_of(local, 4, members=8))
    assert kept.members == 8 and kept.server_rev == 4 and kept.sync_state == SyncState.synced


# ---------------------------------------------------------------- retry timing


def test_backoff_grows_exponentially_up_to_the_cap():
    top = lambda: 1.0  # noqa: E731 - the upper edge of the jitter
    delays = [decisions.backoff_delay(a, base=2, cap=60, rand=top) for a in range(1, 9)]
    assert delays == [2, 4, 8, 16, 32, 60, 60, 60]


def test_backoff_uses_full_jitter():
    rng = random.Random(1)
    delays = [decisions.backoff_delay(4, base=2, cap=60, rand=rng.random) for _ in range(200)]
    assert all(0 <= d <= 16 for d in delays)
    assert min(delays) < 4 and max(delays) > 12  # spread over the whole range


def test_backoff_never_waits_less_than_retry_after():
    assert decisions.backoff_delay(1, rand=lambda: 0.0, retry_after=30) == 30
    assert decisions.backoff_delay(10, cap=300, rand=lambda: 1.0, retry_after=5) == 300
