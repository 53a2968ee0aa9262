"""Typed dates and numbers (Khmer digits too), and the app's deep links."""
from __future__ import annotations

from datetime import date

import pytest

from app.routes import parse_route
from app.services.parsing import InputError, parse_date, parse_decimal, parse_whole_number, split_names

ID = "3f2b8c1e-0a4d-4b7e-9c1a-5d6e7f809a1b"
VID = "1a2b3c4d-0a4d-4b7e-9c1a-5d6e7f809a1b"


@pytest.mark.parametrize("text,expected", [
    ("13/04/2026", date(2026, 4, 13)), ("១៣/០៤/២០២៦", date(2026, 4, 13)), ("3-4-2026", date(2026, 4, 3)),
    ("2026-04-13", date(2026, 4, 13)), (" 13.04.2026 ", date(2026, 4, 13)),
])
def test_dates_are_read_as_people_write_them(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text,code", [("", "required"), ("31/02/2026", "date_invalid"), ("tomorrow", "date_invalid"),
                                       ("13/13/2026", "date_invalid")])
def test_unreadable_dates_give_a_code(text, code):
    with pytest.raises(InputError) as err:
        parse_date(text)
    assert err.value.code == code


def test_optional_date_may_be_empty():
    assert parse_date("  ", required=False) is None


def test_numbers_with_khmer_digits():
    assert parse_whole_number("១២") == 12
    assert parse_decimal("១១,៥៦") == pytest.approx(11.56)
    with pytest.raises(InputError):
        parse_whole_number("12a")


def test_officials_split_on_commas_and_lines():
    assert split_names("Chan Sophea, សុខ ដារ៉ា\nKeo  Lina;") == ["Chan Sophea", "សុខ ដារ៉ា", "Keo Lina"]


@pytest.mark.parametrize("path,name,back", [
    ("/", "households", None), ("/households", "households", None), ("/households/new", "household_new", "/households"),
    (f"/households/{ID}", "household", "/households"), (f"/households/{ID}/edit", "household_edit", f"/households/{ID}"),
    (f"/households/{ID}/visit", "visit_new", f"/households/{ID}"),
    (f"/households/{ID}/visits/{VID}", "visit_edit", f"/households/{ID}"),
    ("/concerns", "concerns", None), (f"/concerns/{ID}", "concern", "/concerns"), ("/sync", "sync", None),
    ("/settings", "settings", None), ("/nowhere", "not_found", "/households"), ("/households/123", "not_found", "/households"),
])
def test_deep_links(path, name, back):
    route = parse_route(path)
    assert route.name == name
    assert route.back == back


def test_route_ids_and_tabs():
    route = parse_route(f"/households/{ID.upper()}/visits/{VID}?x=1")
    assert (route.household_id, route.visit_id, route.tab) == (ID, VID, "households")
    assert parse_route(f"/concerns/{ID}").tab == "concerns"
