"""The follow-up reference data on a device: institutions and the due-date table, kept in the store's meta.

Small lists (about a hundred institutions, a few rules) written whole when a sync brings a
new version; until then the seed that ships with Phum and the default due days hold, so a
referral and a due date work offline on a fresh device. Every pulled row is checked with the
same rules as the server's CSV load; a bad list is refused whole and the old one kept.
"""
from __future__ import annotations

from typing import Any, Optional

from records.followup import DEFAULTS, DueDays
from records.institutions import SEED_SOURCE, Institution, check_row, seed, seed_version
from storage.repository import Store

INSTITUTIONS_KEY = "reference.institutions"
# The version alone, so that asking "has the list changed?" does not copy the whole list out of meta.
INSTITUTIONS_VERSION_KEY = "reference.institutions_version"
DUE_DAYS_KEY = "reference.due_days"


def institutions_version(store: Store) -> str:
    return store.meta.get(INSTITUTIONS_VERSION_KEY) or seed_version()


def load_institutions(store: Store) -> tuple[str, str, list[Institution]]:
    """(version, source, institutions) on this device: the last pulled list, or the seed."""
    saved = store.meta.get(INSTITUTIONS_KEY)
    if not saved:
        return seed_version(), SEED_SOURCE, list(seed())
    return saved["version"], saved.get("source", ""), [check_row(row) for row in saved["institutions"]]


def save_institutions(store: Store, answer: dict[str, Any]) -> Optional[str]:
    """Keep a pulled list (checked row by row first); returns its version, or None when nothing changed."""
    rows = answer.get("institutions") or []
    if not answer.get("changed") or not rows:
        return None  # never replace the list with nothing
    checked = [check_row(row).wire() for row in rows]  # InstitutionError: the caller reports, the old list stays
    version = str(answer.get("version") or "")
    store.meta.set(INSTITUTIONS_KEY, {"version": version, "source": str(answer.get("source") or ""),
                                      "institutions": checked})
    store.meta.set(INSTITUTIONS_VERSION_KEY, version)  # after the list: a crash between leaves it to be pulled again
    return version


def due_days_version(store: Store) -> str:
    return load_due_days(store).version


def load_due_days(store: Store) -> DueDays:
    saved = store.meta.get(DUE_DAYS_KEY)
    return DueDays.from_rows(saved["overrides"]) if saved else DEFAULTS


def save_due_days(store: Store, answer: dict[str, Any]) -> Optional[str]:
    """Keep a pulled due-date table; returns its version, or None when nothing changed."""
    if not answer.get("changed"):
        return None
    table = DueDays.from_rows(answer.get("overrides") or [])  # DueDaysError: the old table stays
    store.meta.set(DUE_DAYS_KEY, {"version": table.version, "overrides": table.wire()["overrides"]})
    return table.version
