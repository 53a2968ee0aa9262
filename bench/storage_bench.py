"""Benchmark of the local store (not a test): durable save and household search as the store
grows, side by side with TinyDB's default JSONStorage, in one run.

    python bench/storage_bench.py           # 1,000 / 10,000 / 50,000 households (a few minutes)
    python bench/storage_bench.py --quick   # 1,000 / 3,000 / 10,000 (under a minute)

Each size is built on disk first (every household with one visit and two concerns), then
measured in a fresh process, so that open time and memory are what the app would see:
- save: ONE visit with two concerns, durable (journal line + fdatasync), 400 times per size,
  with all sizes open in one process and saved to in turn, so that a disk made slow by
  something else slows every size alike; "without fsync" is the store's own work;
- search: 150 searches by part of a Khmer or Latin name and by phone typed in several forms;
- TinyDB default: the same save as insert(visit) + insert_multiple(concerns) on JSONStorage;
- sealed: every size is also built as the device keeps it, records encrypted (AES-GCM), and
  measured the same way (its saves in turn with the plain ones): the second table prints its
  figures and its overhead against plain.
The last line printed is one JSON object; its "_50k" keys are for the largest size measured
(``sizes`` says which), "sealed" holds the encrypted store's.
"""
from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from records.models import Concern, ConcernCategory, Household, Visit  # noqa: E402

GAZETTEER = ROOT.parent / "shared" / "data" / "cambodia-admin-areas.csv"
FAMILY = [("សុខ", "Sok"), ("ចាន់", "Chan"), ("គឹម", "Kim"), ("ហេង", "Heng"), ("លី", "Ly"), ("ម៉ៅ", "Mao"),
          ("សេង", "Seng"), ("ឈួន", "Chhuon"), ("ខៀវ", "Khiev"), ("ពៅ", "Pov"), ("យិន", "Yin"), ("អ៊ុំ", "Um")]
GIVEN = [("ស្រីមុំ", "Sreymom"), ("ដារ៉ា", "Dara"), ("វណ្ណា", "Vanna"), ("សុភា", "Sophea"), ("ពិសិដ្ឋ", "Piseth"),
         ("រតនា", "Rattana"), ("សំណាង", "Samnang"), ("បុប្ផា", "Bopha"), ("ណារី", "Neary"), ("ធីតា", "Thida"),
         ("វិចិត្រ", "Vichet"), ("សុខា", "Sokha"), ("ចន្ថា", "Chantha"), ("សុផល", "Sophal"), ("ម៉ាលី", "Maly")]
SAVES = 400  # per size, taken in turn
BENCH_KEY = bytes(range(32))  # the data key of the sealed copies
PREFIXES = ["012", "017", "077", "089", "092", "011", "015", "016", "010", "093", "098", "081", "086", "087"]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# ---------------------------------------------------------------- data


def villages() -> list[str]:
    if GAZETTEER.exists():
        with open(GAZETTEER, encoding="utf-8", newline="") as f:
            return [r["code"] for r in csv.DictReader(f) if r["level"] == "village"]
    return [f"{p:02d}{d:02d}{c:02d}{v:02d}" for p in range(1, 26) for d in range(1, 5) for c in range(1, 6)
            for v in range(1, 11)]


def make_docs(n: int, seed: int = 1) -> tuple[list[dict], list[dict], list[dict]]:
    """n households (in ~200 communes of one province, as a district office would hold), each
    with one visit and two concerns, as stored documents."""
    rng = random.Random(seed)
    codes = villages()
    province = rng.choice(sorted({c[:2] for c in codes}))
    codes = [c for c in codes if c.startswith(province)]
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    households, visits, concerns = [], [], []
    for i in range(n):
        fam, given = rng.choice(FAMILY), rng.choice(GIVEN)
        at = t0 + timedelta(minutes=i)
        h = Household(head_name=f"{fam[0]} {given[0]}", head_name_latin=f"{fam[1]} {given[1]}" if i % 2 else None,
                      phone=f"{rng.choice(PREFIXES)}{rng.randint(200000, 999999)}", members=rng.randint(1, 9),
                      village_code=rng.choice(codes), address=f"ផ្ទះលេខ {i}", created_at=at, updated_at=at,
                      device_id="bench", author="dara")
        v = Visit(household_id=h.id, visited_on=date(2025, 1, 1) + timedelta(days=i % 300), officials=["ដារ៉ា"],
                  notes="បានជួបមេគ្រួសារ", created_at=at, updated_at=at, device_id="bench", author="dara")
        cs = [Concern.raise_new(by="dara", at=at, household_id=h.id, visit_id=v.id,
                                category=rng.choice(list(ConcernCategory)), description="អណ្ដូងទឹករីង")
              for _ in range(2)]
        households.append(h.to_doc())
        visits.append(v.to_doc())
        concerns += [c.to_doc() for c in cs]
    return households, visits, concerns


def key_for(where: Path):
    """The sealed copies are the directories whose records hold a key check."""
    return BENCH_KEY if (where / "records" / "sealed.json").exists() else None


def build(where: Path, docs, n: int, data_key=None) -> None:
    from storage.tiny import TinyStore
    from tinydb.storages import JSONStorage

    households, visits, concerns = docs[0][:n], docs[1][:n], docs[2][: 2 * n]
    store = TinyStore(where / "records", where / "reference", data_key=data_key)
    storage = store.db.storage
    for start in range(0, n, 2000):
        storage.commit([["put", "households", d["id"], d] for d in households[start:start + 2000]]
                       + [["put", "visits", d["id"], d] for d in visits[start:start + 2000]]
                       + [["put", "concerns", d["id"], d] for d in concerns[2 * start:2 * start + 4000]])
    store.compact()
    store.close()
    if data_key is not None:
        return
    tables = {name: {str(i + 1): d for i, d in enumerate(rows)}
              for name, rows in (("households", households), ("visits", visits), ("concerns", concerns))}
    JSONStorage(str(where / "tinydb-default.json")).write(tables)


# ---------------------------------------------------------------- measured in a fresh process


def queries(store, rng: random.Random, k: int) -> list[str]:
    docs = list(store.households.docs.values())
    out = []
    for i in range(k):
        d = rng.choice(docs)
        phone = d["phone"]
        national = "0" + phone[4:]
        out.append([
            d["head_name"].split()[1][:3],  # part of a Khmer given name
            (d["head_name_latin"] or "sok dara").split()[0].lower(),  # a Latin family name
            f"{national[:3]} {national[3:6]} {national[6:]}",  # phone as printed
            national[-6:],  # the end of a number
            national.translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")),  # typed with Khmer digits
        ][i % 5])
    return out


def a_visit_with_two_concerns(household_id: str, i: int) -> list:
    v = Visit(household_id=household_id, visited_on=date(2025, 6, 1), officials=["ដារ៉ា"], notes=f"ម្ដងទៀត {i}")
    return [v] + [Concern.raise_new(by="dara", household_id=household_id, visit_id=v.id,
                                    category=ConcernCategory.water, description="ផ្លូវខូច") for _ in range(2)]


def measure_open_and_search(where: Path, n: int) -> dict:
    """Alone in a fresh process: open time, memory, search, a commune's list, a compaction."""
    from storage.tiny import TinyStore

    started = time.perf_counter()
    store = TinyStore(where / "records", where / "reference", data_key=key_for(where))
    open_s = time.perf_counter() - started
    rss_open = rss_mb()
    rng = random.Random(n)
    searches, hits = [], 0
    for q in queries(store, rng, 150):
        t = time.perf_counter()
        hits += len(store.households.search(q))
        searches.append((time.perf_counter() - t) * 1000)
    some = next(iter(store.households.docs.values()))
    t = time.perf_counter()
    in_commune = len(store.households.in_area(some["village_code"][:6]))
    list_ms = (time.perf_counter() - t) * 1000
    rss = rss_mb()
    t = time.perf_counter()
    store.compact()
    compact_s = time.perf_counter() - t
    records = sum(len(store.db.storage.table(name)) for name in ("households", "visits", "concerns"))
    store.close()
    return {"n": n, "records": records, "open_s": open_s, "rss_mb": rss, "rss_after_open_mb": rss_open,
            "search_p50_ms": statistics.median(searches), "search_p95_ms": pct(searches, 95),
            "search_hits": hits, "list_commune_ms": list_ms, "in_commune": in_commune, "compact_s": compact_s}


def measure_saves(wheres: list[Path], saves: int) -> dict:
    """All sizes open in one process, saves taken in turn, so that a busy disk slows them alike.
    Each save's fdatasync is timed too: the rest is the store's own work."""
    import storage.journal as journal
    from storage.tiny import TinyStore

    fsync_ms: list[float] = []
    real_datasync = journal._datasync

    def timed_datasync(fd: int) -> None:
        t = time.perf_counter()
        real_datasync(fd)
        fsync_ms.append((time.perf_counter() - t) * 1000)

    journal._datasync = timed_datasync
    stores = [TinyStore(w / "records", w / "reference", data_key=key_for(w)) for w in wheres]
    rng = random.Random(0)
    ids = [list(s.households.docs) for s in stores]
    total: list[list[float]] = [[] for _ in stores]
    own: list[list[float]] = [[] for _ in stores]
    for i in range(saves):
        for k, store in enumerate(stores):
            records = a_visit_with_two_concerns(rng.choice(ids[k]), i)
            t = time.perf_counter()
            store.save(*records)
            ms = (time.perf_counter() - t) * 1000
            total[k].append(ms)
            own[k].append(ms - fsync_ms[-1])
    for store in stores:
        store.close()
    return {str(w): {"save_p50_ms": statistics.median(total[k]), "save_p95_ms": pct(total[k], 95),
                     "save_max_ms": max(total[k]), "save_own_p50_ms": statistics.median(own[k]),
                     "save_own_p95_ms": pct(own[k], 95)}
            for k, w in enumerate(wheres)}


def measure_tinydb_default(where: Path, n: int, saves: int) -> dict:
    from tinydb import TinyDB

    started = time.perf_counter()
    db = TinyDB(str(where / "tinydb-default.json"))
    visits_table, concerns_table = db.table("visits"), db.table("concerns")
    assert len(visits_table) == n
    open_s = time.perf_counter() - started
    hid = db.table("households").get(doc_id=1)["id"]
    times = []
    for i in range(saves):
        v, *cs = a_visit_with_two_concerns(hid, i)
        t = time.perf_counter()
        visits_table.insert(v.to_doc())
        concerns_table.insert_multiple([c.to_doc() for c in cs])
        times.append((time.perf_counter() - t) * 1000)
    db.close()
    return {"n": n, "open_s": open_s, "save_p50_ms": statistics.median(times), "save_p95_ms": pct(times, 95),
            "saves": saves, "file_mb": (where / "tinydb-default.json").stat().st_size / 2**20}


def in_fresh_process(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 / 3,000 / 10,000 households, under a minute")
    parser.add_argument("--measure", nargs=2, metavar=("DIR", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--measure-saves", nargs="+", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--measure-tinydb", nargs=3, metavar=("DIR", "N", "SAVES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_open_and_search(Path(args.measure[0]), int(args.measure[1]))))
        return
    if args.measure_saves:
        print(json.dumps(measure_saves([Path(d) for d in args.measure_saves], SAVES)))
        return
    if args.measure_tinydb:
        d, n, k = args.measure_tinydb
        print(json.dumps(measure_tinydb_default(Path(d), int(n), int(k))))
        return

    sizes = [1_000, 3_000, 10_000] if args.quick else [1_000, 10_000, 50_000]
    t_start = time.perf_counter()
    gc.disable()  # generation only: building 200,000 records is 4x faster without the cyclic GC
    docs = make_docs(sizes[-1])
    gc.enable()
    print(f"generated {sizes[-1]:,} households with visits and concerns in {time.perf_counter() - t_start:.1f} s",
          flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="phum-bench-"))
    dirs = {n: tmp / str(n) for n in sizes}
    sealed_dirs = {n: tmp / f"{n}-sealed" for n in sizes}
    try:
        for n in sizes:
            build(dirs[n], docs, n)
            build(sealed_dirs[n], docs, n, BENCH_KEY)
        del docs
        os.sync()  # measure from a clean page cache: the build's unflushed writes would slow the first fsyncs
        ours = {n: in_fresh_process("--measure", str(dirs[n]), str(n)) for n in sizes}
        sealed = {n: in_fresh_process("--measure", str(sealed_dirs[n]), str(n)) for n in sizes}
        print(f"open and search measured at {time.perf_counter() - t_start:.0f} s", flush=True)
        saves = in_fresh_process("--measure-saves", *(str(d) for n in sizes for d in (dirs[n], sealed_dirs[n])))
        for n in sizes:
            ours[n].update(saves[str(dirs[n])])
            sealed[n].update(saves[str(sealed_dirs[n])])
        print(f"saves measured at {time.perf_counter() - t_start:.0f} s", flush=True)
        default = {n: in_fresh_process("--measure-tinydb", str(dirs[n]), str(n),
                                       "20" if n <= 3_000 else "6" if n <= 10_000 else "3") for n in sizes}
        print(f"TinyDB default measured at {time.perf_counter() - t_start:.0f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print("households  records   open s  RSS MB | save p50  p95   max ms (p50 without fsync) | "
          "TinyDB default save p50 ms  open s | speedup | search p50  p95 ms | commune list ms | compaction s")
    for n in sizes:
        o, d = ours[n], default[n]
        print(f"{n:>10,} {o['records']:>8,} {o['open_s']:>8.2f} {o['rss_mb']:>7.0f} | {o['save_p50_ms']:>8.2f} "
              f"{o['save_p95_ms']:>5.2f} {o['save_max_ms']:>6.2f} {'(' + format(o['save_own_p50_ms'], '.2f') + ')':>19} | "
              f"{d['save_p50_ms']:>26.1f} {d['open_s']:>7.2f} | "
              f"{d['save_p50_ms'] / o['save_p50_ms']:>6.0f}x | {o['search_p50_ms']:>10.2f} {o['search_p95_ms']:>5.2f} | "
              f"{o['list_commune_ms']:>15.2f} | {o['compact_s']:>12.2f}")
    print()
    print("sealed (AES-GCM) | open s  RSS MB | save p50  p95   max ms (p50 without fsync) | compaction s | "
          "overhead vs plain: save p50  p95  own p50  open  compaction")
    for n in sizes:
        o, p = sealed[n], ours[n]
        print(f"{n:>16,} | {o['open_s']:>6.2f} {o['rss_mb']:>7.0f} | {o['save_p50_ms']:>8.2f} {o['save_p95_ms']:>5.2f} "
              f"{o['save_max_ms']:>6.2f} {'(' + format(o['save_own_p50_ms'], '.2f') + ')':>19} | {o['compact_s']:>12.2f} | "
              f"{o['save_p50_ms'] / p['save_p50_ms']:>26.2f}x {o['save_p95_ms'] / p['save_p95_ms']:>4.2f}x "
              f"{o['save_own_p50_ms'] / p['save_own_p50_ms']:>7.2f}x {o['open_s'] / p['open_s']:>5.2f}x "
              f"{o['compact_s'] / p['compact_s']:>10.2f}x")
    small, big = ours[sizes[0]], ours[sizes[-1]]
    big_sealed = sealed[sizes[-1]]
    result = {
        "sizes": sizes,
        "quick": args.quick,
        "save_p50_ms_50k": round(big["save_p50_ms"], 3),
        "save_p95_ms_50k": round(big["save_p95_ms"], 3),
        "save_growth_50k_over_1k": round(big["save_p50_ms"] / small["save_p50_ms"], 2),
        "save_p95_growth_50k_over_1k": round(big["save_p95_ms"] / small["save_p95_ms"], 2),
        "save_own_p50_ms_50k": round(big["save_own_p50_ms"], 3),
        "save_own_growth_50k_over_1k": round(big["save_own_p50_ms"] / small["save_own_p50_ms"], 2),
        "tinydb_default_save_p50_ms_50k": round(default[sizes[-1]]["save_p50_ms"], 1),
        "speedup_vs_tinydb_default_50k": round(default[sizes[-1]]["save_p50_ms"] / big["save_p50_ms"], 1),
        "search_p50_ms_50k": round(big["search_p50_ms"], 3),
        "search_p95_ms_50k": round(big["search_p95_ms"], 3),
        "open_s_50k": round(big["open_s"], 3),
        "rss_mb_50k": round(big["rss_mb"], 1),
        "records_50k": big["records"],
        "compaction_s_50k": round(big["compact_s"], 2),
        "targets_met": {
            "save_p95_le_10ms": big["save_p95_ms"] <= 10,
            "save_growth_le_2x": big["save_p50_ms"] / small["save_p50_ms"] <= 2,
            "speedup_ge_50x": default[sizes[-1]]["save_p50_ms"] / big["save_p50_ms"] >= 50,
            "search_p95_le_20ms": big["search_p95_ms"] <= 20,
        },
        "sealed": {
            "save_p50_ms_50k": round(big_sealed["save_p50_ms"], 3),
            "save_p95_ms_50k": round(big_sealed["save_p95_ms"], 3),
            "save_own_p50_ms_50k": round(big_sealed["save_own_p50_ms"], 3),
            "open_s_50k": round(big_sealed["open_s"], 3),
            "compaction_s_50k": round(big_sealed["compact_s"], 2),
            "search_p95_ms_50k": round(big_sealed["search_p95_ms"], 3),
            "overhead_save_p50_50k": round(big_sealed["save_p50_ms"] / big["save_p50_ms"], 2),
            "overhead_save_p95_50k": round(big_sealed["save_p95_ms"] / big["save_p95_ms"], 2),
            "overhead_open_50k": round(big_sealed["open_s"] / big["open_s"], 2),
            "save_p95_le_2ms": big_sealed["save_p95_ms"] <= 2,
        },
        "saves_per_size": SAVES,
        "elapsed_s": round(time.perf_counter() - t_start, 1),
    }
    print()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
