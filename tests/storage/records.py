"""Valid records for the storage tests: Khmer names, real Cambodian number forms."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from records.models import Concern, ConcernCategory, Household, Visit

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
VILLAGE = "01020101"  # Ou Thum, Banteay Neang, Mongkol Borey, Banteay Meanchey


def household(n: int = 0, **fields: Any) -> Household:
    fields.setdefault("head_name", f"សុខ ស្រីមុំ {n}")
    fields.setdefault("village_code", VILLAGE)
    fields.setdefault("phone", f"012 {100000 + n:06d}")
    fields.setdefault("created_at", T0 + timedelta(seconds=n))
    fields.setdefault("updated_at", T0 + timedelta(seconds=n))
    fields.setdefault("device_id", "device-1")
    fields.setdefault("author", "dara")
    return Household(**fields)


def visit(h: Household, n: int = 0, **fields: Any) -> Visit:
    fields.setdefault("visited_on", date(2026, 3, 1) + timedelta(days=n))
    fields.setdefault("officials", ["ដារ៉ា"])
    fields.setdefault("created_at", T0 + timedelta(hours=1, seconds=n))
    fields.setdefault("updated_at", T0 + timedelta(hours=1, seconds=n))
    return Visit(household_id=h.id, **fields)


def concern(h: Household, v: Visit, n: int = 0, **fields: Any) -> Concern:
    fields.setdefault("category", ConcernCategory.water)
    fields.setdefault("description", f"អណ្ដូងរីង {n}")
    return Concern.raise_new(by="dara", at=T0 + timedelta(hours=2, seconds=n), household_id=h.id, visit_id=v.id,
                             **fields)
