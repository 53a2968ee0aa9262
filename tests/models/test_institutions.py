"""Institutions as reference data: the seed list, the checker every row goes through, the picker's order."""
from __future__ import annotations

import pytest

from records.areas import read_builtin
from records.followup import DEFAULT_DUE_DAYS, DueDays, DueDaysError, due_from_priority
from records.institutions import InstitutionError, check_row, for_referral, read_csv_text, seed, version_of
from records.models import ConcernCategory

GOOD = {"id": "bmc-dowram", "kind": "provincial_department", "area_code": "01", "categories": "water irrigation",
        "name_en": "Banteay Meanchey Provincial Department of Water Resources and Meteorology",
        "name_km": "មន្ទីរធនធានទឹក និងឧតុនិយមខេត្តបន្ទាយមានជ័យ"}


def test_the_seed_names_every_institution_in_khmer_and_english_where_the_gazetteer_has_its_area():
    institutions = seed()
    areas = {u["code"] for u in read_builtin().units}
    assert len(institutions) > 80 and len({i.id for i in institutions}) == len(institutions)
    assert {i.kind for i in institutions} >= {"ministry", "provincial_department", "district_administration",
                                               "commune_administration", "one_window", "ngo"}
    for i in institutions:
        assert i.name_en and i.name_km and any("\u1780" <= ch <= "\u17ff" for ch in i.name_km), i.id
        assert not i.area_code or i.area_code in areas, i.id
    handled = {c for i in institutions for c in i.categories}
    assert handled == {c.value for c in ConcernCategory}  # every category has somewhere to go


@pytest.mark.parametrize("change, says", [
    ({"id": "Not An Id"}, "lower-case"),
    ({"kind": "palace"}, "kind 'palace'"),
    ({"area_code": "0102010"}, "area_code"),
    ({"area_code": "01020101"}, "area_code"),  # a village is no place an institution works for
    ({"categories": "water potholes"}, "unknown categories potholes"),
    ({"name_km": ""}, "both name_en and name_km"),
    ({"name_en": "x" * 201}, "longer than 200"),
    ({"name_en": "Ministry\x07"}, "control characters"),
])
def test_a_bad_institution_row_is_refused_saying_which_rule(change, says):
    with pytest.raises(InstitutionError, match=says):
        check_row({**GOOD, **change})


def test_a_csv_with_a_repeated_id_or_a_wrong_header_is_refused_with_its_line():
    header = "id,kind,area_code,categories,name_en,name_km\n"
    line = ",".join(GOOD.values()) + "\n"
    with pytest.raises(InstitutionError, match="x.csv:3: id bmc-dowram appears twice"):
        read_csv_text(header + line + line, "x.csv")
    with pytest.raises(InstitutionError, match="header"):
        read_csv_text("code,name\n" + line)
    assert [i.id for i in read_csv_text(header + line + "\n")] == ["bmc-dowram"]


def test_the_version_changes_exactly_when_the_list_does():
    one = list(seed())
    assert version_of(one) == version_of(reversed(one))
    assert version_of(one) != version_of(one[:-1])


def test_the_picker_offers_who_handles_the_category_where_the_concern_is_first_closest_first():
    picked = for_referral(seed(), "water", "01020101")
    first = [i.id for i in picked[:5]]
    assert first[0] == "c010201-admin"  # the commune's own administration
    assert first[1:3] == ["bmc-dowram", "bmc-pdrd"] or set(first[1:3]) == {"bmc-dowram", "bmc-pdrd"}
    assert all(i.handles("water") and i.works_in("01020101") for i in picked[:5])
    assert not any(i.area_code == "12" for i in picked[:20])  # Phnom Penh's departments come last


def test_due_dates_follow_the_priority_unless_the_administrator_changed_the_category():
    from datetime import date

    assert DEFAULT_DUE_DAYS == {"urgent": 3, "high": 7, "normal": 30, "low": 60}
    table = DueDays.from_rows([{"category": "water", "priority": "urgent", "days": 2}])
    assert due_from_priority(date(2026, 3, 1), "water", "urgent", table) == date(2026, 3, 3)
    assert due_from_priority(date(2026, 3, 1), "roads", "urgent", table) == date(2026, 3, 4)
    assert due_from_priority(date(2026, 3, 1), "roads", "low") == date(2026, 4, 30)
    assert table.version != DueDays().version
    for bad in ({"category": "water", "priority": "urgent", "days": 0},
                {"category": "water", "priority": "soon", "days": 3},
                {"category": "potholes", "priority": "low", "days": 3},
                {"category": "water", "priority": "low", "days": "3"}):
        with pytest.raises(DueDaysError):
            DueDays.from_rows([bad])
