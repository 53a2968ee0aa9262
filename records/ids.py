"""Record ids: client-made UUIDs, always kept and compared in their canonical text form."""
from __future__ import annotations

import re
import uuid
from typing import Any, Optional

# The form str(uuid.UUID(...)) gives: such a string is already its own normal form.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def new_id() -> str:
    return str(uuid.uuid4())


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
