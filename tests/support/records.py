"""Valid records for every suite, made with records/models.py like a device makes them.

Khmer names and real Cambodian number forms; the ``n``-th record of a kind gets its own name,
phone and times (T0 + n), so a test that makes several gets distinct, ordered records.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from records.models import Concern, ConcernCategory, Escalation, EscalationLevel, Household, Visit

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
OFFICIAL = "Demo Official"
DEVICE = "device-1"
# Villages of the demo official's commune (010201) and of a neighbouring commune (010202).
VILLAGE = "01020101"  # Ou Thum, Banteay Neang, Mongkol Borey, Banteay Meanchey
OTHER_COMMUNE_VILLAGE = "01020201"
OTHER_DISTRICT_VILLAGE = "01030101"
MEF_ONLY_VILLAGE = "01070223"  # in the built-in (MEF) list, not in NCDD's
# The NCDD gazetteer lives beside the repository (../shared/data), never in it.
NCDD_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "cambodia-admin-areas.csv"


# What a district office sends up with a concern it escalates (issue 11).
ESCALATION = Escalation(level=EscalationLevel.province,
                        tried_locally="ក្រុមប្រឹក្សាឃុំបានជួសជុលអណ្ដូងពីរដង",
                        who_was_urged="Banteay Meanchey Provincial Department of Water Resources, twice by letter",
                        why_not_solved="The commune budget cannot pay for a new borehole",
                        ask="Fund a borehole for the village this dry season")


def household(n: int = 0, *, village: str = VILLAGE, **fields: Any) -> Household:
    fields.setdefault("head_name", f"សុខ ស្រីមុំ {n}")
    fields.setdefault("phone", f"012 {100000 + n:06d}")
    fields.setdefault("members", 1 + n % 9)
    fields.setdefault("created_at", T0 + timedelta(seconds=n))
    fields.setdefault("updated_at", T0 + timedelta(seconds=n))
    fields.setdefault("device_id", DEVICE)
    fields.setdefault("author", OFFICIAL)
    fields.setdefault("village_code", village)
    return Household(**fields)


def visit(h: Household, n: int = 0, **fields: Any) -> Visit:
    # A day of March 2026 per n: visits of one household are ordered, and never in the future.
    fields.setdefault("visited_on", date(2026, 3, 1) + timedelta(days=n % 28))
    fields.setdefault("officials", [OFFICIAL])
    fields.setdefault("notes", f"visit {n}")
    fields.setdefault("created_at", T0 + timedelta(hours=1, seconds=n))
    fields.setdefault("updated_at", T0 + timedelta(hours=1, seconds=n))
    fields.setdefault("device_id", h.device_id)
    return Visit(household_id=h.id, **fields)


def concern(h: Household, v: Visit, n: int = 0, **fields: Any) -> Concern:
    fields.setdefault("category", ConcernCategory.water)
    fields.setdefault("description", f"អណ្ដូងរីង {n}")
    fields.setdefault("device_id", h.device_id)
    return Concern.raise_new(by=OFFICIAL, at=T0 + timedelta(hours=2, seconds=n), household_id=h.id,
                             visit_id=v.id, **fields)


def family(n: int = 0, *, village: str = VILLAGE, **fields: Any) -> tuple[Household, Visit, Concern]:
    """A household with one visit that raised one concern."""
    h = household(n, village=village, **fields)
    v = visit(h, n)
    return h, v, concern(h, v, n)


def day_of_work(n_households: int, *, village: str = VILLAGE) -> list:
    """Households, each with a visit and two concerns."""
    out: list = []
    for i in range(n_households):
        h = household(i, village=village)
        v = visit(h, i)
        out += [h, v, concern(h, v, 2 * i), concern(h, v, 2 * i + 1, category=ConcernCategory.roads)]
    return out


def sok_dara(**fields: Any) -> Household:
    """The household the app's screens show: a Khmer and a Latin name, a phone typed without spaces."""
    values = {"head_name": "សុខ ដារ៉ា", "head_name_latin": "Sok Dara", "phone": "012345678", "members": 4}
    return household(**{**values, **fields})


def visit_with_concerns(h: Household, n: int = 2) -> tuple[Visit, list[Concern]]:
    """A visit that raised ``n`` concerns (water, roads, health)."""
    v = visit(h)
    return v, [concern(h, v, i, category=c, description=f"concern {c}")
               for i, c in enumerate(("water", "roads", "health")[:n])]


# ---------------------------------------------------------------- forums and meetings (issue 10)

COMMUNE = VILLAGE[:6]


def meeting(n: int = 0, *, area: str = COMMUNE, level: str = "commune", **fields: Any):
    """A commune forum planned for a day of April 2026 per n, organised by the demo official."""
    from records.meetings import Meeting

    fields.setdefault("title", f"វេទិកាសាធារណៈ {n}")
    fields.setdefault("planned_on", date(2026, 4, 1) + timedelta(days=n % 28))
    fields.setdefault("place", "សាលាឃុំ")
    fields.setdefault("organiser", OFFICIAL)
    fields.setdefault("created_at", T0 + timedelta(hours=3, seconds=n))
    fields.setdefault("updated_at", T0 + timedelta(hours=3, seconds=n))
    fields.setdefault("device_id", DEVICE)
    fields.setdefault("author", OFFICIAL)
    return Meeting(level=level, area_code=area, **fields)


def forum_concern(m, n: int = 0, *, raised_by: Any = "ចាន់ ធី", **fields: Any) -> Concern:
    """A concern raised from the floor of forum ``m``."""
    from records.models import ConcernSource

    fields.setdefault("category", ConcernCategory.roads)
    fields.setdefault("description", f"ផ្លូវខូច {n}")
    fields.setdefault("device_id", m.device_id)
    fields.setdefault("source", ConcernSource.public_forum)
    if raised_by is None:
        fields.setdefault("anonymous", True)
    return Concern.raise_new(by=OFFICIAL, at=T0 + timedelta(hours=4, seconds=n), meeting_id=m.id,
                             raised_by=raised_by, **fields)
