"""Follow-up list benchmark: a district office's store, the "to follow up" view-model, first render and filters.

    .venv/bin/python bench/followup_bench.py [--households 50000] [--concerns 100000]

One district (Mangkul Bourei, 0102: its villages from the built-in gazetteer) with 50,000
households and 100,000 concerns raised over the last 120 days (all priorities and categories;
some referred to listed institutions, some resolved, some told, some escalated), in the store
the district desktop uses (MemoryStore: the same documents and indexes as the TinyStore,
without the disk). Measured with the day injected: the follow-up view-model's first render
(the list of the 200 most pressing and the counts), each filter (category, institution,
village), and the navigation badge's count. Target: ≤ 100 ms each. Median of several runs;
the last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.services.actor import fixed_actor  # noqa: E402
from app.services.areas import AreaService  # noqa: E402
from app.services.concerns import ConcernService  # noqa: E402
from app.services.followup import FollowupService  # noqa: E402
from app.viewmodels.followup import FollowupVM  # noqa: E402
from records.models import (ConcernCategory, ConcernStatus, Feedback, FeedbackAnswer, FeedbackChannel,  # noqa: E402
                            Household, Priority, Visit)
from records.models import Concern  # noqa: E402
from storage.memory import MemoryStore  # noqa: E402
from storage.repository import Area  # noqa: E402
from tests.support.records import ESCALATION  # noqa: E402

TARGET_MS = 100.0
TODAY = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
DISTRICT = "0102"


def district_areas() -> list[Area]:
    from app.services.gazetteer import builtin_areas

    return [a for a in builtin_areas() if a.code.startswith(DISTRICT[:2])]


def seed(store: MemoryStore, households: int, concerns: int, villages: list[str]) -> dict:
    rng = random.Random(11)
    categories, priorities = list(ConcernCategory), list(Priority)
    institutions = ["bmc-dowram", "bmc-pdrd", "bmc-phd", "d0102-admin", "d0102-owso", "c010201-admin"]
    per_household = max(1, concerns // households)
    made = {"households": 0, "concerns": 0}
    batch: list = []
    for i in range(households):
        raised = TODAY - timedelta(days=rng.randrange(120), hours=rng.randrange(12))
        h = Household(head_name=f"ឈ្មោះ {i:05d}", members=1 + i % 9, village_code=villages[i % len(villages)],
                      created_at=raised, updated_at=raised, author="Bench")
        v = Visit(household_id=h.id, visited_on=raised.date(), officials=["Bench"], created_at=raised,
                  updated_at=raised)
        batch += [h, v]
        for j in range(per_household):
            c = Concern.raise_new(by="Bench", at=raised, household_id=h.id, visit_id=v.id,
                                  category=categories[(i + j) % len(categories)],
                                  priority=priorities[rng.randrange(len(priorities))], description=f"សំណូមពរ {i}-{j}")
            roll = rng.random()
            if roll < 0.25:
                c = c.change_status(ConcernStatus.referred, by="Bench", referred_to="x",
                                    institution_id=institutions[i % len(institutions)], at=raised)
            elif roll < 0.55:
                c = c.change_status(ConcernStatus.resolved, by="Bench", at=raised)
                if roll < 0.45:
                    c = c.record_feedback(Feedback(told_on=raised.date(), channel=FeedbackChannel.visit,
                                                   answer=FeedbackAnswer.satisfied), by="Bench", at=raised)
            elif roll < 0.58:
                c = c.change_status(ConcernStatus.escalated, by="Bench", escalation=ESCALATION, at=raised)
            batch.append(c)
            made["concerns"] += 1
        made["households"] += 1
        if len(batch) >= 3000:
            store.save(*batch)
            batch = []
    if batch:
        store.save(*batch)
    return made


def timed(fn, runs: int) -> float:
    """Median milliseconds of ``runs`` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--concerns", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    areas = district_areas()
    villages = [a.code for a in areas if a.level == "village" and a.code.startswith(DISTRICT)]
    store = MemoryStore()
    store.load_gazetteer(areas, source="bench", version="bench")
    start = time.perf_counter()
    made = seed(store, args.households, args.concerns, villages)
    seeded_s = time.perf_counter() - start
    print(f"seeded {made['households']} households, {made['concerns']} concerns in {len(villages)} villages "
          f"of district {DISTRICT} in {seeded_s:.1f} s")

    actor = fixed_actor("bench", "Bench Supervisor", "bench", "supervisor")
    concerns = ConcernService(store, actor, clock=lambda: TODAY)
    service = FollowupService(store, actor, concerns.reference, clock=lambda: TODAY)
    areas_service = AreaService(store.areas)
    vm = FollowupVM(service, areas_service, "km")
    print(f"to follow up: {vm.counts.overdue} overdue, {vm.counts.due_soon} due soon, "
          f"{vm.counts.tell_household} to tell; {len(vm.rows)} rows shown")

    figures = {
        "first_render_ms": timed(lambda: FollowupVM(service, areas_service, "km"), args.runs),
        "filter_category_ms": timed(lambda: (vm.set_filter("category", "water"), vm.set_filter("category", "all")),
                                    args.runs) / 2,
        "filter_institution_ms": timed(lambda: (vm.set_filter("institution", "bmc-dowram"),
                                                vm.set_filter("institution", "all")), args.runs) / 2,
        "filter_village_ms": timed(lambda: (setattr(vm, "area_code", villages[3]), vm.refresh(),
                                            setattr(vm, "area_code", ""), vm.refresh()), args.runs) / 2,
        "badge_count_ms": timed(service.counts, args.runs),
    }
    for name, ms in figures.items():
        verdict = "ok" if ms <= TARGET_MS else "OVER"
        print(f"{name:24s} {ms:8.1f} ms   (target ≤ {TARGET_MS:.0f} ms: {verdict})")
    print(json.dumps({"households": made["households"], "concerns": made["concerns"],
                      **{k: round(v, 1) for k, v in figures.items()}, "target_ms": TARGET_MS,
                      "ok": all(v <= TARGET_MS for v in figures.values())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
