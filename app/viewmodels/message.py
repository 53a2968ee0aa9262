"""A sentence for a screen as a translation key and its parameters: view-models decide, views translate."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    key: str
    params: dict[str, Any]
