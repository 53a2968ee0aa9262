"""Schema migrations of the local store: named, applied in order, recorded in the store.

A migration reads the tables and returns the operations that change them; the runner commits
those operations together with the migration's record in ONE atomic step, so a migration is
either wholly applied and recorded, or not at all (a crash in between re-runs it next time).
Append new migrations at the end of MIGRATIONS; never rename or reorder applied ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Mapping, Protocol

from storage.journal import Op

TABLE = "migrations"


class _Tables(Protocol):
    def table(self, name: str) -> dict[str, Any]: ...

    def commit(self, ops: list[Op]) -> None: ...


@dataclass(frozen=True)
class Migration:
    name: str
    # tables getter -> operations; must not change the tables itself
    change: Callable[[Callable[[str], Mapping[str, Any]]], list[Op]]


def _initial(table: Callable[[str], Mapping[str, Any]]) -> list[Op]:
    return []  # the first schema: households, visits, concerns, meta, conflicts as records.models dumps them


# What a concern saved before forums and meetings existed reads as (issue 10): raised at a household visit.
CONCERN_SOURCE_DEFAULTS: dict[str, Any] = {"source": "household_visit", "meeting_id": None, "raised_by": None,
                                           "anonymous": False}


def _concern_source(table: Callable[[str], Mapping[str, Any]]) -> list[Op]:
    """Every stored concern gets the fields of where it was raised: a household visit, by nobody named."""
    return [["put", "concerns", key, {**CONCERN_SOURCE_DEFAULTS, **doc}]
            for key, doc in table("concerns").items() if not CONCERN_SOURCE_DEFAULTS.keys() <= doc.keys()]


# The due days of issue 11 as they were when this migration was written (frozen: later defaults may differ).
_DUE_DAYS_0003 = {"urgent": 3, "high": 7, "normal": 30, "low": 60}


def _concern_due_dates(table: Callable[[str], Mapping[str, Any]]) -> list[Op]:
    """Concerns saved before due dates get one: the day they were raised + their priority's days.

    The server's migration 0005 gives its copies the same date, so a synced concern stays equal on both.
    """
    ops: list[Op] = []
    for key, doc in table("concerns").items():
        if doc.get("due_on") or "created_at" not in doc:
            continue
        raised = date.fromisoformat(str(doc["created_at"])[:10])
        days = _DUE_DAYS_0003.get(str(doc.get("priority") or "normal"), _DUE_DAYS_0003["normal"])
        ops.append(["put", "concerns", key, {**doc, "due_on": (raised + timedelta(days=days)).isoformat()}])
    return ops


MIGRATIONS: list[Migration] = [
    Migration("0001_initial", _initial),
    Migration("0002_concern_source", _concern_source),
    Migration("0003_concern_due_dates", _concern_due_dates),
]


def applied_names(tables: _Tables) -> list[str]:
    rows = tables.table(TABLE).values()
    return [row["name"] for row in sorted(rows, key=lambda r: r["seq"])]


def run_migrations(tables: _Tables, migrations: list[Migration], clock: Callable[[], datetime]) -> list[str]:
    """Apply the migrations not yet recorded, in list order. Returns notes for the recovery report."""
    names = [m.name for m in migrations]
    if len(set(names)) != len(names):
        raise ValueError(f"migration names must be unique: {names}")
    done = tables.table(TABLE)
    notes = []
    unknown = sorted(set(done) - set(names))
    if unknown:
        notes.append(f"this store has migrations this version of Phum does not know: {', '.join(unknown)}")
    for migration in migrations:
        if migration.name in done:
            continue
        ops = migration.change(tables.table)
        record = {"name": migration.name, "seq": len(done) + 1, "applied_at": clock().isoformat(),
                  "changed": sum(1 for op in ops if op[0] in ("put", "del")) + sum(
                      len(op[2]) for op in ops if op[0] == "replace")}
        tables.commit(list(ops) + [["put", TABLE, migration.name, record]])
    return notes
