"""Every label, message and error exists in Khmer and in English, with the same placeholders."""
from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

from app.i18n import Translator
from records.catalog import I18N_DIR, load_catalog
from records.models import (ERROR_CODES, ConcernCategory, ConcernStatus, Priority, SyncState, VisitKind,
                        Vulnerability)

REPO = Path(__file__).resolve().parents[2]
KHMER = re.compile(r"[\u1780-\u17FF]")


def catalog(lang: str) -> dict[str, str]:
    return json.loads((I18N_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys():
    assert set(catalog("en")) == set(catalog("km"))


def test_every_model_error_code_is_translated():
    en, km = catalog("en"), catalog("km")
    for code in ERROR_CODES:
        assert en.get(f"error.{code}"), code
        assert KHMER.search(km.get(f"error.{code}", "")), f"error.{code} has no Khmer text"


def test_khmer_texts_are_khmer():
    # Names that are the same in both languages: brand, codes, examples.
    same_allowed = {"concern.moved", "sync.rejected_field", "settings.server_url_help"}
    km = catalog("km")
    for key, text in km.items():
        if key not in same_allowed and not placeholders(text) == {text.strip("{}")}:
            assert KHMER.search(text), f"{key} is not translated: {text!r}"


@pytest.mark.parametrize("key", sorted(catalog("en")))
def test_placeholders_match(key):
    assert placeholders(catalog("en")[key]) == placeholders(catalog("km")[key]), key


def test_enum_values_have_labels():
    en = catalog("en")
    for group, enum in (("category", ConcernCategory), ("status", ConcernStatus), ("priority", Priority),
                        ("sync_state", SyncState), ("visit_kind", VisitKind), ("vulnerability", Vulnerability)):
        for value in enum:
            assert f"{group}.{value.value}" in en, f"{group}.{value.value}"


def _literal_keys() -> set[str]:
    """Keys written as string literals in calls like tr("households.title") in app/ and views/."""
    keys: set[str] = set()
    pattern = re.compile(r"^[a-z_]+\.[a-z_0-9]+$")
    for path in [*REPO.glob("views/*.py"), *REPO.glob("app/viewmodels/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for arg in [*node.args[:2], *(k.value for k in node.keywords if k.arg in (
                        "label_key", "helper_key", "key"))]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and pattern.match(arg.value):
                        keys.add(arg.value)
    return keys


def test_every_key_the_code_asks_for_exists():
    en = catalog("en")
    missing = sorted(k for k in _literal_keys() if k not in en and not k.startswith(("flag-", "ui.")))
    assert not missing, missing


def test_missing_key_falls_back_to_english_then_the_key():
    tr = Translator("km")
    assert tr("no.such_key") == "no.such_key"
    assert tr.error("not_a_code", "server said so") == "server said so"
    assert tr.error("phone_invalid") == load_catalog("km")["error.phone_invalid"]


def test_numbers_and_dates_in_khmer():
    from datetime import date, datetime, timezone

    km, en = Translator("km"), Translator("en")
    assert km.number(2026) == "២០២៦"
    assert km("households.count", count=12) == "គ្រួសារចំនួន ១២ នៅលើឧបករណ៍នេះ"
    assert km.date(date(2026, 4, 13)) == "១៣ មេសា ២០២៦"
    assert en.date(date(2026, 4, 13)) == "13 Apr 2026"
    assert km.phone("+85512345678") == "០១២ ៣៤៥ ៦៧៨"
    assert "២០២៦" in km.date_time(datetime(2026, 4, 13, 3, 0, tzinfo=timezone.utc))


def test_a_count_of_one_reads_in_the_singular():
    en, km = Translator("en"), Translator("km")
    assert en("visit.saved", count=1) == "Visit saved with 1 concern"
    assert en("visit.saved", count=2) == "Visit saved with 2 concerns"
    assert en("households.count", count=1) == "1 household on this device"
    assert km("visit.saved", count=1) == km("visit.saved", count=2).replace("២", "១")  # Khmer does not inflect
