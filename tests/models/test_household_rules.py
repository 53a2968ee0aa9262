"""What an official typing a household sees accepted or refused, with the code the UI translates."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from records.models import ERROR_CODES, Household, SyncState, Vulnerability, field_errors

VILLAGE = "01020101"  # Ou Thum, Banteay Neang, Mongkol Borey, Banteay Meanchey


def errors_of(**fields) -> dict[str, str]:
    fields.setdefault("head_name", "Sok Chan")
    fields.setdefault("village_code", VILLAGE)
    with pytest.raises(ValidationError) as exc:
        Household(**fields)
    return field_errors(exc.value)


@pytest.mark.parametrize(
    "typed",
    ["012345678", "012 345 678", "012-345-678", "+855 12 345 678", "85512345678", "០១២ ៣៤៥ ៦៧៨", "+៨៥៥១២៣៤៥៦៧៨",
     " 012345678 "],
)
def test_phone_typed_any_usual_way_is_stored_in_e164(typed):
    assert Household(head_name="Sok", village_code=VILLAGE, phone=typed).phone == "+85512345678"


def test_ten_digit_mobile_numbers_are_accepted():
    assert Household(head_name="Sok", village_code=VILLAGE, phone="097 123 4567").phone == "+855971234567"


def test_foreign_number_with_plus_is_kept():
    assert Household(head_name="Sok", village_code=VILLAGE, phone="+66 81 234 5678").phone == "+66812345678"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("012 34 56", "phone_too_short"),
        ("0123", "phone_too_short"),
        ("012abc678", "phone_bad_chars"),
        ("០១២-៣៤៥-x", "phone_bad_chars"),
        ("0123456789012345678", "phone_too_long"),
        ("0231234567", "phone_invalid"),
    ],
)
def test_wrong_phone_is_refused_with_a_code_naming_the_problem(typed, code):
    assert errors_of(phone=typed) == {"phone": code}


def test_empty_phone_means_no_phone():
    assert Household(head_name="Sok", village_code=VILLAGE, phone="  ").phone is None


def test_name_is_trimmed_nfc_and_rid_of_zero_width_spaces():
    decomposed = "Ke\u0301o"  # e + combining acute
    h = Household(head_name="  សុខ\u200b  ចាន់ " + decomposed, village_code=VILLAGE)
    assert h.head_name == "សុខ ចាន់ Kéo"


@pytest.mark.parametrize(("name", "code"), [("", "name_empty"), ("\u200b \u200b", "name_empty"),
                                             ("ក" * 121, "name_too_long")])
def test_empty_or_overlong_name_is_refused(name, code):
    assert errors_of(head_name=name) == {"head_name": code}


def test_name_of_exactly_120_characters_is_accepted():
    assert len(Household(head_name="ក" * 120, village_code=VILLAGE).head_name) == 120


@pytest.mark.parametrize("code", ["0102010", "010201011", "0102A101", "", None])
def test_village_code_must_be_eight_digits(code):
    assert errors_of(village_code=code) == {"village_code": "village_code_invalid"}


def test_village_code_typed_in_khmer_digits_is_accepted_and_areas_derive_from_it():
    h = Household(head_name="Sok", village_code="០១០២០១០១")
    assert (h.village_code, h.commune_code, h.district_code, h.province_code) == ("01020101", "010201", "0102", "01")


@pytest.mark.parametrize(("members", "code"), [(0, "members_too_few"), (-3, "members_too_few"),
                                               (100, "members_too_many"), ("five", "number_invalid")])
def test_members_count_must_be_a_sensible_whole_number(members, code):
    assert errors_of(members=members) == {"members": code}


def test_members_typed_in_khmer_digits_count():
    assert Household(head_name="Sok", village_code=VILLAGE, members="១២").members == 12


def test_several_wrong_fields_are_all_reported_at_once():
    assert errors_of(head_name="", phone="12", village_code="1", members=0) == {
        "head_name": "name_empty", "phone": "phone_too_short", "village_code": "village_code_invalid",
        "members": "members_too_few"}


def test_every_error_code_used_has_an_english_fallback_text():
    for fields in ({"head_name": ""}, {"phone": "x"}, {"village_code": "1"}, {"members": 0}):
        for code in errors_of(**fields).values():
            assert code in ERROR_CODES


def test_new_record_carries_uuid_rev_times_and_starts_pending():
    h = Household(head_name="Sok", village_code=VILLAGE, device_id="dev-1", author="dara")
    assert len(h.id) == 36 and h.rev == 1 and h.sync_state == SyncState.pending
    assert h.created_at.tzinfo is not None and h.updated_at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused():
    assert errors_of(created_at=datetime(2026, 1, 1)) == {"created_at": "timestamp_naive"}


def test_timestamps_in_other_zones_are_stored_in_utc():
    ict = timezone(timedelta(hours=7))
    h = Household(head_name="Sok", village_code=VILLAGE, created_at=datetime(2026, 1, 1, 8, 0, tzinfo=ict))
    assert h.created_at == datetime(2026, 1, 1, 1, 0, tzinfo=timezone.utc) and h.created_at.tzinfo == timezone.utc


def test_an_edit_bumps_rev_and_updated_at_and_goes_back_to_pending():
    h = Household(head_name="Sok", village_code=VILLAGE, sync_state=SyncState.synced, server_rev=3)
    later = h.updated_at + timedelta(minutes=5)
    edited = h.edited(members=4, at=later)
    assert (edited.rev, edited.members, edited.updated_at, edited.sync_state) == (2, 4, later, SyncState.pending)
    assert edited.server_rev == 3  # still based on the server's rev 3


def test_an_edit_that_breaks_a_rule_is_refused_and_the_original_is_untouched():
    h = Household(head_name="Sok", village_code=VILLAGE)
    with pytest.raises(ValidationError):
        h.edited(phone="12")
    assert h.phone is None and h.rev == 1


def test_vulnerability_flags_are_deduplicated():
    h = Household(head_name="Sok", village_code=VILLAGE, vulnerabilities=["idpoor", "disability", "idpoor"])
    assert h.vulnerabilities == [Vulnerability.disability, Vulnerability.idpoor]


def test_unknown_fields_are_refused_rather_than_silently_dropped():
    assert errors_of(favourite_colour="red") == {"favourite_colour": "extra_forbidden"}


def test_gps_out_of_range_is_refused():
    assert errors_of(gps={"lat": 123.0, "lon": 104.9}) == {"gps": "gps_invalid"}


def test_wire_form_leaves_out_local_sync_bookkeeping_and_round_trips():
    h = Household(head_name="សុខ", village_code=VILLAGE, phone="012345678", sync_state=SyncState.rejected,
                  sync_error={"code": "phone_invalid"})
    wire = h.wire()
    assert not {"sync_state", "server_rev", "sync_error"} & wire.keys()
    back = Household.model_validate(wire)
    assert back.model_copy(update={"sync_state": h.sync_state, "sync_error": h.sync_error}) == h


def test_store_document_round_trips_exactly():
    h = Household(head_name="សុខ", village_code=VILLAGE, gps={"lat": 11.55, "lon": 104.92, "accuracy_m": 8})
    assert Household.from_doc(h.to_doc()) == h


khmer_letters = st.characters(min_codepoint=0x1780, max_codepoint=0x17DD)
name_chars = st.one_of(khmer_letters, st.characters(whitelist_categories=("Lu", "Ll")), st.sampled_from(" \u200b"))


@settings(max_examples=200, deadline=None)
@given(st.text(name_chars, min_size=0, max_size=140))
def test_any_typed_name_is_either_saved_clean_or_refused_with_a_name_code(text):
    try:
        h = Household(head_name=text, village_code=VILLAGE)
    except ValidationError as exc:
        assert field_errors(exc)["head_name"] in {"name_empty", "name_too_long"}
    else:
        assert h.head_name == h.head_name.strip() and "\u200b" not in h.head_name and "  " not in h.head_name
        assert 1 <= len(h.head_name) <= 120
        assert Household(head_name=h.head_name, village_code=VILLAGE).head_name == h.head_name  # idempotent


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["1", "12", "15", "16", "17", "61", "67", "68", "69", "76", "77", "78", "85", "89", "92",
                        "96", "97", "98"]),
       st.integers(min_value=100000, max_value=9999999), st.booleans(), st.booleans())
def test_a_cambodian_mobile_number_typed_nationally_or_internationally_gives_the_same_e164(prefix, rest, khmer, intl):
    national = f"0{prefix}{rest}"
    typed = f"+855{prefix}{rest}" if intl else national
    if khmer:
        typed = typed.translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩"))
    try:
        as_typed = Household(head_name="Sok", village_code=VILLAGE, phone=typed).phone
    except ValidationError as exc:
        # The same number must be refused whichever way it was typed.
        with pytest.raises(ValidationError) as again:
            Household(head_name="Sok", village_code=VILLAGE, phone=national)
        assert field_errors(exc) == field_errors(again.value)
    else:
        assert as_typed == f"+855{prefix}{rest}"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_any_phone_input_either_normalises_or_gives_a_phone_code_never_a_crash(text):
    try:
        h = Household(head_name="Sok", village_code=VILLAGE, phone=text)
    except ValidationError as exc:
        assert field_errors(exc)["phone"].startswith("phone_")
    else:
        assert h.phone is None or h.phone.startswith("+")
