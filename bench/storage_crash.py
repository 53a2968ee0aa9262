"""More kill -9 trials than the test suite runs (not a test): every acknowledged save must
survive, and the store must open without damage, every time.

    python bench/storage_crash.py               # 2,000 trials
    python bench/storage_crash.py --trials 500 --seed 7
    python bench/storage_crash.py --plain       # on a plain store instead of the sealed one the device keeps

Prints the counts; the last line is one JSON object. Exits non-zero if any trial failed.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.storage.conftest import TEST_KEY  # noqa: E402
from tests.storage.crash_harness import run_crash_trials  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plain", action="store_true", help="records not encrypted")
    args = parser.parse_args()
    data_key = None if args.plain else TEST_KEY
    where = Path(tempfile.mkdtemp(prefix="phum-crash-"))
    started = time.perf_counter()
    try:
        # Batches on fresh stores, so the store stays the size a device has after a few days.
        totals = {"trials": 0, "acknowledged": 0, "killed_before_open": 0, "failures": [], "open_s_max": 0.0}
        batch = 200
        for i in range(0, args.trials, batch):
            r = run_crash_trials(where / str(i), min(batch, args.trials - i), seed=args.seed * 1000 + i,
                                 data_key=data_key)
            totals["trials"] += r.trials
            totals["acknowledged"] += r.acknowledged
            totals["killed_before_open"] += r.killed_before_open
            totals["failures"] += r.failures
            totals["open_s_max"] = max(totals["open_s_max"], r.open_s_max)
            print(f"{totals['trials']:>6} trials, {totals['acknowledged']:>7} acknowledged saves, "
                  f"{len(totals['failures'])} failures", flush=True)
            if r.failures:
                break
    finally:
        shutil.rmtree(where, ignore_errors=True)
    for failure in totals["failures"][:20]:
        print("FAILED:", failure)
    totals["failures"] = len(totals["failures"])
    totals["elapsed_s"] = round(time.perf_counter() - started, 1)
    totals["open_s_max"] = round(totals["open_s_max"], 3)
    print(json.dumps(totals))
    return 1 if totals["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
