"""The meetings part of bench/ui_bench.py: a district's 2,000 meetings, the schedule and a forum's concerns.

- schedule first render: tap "Meetings" → the quarter's first meeting row is on screen
- add a concern during a forum: tap "Add concern" → the screen counts it (it is on disk before that:
  the service fsyncs before it answers); the service alone (save_edit, fsync) is timed beside it
"""
from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

from records.meetings import Meeting, quarter_of

FORUM_KEY = "bench.forum_id"


def seed_meetings(data_dir: Path, n: int) -> str:
    """``n`` meetings of district 0102's communes (and the district itself) over four years around today,
    a held forum today among them; returns the forum's id."""
    from storage.tiny import TinyStore

    today = date.today()
    communes = ["010201", "010202", "010203", "010204", "010205", "010206", "010207", "010208"]
    store = TinyStore(data_dir / "records", data_dir / "reference")
    try:
        batch: list = []
        for i in range(n):
            district = i % 9 == 0
            area = "0102" if district else communes[i % len(communes)]
            day = today + timedelta(days=(i * 11) % 1460 - 730)
            m = Meeting(level="district" if district else "commune", area_code=area, title=f"Meeting {i:04d}",
                        planned_on=day, organiser="Bench Official", place="Commune hall",
                        invitations=[{"name": f"Official {j}", "institution": "PDRD"} for j in range(3)])
            if day < today and i % 3:
                m = m.mark_held(day)
            batch.append(m)
            if len(batch) >= 400:
                store.save(*batch)
                batch = []
        forum = Meeting(level="commune", area_code="010201", title="Bench forum", planned_on=today,
                        organiser="Bench Official").mark_held(today)
        store.save(*batch, forum)
        store.meta.set(FORUM_KEY, forum.id)
        return forum.id
    finally:
        store.close()


def service_timings(data_dir: Path, repeat: int) -> dict:
    """The schedule's view-model and a forum concern's save (fsync) alone, on the same durable store."""
    from app.services.actor import fixed_actor
    from app.services.areas import AreaService
    from app.services.households import HouseholdService
    from app.services.meetings import MeetingService
    from app.viewmodels.meeting_detail import ForumConcernsVM
    from app.viewmodels.meetings import ScheduleVM
    from storage.tiny import TinyStore

    store = TinyStore(data_dir / "records", data_dir / "reference")
    try:
        actor = fixed_actor("bench", "Bench Official", "bench-device")
        meetings = MeetingService(store, actor)
        schedule, added = [], []
        for _ in range(repeat):
            t = time.perf_counter()
            vm = ScheduleVM(meetings, AreaService(store.areas), "km")
            schedule.append(time.perf_counter() - t)
        first = vm.groups[0]
        forum_id = store.meta.get(FORUM_KEY)
        forum = ForumConcernsVM(meetings, HouseholdService(store, actor), forum_id)
        for i in range(repeat):
            forum.set("category", "roads")
            forum.set("description", f"bench concern {i}")
            forum.set("raised_by", "Chan Thy")
            t = time.perf_counter()
            assert forum.add(), forum.errors
            added.append(time.perf_counter() - t)
        return {"schedule_vm_ms": _median_ms(schedule), "forum_concern_saved_ms": _median_ms(added),
                "schedule_rows": sum(len(g.rows) for g in vm.groups),
                "first_row": (f"meeting-row-{first.level}-0", first.rows[0].title), "forum_id": forum_id,
                "quarter": "Q{1}/{0}".format(*quarter_of(date.today()))}
    finally:
        store.close()


def browser_timings(ui, repeat: int, first_row: tuple[str, str], forum_id: str, watch_js: str) -> dict:
    """Tap → screen, measured in the page (see bench/ui_bench.py WATCH_JS)."""
    test_id = '[flt-semantics-identifier="{}"]'.format
    schedule, concern = [], []
    row_id, title = first_row
    for _ in range(repeat):
        ui.go("/settings", "language-card")
        ui.page.evaluate(watch_js, [test_id(row_id), title])
        ui.page.evaluate("() => { window.__bench.start = performance.now(); }")
        ui.tid("nav-meetings").locator("xpath=ancestor-or-self::*[@flt-tappable][1]").first.dispatch_event("click")
        ui.page.wait_for_function("window.__bench.end !== null", timeout=30_000)
        schedule.append(ui.page.evaluate("window.__bench.end - window.__bench.start") / 1000)
    print(f"  schedule first render: {schedule}", flush=True)
    ui.go(f"/meetings/{forum_id}/concerns", "forum-add")
    for i in range(repeat):
        ui.click("forum-category-water")
        ui.type("forum-description", f"អណ្ដូងរីង {i}", clear=True)
        ui.type("forum-raised-by", "ចាន់ ធី", clear=True)
        count = ui.said("forum-added-count")
        ui.page.evaluate(watch_js, [test_id("forum-added-0"), f"អណ្ដូងរីង {i}"])
        ui.page.evaluate("() => { window.__bench.start = performance.now(); }")
        ui.wait("forum-add").locator("xpath=descendant-or-self::*[@flt-tappable]").first.dispatch_event("click")
        ui.page.wait_for_function("window.__bench.end !== null", timeout=15_000)
        concern.append(ui.page.evaluate("window.__bench.end - window.__bench.start") / 1000)
        assert ui.said("forum-added-count") != count
    print(f"  forum concern tap → shown: {concern}", flush=True)
    return {"schedule_first_render_ms_2k": _median_ms(schedule), "forum_concern_tap_to_shown_ms": _median_ms(concern)}


def _median_ms(samples: list[float]) -> float:
    import statistics

    return round(statistics.median(samples) * 1000, 1)
