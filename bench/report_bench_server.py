"""The server half of bench/report_bench.py: bulk-filled SQLite and PostgreSQL databases, the report timed.

Records are written straight into the records table as a push would leave them: type, area columns, the
record's JSON in data, and the typed report columns (server.tables.REPORT_COLUMNS) the report's SQL reads.
Their content follows one formula, written twice below (in Python for SQLite, in SQL for PostgreSQL's
generate_series) so both hold the same kind of data:
- household i in village i % nv; visit j of household j // 2 on day (j * 7919) % 456 after 2025-10-01;
- concern k at visit k % (2n), raised that day, due after its priority's days (records.followup); half
  resolved 0-59 days after its visit (half of those told), 10% referred to an institution, 10% escalated,
  10% in progress, 20% open;
- meeting m: commune m % nc, month m // nc (15 months from 2025-10), planned on the 10th, held if that
  is before 2026-07 (30-69 people, half women, 3-7 officials), alternately a public forum and a
  working-group meeting.
Each run checks that the report counted what the formula put in the period (visits, concerns, meetings
held): a fill the report's SQL does not see (as when typed columns were added and the fill was not)
fails instead of timing an empty report.
"""
from __future__ import annotations

import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from records.followup import DEFAULT_DUE_DAYS
from records.report import parse_period
from server.db import Database
from server.migrate import upgrade
from server.tables import REPORT_COLUMNS, RecordRow

CATEGORIES = ["water", "roads", "irrigation", "land", "documents", "health", "education", "agriculture",
              "disaster_aid", "security", "electricity", "other"]
PRIORITIES = ["low", "normal", "high", "urgent"]
START = date(2025, 10, 1)
MONTHS = 15  # 2025-10 .. 2026-12
HELD_BEFORE = date(2026, 7, 1)
INSTITUTION = "mowram"  # in records/institutions_seed.csv
TEXT = "អណ្ដូងទឹករីងស្ងួត ប្រជាជនត្រូវការទឹកស្អាត"


def _status(k: int) -> str:
    r = k % 10
    return "resolved" if r < 5 else {5: "referred", 6: "escalated", 7: "in_progress"}.get(r, "open")


def _visit_day(j: int) -> date:
    return START + timedelta(days=(j * 7919) % 456)


def _month_start(i: int) -> date:
    y, m = divmod(START.month - 1 + i, 12)
    return date(START.year + y, m + 1, 1)


def _gazetteer(db: Database) -> list[str]:
    from server import gazetteer

    gazetteer.load(db, gazetteer.builtin())
    with db.session() as s:
        from sqlalchemy import select

        from server.tables import Area
        return list(s.execute(select(Area.code).where(Area.level == "village").order_by(Area.code)).scalars())


def _communes(villages: list[str]) -> list[str]:
    return sorted({v[:6] for v in villages})


def _rows(n: int, villages: list[str]):
    """Every record's row for n households over these villages (and their communes' meetings)."""
    nv = len(villages)
    communes = _communes(villages)
    blank = dict.fromkeys(REPORT_COLUMNS)

    def row(rid, kind, area, household, data, seq, **typed):
        return {"id": rid, "type": kind, "village_code": area, "province_code": area[:2],
                "district_code": area[:4], "commune_code": area[:6], "household_id": household,
                "server_rev": 1, "rev": 1, "base_rev": None, "device_id": "bench", "content_hash": f"{seq:064x}",
                "data": json.dumps(data, ensure_ascii=False), "seq": seq, **blank, **typed}

    for i in range(n):
        v = villages[i % nv]
        yield row(f"h{i}", "household", v, f"h{i}", {"id": f"h{i}", "head_name": f"សុខ {i}", "village_code": v,
                                                      "members": 1 + i % 9, "address": ""}, i + 1)
    for j in range(2 * n):
        day = _visit_day(j)
        yield row(f"v{j}", "visit", villages[(j // 2) % nv], f"h{j // 2}",
                  {"id": f"v{j}", "household_id": f"h{j // 2}", "visited_on": day.isoformat(),
                   "officials": ["Official"], "visit_kind": "household_visit", "notes": ""}, n + j + 1,
                  visited_on=day)
    for k in range(5 * n // 2):
        j = k % (2 * n)
        day = _visit_day(j)
        status, priority = _status(k), PRIORITIES[(k // 12) % 4]
        resolved = day + timedelta(days=k % 60) if status == "resolved" else None
        history = [{"at": f"{day.isoformat()}T03:00:00Z", "by": "Official", "from_status": None, "to_status": "open"}]
        if status != "open":
            history.append({"at": f"{(day + timedelta(days=k % 60)).isoformat()}T03:00:00Z", "by": "Official",
                            "from_status": "open", "to_status": status})
        yield row(f"c{k}", "concern", villages[(j // 2) % nv], f"h{j // 2}",
                  {"id": f"c{k}", "household_id": f"h{j // 2}", "visit_id": f"v{j}", "category": CATEGORIES[k % 12],
                   "priority": priority, "status": status, "description": TEXT,
                   "history": history, "updated_at": history[-1]["at"], "source": "household_visit",
                   "institution_id": INSTITUTION if status == "referred" else None,
                   "referred_to": "Provincial office" if status == "referred" else None}, 3 * n + k + 1,
                  visited_on=day, visit_id=f"v{j}", category=CATEGORIES[k % 12], priority=priority, status=status,
                  resolved_on=resolved, source="household_visit",
                  institution_id=INSTITUTION if status == "referred" else None,
                  due_on=day + timedelta(days=DEFAULT_DUE_DAYS[priority]), raised_on=day,
                  told_on=resolved + timedelta(days=1) if resolved and k % 20 < 5 else None)
    base = 3 * n + 5 * n // 2
    for m in range(len(communes) * MONTHS):
        commune, planned = communes[m % len(communes)], _month_start(m // len(communes)) + timedelta(days=9)
        held = planned < HELD_BEFORE
        kind = "public_forum" if m % 2 == 0 else "working_group"
        yield row(f"m{m}", "meeting", commune, f"m{m}",
                  {"id": f"m{m}", "meeting_kind": kind, "level": "commune", "area_code": commune,
                   "title": "វេទិកាសាធារណៈ", "planned_on": planned.isoformat(),
                   "status": "held" if held else "planned"}, base + m + 1,
                  visited_on=planned, status="held" if held else "planned", meeting_kind=kind, planned_on=planned,
                  held_on=planned if held else None, public_total=30 + m % 40 if held else 0,
                  public_women=(30 + m % 40) // 2 if held else 0, officials_present=3 + m % 5 if held else 0)


def expected(n: int, villages: list[str], area: str, period: str) -> dict:
    """What the formula put in the period for an area ("" = national): the counts the report must show."""
    p = parse_period(period)
    nv = len(villages)
    in_area = [v.startswith(area) for v in villages]
    visits = sum(1 for j in range(2 * n) if in_area[(j // 2) % nv] and p.start <= _visit_day(j) <= p.end)
    # Concern k sits at visit k % 2n: visits 0 .. 5n/2 - 2n - 1 carry two concerns.
    extra = 5 * n // 2 - 2 * n
    concerns = sum((2 if j < extra else 1) for j in range(2 * n)
                   if in_area[(j // 2) % nv] and p.start <= _visit_day(j) <= p.end)
    communes = _communes(villages)
    held = sum(1 for m in range(len(communes) * MONTHS) if communes[m % len(communes)].startswith(area)
               and p.start <= _month_start(m // len(communes)) + timedelta(days=9) <= min(p.end, HELD_BEFORE))
    return {"visits": visits, "concerns": concerns, "meetings_held": held}


def check(report: dict, want: dict, where: str) -> None:
    got = {"visits": report["figures"]["visits"], "concerns": report["figures"]["concerns"],
           "meetings_held": sum(m["held"] for m in report["meetings"].values())}
    if got != want or not want["concerns"]:
        raise SystemExit(f"{where}: the report counted {got}, the fill put {want} in the period")


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
    filled = time.perf_counter() - started
    province_s, report = _timed(db, "01", "2026-Q1")
    check(report, expected(n, villages, "01", "2026-Q1"), "SQLite province 01")
    commune = villages[0][:6]
    commune_s, commune_report = _timed(db, commune, "2026-Q1")
    check(commune_report, expected(n, villages, commune, "2026-Q1"), f"SQLite commune {commune}")
    print(f"server SQLite: province 01 with {n} households, {2 * n} visits, {5 * n // 2} concerns (filled in "
          f"{filled:.0f} s, {path.stat().st_size / 1e6:.0f} MB); 2026-Q1 report: province {province_s * 1000:.0f} ms "
          f"({report['figures']['concerns']} concerns in the quarter), commune {commune} {commune_s * 1000:.0f} ms")
    db.dispose()
    return {"sqlite_province_report_ms": round(province_s * 1000, 1),
            "sqlite_commune_report_ms": round(commune_s * 1000, 1), "sqlite_province_households": n}


_INSERT = """INSERT INTO records (id, type, village_code, province_code, district_code, commune_code, household_id,
         server_rev, rev, base_rev, device_id, content_hash, data, updated_at, seq{typed})"""
NATIONAL_FILL = [
    # households: i in 0..n-1
    _INSERT.format(typed="") + """
       SELECT 'h' || i, 'household', bv.code, substr(bv.code, 1, 2), substr(bv.code, 1, 4), substr(bv.code, 1, 6),
         'h' || i, 1, 1, NULL, 'bench', md5(i::text),
         json_build_object('id', 'h' || i, 'head_name', 'សុខ ' || i, 'village_code', bv.code, 'members', 1 + i % 9,
                           'address', '')::text, now(), i + 1
       FROM generate_series(0, :n - 1) i JOIN bv ON bv.n = i % :nv""",
    # visits: j in 0..2n-1, of household j / 2
    _INSERT.format(typed=", visited_on") + """
       SELECT 'v' || j, 'visit', bv.code, substr(bv.code, 1, 2), substr(bv.code, 1, 4), substr(bv.code, 1, 6),
         'h' || (j / 2), 1, 1, NULL, 'bench', md5('v' || j),
         json_build_object('id', 'v' || j, 'household_id', 'h' || (j / 2), 'visited_on', day::text,
                           'officials', json_build_array('Official'), 'visit_kind', 'household_visit',
                           'notes', '')::text, now(), :n + j + 1, day
       FROM (SELECT j, date '2025-10-01' + ((j::bigint * 7919) % 456)::int AS day
             FROM generate_series(0, 2 * :n - 1) j) g JOIN bv ON bv.n = (j / 2) % :nv""",
    # concerns: k in 0..5n/2-1, at visit k % 2n
    _INSERT.format(typed=", visited_on, visit_id, category, priority, status, resolved_on, source, institution_id, due_on, raised_on, told_on") + """
       SELECT 'c' || k, 'concern', bv.code, substr(bv.code, 1, 2), substr(bv.code, 1, 4), substr(bv.code, 1, 6),
         'h' || (j / 2), 1, 1, NULL, 'bench', md5('c' || k),
         json_build_object('id', 'c' || k, 'household_id', 'h' || (j / 2), 'visit_id', 'v' || j,
           'category', cat, 'priority', pri, 'status', st, 'description', CAST(:text AS text),
           'updated_at', (day + k % 60)::text || 'T03:00:00Z', 'source', 'household_visit',
           'institution_id', CASE WHEN st = 'referred' THEN :institution END,
           'referred_to', CASE WHEN st = 'referred' THEN 'Provincial office' END,
           'history', CASE WHEN st = 'open' THEN json_build_array(json_build_object(
                 'at', day::text || 'T03:00:00Z', 'by', 'Official', 'from_status', NULL, 'to_status', 'open'))
               ELSE json_build_array(json_build_object(
                 'at', day::text || 'T03:00:00Z', 'by', 'Official', 'from_status', NULL, 'to_status', 'open'),
                 json_build_object('at', (day + k % 60)::text || 'T03:00:00Z', 'by', 'Official',
                                   'from_status', 'open', 'to_status', st)) END)::text,
         now(), 3 * :n + k + 1,
         day, 'v' || j, cat, pri, st, CASE WHEN st = 'resolved' THEN day + k % 60 END, 'household_visit',
         CASE WHEN st = 'referred' THEN :institution END,
         day + CASE pri WHEN 'urgent' THEN :due_urgent WHEN 'high' THEN :due_high WHEN 'normal' THEN :due_normal
                        ELSE :due_low END, day,
         CASE WHEN st = 'resolved' AND k % 20 < 5 THEN day + k % 60 + 1 END
       FROM (SELECT k, j, day, st,
                    (ARRAY['water','roads','irrigation','land','documents','health','education','agriculture',
                           'disaster_aid','security','electricity','other'])[1 + k % 12] AS cat,
                    (ARRAY['low','normal','high','urgent'])[1 + (k / 12) % 4] AS pri
             FROM (SELECT k, k % (2 * :n) AS j,
                          date '2025-10-01' + (((k % (2 * :n))::bigint * 7919) % 456)::int AS day,
                          CASE WHEN k % 10 < 5 THEN 'resolved' WHEN k % 10 = 5 THEN 'referred'
                               WHEN k % 10 = 6 THEN 'escalated' WHEN k % 10 = 7 THEN 'in_progress'
                               ELSE 'open' END AS st
                   FROM generate_series(0, 5 * :n / 2 - 1) k) a) g
       JOIN bv ON bv.n = (j / 2) % :nv""",
    # meetings: m in 0..15 nc - 1, commune m % nc, month m / nc
    _INSERT.format(typed=", visited_on, status, meeting_kind, planned_on, held_on, public_total, public_women, "
                         "officials_present") + """
       SELECT 'm' || m, 'meeting', bc.code, substr(bc.code, 1, 2), substr(bc.code, 1, 4), bc.code,
         'm' || m, 1, 1, NULL, 'bench', md5('m' || m),
         json_build_object('id', 'm' || m, 'meeting_kind', kind, 'level', 'commune', 'area_code', bc.code,
                           'title', 'វេទិកាសាធារណៈ', 'planned_on', planned::text,
                           'status', CASE WHEN held THEN 'held' ELSE 'planned' END)::text, now(), :base + m + 1,
         planned, CASE WHEN held THEN 'held' ELSE 'planned' END, kind, planned, CASE WHEN held THEN planned END,
         CASE WHEN held THEN 30 + m % 40 ELSE 0 END, CASE WHEN held THEN (30 + m % 40) / 2 ELSE 0 END,
         CASE WHEN held THEN 3 + m % 5 ELSE 0 END
       FROM (SELECT m, planned, planned < date '2026-07-01' AS held,
                    CASE WHEN m % 2 = 0 THEN 'public_forum' ELSE 'working_group' END AS kind
             FROM (SELECT m, (date '2025-10-01' + ((m / :nc) || ' months')::interval)::date + 9 AS planned
                   FROM generate_series(0, 15 * :nc - 1) m) a) g
       JOIN bc ON bc.n = m % :nc""",
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
            conn.execute(text("CREATE TEMP TABLE bc AS SELECT (row_number() OVER (ORDER BY code)) - 1 AS n, code "
                              "FROM (SELECT DISTINCT substr(code, 1, 6) AS code FROM areas WHERE level = 'village') c"))
            nc = len(_communes(villages))
            for sql in NATIONAL_FILL:
                conn.execute(text(sql), {"n": n, "nv": len(villages), "nc": nc, "text": TEXT,
                                         "institution": INSTITUTION, "base": 3 * n + 5 * n // 2,
                                         **{f"due_{p}": d for p, d in DEFAULT_DUE_DAYS.items()}})
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE records"))
            size = conn.execute(text("SELECT pg_total_relation_size('records')")).scalar()
        filled = time.perf_counter() - started
        national_s, report = _timed(db, "", "2026-Q1", runs=2)
        check(report, expected(n, villages, "", "2026-Q1"), "PostgreSQL national")
        province_s, province = _timed(db, "01", "2026-Q1")
        check(province, expected(n, villages, "01", "2026-Q1"), "PostgreSQL province 01")
        scale = 4_000_000 / n
        print(f"server PostgreSQL: {n} households over {len(villages)} villages, {2 * n} visits, {5 * n // 2} "
              f"concerns, filled by generate_series in {filled:.0f} s ({size / 1e9:.1f} GB); 2026-Q1 report: "
              f"national {national_s:.2f} s ({report['figures']['concerns']} concerns in the quarter), province 01 "
              f"{province_s * 1000:.0f} ms" + (f"; scaled linearly to 4M households (10M concerns): national "
                                                f"{national_s * scale:.1f} s (an extrapolation)" if scale > 1 else ""))
        db.dispose()
        return {"national_report_s": round(national_s, 2), "national_households": n,
                "national_report_s_at_4m_extrapolated": round(national_s * scale, 1) if scale > 1 else None,
                # The province target is PostgreSQL's: this is province_report_ms.
                "province_report_ms": round(province_s * 1000, 1)}
    finally:
        cluster_cm.__exit__(None, None, None)
