"""Benchmark of the server at scale on PostgreSQL (not a test): pulls per area, pushes 1 vs 8 vs 32 devices.

    python bench/scale_bench.py --quick              # 20,000 households (~90,000 records), a minute or two
    python bench/scale_bench.py                      # 4,000,000 households + 10M concerns (national size)
    python bench/scale_bench.py --households 500000  # any size; --db URL uses an existing server's database

A throwaway PostgreSQL cluster (tests/support/postgres.py, locale C.UTF-8, fsync off) is filled
server-side with generate_series in chunks: per household one visit and 2 or 3 concerns (2.5 on
average, as in the national figures), their audit rows, rows as the server writes them (canonical
JSON of records made with records/models.py, its sha256, area columns), villages of the built-in
gazetteer with a skew so that some communes are much larger than others, seqs interleaved across
areas as pushes arrive. Secondary indexes are dropped for the fill and built after it.

Then `python -m server serve --workers 2` on it, measured over HTTP as a device does:
- pull pages (limit 500) for the largest commune, the median and the largest district and the
  largest province, from cursor 0 (at most --pages pages) and "recent" (a cursor 200 records
  before the area's end, repeated): p50/p95;
- push records/s with 1, 8 and 32 devices (batches of 100: 25 households with a visit and two
  concerns each, gzip'd before the clock starts), all in the same run.
The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402

from records.areas import read_builtin  # noqa: E402
from server.pull import encode_cursor  # noqa: E402
from server.push_rules import canonical  # noqa: E402
from tests.server.client import envelope  # noqa: E402
from tests.support.live_server import Credentials, live_server  # noqa: E402
from tests.support.postgres import postgres_cluster  # noqa: E402
from tests.support.records import concern, household, visit  # noqa: E402

CHUNK = 100_000  # households per fill statement
PLACE = {"h": "00000000-0000-4000-8000-0000000000a1", "v": "00000000-0000-4000-8000-0000000000a2",
         "c": "00000000-0000-4000-8000-0000000000a3", "village": "99999999"}
_UUID = "md5({}::text)::uuid::text"  # a fixed random-looking canonical UUID per row


def templates() -> dict[str, str]:
    """The canonical JSON the server stores for each type, with placeholders for the ids and village."""
    h = household(7, id=PLACE["h"], village="01020101").model_copy(update={"village_code": PLACE["village"]})
    v = visit(h, 3, id=PLACE["v"])
    c = concern(h, v, 5).model_copy(update={"id": PLACE["c"]})
    return {kind: canonical(record)[0] for kind, record in (("household", h), ("visit", v), ("concern", c))}


def fill(dsn: str, households: int) -> dict:
    t = templates()
    villages = sorted(u["code"] for u in read_builtin().units if u["level"] == "village")
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        indexes = [row[0] for row in conn.execute(
            "SELECT indexdef FROM pg_indexes i WHERE tablename IN ('records', 'audit_log') AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)")]
        for name, in conn.execute("SELECT indexname FROM pg_indexes i WHERE tablename IN ('records', 'audit_log')"
                                  " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"):
            conn.execute(f'DROP INDEX "{name}"')
        base = conn.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()[0]
        for lo in range(0, households, CHUNK):
            hi = min(households, lo + CHUNK) - 1
            conn.execute(_FILL_SQL, {"lo": lo, "hi": hi, "villages": villages, "base": base, **t, **PLACE})
            conn.execute(
                "INSERT INTO audit_log (at, username, device_id, action, record_type, record_id, rev, server_rev,"
                " content_hash, seq) SELECT updated_at, 'bench', device_id, 'push', type, id, rev, server_rev,"
                " content_hash, seq FROM records WHERE seq BETWEEN %(a)s AND %(b)s",
                {"a": base + lo * 5 + 1, "b": base + hi * 5 + 5})
            print(f"  filled {hi + 1:,} households ({time.perf_counter() - started:.0f} s)", flush=True)
        rows_done = time.perf_counter()
        for statement in indexes:
            conn.execute(statement)
        conn.execute("UPDATE counters SET value = (SELECT max(seq) FROM records) WHERE name = 'seq'")
        conn.execute("VACUUM ANALYZE records")
        conn.execute("VACUUM ANALYZE audit_log")
        records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    done = time.perf_counter()
    return {"households": households, "records": records, "db_gb": round(size / 1e9, 2),
            "fill_rows_s": round(rows_done - started, 1), "fill_indexes_s": round(done - rows_done, 1)}


_VILLAGE = "(%(villages)s::text[])[1 + floor(power((hashint4(i) & 2147483647)::float8 / 2147483648, 1.6)" \
           " * cardinality(%(villages)s::text[]))::int]"
_FILL_SQL = f"""
WITH h AS (SELECT i, {_VILLAGE} AS v, {_UUID.format("'h' || i")} AS hid, {_UUID.format("'v' || i")} AS vid
           FROM generate_series(%(lo)s::int, %(hi)s::int) AS i),
rows AS (
  SELECT 'household' AS type, hid AS id, v, hid, %(base)s + i::bigint * 5 + 1 AS seq,
         replace(replace(%(household)s, %(h)s, hid), %(village)s, v) AS data FROM h
  UNION ALL
  SELECT 'visit', vid, v, hid, %(base)s + i::bigint * 5 + 2, replace(replace(%(visit)s, %(v)s, vid), %(h)s, hid) FROM h
  UNION ALL
  SELECT 'concern', {_UUID.format("'c' || i || '-' || j")}, v, hid, %(base)s + i::bigint * 5 + 2 + j,
         replace(replace(replace(%(concern)s, %(c)s, {_UUID.format("'c' || i || '-' || j")}), %(v)s, vid), %(h)s, hid)
  FROM h, generate_series(1, 2 + i %% 2) AS j)
INSERT INTO records (id, type, village_code, province_code, district_code, commune_code, household_id, server_rev,
                     rev, base_rev, device_id, content_hash, data, updated_at, seq)
SELECT id, type, v, left(v, 2), left(v, 4), left(v, 6), hid, 1, 1, NULL, 'bench-device',
       encode(sha256(convert_to(data, 'UTF8')), 'hex'), data, now(), seq FROM rows
"""


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1), "n": len(ordered)}


def areas(dsn: str) -> dict[str, tuple[str, int]]:
    with psycopg.connect(dsn) as conn:
        def sizes(level: str) -> list[tuple[str, int]]:
            return conn.execute(f"SELECT {level}_code, count(*) FROM records GROUP BY 1 ORDER BY 2").fetchall()
        communes, districts, provinces = sizes("commune"), sizes("district"), sizes("province")
    return {"worst_commune": communes[-1], "median_district": districts[len(districts) // 2],
            "largest_district": districts[-1], "largest_province": provinces[-1]}


def recent_cursor(dsn: str, area: str) -> str:
    level = {2: "province", 4: "district", 6: "commune"}[len(area)]
    with psycopg.connect(dsn) as conn:
        seq = conn.execute(f"SELECT seq FROM records WHERE {level}_code = %s ORDER BY {level}_code DESC, seq DESC"
                           " OFFSET 200 LIMIT 1", (area,)).fetchone()[0]
    return encode_cursor(seq)


def login(srv, who: Credentials, device: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {srv.login(who, device)}"
    return session


def measure_pulls(srv, dsn: str, pages: int, repeats: int) -> dict:
    out = {}
    for label, (area, size) in areas(dsn).items():
        who = srv.create_user(f"bench-{label}", "password-123", "supervisor", area)
        session = login(srv, who, f"puller-{label}")
        url = f"{srv.api_url}/sync/pull"
        first, cursor = [], None
        for _ in range(pages):
            started = time.perf_counter()
            answer = session.get(url, params={"limit": 500, **({"cursor": cursor} if cursor else {})}, timeout=120)
            first.append(time.perf_counter() - started)
            page = answer.json()
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        recent, start_at = [], recent_cursor(dsn, area)
        for _ in range(repeats):
            started = time.perf_counter()
            session.get(url, params={"limit": 500, "cursor": start_at}, timeout=120).raise_for_status()
            recent.append(time.perf_counter() - started)
        out[label] = {"area": area, "records": size, "from_start": percentiles(first), "recent": percentiles(recent)}
        print(f"  pull {label} {area} ({size:,} records): {out[label]}", flush=True)
    return out


def push_bodies(devices: int, batches: int, offset: int) -> list[list[bytes]]:
    villages = sorted(u["code"] for u in read_builtin().units if u["level"] == "village")
    out = []
    for d in range(devices):
        mine = []
        for b in range(batches):
            records = []
            for k in range(25):
                n = offset + (d * batches + b) * 25 + k
                h = household(n, village=villages[(n * 7919) % len(villages)], device_id=f"bench-{d}")
                v = visit(h, n)
                records += [h, v, concern(h, v, n), concern(h, v, n + 1)]
            body = json.dumps({"device_id": f"bench-{devices}-{d}", "records": [envelope(r) for r in records]})
            mine.append(gzip.compress(body.encode()))
        out.append(mine)
    return out


def measure_push(srv, admin: Credentials, devices: int, batches: int, offset: int) -> float:
    bodies = push_bodies(devices, batches, offset)
    sessions = [login(srv, admin, f"bench-{devices}-{d}") for d in range(devices)]
    errors: list[str] = []

    def run(d: int) -> None:
        for body in bodies[d]:
            answer = sessions[d].post(f"{srv.api_url}/sync/push", data=body, timeout=300, headers={
                "Content-Type": "application/json", "Content-Encoding": "gzip"})
            if answer.status_code != 200 or {r["status"] for r in answer.json()["results"]} != {"accepted"}:
                errors.append(answer.text[:300])

    threads = [threading.Thread(target=run, args=(d,)) for d in range(devices)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed pushes, e.g. {errors[0]}")
    rps = devices * batches * 100 / elapsed
    print(f"  push {devices} devices x {batches} batches of 100: {rps:,.0f} rec/s", flush=True)
    return rps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 households, a minute or two")
    parser.add_argument("--households", type=int, help="households to fill (default 4,000,000; --quick 20,000)")
    parser.add_argument("--db", help="an empty PostgreSQL database URL to fill (default: a throwaway cluster)")
    args = parser.parse_args()
    households = args.households or (20_000 if args.quick else 4_000_000)
    pages, repeats, batches = (10, 10, 4) if args.quick else (40, 40, 10)
    if args.db:
        run(args.db, households, pages, repeats, batches, args.quick)
        return
    with postgres_cluster(locale="C.UTF-8") as pg:
        run(pg.create_database("phum_scale", locale="C.UTF-8"), households, pages, repeats, batches, args.quick)


def run(url: str, households: int, pages: int, repeats: int, batches: int, quick: bool) -> None:
    from server.db import Database
    from server.migrate import upgrade

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    db = Database(url)
    upgrade(db)
    db.dispose()
    print(f"filling {households:,} households", flush=True)
    filled = fill(dsn, households)
    print(f"  {filled}", flush=True)
    with live_server(url, extra_args=["--workers", "2", "--max-in-flight", "64"], startup_timeout=900) as srv:
        pulls = measure_pulls(srv, dsn, pages, repeats)
        admin = srv.create_user("bench-admin", "password-123", "admin", "")
        push = {n: measure_push(srv, admin, n, batches * (1 if n > 1 else 4), offset=100_000 * n.bit_length())
                for n in (1, 8, 32)}
    print(json.dumps({
        "quick": quick, **filled,
        "worst_commune_pull_p95_ms": max(pulls["worst_commune"][k]["p95_ms"] for k in ("from_start", "recent")),
        "district_pull_p95_ms": max(pulls[d][k]["p95_ms"] for d in ("median_district", "largest_district")
                                    for k in ("from_start", "recent")),
        "province_pull_p95_ms": max(pulls["largest_province"][k]["p95_ms"] for k in ("from_start", "recent")),
        "push_rps_1_device": round(push[1]), "push_rps_8_devices": round(push[8]),
        "push_rps_32_devices": round(push[32]), "pulls": pulls}))


if __name__ == "__main__":
    main()
