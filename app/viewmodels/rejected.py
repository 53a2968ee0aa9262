"""What the server refused about a record, as the form's field errors (so the field is marked)."""
from __future__ import annotations

from typing import Any, Iterable, Optional

from records.models import SyncState

FORM_WIDE = "__all__"  # the key under which a form shows an error that belongs to no field


def rejected_field_errors(record: Optional[Any], fields: Iterable[str]) -> dict[str, str]:
    """{field: code} from the rejection sync stored on ``record`` (``sync_error``), or {}.

    The server names the field it refused (``village_code`` for outside_area on a household); a
    field the form does not show, or none, lands form-wide so the official still reads why.
    """
    if record is None or getattr(record, "sync_state", None) != SyncState.rejected:
        return {}
    error = getattr(record, "sync_error", None) or {}
    code = error.get("code")
    if not code:
        return {}
    field = error.get("field") or ""
    return {field if field in set(fields) else FORM_WIDE: str(code)}
