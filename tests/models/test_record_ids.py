"""New record ids are time-ordered UUIDs: made later sorts later, so a server's index grows at one end."""
import time
import uuid

from records.ids import canonical_id, new_id


def test_a_new_id_is_a_canonical_version_7_uuid_carrying_the_time_it_was_made():
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    parsed = uuid.UUID(made)
    assert canonical_id(made) == made
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert before <= parsed.int >> 80 <= after


def test_ids_made_a_millisecond_apart_sort_in_the_order_they_were_made():
    first = new_id()
    time.sleep(0.002)
    assert new_id() > first


def test_ids_made_in_the_same_millisecond_still_differ():
    assert len({new_id() for _ in range(10_000)}) == 10_000
