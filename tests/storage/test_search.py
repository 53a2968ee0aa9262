"""The household index answers exactly what a plain scan of every household would."""
from __future__ import annotations

import heapq
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from records.text import digits_only, search_key
from storage.search import HouseholdIndex, household_keys

NAMES = ["សុខ ស្រីមុំ", "ចាន់ ដារ៉ា", "សុខា", "គឹម សុខ", "ហេង វណ្ណា", "Sok", "ស្រី", "លី ណារី"]
LATIN = [None, "Sok Sreymom", "Chan Dara", "Kim Sok", "SOKHA"]
VILLAGES = ["01020101", "01020102", "01030101", "12010101"]


def scan(docs: dict, text: str, area: str, limit: int) -> list[str]:
    """The obvious implementation: look at every household."""
    key, digits = search_key(text), digits_only(text)
    as_phone = len(digits) >= 3 and len(digits) >= len(key.replace(" ", "").replace("-", "").replace("+", "")) - 1
    hits = []
    for rid, doc in docs.items():
        names, phones = household_keys(doc)
        if area and not doc["village_code"].startswith(area):
            continue
        if not key or key in names or (as_phone and digits in phones):
            hits.append((search_key(doc["head_name"]), rid))
    return [rid for _, rid in heapq.nsmallest(limit, hits)]


def random_doc(rng: random.Random) -> dict:
    return {"head_name": rng.choice(NAMES), "head_name_latin": rng.choice(LATIN),
            "phone": rng.choice([None, f"+85512{rng.randint(100000, 999999)}", f"+855977{rng.randint(100000, 999999)}"]),
            "village_code": rng.choice(VILLAGES)}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), limit=st.integers(1, 12))
def test_search_matches_a_plain_scan_through_saves_and_edits(seed, limit):
    rng = random.Random(seed)
    index, docs = HouseholdIndex(), {}
    index.rebuild_after = rng.choice([2, 30, 500])
    queries = ["", "សុខ", "ស្រី", "sok", "SOK", "a", "12", "012", "0977", "៩៧៧", "+855 12", "ដារ៉ា", "zz"]
    for step in range(300):
        if docs and rng.random() < 0.4:
            rid = rng.choice(sorted(docs))  # an edit
        else:
            rid = f"id-{step:04d}"
        docs[rid] = random_doc(rng)
        index.put(rid, docs[rid])
        if step % 7 == 0:
            text, area = rng.choice(queries), rng.choice(["", "01", "0102", "010201", "01020101", "12"])
            assert index.search(text, area_code=area, limit=limit) == scan(docs, text, area, limit), (step, text, area)
    for village in VILLAGES:
        assert sorted(index.in_area(village[:6])) == sorted(r for r, d in docs.items() if d["village_code"].startswith(village[:6]))
