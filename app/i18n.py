"""Translations and locale-aware formatting (pure: no Flet).

Every label, message and error the user sees is a key in assets/i18n/<lang>.json; views
ask a ``Translator`` for text and never hold strings of their own.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from records.catalog import LANGUAGES, load_catalog

DEFAULT_LANGUAGE = "km"

_TO_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
KHMER_MONTHS = ("មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា",
                "កក្កដា", "សីហា", "កញ្ញា", "តុលា", "វិច្ឆិកា", "ធ្នូ")
ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# Flutter's own widgets (the date picker's month names, weekdays, buttons) take a locale, not our keys.
LOCALES = {"km": ("km", "KH"), "en": ("en", "US")}


def locale_of(lang: str) -> tuple[str, str]:
    """(language, country) for Flutter's built-in localisations of a UI language."""
    return LOCALES.get(lang, LOCALES[DEFAULT_LANGUAGE])


def to_khmer_digits(text: str) -> str:
    return text.translate(_TO_KHMER_DIGITS)


def national_phone(phone: Optional[str]) -> str:
    """+85512345678 as people say it: 012 345 678 (other countries stay in E.164)."""
    if not phone:
        return ""
    if phone.startswith("+855"):
        rest = "0" + phone[4:]
        return " ".join(p for p in (rest[:3], rest[3:6], rest[6:]) if p)
    return phone


class Translator:
    """Text in one language; a key missing there falls back to English, then to the key itself."""

    def __init__(self, lang: str = DEFAULT_LANGUAGE):
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        self._catalog = load_catalog(self.lang)
        self._fallback = load_catalog("en")

    def __call__(self, key: str, **params: Any) -> str:
        if params.get("count") == 1:  # "1 concern", not "1 concerns": a language with plurals keeps key.one
            key = f"{key}.one" if f"{key}.one" in self._catalog else key
        text = self._catalog.get(key) or self._fallback.get(key) or key
        if params:
            shown = {k: self.number(v) if isinstance(v, int) and not isinstance(v, bool) else v
                     for k, v in params.items()}
            try:
                text = text.format(**shown)
            except (KeyError, IndexError, ValueError):
                pass  # a translation with a broken placeholder still shows its words
        return text

    def error(self, code: Optional[str], reason: Optional[str] = None) -> str:
        """A stable error code (records.models.ERROR_CODES or a sync code) as a sentence."""
        if not code:
            return reason or self("error.unknown")
        key = f"error.{code}"
        if key in self._catalog or key in self._fallback:
            return self(key)
        return reason or self("error.unknown")

    def choice(self, group: str, value: Any) -> str:
        """The label of an enum value, e.g. choice("status", ConcernStatus.open)."""
        raw = getattr(value, "value", value)
        return self(f"{group}.{raw}")

    def number(self, value: int | float | str) -> str:
        text = str(value)
        return to_khmer_digits(text) if self.lang == "km" else text

    def phone(self, value: Optional[str]) -> str:
        return self.number(national_phone(value))

    def date(self, value: Optional[date]) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.date()
        if self.lang == "km":
            return f"{to_khmer_digits(str(value.day))} {KHMER_MONTHS[value.month - 1]} {to_khmer_digits(str(value.year))}"
        return f"{value.day} {ENGLISH_MONTHS[value.month - 1]} {value.year}"

    def date_time(self, value: Optional[datetime]) -> str:
        """A moment in the device's local time zone, day and hh:mm."""
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        local = value.astimezone()
        return f"{self.date(local.date())} {self.number(local.strftime('%H:%M'))}"
