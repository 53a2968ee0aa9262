"""Text normalisation shared by validation, search and the UI (pure, no I/O)."""
from __future__ import annotations

import re
import unicodedata

KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
# Zero-width characters that Khmer keyboards insert between words; invisible, never meaningful.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"\s+")
_SPACES_BUT_TABS = re.compile(r"[^\S\t]+")


def to_ascii_digits(text: str) -> str:
    """Khmer digits (០-៩) to ASCII digits; everything else unchanged."""
    return text.translate(KHMER_DIGITS)


def clean_text(text: str) -> str:
    """NFC, zero-width characters removed, whitespace runs folded, trimmed."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def clean_line(text: str) -> str:
    """clean_text for one line of free text: tabs are kept (a pasted table keeps its columns)."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES_BUT_TABS.sub(" ", text).strip(" ")


def search_key(text: str) -> str:
    """The form in which names are compared for search: cleaned, case-folded, Khmer digits as ASCII."""
    return to_ascii_digits(clean_text(text)).casefold()


def digits_only(text: str) -> str:
    return "".join(ch for ch in to_ascii_digits(text) if ch.isdigit())
