"""Record ids: client-made UUIDs, always kept and compared in their canonical text form."""
from __future__ import annotations

import os
import re
import time
import uuid
from typing import Any, Optional

# The form str(uuid.UUID(...)) gives: such a string is already its own normal form.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def new_id() -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    Time first, so the rows a server inserts land at the right end of its primary-key index
    (a few hot pages) instead of anywhere in it: less WAL per row (docs/server.md).
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big") & ((1 << 80) - 1)
    value = value & ~(0xF << 76) | (0x7 << 76)  # version 7
    value = value & ~(0x3 << 62) | (0x2 << 62)  # RFC 9562 variant
    return str(uuid.UUID(int=value))


def canonical_id(value: Any) -> Optional[str]:
    """The canonical text of a UUID, or None when ``value`` is not one.

    Stored and synced ids are already canonical: they skip the (slower) parse.
    """
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return value
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, AttributeError, TypeError):
        return None
