"""What an official had typed in a form whose save was refused because the record changed
since the form was opened: the form shows the stored values again and lists these beside
them, so the edit can be made again and nothing typed is lost without a word."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UnsavedEdit:
    field: str  # the form's field name (household.<field>, visit.<field> or concern.<field> label)
    value: Any  # as typed: text, a set of flags, a bool, (lat, lon)
    concern: int = 0  # on the visit form: the concern's number on screen (1, 2…); 0 for the visit itself
