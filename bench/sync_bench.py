"""Benchmark of sync (not a test): real TinyStore devices, the real server (SQLite) on 127.0.0.1.

    python bench/sync_bench.py           # 10,000 pushed, 50,000 pulled (a few minutes)
    python bench/sync_bench.py --quick   # 2,000 pushed, 10,000 pulled (under a minute)

In one run:
- push: N records (households, each with a visit and two concerns) from a durable local
  store until every one is synced locally and committed on the server; records/s;
- the same push one record per request, on a sample, for the ratio;
- wire bytes per record of the push (gzip request bodies as sent);
- pull of P records into an empty store (P = 50,000; --quick measures 10,000 and scales);
- a day's work (30 households, 30 visits, 60 concerns) over a simulated 256 kbit/s link
  with 300 ms round trips (tests/sync/faulty_proxy.py shaping every byte), on a new TCP
  connection (plain http on loopback: a real server's TLS handshake would add a round trip).
The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from records.models import Concern, ConcernCategory, Household, Priority, Record, SyncState, Visit  # noqa: E402
from storage.tiny import TinyStore  # noqa: E402
from sync.account import SyncAccount  # noqa: E402
from sync.report import SyncProgress, SyncReport  # noqa: E402
from sync.transport import RequestsSend  # noqa: E402
from tests.support.live_server import live_server  # noqa: E402
from tests.sync.faulty_proxy import FaultyProxy  # noqa: E402

T0 = datetime(2026, 3, 1, 7, 0, tzinfo=timezone.utc)
FAMILY = ["សុខ", "ចាន់", "គឹម", "ហេង", "លី", "ម៉ៅ", "សេង", "ឈួន", "ខៀវ", "ពៅ", "យិន", "អ៊ុំ"]
GIVEN = ["ស្រីមុំ", "ដារ៉ា", "វណ្ណា", "សុភា", "ពិសិដ្ឋ", "រតនា", "សំណាង", "បុប្ផា", "ណារី", "ធីតា", "វិចិត្រ", "សុខា"]
WORDS = ["អណ្តូងទឹក", "ផ្លូវ", "សាលារៀន", "ប័ណ្ណក្រីក្រ", "ជំងឺ", "ស្រូវ", "ទឹកជំនន់", "រាំងស្ងួត", "ដីធ្លី", "អគ្គិសនី",
         "well", "road", "school", "IDPoor card", "clinic", "rice", "flood", "drought", "land title", "electricity",
         "needs", "asked", "broken", "since", "months", "family", "children", "follow up", "commune", "village"]
CATEGORIES = list(ConcernCategory)


def sentence(rng: random.Random, words: int) -> str:
    """Free text that does not repeat itself (so gzip gets no unfair help)."""
    return " ".join(rng.choice(WORDS) for _ in range(words)) + f" ({rng.randrange(1, 999)})"


class CountingSend(RequestsSend):
    """The real send, counting request bodies by path (what goes over the wire, gzip included)."""

    def __init__(self) -> None:
        super().__init__()
        self.push_bytes = 0
        self.push_records = 0
        self.push_requests = 0
        self.received = 0

    def __call__(self, request):
        response = super().__call__(request)
        if request.url.endswith("/sync/push"):
            self.push_bytes += len(request.body or b"")
            self.push_requests += 1
        self.received += max(0, response.wire_bytes)
        return response


def day_of_work(n_households: int, villages: list[str], seed: int, device: str) -> list[Record]:
    """Households, each with one visit and two concerns (4 records per household)."""
    rng = random.Random(seed)
    out: list[Record] = []
    for i in range(n_households):
        at = T0 + timedelta(seconds=3 * i)
        h = Household(head_name=f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}",
                      phone=f"0{rng.choice([12, 17, 77, 89, 92])} {rng.randrange(100000, 999999)}",
                      members=rng.randint(1, 9), village_code=rng.choice(villages),
                      address=f"ផ្ទះលេខ {rng.randrange(1, 400)} ផ្លូវ {rng.randrange(1, 60)}",
                      consent_to_contact=rng.random() < 0.8, created_at=at, updated_at=at, device_id=device,
                      author="bench")
        v = Visit(household_id=h.id, visited_on=date(2026, 3, 1), officials=["Dara", "Sokha"],
                  notes=sentence(rng, rng.randrange(3, 15)), created_at=at, updated_at=at, device_id=device,
                  author="bench")
        out += [h, v]
        for _ in range(2):
            out.append(Concern.raise_new(by="bench", at=at, household_id=h.id, visit_id=v.id,
                                         category=rng.choice(CATEGORIES), priority=rng.choice(list(Priority)),
                                         description=sentence(rng, rng.randrange(4, 20)), device_id=device))
    return out


class Phone:
    def __init__(self, root: Path, name: str, url: str, who, *, batch_size=None, send=None):
        self.store = TinyStore(root / name / "records", root / name / "reference")
        self.send = send or CountingSend()
        self.account = SyncAccount(self.store, settings_path=root / name / "device.json", send=self.send,
                                   timeout=(10.0, 120.0), batch_size=batch_size)
        self.account.sign_in(url, who.username, who.password)

    @property
    def runner(self):
        return self.account.runner()

    def timed_sync(self) -> tuple[SyncReport, float, float]:
        """(report, seconds until the push phase ended, seconds for the whole sync)."""
        marks: dict[str, float] = {}

        def progress(event: SyncProgress) -> None:
            marks.setdefault(event.phase, time.perf_counter())

        started = time.perf_counter()
        report = self.runner.sync_now(progress=progress)
        ended = time.perf_counter()
        return report, marks.get("pull", ended) - started, ended - started

    def count(self, *states: SyncState) -> int:
        return sum(len(self.store.repository_for(k).ids_in_state(*states)) for k in ("household", "visit", "meeting", "concern"))

    def close(self) -> None:
        self.store.close()


def server_count(db_url: str) -> int:
    with sqlite3.connect(f"file:{db_url[len('sqlite:///'):]}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark check failed: {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_push = 2_000 if args.quick else 10_000
    n_per_record = 200 if args.quick else 500
    n_pull = 10_000 if args.quick else 50_000
    pull_target = 50_000
    work = Path(tempfile.mkdtemp(prefix="phum-sync-bench-"))
    rows: list[tuple[str, str, str]] = []
    villages = ["01020101", "01020102", "01020103", "01020104"]
    try:
        with live_server() as srv:
            official = srv.official
            # ---- push, batched
            phone = Phone(work, "phone", srv.base_url, official)
            records = day_of_work(n_push // 4, villages, 1, "phone")
            phone.store.save(*records)
            report, push_s, sync_s = phone.timed_sync()
            check(report.ok and report.accepted == n_push, f"push: {report.summary()}")
            check(phone.count(SyncState.synced) == n_push, "every record synced locally")
            check(server_count(srv.db_url) == n_push, "every record committed on the server")
            push_rate = n_push / push_s
            wire_per_record = phone.send.push_bytes / n_push
            rows += [("push (batched, %d per request)" % phone.runner.batch_size, f"{n_push:,} records",
                      f"{push_s:.2f} s = {push_rate:,.0f} records/s"),
                     ("whole sync incl. pull of the echoes", "", f"{sync_s:.2f} s"),
                     ("wire bytes per record (gzip body)", f"{phone.send.push_requests} requests",
                      f"{wire_per_record:.0f} B")]

            # ---- the same push, one record per request
            single = Phone(work, "single", srv.base_url, official, batch_size=1)
            sample = day_of_work(n_per_record // 4, villages, 2, "single")
            single.store.save(*sample)
            report, single_s, _ = single.timed_sync()
            check(report.ok and report.accepted == n_per_record, f"per-record push: {report.summary()}")
            single_rate = n_per_record / single_s
            speedup = push_rate / single_rate
            rows += [("push, one record per request", f"{n_per_record:,} records",
                      f"{single_s:.2f} s = {single_rate:,.0f} records/s"),
                     ("batched vs one per request", "", f"{speedup:.1f}x"),
                     ("wire bytes per record, one per request", "",
                      f"{single.send.push_bytes / n_per_record:.0f} B")]
            single.close()

            # ---- pull into an empty store
            missing = n_pull - server_count(srv.db_url)
            setup = time.perf_counter()
            if missing > 0:
                filler = Phone(work, "filler", srv.base_url, official, batch_size=500)
                filler.store.save(*day_of_work(missing // 4, villages, 3, "filler"))
                check(filler.runner.sync_now().ok, "filler push")
                filler.close()
            total_on_server = server_count(srv.db_url)
            setup_s = time.perf_counter() - setup
            desktop = Phone(work, "desktop", srv.base_url, official)
            desktop.runner.pull_limit = 1000
            pull_report = SyncReport(started_at=datetime.now(timezone.utc))
            started = time.perf_counter()
            desktop.runner.pull(pull_report, lambda event: None)
            pull_s = time.perf_counter() - started
            check(pull_report.pulled == total_on_server and desktop.count(SyncState.synced) == total_on_server,
                  f"pulled {pull_report.pulled} of {total_on_server}")
            started = time.perf_counter()
            desktop.runner.refresh_reference(pull_report, lambda event: None)
            gazetteer_s = time.perf_counter() - started
            pull_50k_s = pull_s * pull_target / total_on_server
            rows += [("server filled for the pull (setup)", f"{total_on_server:,} records", f"{setup_s:.1f} s"),
                     ("pull into an empty store (1,000 per page)", f"{total_on_server:,} records",
                      f"{pull_s:.2f} s = {total_on_server / pull_s:,.0f} records/s"),
                     ("pull of 50,000" + (" (scaled)" if total_on_server != pull_target else ""), "",
                      f"{pull_50k_s:.2f} s"),
                     ("first gazetteer download + load", f"{desktop.store.areas.count():,} areas",
                      f"{gazetteer_s:.2f} s")]
            desktop.close()

            # ---- a day's work over a slow link
            slow_user = srv.create_user("bench-slow", "bench-slow-password", "official", "010202")
            with FaultyProxy(srv.port) as proxy:
                field = Phone(work, "field", proxy.url, slow_user)
                check(field.runner.sync_now().ok, "first sync (gazetteer) before going to the field")
                proxy.shape(bandwidth_bps=256_000, rtt_s=0.3)
                day = day_of_work(30, ["01020201", "01020202", "01020203"], 4, "field")
                field.store.save(*day)
                field.send.session.close()  # back from the field: a new connection (its handshake costs a round trip)
                up, down = proxy.stats["bytes_up"], proxy.stats["bytes_down"]
                report, day_push_s, day_s = field.timed_sync()
                check(report.ok and report.accepted == len(day), f"slow link: {report.summary()}")
                link_bytes = proxy.stats["bytes_up"] - up + proxy.stats["bytes_down"] - down
                rows += [("a day's work over 256 kbit/s, 300 ms RTT", f"{len(day)} records",
                          f"{day_s:.2f} s (push {day_push_s:.2f} s)"),
                         ("  bytes both ways incl. HTTP headers", "", f"{link_bytes:,} B "
                          f"= {link_bytes / len(day):.0f} B/record")]
                field.close()
            phone.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    width = max(len(r[0]) for r in rows)
    print(f"{'what'.ljust(width)}  {'size':>18}  result")
    for what, size, result in rows:
        print(f"{what.ljust(width)}  {size:>18}  {result}")
    targets = [("push >= 2,000 records/s", push_rate >= 2000), ("batched >= 20x one per request", speedup >= 20),
               ("wire <= 250 B/record", wire_per_record <= 250), ("pull 50k <= 20 s", pull_50k_s <= 20),
               ("slow-link day <= 10 s", day_s <= 10)]
    print("targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets))
    print(json.dumps({
        "push_records_per_s": round(push_rate, 1),
        "push_speedup_vs_per_record": round(speedup, 1),
        "wire_bytes_per_record": round(wire_per_record, 1),
        "pull_50k_s": round(pull_50k_s, 2),
        "slow_link_day_s": round(day_s, 2),
        "push_records": n_push,
        "pull_records_measured": total_on_server,
        "per_record_sample": n_per_record,
        "quick": args.quick,
    }))


if __name__ == "__main__":
    main()
