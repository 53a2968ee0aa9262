"""The server half of bench/report_bench.py: bulk-filled SQLite and PostgreSQL databases, the report timed.

Records are written straight into the records table as a push would leave them (type, area columns,
the record's JSON in data), in the shape of the built-in gazetteer's villages; their content follows
one formula (visit j of household j // 2, on day (j * 7919) % 456 after 2025-10-01; concern k at
visit k % (2n), half resolved 0-59 days after its visit, 10% referred, 10% escalated) so SQLite and
PostgreSQL hold the same kind of data.
"""
from __future__ import annotations

import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from records.report import parse_period
from server.db import Database
from server.migrate import upgrade
from server.tables import RecordRow

CATEGORIES = ["water", "roads", "irrigation", "land", "documents", "health", "education", "agriculture",
              "disaster_aid", "security", "electricity", "other"]
PRIORITIES = ["low", "normal", "high", "urgent"]
START = date(2025, 10, 1)
TEXT = "អណ្ដូងទឹករីងស្ងួត ប្រជាជនត្រូវការទឹកស្អាត"


def _status(k: int) -> str:
    r = k % 10
    return "resolved" if r < 5 else {5: "referred", 6: "escalated", 7: "in_progress"}.get(r, "open")


def _gazetteer(db: Database) -> list[str]:
    from server import gazetteer

    gazetteer.load(db, gazetteer.builtin())
    with db.session() as s:
        from sqlalchemy import select

        from server.tables import Area
        return list(s.execute(select(Area.code).where(Area.level == "village").order_by(Area.code)).scalars())


def _rows(n: int, villages: list[str]):
    """Every record's row for n households over these villages, households first."""
    nv = len(villages)

    def row(rid, kind, village, household, data, seq):
        return {"id": rid, "type": kind, "village_code": village, "province_code": village[:2],
                "district_code": village[:4], "commune_code": village[:6], "household_id": household,
                "server_rev": 1, "rev": 1, "base_rev": None, "device_id": "bench", "content_hash": f"{seq:064x}",
                "data": json.dumps(data, ensure_ascii=False), "seq": seq}

    for i in range(n):
        v = villages[i % nv]
        yield row(f"h{i}", "household", v, f"h{i}", {"id": f"h{i}", "head_name": f"សុខ {i}", "village_code": v,
                                                      "members": 1 + i % 9, "address": ""}, i + 1)
    for j in range(2 * n):
        day = START + timedelta(days=(j * 7919) % 456)
        yield row(f"v{j}", "visit", villages[(j // 2) % nv], f"h{j // 2}",
                  {"id": f"v{j}", "household_id": f"h{j // 2}", "visited_on": day.isoformat(),
                   "officials": ["Official"], "visit_kind": "household_visit", "notes": ""}, n + j + 1)
    for k in range(5 * n // 2):
        j = k % (2 * n)
        day = START + timedelta(days=(j * 7919) % 456)
        status = _status(k)
        history = [{"at": f"{day.isoformat()}T03:00:00Z", "by": "Official", "from_status": None, "to_status": "open"}]
        if status != "open":
            history.append({"at": f"{(day + timedelta(days=k % 60)).isoformat()}T03:00:00Z", "by": "Official",
                            "from_status": "open", "to_status": status})
        yield row(f"c{k}", "concern", villages[(j // 2) % nv], f"h{j // 2}",
                  {"id": f"c{k}", "household_id": f"h{j // 2}", "visit_id": f"v{j}", "category": CATEGORIES[k % 12],
                   "priority": PRIORITIES[(k // 12) % 4], "status": status, "description": TEXT,
                   "history": history, "updated_at": history[-1]["at"],
                   "referred_to": "Provincial office" if status == "referred" else None}, 3 * n + k + 1)


def _report_columns_sql(dialect: str) -> list[str]:
    """The report columns of the filled rows (as server.tables.report_columns fills them on push), in SQL:
    the fills write JSON only, like rows stored before migrations 0007 and 0008."""
    pg = dialect == "postgresql"
    get = (lambda path: f"(data::json #>> '{{{path}}}')") if pg else (lambda path: f"json_extract(data, '$.{path}')")
    day = (lambda e: f"CAST({e} AS date)") if pg else (lambda e: f"date({e})")
    local = (lambda e: f"(CAST({e} AS timestamp) + interval '7 hours')::date") if pg else (
        lambda e: f"date(datetime({e}, '+7 hours'))")
    plus = (lambda d, n: f"({d} + {n})") if pg else (lambda d, n: f"date({d}, '+' || {n} || ' days')")
    due = ("CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 7 WHEN 'low' THEN 60 ELSE 30 END")
    history0 = "history,0,at" if pg else "history[0].at"
    return [
        f"UPDATE records SET visited_on = {day(get('visited_on'))} WHERE type = 'visit'",
        f"UPDATE records SET visit_id = {get('visit_id')}, category = {get('category')}, "
        f"priority = {get('priority')}, status = {get('status')}, source = 'household_visit', "
        f"raised_on = {day('substr(' + get(history0) + ', 1, 10)')}, "
        f"resolved_on = CASE WHEN {get('status')} = 'resolved' THEN {local(get('updated_at'))} END "
        f"WHERE type = 'concern'",
        f"UPDATE records SET due_on = {plus('raised_on', due)} WHERE type = 'concern'",
        "UPDATE records SET visited_on = (SELECT v.visited_on FROM records v WHERE v.id = records.visit_id) "
        "WHERE type = 'concern'",
    ]


def _timed(db: Database, area: str, period: str, runs: int = 3) -> tuple[float, dict]:
    from server.report import activity

    best, report = float("inf"), {}
    for _ in range(runs):
        t = time.perf_counter()
        report = activity(db, area, parse_period(period))
        best = min(best, time.perf_counter() - t)
    return best, report


def sqlite_bench(n: int) -> dict:
    """One province (01) of n households on SQLite; its quarter's report and one commune's."""
    from datetime import datetime, timezone

    path = Path(tempfile.mkdtemp(prefix="phum-report-bench-")) / "server.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    villages = [v for v in _gazetteer(db) if v.startswith("01")]
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    batch: list[dict] = []
    with db.engine.begin() as conn:
        for r in _rows(n, villages):
            r["updated_at"] = now
            batch.append(r)
            if len(batch) == 20000:
                conn.execute(RecordRow.__table__.insert(), batch)
                batch = []
        if batch:
            conn.execute(RecordRow.__table__.insert(), batch)
        for sql in _report_columns_sql("sqlite"):
            conn.execute(text(sql))
    filled = time.perf_counter() - started
    province_s, report = _timed(db, "01", "2026-Q1")
    commune = villages[0][:6]
    commune_s, _ = _timed(db, commune, "2026-Q1")
    print(f"server SQLite: province 01 with {n} households, {2 * n} visits, {5 * n // 2} concerns (filled in "
          f"{filled:.0f} s, {path.stat().st_size / 1e6:.0f} MB); 2026-Q1 report: province {province_s * 1000:.0f} ms "
          f"({report['figures']['concerns']} concerns in the quarter), commune {commune} {commune_s * 1000:.0f} ms")
    db.dispose()
    return {"province_report_ms": round(province_s * 1000, 1), "commune_report_ms": round(commune_s * 1000, 1),
            "province_households": n}


NATIONAL_FILL = [
    # households: i in 0..n-1
    """INSERT INTO records (id, type, village_code, province_code, district_code, commune_code, household_id,
         server_rev, rev, base_rev, device_id, content_hash, data, updated_at, seq)
       SELECT 'h' || i, 'household', bv.code, substr(bv.code, 1, 2), substr(bv.code, 1, 4), substr(bv.code, 1, 6),
         'h' || i, 1, 1, NULL, 'bench', md5(i::text),
         json_build_object('id', 'h' || i, 'head_name', 'សុខ ' || i, 'village_code', bv.code, 'members', 1 + i % 9,
                           'address', '')::text, now(), i + 1
       FROM generate_series(0, :n - 1) i JOIN bv ON bv.n = i % :nv""",
    # visits: j in 0..2n-1, of household j / 2
    """INSERT INTO records (id, type, village_code, province_code, district_code, commune_code, household_id,
         server_rev, rev, base_rev, device_id, content_hash, data, updated_at, seq)
       SELECT 'v' || j, 'visit', bv.code, substr(bv.code, 1, 2), substr(bv.code, 1, 4), substr(bv.code, 1, 6),
         'h' || (j / 2), 1, 1, NULL, 'bench', md5('v' || j),
         json_build_object('id', 'v' || j, 'household_id', 'h' || (j / 2),
                           'visited_on', (date '2025-10-01' + ((j::bigint * 7919) % 456)::int)::text,
                           'officials', json_build_array('Official'), 'visit_kind', 'household_visit',
                           'notes', '')::text, now(), :n + j + 1
       FROM generate_series(0, 2 * :n - 1) j JOIN bv ON bv.n = (j / 2) % :nv""",
    # concerns: k in 0..5n/2-1, at visit k % 2n
    """INSERT INTO records (id, type, village_code, province_code, district_code, commune_code, household_id,
         server_rev, rev, base_rev, device_id, content_hash, data, updated_at, seq)
       SELECT 'c' || k, 'concern', bv.code, substr(bv.code, 1, 2), substr(bv.code, 1, 4), substr(bv.code, 1, 6),
         'h' || (j / 2), 1, 1, NULL, 'bench', md5('c' || k),
         json_build_object('id', 'c' || k, 'household_id', 'h' || (j / 2), 'visit_id', 'v' || j,
           'category', (ARRAY['water','roads','irrigation','land','documents','health','education','agriculture',
                              'disaster_aid','security','electricity','other'])[1 + k % 12],
           'priority', (ARRAY['low','normal','high','urgent'])[1 + (k / 12) % 4],
           'status', st, 'description', CAST(:text AS text), 'updated_at', (day + k % 60)::text || 'T03:00:00Z',
           'history', CASE WHEN st = 'open' THEN json_build_array(json_build_object(
                 'at', day::text || 'T03:00:00Z', 'by', 'Official', 'from_status', NULL, 'to_status', 'open'))
               ELSE json_build_array(json_build_object(
                 'at', day::text || 'T03:00:00Z', 'by', 'Official', 'from_status', NULL, 'to_status', 'open'),
                 json_build_object('at', (day + k % 60)::text || 'T03:00:00Z', 'by', 'Official',
                                   'from_status', 'open', 'to_status', st)) END)::text,
         now(), 3 * :n + k + 1
       FROM (SELECT k, k % (2 * :n) AS j, date '2025-10-01' + (((k % (2 * :n))::bigint * 7919) % 456)::int AS day,
                    CASE WHEN k % 10 < 5 THEN 'resolved' WHEN k % 10 = 5 THEN 'referred'
                         WHEN k % 10 = 6 THEN 'escalated' WHEN k % 10 = 7 THEN 'in_progress' ELSE 'open' END AS st
             FROM generate_series(0, 5 * :n / 2 - 1) k) g
       JOIN bv ON bv.n = (j / 2) % :nv""",
]


def national_bench(n: int) -> dict:
    """n households over every province on a throwaway PostgreSQL cluster; the national quarter."""
    from sqlalchemy import text

    from tests.support.postgres import PostgresUnavailable, postgres_cluster

    try:
        cluster_cm = postgres_cluster()
        pg = cluster_cm.__enter__()
    except PostgresUnavailable as exc:
        print(f"server PostgreSQL: unavailable ({exc}); national not measured")
        return {"national_report_s": None}
    try:
        db = Database(pg.create_database("phum_report_bench"))
        upgrade(db)
        villages = _gazetteer(db)
        started = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TEMP TABLE bv AS SELECT (row_number() OVER (ORDER BY code)) - 1 AS n, code "
                              "FROM areas WHERE level = 'village'"))
            for sql in NATIONAL_FILL:
                conn.execute(text(sql), {"n": n, "nv": len(villages), "text": TEXT})
            for sql in _report_columns_sql("postgresql"):
                conn.execute(text(sql))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE records"))
            size = conn.execute(text("SELECT pg_total_relation_size('records')")).scalar()
        filled = time.perf_counter() - started
        national_s, report = _timed(db, "", "2026-Q1", runs=2)
        province_s, _ = _timed(db, "01", "2026-Q1")
        scale = 4_000_000 / n
        print(f"server PostgreSQL: {n} households over {len(villages)} villages, {2 * n} visits, {5 * n // 2} "
              f"concerns, filled by generate_series in {filled:.0f} s ({size / 1e9:.1f} GB); 2026-Q1 report: "
              f"national {national_s:.2f} s ({report['figures']['concerns']} concerns in the quarter), province 01 "
              f"{province_s * 1000:.0f} ms" + (f"; scaled linearly to 4M households (10M concerns): national "
                                                f"{national_s * scale:.1f} s (an extrapolation)" if scale > 1 else ""))
        db.dispose()
        return {"national_report_s": round(national_s, 2), "national_households": n,
                "national_report_s_at_4m_extrapolated": round(national_s * scale, 1) if scale > 1 else None,
                "province_report_ms_postgres": round(province_s * 1000, 1)}
    finally:
        cluster_cm.__exit__(None, None, None)
