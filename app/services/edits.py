"""Saving what a form holds without silently undoing a change that arrived while it was open.

A form shows a record as it was when the form was opened. Meanwhile a pull may bring a
change from the district office or another device, or another window of the app may save
the same record. Saving the form's values on top of that newer copy would replace the
change without anyone noticing. So the form's view-model keeps the record it loaded
(``opened``), and the service, holding the store's ``write_lock`` so no sync answer lands in
between, compares it with the stored copy before it saves (``Store.save_edit``):

- the fields the form edits are the same in both: the edit goes on top of the stored copy
  (whatever else moved there, e.g. sync bookkeeping or a concern's status under a visit
  form, is kept);
- one of them changed: nothing is saved and ``ChangedSinceOpened`` carries the stored copy
  so the form can show it and the official can make the edit again.

After a save the service calls its ``on_saved`` callback (the composition root wires it to
AutoSync.trigger, so a saved visit goes to the server at once instead of at the next poll).
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable, Optional

from records.models import Record

log = logging.getLogger("phum.app")

CHANGED_SINCE_OPENED = "changed_since_opened"

OnSaved = Callable[[], None]


def nothing_to_do() -> None:
    """The default ``on_saved``: no one to tell (tests, tools)."""


def notify_saved(on_saved: OnSaved) -> None:
    """Tell whoever listens that records were saved; the save stands whatever the listener does."""
    try:
        on_saved()
    except Exception:  # noqa: BLE001 - the records are on disk: a failing listener must not report a failed save
        log.exception("on_saved callback failed")


class SaveFailed(Exception):
    """The form is not valid; nothing was saved. ``errors`` maps field -> error code."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class ChangedSinceOpened(SaveFailed):
    """The stored record changed since the form was opened; nothing was saved.

    ``fresh`` is the record as it is stored now (show it); ``fields`` are the form's fields
    that changed underneath it.
    """

    code = CHANGED_SINCE_OPENED

    def __init__(self, fresh: Record, fields: Iterable[str] = (), *, at: str = "__all__"):
        super().__init__({at: CHANGED_SINCE_OPENED})
        self.fresh = fresh
        self.fields = tuple(fields)


def changed_fields(opened: Record, stored: Record, fields: Iterable[str]) -> list[str]:
    """The ``fields`` whose stored value is no longer the value the form was opened with."""
    return [name for name in fields if getattr(opened, name) != getattr(stored, name)]


def ensure_unchanged(opened: Optional[Record], stored: Record, fields: Iterable[str]) -> None:
    """Raise ChangedSinceOpened when a field the form edits changed since ``opened`` was read.

    ``opened`` None means the caller did not open the record in a form (a script, an older
    caller): the edit is applied to the stored copy as it is.
    """
    if opened is None:
        return
    if opened.id != stored.id:
        raise ValueError(f"opened {opened.id} is not the record being saved ({stored.id})")
    changed = changed_fields(opened, stored, fields)
    if changed:
        raise ChangedSinceOpened(stored, changed)
