"""The sync screen's lists: what waits by type, rejected records to fix, conflicts to decide."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from records.models import SyncState
from app.services.sync_review import SyncReview
from app.viewmodels.sync_screen import fix_route
from storage.repository import ConflictCopy
from tests.support.records import sok_dara, visit_with_concerns


def rejected(record, code="phone_invalid", field="phone"):
    return record.model_copy(update={"sync_state": SyncState.rejected,
                                     "sync_error": {"code": code, "reason": "This is not a valid phone number.",
                                                    "field": field}})


@pytest.fixture
def review(store):
    return SyncReview(store)


def test_counts_by_type_and_state(store, review):
    h = sok_dara()
    visit, concerns = visit_with_concerns(h, 2)
    store.save(h, visit, *concerns)
    counts = review.counts()
    assert counts.pending == {"household": 1, "visit": 1, "meeting": 0, "concern": 2}
    store.save(rejected(concerns[0], "household_missing", ""))
    counts = review.counts()
    assert counts.pending["concern"] == 1 and counts.rejected["concern"] == 1


def test_rejected_records_say_why_and_where_to_fix(store, review):
    h = sok_dara()
    visit, concerns = visit_with_concerns(h, 1)
    store.save(rejected(h), visit, rejected(concerns[0], "description_empty", "description"))
    items = {i.kind: i for i in review.rejected()}
    assert items["household"].code == "phone_invalid" and items["household"].field == "phone"
    assert items["household"].title == "សុខ ដារ៉ា"
    assert fix_route(items["household"]) == f"/households/{h.id}/edit"
    assert fix_route(items["concern"]) == f"/households/{h.id}/visits/{visit.id}"


def conflict(store, record, **server_changes):
    server = {**record.wire(), **server_changes, "rev": record.rev + 1}
    store.save(record.model_copy(update={"sync_state": SyncState.conflict, "server_rev": 3}))
    store.conflicts.put(ConflictCopy(record.kind, record.id, server, 4, datetime.now(timezone.utc)))


def test_conflicts_side_by_side(store, review):
    h = sok_dara(members=4)
    conflict(store, h, members=6, address="near the pagoda")
    [item] = review.conflicts()
    diffs = {d.field: d for d in item.fields}
    assert diffs["members"].mine == 4 and diffs["members"].server == 6 and diffs["members"].differs
    assert not diffs["head_name"].differs
    assert "sync_state" not in diffs and "rev" not in diffs  # bookkeeping is not shown


def test_keep_local_sends_this_device_version_again(store, review):
    h = sok_dara(members=4)
    conflict(store, h, members=6)
    kept = review.keep_local(h.id)
    assert kept.members == 4 and kept.sync_state == SyncState.pending and kept.server_rev == 4
    assert review.conflicts() == [] and store.conflicts.find(h.id) is None


def test_keep_server_takes_its_version(store, review):
    h = sok_dara(members=4)
    conflict(store, h, members=6)
    kept = review.keep_server(h.id)
    assert kept.members == 6 and kept.sync_state == SyncState.synced
    assert store.households.get(h.id).members == 6 and review.counts().total_conflicts == 0
