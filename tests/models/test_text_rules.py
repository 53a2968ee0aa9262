"""What text the records accept: one code per rule, the same on the device and the server."""
import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from records.models import ERROR_CODES, Concern, ConcernCategory, Household, Visit, field_errors, new_id

VILLAGE = "01020101"
LONE_SURROGATE = json.loads('"\\ud800"')  # what a hostile or broken client can send in JSON
CONTROLS = [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]]


def household_errors(**fields) -> dict[str, str]:
    fields.setdefault("head_name", "Sok Chan")
    fields.setdefault("village_code", VILLAGE)
    with pytest.raises(ValidationError) as exc:
        Household(**fields)
    return field_errors(exc.value)


def visit(**fields) -> Visit:
    fields.setdefault("household_id", new_id())
    fields.setdefault("visited_on", date(2026, 11, 20))
    fields.setdefault("officials", ["Dara"])
    return Visit(**fields)


def visit_errors(**fields) -> dict[str, str]:
    with pytest.raises(ValidationError) as exc:
        visit(**fields)
    return field_errors(exc.value)


def concern(**fields) -> Concern:
    fields.setdefault("household_id", new_id())
    fields.setdefault("visit_id", new_id())
    fields.setdefault("category", ConcernCategory.water)
    fields.setdefault("description", "អណ្តូងរីង")
    return Concern.raise_new(by="Dara", **fields)


def test_the_new_codes_are_stable_error_codes():
    assert {"text_invalid", "text_control_chars", "name_one_line", "number_invalid"} <= set(ERROR_CODES)


@pytest.mark.parametrize("field", ["head_name", "head_name_latin", "address", "author", "device_id"])
def test_a_lone_surrogate_in_any_household_text_is_refused_as_text_invalid(field):
    assert household_errors(**{field: f"Sok{LONE_SURROGATE}"}) == {field: "text_invalid"}


def test_a_lone_surrogate_in_notes_officials_or_a_concern_is_refused_as_text_invalid():
    assert visit_errors(notes=f"ok {LONE_SURROGATE}") == {"notes": "text_invalid"}
    assert visit_errors(officials=[f"Dara{LONE_SURROGATE}"]) == {"officials": "text_invalid"}
    with pytest.raises(ValidationError) as exc:
        concern(description=LONE_SURROGATE + "x")
    assert field_errors(exc.value) == {"description": "text_invalid"}
    with pytest.raises(ValidationError) as exc:
        concern().change_status("referred", by="Dara", referred_to=f"PDoWRAM{LONE_SURROGATE}")
    assert "text_invalid" in field_errors(exc.value).values()


def test_every_accepted_record_can_be_stored_as_utf8():
    h = Household(head_name="សុខ 😀", village_code=VILLAGE, address="ផ្ទះ\t12\nផ្លូវ 3")
    json.dumps(h.to_doc(), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_control_character_is_refused_in_names_and_free_text(control):
    assert household_errors(head_name=f"Sok{control}Chan") == {"head_name": "text_control_chars"}
    assert household_errors(address=f"Street{control}3") == {"address": "text_control_chars"}
    assert visit_errors(notes=f"note{control}") == {"notes": "text_control_chars"}


@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r", "\u2028", "\u2029"], ids=repr)
def test_a_name_with_a_line_break_is_refused_not_joined(line_break):
    assert household_errors(head_name=f"Sok{line_break}Chan") == {"head_name": "name_one_line"}
    assert visit_errors(officials=[f"Dara{line_break}Sok"]) == {"officials": "name_one_line"}


def test_a_tab_in_a_name_is_whitespace_folded_to_one_space():
    assert Household(head_name="Sok\tChan", village_code=VILLAGE).head_name == "Sok Chan"


def test_notes_and_descriptions_keep_their_tabs_and_line_breaks():
    typed = "ទឹក\t3 គ្រួសារ\nផ្លូវ\t2 គ្រួសារ\r\nចប់"
    assert visit(notes=typed).notes == "ទឹក\t3 គ្រួសារ\nផ្លូវ\t2 គ្រួសារ\nចប់"
    assert concern(description="a\tb\nc").description == "a\tb\nc"


@given(st.lists(st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), max_size=12), min_size=1,
                max_size=5), st.sampled_from(["\t", "\n"]))
@settings(max_examples=200, deadline=None)
def test_free_text_keeps_every_tab_and_line_break_between_words(words, separator):
    words = [w.strip() for w in words]
    text = separator.join(f"x{w}x" for w in words)
    assert visit(notes=text).notes.count(separator) == text.count(separator)


@given(st.text(min_size=1, max_size=20), st.sampled_from(CONTROLS), st.text(max_size=20))
@settings(max_examples=200, deadline=None)
def test_any_text_with_a_control_character_is_refused_whatever_surrounds_it(before, control, after):
    with pytest.raises(ValidationError) as exc:
        visit(notes=before + control + after)
    assert field_errors(exc.value)["notes"] in ("text_control_chars", "text_invalid")


@pytest.mark.parametrize("members", [2.5, "2.5", 0.1])
def test_members_that_are_not_a_whole_number_are_refused_as_number_invalid(members):
    assert household_errors(members=members) == {"members": "number_invalid"}


def test_members_as_a_whole_float_is_still_a_number():
    assert Household(head_name="Sok", village_code=VILLAGE, members=3.0).members == 3
