"""Reports submitted up the chain: frozen per area and period, seen by the level above on time or late,
compiled into the level's totals; the national view lists every province."""
from __future__ import annotations

import subprocess
import sys

from datetime import date

import pytest

from records.models import ConcernCategory
from tests.server.client import Api
from tests.support.live_server import REPO, live_server
from tests.support.records import concern, household, visit
from tests.support.report_data import COMMUNE_A, COMMUNE_B, VILLAGE_A1, scenario, sections


@pytest.fixture(scope="module")
def chain(new_db_url):
    """A server with the district scenario, an admin, the district's and both communes' supervisors."""
    url = new_db_url()
    with live_server(url) as srv:
        users = {name: Api(srv, srv.create_user(name, "password-123", role, area), f"dev-{name}")
                 for name, role, area in [("admin", "admin", ""), ("district", "supervisor", "0102"),
                                          ("commune-a", "supervisor", COMMUNE_A),
                                          ("commune-b", "supervisor", COMMUNE_B),
                                          ("province", "supervisor", "01"),
                                          ("field", "official", COMMUNE_A)]}
        ordered = sorted(scenario(), key=lambda r: ("household", "visit", "concern").index(r.kind))
        assert {r["status"] for r in users["admin"].push(ordered)} == {"accepted"}
        yield srv, url, users


def _submit(api: Api, period: str, note: str = ""):
    return api.post("/reports/submissions", json={"period": period, "note": note})


def _overview(api: Api, period: str, **params):
    answer = api.get("/reports/submissions", params={"period": period, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_submission_keeps_the_figures_as_submitted_while_records_change(chain):
    srv, _, users = chain
    answer = _submit(users["commune-a"], "2026-Q1", "ទឹកស្អាតនៅតែខ្វះ")
    assert answer.status_code == 201, answer.text
    frozen = answer.json()
    assert frozen["figures"]["figures"]["concerns"] == 7 and frozen["submitted_by"] == "commune-a"
    assert frozen["note"] == "ទឹកស្អាតនៅតែខ្វះ"
    h = household(500, village=VILLAGE_A1)
    v = visit(h, 0, visited_on=date(2026, 2, 2))
    assert {r["status"] for r in users["admin"].push([h, v, concern(h, v, 500, category=ConcernCategory.land)])} \
        == {"accepted"}
    live = users["commune-a"].get("/reports/activity", params={"period": "2026-Q1"}).json()
    assert live["figures"]["concerns"] == 8
    seen = _overview(users["commune-a"], "2026-Q1")["own"]
    assert seen["figures"]["figures"]["concerns"] == 7 and seen["submissions"] == 1


def test_the_district_sees_which_communes_submitted_late_or_on_time_and_their_compiled_totals(chain):
    srv, url, users = chain
    assert _submit(users["commune-b"], "2026-Q1").status_code == 201
    view = _overview(users["district"], "2026-Q1")
    rows = {r["area_code"]: r for r in view["sub_areas"]}
    assert rows[COMMUNE_A]["submitted"] and rows[COMMUNE_B]["submitted"]
    assert not rows[COMMUNE_A]["on_time"]  # ten days after March 31 by default; it is later now
    missing = [code for code, r in rows.items() if not r["submitted"]]
    assert len(missing) == view["expected"] - 2 and missing
    assert view["reporting_rate"] == round(100 * 2 / view["expected"], 1)
    compiled = view["compiled"]["figures"]
    # Commune A as frozen (7 concerns) plus commune B (3): the concern pushed later is not in it.
    assert (compiled["concerns"], compiled["visits"], compiled["households_visited"]) == (10, 9, 8)
    assert compiled["resolved"] == 5 and compiled["median_days_to_resolution"] == 4
    done = subprocess.run([sys.executable, "-m", "server", "report-deadline", "--db", url, "--days", "366"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "366 days" in done.stdout
    rows = {r["area_code"]: r for r in _overview(users["district"], "2026-Q1")["sub_areas"]}
    assert rows[COMMUNE_A]["on_time"] and rows[COMMUNE_B]["on_time"]


def test_the_national_view_lists_every_province_and_the_reporting_rate(chain):
    _, _, users = chain
    assert _submit(users["province"], "2026-Q1", "Banteay Meanchey").status_code == 201
    view = _overview(users["admin"], "2026-Q1", area="")
    assert view["expected"] == len(view["sub_areas"]) >= 24
    rows = {r["area_code"]: r for r in view["sub_areas"]}
    assert rows["01"]["submitted"] and rows["01"]["note"] == "Banteay Meanchey"
    # The province: district 0102's ten, the concern pushed after commune A submitted, one in district 0103.
    assert view["submitted"] == 1 and view["compiled"]["figures"]["concerns"] == 12


@pytest.mark.parametrize("who, period, status, code", [
    ("field", "2026-Q1", 403, "forbidden_role"),
    ("district", "2030-Q1", 409, "period_not_over"),
    ("district", "Q1", 400, "period_invalid"),
])
def test_a_submission_that_cannot_be_made_is_refused_with_its_code(chain, who, period, status, code):
    _, _, users = chain
    answer = _submit(users[who], period)
    assert answer.status_code == status, answer.text
    assert answer.json()["detail"]["code"] == code


def test_a_commune_cannot_see_the_districts_submissions(chain):
    _, _, users = chain
    answer = users["commune-a"].get("/reports/submissions", params={"period": "2026-Q1", "area": "0102"})
    assert answer.status_code == 403 and answer.json()["detail"]["code"] == "area_forbidden"


def test_compiled_submissions_add_up_the_meetings_sources_institutions_and_overdue_sections(new_db_url):
    with live_server(new_db_url()) as srv:
        users = {name: Api(srv, srv.create_user(name, "password-123", "supervisor", area), f"dev-{name}")
                 for name, area in [("district", "0102"), ("commune-a", COMMUNE_A), ("commune-b", COMMUNE_B)]}
        admin = Api(srv, srv.create_user("admin", "password-123", "admin", ""), "dev-admin")
        ordered = sorted(sections(), key=lambda r: ("household", "visit", "meeting", "concern").index(r.kind))
        assert {r["status"] for r in admin.push(ordered)} == {"accepted"}
        frozen = [_submit(users[name], "2026-Q1").json()["figures"] for name in ("commune-a", "commune-b")]
        compiled = _overview(users["district"], "2026-Q1")["compiled"]
        # The district's own working group (and the concern raised at it) is in no commune's submission.
        assert compiled["meetings"]["public_forum"] == {"planned": 3, "held": 1}
        assert compiled["meetings"]["working_group"] == {"planned": 0, "held": 0}
        assert compiled["by_source"] == {"household_visit": 9, "public_forum": 1, "meeting": 0, "other": 0}
        assert [(e["id"], e["name"], e["count"]) for e in compiled["referred_by_institution"]] == [
            ("mowram", "Ministry of Water Resources and Meteorology", 2), ("", "Not in the list (named by text)", 1)]
        f = compiled["figures"]
        assert (f["public_total"], f["officials_present"]) == (40, 2)
        assert f["overdue"] == sum(s["figures"]["overdue"] for s in frozen)
        assert compiled["overdue_by_age"] == {b: sum(s["overdue_by_age"][b] for s in frozen)
                                              for b in compiled["overdue_by_age"]}
