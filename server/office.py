"""Changes made at the district office on the server's copy (concern status), pulled by devices."""
from __future__ import annotations

import json
from datetime import date
from typing import Optional

from pydantic import ValidationError
from sqlalchemy import insert, select, update

from records.models import Concern, ConcernStatus, field_errors, utcnow
from records.roles import OFFICE_ROLES
from server.auth import Actor
from server.db import Database
from server.errors import ApiError
from server.institutions import InstitutionIds
from server.push_rules import canonical
from server.tables import AuditEntry, RecordRow, report_columns


# The report columns a status change can move (a referral names an institution and may set the due day).
_STATUS_COLUMNS = ("status", "resolved_on", "institution_id", "due_on", "told_on")


def change_concern_status(db: Database, actor: Actor, concern_id: str, status: ConcernStatus, note: str,
                          referred_to: Optional[str], *, institution_id: Optional[str] = None,
                          expected_on: Optional[date] = None, escalation: Optional[dict] = None,
                          listed: Optional[InstitutionIds] = None) -> tuple[int, dict]:
    """Concern.change_status on the server copy: lifecycle rules hold, history grows, server_rev +1."""
    if actor.role not in OFFICE_ROLES:
        raise ApiError(403, "forbidden_role", "Only a supervisor or admin changes a concern's status here.")
    with db.serial() as tx:
        s = tx.session
        # Locked: a push of the same concern (running beside this on PostgreSQL) waits, or is waited for.
        row = s.execute(select(RecordRow).where(RecordRow.id == concern_id, RecordRow.type == "concern")
                        .with_for_update()).scalar()
        if row is None or not actor.covers(row.village_code):  # another area's: as if it did not exist
            raise ApiError(404, "not_found", f"The server has no concern {concern_id} in your area.")
        concern = Concern.model_validate(json.loads(row.data))
        if institution_id and listed is not None and institution_id not in listed.current(s):
            raise ApiError(422, "institution_unknown", f"The server lists no institution {institution_id!r}.")
        try:
            changed = concern.change_status(status, by=actor.full_name, note=note, referred_to=referred_to,
                                            institution_id=institution_id, expected_on=expected_on,
                                            escalation=escalation)
        except ValidationError as exc:
            code = next(iter(field_errors(exc).values()))
            if code == "status_transition":
                raise ApiError(409, code, f"A concern cannot move from {concern.status.value} to "
                                          f"{ConcernStatus(status).value}.") from None
            raise ApiError(422, code, exc.errors()[0]["msg"]) from None
        text, digest = canonical(changed)
        seq = tx.next_seq()
        server_rev = row.server_rev + 1
        now = utcnow()
        s.execute(update(RecordRow).where(RecordRow.id == row.id).values(
            server_rev=server_rev, rev=changed.rev, base_rev=row.server_rev, device_id=f"server:{actor.username}"[:64],
            content_hash=digest, data=text, updated_at=now, seq=seq,
            **{k: v for k, v in report_columns(changed, row.visited_on).items() if k in _STATUS_COLUMNS}))
        s.execute(insert(AuditEntry).values(
            at=now, username=actor.username, device_id=actor.device_id, action="status", record_type="concern",
            record_id=row.id, rev=changed.rev, server_rev=server_rev, content_hash=digest, seq=seq))
    return server_rev, json.loads(text)
