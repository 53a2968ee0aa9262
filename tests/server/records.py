"""Valid records to push, made with records/models.py like a device makes them."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from records.models import Concern, Household, Visit

# Villages of the demo official's commune (010201) and of a neighbouring commune (010202).
VILLAGE = "01020101"
OTHER_COMMUNE_VILLAGE = "01020201"
OTHER_DISTRICT_VILLAGE = "01030101"
MEF_ONLY_VILLAGE = "01070223"  # in the built-in (MEF) list, not in NCDD's
# The NCDD gazetteer lives beside the repository (../shared/data), never in it.
NCDD_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "cambodia-admin-areas.csv"


def household(village: str = VILLAGE, name: str = "សុខ ដារា", device: str = "device-1", **kw) -> Household:
    return Household(head_name=name, village_code=village, phone="012 345 678", members=4, device_id=device,
                     author="Demo Official", **kw)


def visit(h: Household, **kw) -> Visit:
    return Visit(household_id=h.id, visited_on=date.today() - timedelta(days=1), officials=["Demo Official"],
                 device_id=h.device_id, **kw)


def concern(h: Household, v: Visit, **kw) -> Concern:
    kw.setdefault("category", "water")
    kw.setdefault("description", "The well is broken")
    return Concern.raise_new(by="Demo Official", household_id=h.id, visit_id=v.id, device_id=h.device_id, **kw)


def family(village: str = VILLAGE, device: str = "device-1") -> tuple[Household, Visit, Concern]:
    h = household(village, device=device)
    v = visit(h)
    return h, v, concern(h, v)
