"""What people type, read into values; failures are error codes for the field (no Flet)."""
from __future__ import annotations

import re
from datetime import date
from typing import Optional

from records.text import clean_text, to_ascii_digits


class InputError(ValueError):
    """A typed value that cannot be read; ``code`` is a key of records.models.ERROR_CODES."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


_DMY = re.compile(r"^(\d{1,2})[/.\-\s](\d{1,2})[/.\-\s](\d{4})$")
_YMD = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$")


def parse_date(text: Optional[str], *, required: bool = True) -> Optional[date]:
    """dd/mm/yyyy (as Cambodian forms write it) or ISO yyyy-mm-dd; Khmer digits accepted."""
    raw = to_ascii_digits(clean_text(text or ""))
    if not raw:
        if required:
            raise InputError("required")
        return None
    match = _DMY.match(raw)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        match = _YMD.match(raw)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise InputError("date_invalid")


def parse_whole_number(text: Optional[str]) -> int:
    raw = to_ascii_digits(clean_text(str(text if text is not None else "")))
    if not raw:
        raise InputError("required")
    if not raw.isdigit():
        raise InputError("number_invalid")
    return int(raw)


def parse_decimal(text: Optional[str]) -> Optional[float]:
    raw = to_ascii_digits(clean_text(text or "")).replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise InputError("number_invalid") from None


def split_names(text: Optional[str]) -> list[str]:
    """Officials present, typed one per line or separated by commas (Latin or Khmer comma)."""
    parts = re.split(r"[,\n;،、]", text or "")
    return [p for p in (clean_text(x) for x in parts) if p]
