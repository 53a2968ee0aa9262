"""Who may do what: the roles, and the concern statuses only the district office may set.

One rule for the device (what the concern screen offers) and the server (what a push or a
status change may do): ``may_set_status``.
"""
from __future__ import annotations

from typing import Optional

from records.models import ConcernStatus

ROLES: tuple[str, ...] = ("official", "supervisor", "admin")
# Roles that act for the district office.
OFFICE_ROLES: frozenset[str] = frozenset({"supervisor", "admin"})
# Statuses only the office decides: escalating is reporting a concern to the national level.
OFFICE_ONLY_STATUSES: frozenset[ConcernStatus] = frozenset({ConcernStatus.escalated})


def is_office(role: str) -> bool:
    return role in OFFICE_ROLES


def may_set_status(role: str, current: Optional[ConcernStatus], new: ConcernStatus) -> bool:
    """May a user of ``role`` move a concern from ``current`` (None: a new concern) to ``new``.

    The role's side of a status change: keeping the status is always allowed; an office-only
    status needs an office role. Whether the lifecycle allows the move at all is the record's
    own rule (``records.models.can_change_status``, checked by ``Concern`` on every change).
    """
    if current == new:
        return True
    return is_office(role) or new not in OFFICE_ONLY_STATUSES
