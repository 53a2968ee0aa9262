"""The administrator's command line: `python -m server …`, run as a real process."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import requests

from server.auth import Actor
from server.db import Database
from server.migrate import head_revision, upgrade
from server.push import push
from server.reference import VillageCodes
from server.schemas import PushRecord
from tests.server.client import Api, envelope
from tests.support.records import MEF_ONLY_VILLAGE, NCDD_CSV, family
from tests.support.live_server import REPO, live_server


def cli(command: str, db_url: str, *args: str, password: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, PHUM_PASSWORD=password) if password else None
    return subprocess.run([sys.executable, "-m", "server", command, "--db", db_url, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_admin_creates_lists_and_disables_accounts(new_db_url):
    url = new_db_url()
    assert f"schema at {head_revision()}" in cli("migrate", url).stdout
    made = cli("create-user", url, "Dara", "--role", "official", "--area", "010201", "--full-name", "Sok Dara",
               password="dara-password")
    assert made.returncode == 0, made.stderr
    assert "created official dara (area 010201)" in made.stdout
    no_area = cli("create-user", url, "vanna", "--role", "official", password="vanna-password")
    assert no_area.returncode == 2 and "only an admin" in no_area.stderr
    disabled = cli("disable-user", url, "dara")
    assert disabled.returncode == 0 and "disabled dara" in disabled.stdout
    assert "dara\tofficial\t010201\tdisabled\tSok Dara" in cli("list-users", url).stdout


def test_export_writes_the_latest_records_as_csv(new_db_url):
    url = new_db_url()
    db = Database(url)
    try:
        upgrade(db)
        h, v, c = family(head_name="សុខ ដារា", phone="012 345 678")
        admin = Actor(1, "admin", "Admin", "admin", "", "d", "x")
        push(db, admin, [PushRecord.model_validate(envelope(r)) for r in (h, v, c)], VillageCodes())
    finally:
        db.dispose()
    households = cli("export", url, "--type", "household")
    assert households.returncode == 0, households.stderr
    rows = list(csv.DictReader(io.StringIO(households.stdout)))
    assert len(rows) == 1
    assert rows[0]["id"] == h.id and rows[0]["head_name"] == "សុខ ដារា" and rows[0]["phone"] == "+85512345678"
    assert rows[0]["commune_code"] == "010201" and rows[0]["server_rev"] == "1"
    everything = list(csv.DictReader(io.StringIO(cli("export", url).stdout)))
    assert [r["type"] for r in everything] == ["household", "visit", "concern"]
    assert '"status":"open"' in everything[2]["data"]
    for area, count in (("01", 3), ("0102", 3), ("010201", 3), (h.village_code, 3), ("0103", 0)):
        assert len(list(csv.DictReader(io.StringIO(cli("export", url, "--area", area).stdout)))) == count, area
    not_an_area = cli("export", url, "--area", "01%")
    assert not_an_area.returncode == 2 and "not an area code" in not_an_area.stderr and not_an_area.stdout == ""


def test_a_gazetteer_load_reaches_devices_and_one_that_would_orphan_households_is_refused(tmp_path):
    from server.gazetteer import builtin, read_csv

    mef = {a["code"] for a in builtin().areas}
    ncdd_only = next(a["code"] for a in read_csv(NCDD_CSV).areas if a["level"] == "village" and a["code"] not in mef)
    with live_server(f"sqlite:///{tmp_path / 'server.db'}") as srv:
        admin = Api(srv, srv.create_user("admin-geo", "admin-password", "admin", ""))
        assert admin.push([family()[0]])[0]["status"] == "accepted"
        loaded = cli("load-gazetteer", srv.db_url, str(NCDD_CSV), "--source", "NCDD 2026-06")
        assert loaded.returncode == 0, loaded.stderr
        assert "'village': 14578" in loaded.stdout
        areas = admin.get("/reference/areas").json()
        assert areas["source"] == "NCDD 2026-06" and areas["version"].startswith("csv-")
        assert sum(a["level"] == "village" for a in areas["areas"]) == 14578
        assert next(a for a in areas["areas"] if a["code"] == "1210")["name_en"] == "Chrouy Changvar"

        # The server now checks village codes against the NCDD list.
        assert admin.push([family(village=MEF_ONLY_VILLAGE)[0]])[0]["code"] == "village_code_invalid"
        assert admin.push([family(village=ncdd_only)[0]])[0]["status"] == "accepted"
        refused = cli("load-gazetteer", srv.db_url, "--builtin")
        assert refused.returncode == 2
        assert ncdd_only in refused.stderr and "missing" in refused.stderr
        assert admin.get("/reference/areas", params={"version": areas["version"]}).json()["changed"] is False
        assert requests.get(f"{srv.api_url}/health", timeout=10).ok
