"""docs/sync-protocol.md "Push", one row per rule, decided by server/push_rules.py from facts: no database.

A database refusing a row (``record_unstorable``) is not a rule but a write: tests/server/test_push_isolation.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Callable, Optional

import pytest

from records.models import Concern, ConcernStatus, Record
from server.push_rules import Answer, Caller, Facts, Rejected, Stored, canonical, decide, validate
from server.schemas import PushRecord
from tests.support.records import ESCALATION, OTHER_COMMUNE_VILLAGE, VILLAGE, concern, household, visit

AREA = VILLAGE[:6]
OFFICIAL = Caller("official", AREA, "device-a")
H = household()
V = visit(H)
C = concern(H, V)
H_ELSEWHERE = household(village=OTHER_COMMUNE_VILLAGE)
V_ELSEWHERE = visit(H_ELSEWHERE)


def envelope(record: Record, base_rev: Optional[int] = None, **kw: Any) -> PushRecord:
    return PushRecord.model_validate({"type": record.kind, "id": record.id, "rev": record.rev, "base_rev": base_rev,
                                      "data": record.wire(), **kw})


def held(record: Record, *, server_rev: int = 1, rev: Optional[int] = None, base_rev: Optional[int] = None,
         device: str = "device-a", digest: str = "stored-content", kind: Optional[str] = None,
         village: str = VILLAGE) -> Stored:
    """The server's row of a record, as push.py reads it."""
    household_id = record.id if record.kind == "household" else record.household_id
    return Stored(record.id, kind or record.kind, getattr(record, "village_code", village), household_id, server_rev,
                  record.rev if rev is None else rev, base_rev, device, digest)


@dataclass(frozen=True)
class Row:
    record: Record
    expect: tuple  # (answer, code, field, server_rev)
    base_rev: Optional[int] = None
    digest: str = "new-content"
    caller: Caller = OFFICIAL
    existing: Optional[Stored] = None
    household: Any = ...  # ...: the record's household, stored in the caller's area; None: not stored
    visit: Any = ...
    gazetteer: Optional[frozenset[str]] = None
    accepted_before: Optional[int] = None
    status_before: Optional[str] = None
    institutions: Optional[frozenset[str]] = None


def run(row: Row):
    kind = row.record.kind
    facts = Facts(item=envelope(row.record, row.base_rev), model=row.record, digest=row.digest, caller=row.caller,
                  existing=row.existing,
                  household=(held(H) if kind != "household" else None) if row.household is ... else row.household,
                  visit=(held(V) if kind == "concern" else None) if row.visit is ... else row.visit,
                  gazetteer=row.gazetteer, institutions=row.institutions,
                  accepted_before=lambda: row.accepted_before, status_before=lambda: row.status_before)
    verdict = decide(facts)
    return verdict, (verdict.answer, verdict.code, verdict.field, verdict.server_rev)


ACCEPTED = (Answer.accepted, None, None, None)
EDITED = H.edited(members=6)
ESCALATED = C.change_status(ConcernStatus.escalated, by="Demo Official", escalation=ESCALATION)
SUPERVISOR = Caller("supervisor", AREA[:4], "device-s")
_BARE = ESCALATED.to_doc()
_BARE["history"][-1].pop("escalation")
ESCALATED_BARE = Concern.model_validate(_BARE)  # as an app from before summaries escalates
REFERRED = C.change_status(ConcernStatus.referred, by="Demo Official", referred_to="Water department",
                           institution_id="bmc-dowram")
LISTED = frozenset({"bmc-dowram", "moh"})

ROWS: dict[str, Row] = {
    # accepted
    "new record, no base": Row(H, ACCEPTED),
    "new record, whatever base_rev says": Row(H, ACCEPTED, base_rev=7),
    "new visit lives in its household's village": Row(V, ACCEPTED),
    "new concern lives in its household's village": Row(C, ACCEPTED),
    "edit from the server's current rev": Row(EDITED, ACCEPTED, base_rev=3, existing=held(H, server_rev=3,
                                                                                         device="device-b")),
    "continues the edit the server holds (same device and base, higher rev)": Row(
        EDITED, ACCEPTED, base_rev=1, existing=held(H, server_rev=2, rev=EDITED.rev - 1, base_rev=1)),
    "gazetteer loaded and the village in it": Row(H, ACCEPTED, gazetteer=frozenset({H.village_code})),
    "supervisor escalates a concern": Row(ESCALATED, ACCEPTED, base_rev=1, caller=SUPERVISOR,
                                          existing=held(C), status_before="open"),
    # duplicate
    "exactly the content the server holds": Row(H, (Answer.duplicate, None, None, 4), base_rev=1,
                                                 existing=held(H, server_rev=4, digest="new-content")),
    "content the server accepted before (late copy)": Row(H, (Answer.duplicate, None, None, 2), base_rev=1,
                                                          existing=held(H, server_rev=5), accepted_before=2),
    # conflict
    "edited on the server since base_rev": Row(EDITED, (Answer.conflict, "conflict", None, 3), base_rev=2,
                                               existing=held(H, server_rev=3, device="device-b")),
    "server holds it, base_rev null": Row(EDITED, (Answer.conflict, "conflict", None, 1),
                                          existing=held(H, device="device-b")),
    "same device and base, not a higher rev": Row(EDITED, (Answer.conflict, "conflict", None, 2), base_rev=1,
                                                  existing=held(H, server_rev=2, rev=EDITED.rev, base_rev=1)),
    "another device from the same base": Row(EDITED, (Answer.conflict, "conflict", None, 2), base_rev=1, existing=held(
        H, server_rev=2, rev=EDITED.rev - 1, base_rev=1, device="device-b")),
    "a caller without a device id continues no edit": Row(
        EDITED, (Answer.conflict, "conflict", None, 2), base_rev=1, caller=Caller("official", AREA, ""),
        existing=held(H, server_rev=2, rev=EDITED.rev - 1, base_rev=1, device="")),
    # rejected
    "id taken by another type": Row(H, (Answer.rejected, "id_mismatch", "id", None), existing=held(H, kind="visit")),
    "household's village not in the gazetteer": Row(H, (Answer.rejected, "village_code_invalid", "village_code",
                                                        None), gazetteer=frozenset({"01020102"})),
    "visit whose household the server lacks": Row(V, (Answer.rejected, "household_missing", "household_id", None),
                                                  household=None),
    "visit whose household_id is a visit": Row(V, (Answer.rejected, "household_missing", "household_id", None),
                                               household=held(V, kind="visit")),
    "concern whose visit the server lacks": Row(C, (Answer.rejected, "visit_missing", "visit_id", None), visit=None),
    "concern whose visit_id is a household": Row(C, (Answer.rejected, "visit_missing", "visit_id", None),
                                                 visit=held(V, kind="household")),
    "concern whose visit belongs to another household": Row(C, (Answer.rejected, "visit_missing", "visit_id", None),
                                                            visit=held(V_ELSEWHERE, village=OTHER_COMMUNE_VILLAGE)),
    "household outside the caller's area": Row(H_ELSEWHERE, (Answer.rejected, "outside_area", "village_code",
                                                             None)),
    # another area's records are answered as if they did not exist, naming no village or type
    "visit on a household of another area: as if missing": Row(
        V_ELSEWHERE, (Answer.rejected, "household_missing", "household_id", None), household=held(H_ELSEWHERE)),
    "concern on a visit of another area: as if missing": Row(
        C, (Answer.rejected, "visit_missing", "visit_id", None), visit=held(V, village=OTHER_COMMUNE_VILLAGE)),
    "an id another area holds, whatever its type": Row(
        V, (Answer.rejected, "outside_area", "household_id", None),
        existing=held(H_ELSEWHERE, kind="household")._replace(id=V.id)),
    "household moved into the area from another": Row(H, (Answer.rejected, "outside_area", "village_code", None),
                                                      base_rev=1, existing=held(H)._replace(
                                                          village_code=OTHER_COMMUNE_VILLAGE)),
    "official escalates a concern": Row(ESCALATED, (Answer.rejected, "forbidden_role", "status", None), base_rev=1,
                                        existing=held(C), status_before="open"),
    "official sends a new concern already escalated": Row(ESCALATED, (Answer.rejected, "forbidden_role", "status",
                                                                      None)),
    "official edits a concern the office escalated, keeping the status": Row(
        ESCALATED, ACCEPTED, base_rev=1, existing=held(C), status_before="escalated"),
    # follow-up (issue 11)
    "supervisor escalates with the summary": Row(ESCALATED, ACCEPTED, base_rev=1, existing=held(C),
                                                 status_before="open", caller=SUPERVISOR),
    "supervisor escalates without a summary": Row(ESCALATED_BARE, (Answer.rejected, "escalation_required",
                                                                   "escalation", None),
                                                  base_rev=1, existing=held(C), status_before="open",
                                                  caller=SUPERVISOR),
    "a concern escalated before summaries, edited": Row(ESCALATED_BARE, ACCEPTED, base_rev=1, existing=held(C),
                                                        status_before="escalated", caller=SUPERVISOR),
    "referred to a listed institution": Row(REFERRED, ACCEPTED, institutions=LISTED),
    "referred to an institution the server does not list": Row(
        REFERRED, (Answer.rejected, "institution_unknown", "institution_id", None), institutions=frozenset({"moh"})),
}


@pytest.mark.parametrize("name", list(ROWS))
def test_push_rule(name):
    verdict, got = run(ROWS[name])
    assert got == ROWS[name].expect, name
    if verdict.answer is Answer.rejected or verdict.answer is Answer.conflict:
        assert verdict.reason and OTHER_COMMUNE_VILLAGE not in verdict.reason
    if verdict.answer is Answer.accepted:
        assert (verdict.village_code, verdict.household_id) == (H.village_code, H.id)


def test_a_fact_that_costs_a_query_is_asked_only_when_a_rule_needs_it():
    asked: list[str] = []

    def ask(what: str, value: Any) -> Callable[[], Any]:
        return lambda: asked.append(what) or value

    new = Facts(item=envelope(C), model=C, digest="d", caller=OFFICIAL, household=held(H), visit=held(V),
                accepted_before=ask("accepted_before", None), status_before=ask("status_before", None))
    assert decide(new).answer is Answer.accepted and asked == []
    same = Facts(item=envelope(H, 1), model=H, digest="d", caller=OFFICIAL, existing=held(H, digest="d"),
                 accepted_before=ask("accepted_before", None))
    assert decide(same).answer is Answer.duplicate and asked == []


ENVELOPES: dict[str, tuple[PushRecord, tuple[str, str]]] = {
    "unknown type": (envelope(H, type="tractor"), ("type_unknown", "type")),
    "a record rule fails: its code and field": (
        envelope(H, data={**H.wire(), "head_name": "  "}), ("name_empty", "head_name")),
    "a malformed village code": (envelope(H, data={**H.wire(), "village_code": "0102"}),
                                 ("village_code_invalid", "village_code")),
    "an unknown field": (envelope(H, data={**H.wire(), "colour": "red"}), ("extra_forbidden", "colour")),
    "envelope id is not the record's": (envelope(H, id=V.id), ("id_mismatch", "id")),
    "envelope rev is not the record's": (envelope(H, rev=H.rev + 1), ("id_mismatch", "rev")),
    "a lone surrogate in a constrained text": (envelope(H, data={**H.wire(), "author": "Demo \ud800"}),
                                               ("text_invalid", "author")),
}


@pytest.mark.parametrize("name", list(ENVELOPES))
def test_envelope_rule(name):
    item, expect = ENVELOPES[name]
    with pytest.raises(Rejected) as caught:
        validate(item)
    assert (caught.value.code, caught.value.field) == expect
    assert caught.value.reason


def test_a_device_s_local_bookkeeping_is_not_part_of_the_record():
    item = envelope(H, data={**H.wire(), "sync_state": "pending", "server_rev": 3, "sync_error": None})
    assert validate(item) == H


def test_the_rules_import_no_database_code():
    code = "import sys, server.push_rules; print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_record_whose_text_utf8_cannot_carry_is_text_invalid_at_its_field():
    model = H.model_copy(update={"head_name": "Sok \ud800"})  # as a record rule that let it through leaves it
    with pytest.raises(Rejected) as caught:
        canonical(model)
    assert (caught.value.code, caught.value.field) == ("text_invalid", "head_name")
    text, digest = canonical(H)
    assert json.loads(text) == H.wire() and len(digest) == 64
