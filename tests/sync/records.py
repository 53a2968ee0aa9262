"""Small factories of valid records for the sync tests."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from records.models import Concern, ConcernCategory, Household, Visit

VILLAGE = "12010101"  # a village in Phnom Penh: the tests' officials work in 12 / 1201
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def household(n: int = 0, *, village: str = VILLAGE, **fields: Any) -> Household:
    fields.setdefault("head_name", f"សុខ ស្រីមុំ {n}")
    fields.setdefault("members", 1 + n % 9)
    fields.setdefault("phone", f"012 {345000 + n:06d}"[:11])
    fields.setdefault("created_at", T0 + timedelta(seconds=n))
    fields.setdefault("updated_at", T0 + timedelta(seconds=n))
    fields.setdefault("device_id", "device-test")
    fields.setdefault("author", "official1")
    return Household(village_code=village, **fields)


def visit(h: Household, n: int = 0, **fields: Any) -> Visit:
    fields.setdefault("visited_on", date(2026, 3, 1))
    fields.setdefault("officials", ["Dara"])
    fields.setdefault("notes", f"visit {n}")
    fields.setdefault("created_at", T0 + timedelta(minutes=1, seconds=n))
    fields.setdefault("updated_at", T0 + timedelta(minutes=1, seconds=n))
    fields.setdefault("device_id", "device-test")
    return Visit(household_id=h.id, **fields)


def concern(h: Household, v: Visit, n: int = 0, **fields: Any) -> Concern:
    fields.setdefault("category", ConcernCategory.water)
    fields.setdefault("description", f"Well is dry ({n})")
    fields.setdefault("device_id", "device-test")
    return Concern.raise_new(by="official1", at=T0 + timedelta(minutes=2, seconds=n), household_id=h.id,
                             visit_id=v.id, **fields)


def day_of_work(n_households: int, *, village: str = VILLAGE) -> list:
    """Households, each with a visit and two concerns."""
    out: list = []
    for i in range(n_households):
        h = household(i, village=village)
        v = visit(h, i)
        out += [h, v, concern(h, v, 2 * i), concern(h, v, 2 * i + 1, category=ConcernCategory.roads)]
    return out
