"""docs/sync-protocol.md "Meetings", one row per rule, decided by server/push_rules.py from facts: no database."""
from __future__ import annotations

from datetime import date
from typing import Optional

import pytest

from server.push_rules import Answer, Caller, Facts, Stored, decide
from tests.server.test_push_rules import envelope
from tests.support.records import COMMUNE, VILLAGE, forum_concern, household, meeting

OFFICIAL = Caller("official", COMMUNE, "device-a")
M = meeting()
HELD = M.mark_held(date(2026, 4, 2))
CLOSED = HELD.close_minutes(by="Dara")
H = household()


def row(record, *, village: Optional[str] = None) -> Stored:
    household_id = record.id if record.kind in ("household", "meeting") else record.household_id
    place = village or getattr(record, "area_code", None) or getattr(record, "village_code", VILLAGE)
    return Stored(record.id, record.kind, place, household_id, 1, record.rev, None, "device-a", "stored")


def verdict(record, *, base_rev=None, existing=None, meeting_row=..., household_row=None, stored=None,
            gazetteer=None, caller=OFFICIAL):
    facts = Facts(item=envelope(record, base_rev), model=record, digest="new", caller=caller, existing=existing,
                  household=household_row, meeting=row(M) if meeting_row is ... else meeting_row,
                  gazetteer=gazetteer, stored_data=lambda: stored)
    v = decide(facts)
    return v.answer, v.code, v.field


ACCEPTED = (Answer.accepted, None, None)


@pytest.mark.parametrize("name, got, expected", [
    ("a new commune meeting in the caller's commune", lambda: verdict(M), ACCEPTED),
    ("a meeting lives at its area code", lambda: decide(Facts(item=envelope(M), model=M, digest="d",
                                                             caller=OFFICIAL)).village_code == COMMUNE, True),
    ("a district meeting is outside a commune's area", lambda: verdict(meeting(level="district", area="0102")),
     (Answer.rejected, "outside_area", "area_code")),
    ("a village meeting's village is in the gazetteer",
     lambda: verdict(meeting(level="village", area="01020199"), gazetteer=frozenset({VILLAGE})),
     (Answer.rejected, "village_code_invalid", "area_code")),
    ("held from planned, based on the server's rev",
     lambda: verdict(HELD, base_rev=1, existing=row(M), stored=M.wire()), ACCEPTED),
    ("back to planned from held", lambda: verdict(M.edited(), base_rev=1, existing=row(HELD), stored=HELD.wire()),
     (Answer.rejected, "meeting_status_transition", "status")),
    ("closed minutes edited", lambda: verdict(CLOSED.edited(minutes="x"), base_rev=1, existing=row(CLOSED),
                                              stored=CLOSED.wire()),
     (Answer.rejected, "meeting_minutes_closed", "minutes")),
    ("closed minutes edited from a stale base: refused, not kept as a conflict",
     lambda: verdict(CLOSED.edited(minutes="x"), base_rev=None, existing=row(CLOSED), stored=CLOSED.wire()),
     (Answer.rejected, "meeting_minutes_closed", "minutes")),
    ("an addendum after the close", lambda: verdict(CLOSED.add_addendum("fix", by="Dara"), base_rev=1,
                                                    existing=row(CLOSED), stored=CLOSED.wire()), ACCEPTED),
    ("an open meeting edited from a stale base is a conflict",
     lambda: verdict(HELD.edited(minutes="mine"), base_rev=None, existing=row(HELD), stored=HELD.wire(),
                     caller=Caller("official", COMMUNE, "device-b")),
     (Answer.conflict, "conflict", None)),
    ("a forum concern lives at its meeting", lambda: verdict(forum_concern(M)), ACCEPTED),
    ("a forum concern whose meeting is missing", lambda: verdict(forum_concern(M), meeting_row=None),
     (Answer.rejected, "meeting_missing", "meeting_id")),
    ("a forum concern whose meeting is another area's",
     lambda: verdict(forum_concern(M), meeting_row=row(meeting(level="district", area="0103"))),
     (Answer.rejected, "meeting_missing", "meeting_id")),
    ("a forum concern naming a household the server lacks",
     lambda: verdict(forum_concern(M, household_id=H.id), household_row=None),
     (Answer.rejected, "household_missing", "household_id")),
    ("a forum concern naming a household it has",
     lambda: verdict(forum_concern(M, household_id=H.id), household_row=row(H)), ACCEPTED),
])
def test_meeting_rule(name, got, expected):
    assert got() == expected, name


def test_a_rejected_meeting_reason_names_the_values_of_its_rule():
    from server.push_rules import Rejected, validate

    bad = M.wire() | {"area_code": "0102"}
    with pytest.raises(Rejected) as exc:
        validate(envelope(M).model_copy(update={"data": bad}))
    assert (exc.value.code, exc.value.field) == ("meeting_area_level", "area_code")
    assert "(6 digits)" in exc.value.reason
