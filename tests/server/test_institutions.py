"""Institutions and due-date rules on the server: the seed served, the administrator's CLI, what devices pull."""
from __future__ import annotations

from records.institutions import seed_version
from tests.server.client import Api
from tests.server.test_cli import cli
from tests.support.live_server import live_server

HEADER = "id,kind,area_code,categories,name_en,name_km\n"
NEW = ("bmc-water-ngo,ngo,01,water,Banteay Meanchey Water Partners,"
       "អង្គការដៃគូទឹកខេត្តបន្ទាយមានជ័យ\n")
RENAMED = ("bmc-dowram,provincial_department,01,water irrigation,Provincial Department of Water Resources "
           "(Banteay Meanchey),មន្ទីរធនធានទឹក និងឧតុនិយមខេត្តបន្ទាយមានជ័យ\n")


def test_devices_get_the_seed_until_the_administrator_adds_and_renames_institutions(new_db_url, tmp_path):
    with live_server(new_db_url()) as server:
        api = Api(server, server.official)
        first = api.get("/reference/institutions").json()
        assert first["version"] == seed_version() and first["changed"]
        dowram = next(i for i in first["institutions"] if i["id"] == "bmc-dowram")
        assert dowram["level"] == "province" and dowram["area_code"] == "01" and "water" in dowram["categories"]
        same = api.get("/reference/institutions", params={"version": seed_version()}).json()
        assert same == {**same, "changed": False, "institutions": []}

        good = tmp_path / "more.csv"
        good.write_text(HEADER + NEW + RENAMED, encoding="utf-8")
        loaded = cli("load-institutions", server.db_url, str(good), "--source", "Province list 2026-12")
        assert loaded.returncode == 0, loaded.stderr
        assert "1 added, 1 replaced" in loaded.stdout
        after = api.get("/reference/institutions", params={"version": seed_version()}).json()
        assert after["changed"] and after["source"] == "Province list 2026-12"
        by_id = {i["id"]: i for i in after["institutions"]}
        assert len(by_id) == len(first["institutions"]) + 1  # the seed stays, one added
        assert by_id["bmc-dowram"]["name_en"] == "Provincial Department of Water Resources (Banteay Meanchey)"
        assert "bmc-water-ngo\tngo\t01" in cli("list-institutions", server.db_url, "--category", "water").stdout

        bad = tmp_path / "bad.csv"
        bad.write_text(HEADER + NEW.replace(",01,", ",0199,"), encoding="utf-8")
        refused = cli("load-institutions", server.db_url, str(bad))
        assert refused.returncode == 2 and "0199" in refused.stderr
        unknown = tmp_path / "unknown.csv"
        unknown.write_text(HEADER + NEW.replace(",water,", ",water wells,"), encoding="utf-8")
        refused = cli("load-institutions", server.db_url, str(unknown))
        assert refused.returncode == 2 and "unknown.csv:2" in refused.stderr and "wells" in refused.stderr
        assert api.get("/reference/institutions").json()["version"] == after["version"]  # nothing changed


def test_the_administrator_overrides_due_days_per_category_and_devices_pull_them(new_db_url):
    with live_server(new_db_url()) as server:
        api = Api(server, server.official)
        defaults = api.get("/reference/due-days").json()
        assert defaults["defaults"] == {"urgent": 3, "high": 7, "normal": 30, "low": 60}
        assert defaults["overrides"] == [] and defaults["changed"]
        assert not api.get("/reference/due-days", params={"version": defaults["version"]}).json()["changed"]

        done = cli("set-due-days", server.db_url, "--category", "water", "--priority", "urgent", "--days", "2")
        assert done.returncode == 0, done.stderr and "water\turgent\t2" in done.stdout
        changed = api.get("/reference/due-days", params={"version": defaults["version"]}).json()
        assert changed["changed"] and changed["overrides"] == [{"category": "water", "priority": "urgent", "days": 2}]
        for args in (["--category", "water", "--priority", "urgent", "--days", "0"],
                     ["--category", "wells", "--priority", "urgent", "--days", "5"]):
            refused = cli("set-due-days", server.db_url, *args)
            assert refused.returncode == 2 and "error:" in refused.stderr
        back = cli("set-due-days", server.db_url, "--category", "water", "--priority", "urgent", "--default")
        assert back.returncode == 0 and "water\turgent" not in back.stdout
        assert api.get("/reference/due-days").json()["version"] == defaults["version"]
