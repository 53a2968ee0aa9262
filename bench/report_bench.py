"""Benchmark of the activity report (not a test): the device over a district store of 50,000 households,
the server on SQLite (province, commune) and on PostgreSQL (national, bulk-filled).

    python bench/report_bench.py                       # device 50k, SQLite province, PostgreSQL national
    python bench/report_bench.py --quick               # device 5k, smaller server fills
    python bench/report_bench.py --national-households 4000000   # the issue's size (hours, ~10 GB)

Device: a MemoryStore (the same DocRecords code a TinyStore runs once open: its tables are in memory)
with 50,000 households in district 0102, two visits each over 2026 and 2.5 concerns per household in
every status; the district's 2026-Q1 report, best of 5 (wall and CPU time: the machine may be shared).

Server: server.report.activity in-process (the SQL and the assembly; no HTTP). SQLite: one province
(01) of --province-households households (two visits, 2.5 concerns each, over 15 months) inserted with
executemany; its 2026-Q1 report and one commune's. PostgreSQL: a throwaway cluster
(tests/support/postgres.py), filled by ONE INSERT ... SELECT FROM generate_series per record type,
--national-households over 25 provinces, 2 visits and 2.5 concerns each; the national 2026-Q1 report.
If that is below 4,000,000 households the national time is also given scaled linearly to 4M (the
queries scan the period's rows: linear is the honest first guess, not a measurement).
The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from records.models import (  # noqa: E402
    Concern, ConcernCategory, ConcernStatus, Escalation, EscalationLevel, Household, Priority, Visit,
)

ESCALATION = Escalation(level=EscalationLevel.province, tried_locally="Commune repairs", who_was_urged="Department",
                        why_not_solved="No budget", ask="Fund it")

T0 = datetime(2026, 1, 1, 1, tzinfo=timezone.utc)
VILLAGES = [f"0102{c:02d}{v:02d}" for c in range(1, 11) for v in range(1, 11)]


def district_records(n: int, seed: int = 1) -> list:
    rng = random.Random(seed)
    out: list = []
    for i in range(n):
        h = Household(head_name=f"សុខ {i}", village_code=rng.choice(VILLAGES), created_at=T0, updated_at=T0)
        out.append(h)
        for j in range(2):
            day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
            v = Visit(household_id=h.id, visited_on=day, officials=["Official"], created_at=T0, updated_at=T0)
            out.append(v)
            for _ in range(1 if j else rng.choice((1, 2))):
                c = Concern.raise_new(by="Official", at=T0, household_id=h.id, visit_id=v.id,
                                      category=rng.choice(list(ConcernCategory)), description="អណ្ដូង",
                                      priority=rng.choice(list(Priority)))
                roll = rng.random()
                if roll < 0.5:
                    c = c.change_status(ConcernStatus.resolved, by="Official", at=T0 + timedelta(days=rng.randint(0, 90)))
                elif roll < 0.6:
                    c = c.change_status(ConcernStatus.escalated, by="Official", at=T0, escalation=ESCALATION)
                out.append(c)
    return out


def device_bench(n: int) -> dict:
    from app.services.reports import ReportService
    from records.report import parse_period
    from storage.memory import MemoryStore

    started = time.perf_counter()
    records = district_records(n)
    store = MemoryStore()
    store.save(*records)
    built = time.perf_counter() - started
    service = ReportService(store)
    times, cpu = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        report = service.activity("0102", parse_period("2026-Q1"))
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    counts = {k: sum(1 for r in records if r.kind == k) for k in ("household", "visit", "concern")}
    print(f"device: {n} households, {counts['visit']} visits, {counts['concern']} concerns (built in {built:.0f} s); "
          f"district 2026-Q1 report best {min(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms "
          f"(CPU best {min(cpu) * 1000:.0f} ms); "
          f"{report['figures']['visits']} visits in the quarter")
    return {"device_report_ms_50k": round(min(times) * 1000, 1), "device_report_cpu_ms": round(min(cpu) * 1000, 1),
            "device_households": n}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--province-households", type=int, default=160_000)  # 4M / 25 provinces
    parser.add_argument("--national-households", type=int, default=400_000)
    parser.add_argument("--skip-device", action="store_true")
    parser.add_argument("--device-only", action="store_true", help="only the device report (no server fills)")
    args = parser.parse_args()
    from bench.report_bench_server import national_bench, sqlite_bench

    result: dict = {}
    if not args.skip_device:
        result.update(device_bench(5000 if args.quick else 50000))
    if not args.device_only:
        result.update(sqlite_bench(20_000 if args.quick else args.province_households))
        result.update(national_bench(40_000 if args.quick else args.national_households))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
