"""Pull: the latest state of the records in the caller's area changed since a cursor, by seq.

Also the meetings of areas above the caller's that invite it (docs/sync-protocol.md "Meetings"):
a second keyset page over meeting_invites, merged with the area's page by seq.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Optional

from sqlalchemy import select

from server.auth import Actor
from server.db import Database
from server.errors import ApiError
from server.tables import MeetingInvite, RecordRow, area_after

_COLUMNS = (RecordRow.type, RecordRow.id, RecordRow.server_rev, RecordRow.data, RecordRow.seq)

_PREFIX = "p1:"


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{seq}".encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: Optional[str]) -> int:
    if cursor is None or cursor == "":
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not text.startswith(_PREFIX):
            raise ValueError(text)
        seq = int(text[len(_PREFIX):])
        if seq < 0 or len(text) > 40:
            raise ValueError(text)
        return seq
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiError(400, "bad_cursor", "This cursor was not made by this server; pull from the start.") from None


def pull(db: Database, actor: Actor, cursor: Optional[str], limit: int) -> str:
    """The pull answer as JSON text (stored records are already canonical JSON: no re-encoding)."""
    after = decode_cursor(cursor)
    with db.session() as s:
        # Read before the rows: every change up to it has committed or never will; none above it is read.
        committed = db.committed_seq(s)
        if after >= committed:
            # Nothing newer here; a cursor ahead of it was made by a database further on (a read replica
            # lagging behind the primary): come back later with the same cursor, no download from the start.
            return _page([], after, False)
        where, order = area_after(actor.area_code, after, committed)
        query = select(*_COLUMNS).where(where).order_by(*order).limit(limit + 1)
        rows = _merged(s.execute(query).all(), _invited(s, actor.area_code, after, committed, limit + 1), limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].seq if rows else after
    # With nothing more to send, jump to the newest committed seq: the next pull starts there.
    return _page(rows, last if has_more else max(last, committed), has_more)


def _invited(s, area_code: str, after: int, upto: int, limit: int) -> list:
    """Meetings with after < seq <= upto (the committed horizon) that invite the caller's area, or an area
    inside it (admin: none needed)."""
    if not area_code:
        return []
    invites = select(MeetingInvite.record_id).where(MeetingInvite.area_code == area_code)
    return s.execute(select(*_COLUMNS).where(RecordRow.id.in_(invites), RecordRow.seq > after,
                                                 RecordRow.seq <= upto)
                     .order_by(RecordRow.seq).limit(limit)).all()


def _merged(own: list, invited: list, limit: int) -> list:
    """Both pages in seq order, each record once, at most ``limit``: each page holds its first ``limit``."""
    if not invited:
        return own
    seen: set[str] = set()
    rows = []
    for row in sorted([*own, *invited], key=lambda r: r.seq):
        if row.id not in seen:
            seen.add(row.id)
            rows.append(row)
    return rows[:limit]


def _page(rows, next_seq: int, has_more: bool) -> str:
    changes = ",".join(
        f'{{"type":{json.dumps(r.type)},"id":{json.dumps(r.id)},"server_rev":{r.server_rev},"data":{r.data}}}'
        for r in rows)
    return (f'{{"changes":[{changes}],"next_cursor":{json.dumps(encode_cursor(next_seq))},'
            f'"has_more":{"true" if has_more else "false"}}}')
