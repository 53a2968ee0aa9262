"""Area codes nest (village in commune in district in province), and only the office escalates."""
from __future__ import annotations

import pytest

from records.areas import covers, is_code, level_of, parent_code, parents
from records.models import ConcernStatus
from records.roles import ROLES, may_set_status

VILLAGE = "01020101"  # Ou Thum, commune Banteay Neang 010201, district Mongkol Borey 0102


def test_a_village_lies_in_its_commune_district_and_province():
    assert parents(VILLAGE) == ["01", "0102", "010201", "01020101"]
    assert parents("0102") == ["01", "0102"]
    assert parents("01") == ["01"]


@pytest.mark.parametrize("code, level", [("01", "province"), ("0102", "district"), ("010201", "commune"),
                                         ("01020101", "village"), ("", None), ("010", None), ("010201011", None)])
def test_the_length_of_a_code_names_its_level(code, level):
    assert level_of(code) == level


@pytest.mark.parametrize("level, code", [("province", "01"), ("district", "0102"), ("commune", "010201"),
                                         ("village", VILLAGE)])
def test_parent_code_is_the_first_digits_of_the_level(level, code):
    assert parent_code(VILLAGE, level) == code


@pytest.mark.parametrize("code, level, ok", [
    ("01020101", None, True), ("01", None, True), ("010201", "commune", True),
    ("010201", "village", False),  # a commune's code is not a village's
    ("0102010", None, False),      # seven digits name no level
    ("0102O101", None, False),     # a letter O typed for a zero
    ("", None, False),
    ("០១០២", None, False),          # Khmer digits: codes are stored in ASCII digits
])
def test_is_code_takes_only_digits_of_a_known_length(code, level, ok):
    assert is_code(code, level) is ok


@pytest.mark.parametrize("area, code, inside", [
    ("", VILLAGE, True),            # the whole country
    ("01", VILLAGE, True), ("0102", VILLAGE, True), ("010201", VILLAGE, True), (VILLAGE, VILLAGE, True),
    ("010202", VILLAGE, False),     # the neighbouring commune
    ("0103", VILLAGE, False), ("12", VILLAGE, False),
    ("010201", "0102", False),      # a commune does not cover its district
])
def test_an_area_covers_what_lies_inside_it(area, code, inside):
    assert covers(area, code) is inside


# role, from, to, allowed: every role, the office-only status, keeping a status, a new concern.
MAY_SET_STATUS = [
    ("official", ConcernStatus.open, ConcernStatus.in_progress, True),
    ("official", ConcernStatus.referred, ConcernStatus.resolved, True),
    ("official", None, ConcernStatus.open, True),
    ("official", ConcernStatus.referred, ConcernStatus.escalated, False),
    ("official", None, ConcernStatus.escalated, False),
    ("official", ConcernStatus.escalated, ConcernStatus.escalated, True),  # editing an escalated concern's text
    ("official", ConcernStatus.escalated, ConcernStatus.open, True),       # reopening is not office-only
    ("supervisor", ConcernStatus.referred, ConcernStatus.escalated, True),
    ("supervisor", None, ConcernStatus.escalated, True),
    ("supervisor", ConcernStatus.open, ConcernStatus.resolved, True),
    ("admin", ConcernStatus.referred, ConcernStatus.escalated, True),
    ("admin", ConcernStatus.in_progress, ConcernStatus.referred, True),
    ("", ConcernStatus.referred, ConcernStatus.escalated, False),          # no role is not an office role
]


@pytest.mark.parametrize("role, current, new, allowed", MAY_SET_STATUS)
def test_only_the_office_may_escalate_a_concern(role, current, new, allowed):
    assert may_set_status(role, current, new) is allowed


def test_the_table_covers_every_role():
    assert {row[0] for row in MAY_SET_STATUS} >= set(ROLES)
