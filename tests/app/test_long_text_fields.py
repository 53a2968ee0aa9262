"""Long text fields: a counter as the limit nears, "too long" at once past it, nothing cut; errors wrap."""
from __future__ import annotations

import flet as ft

from app.i18n import Translator
from records.fields import MAX_TEXT
from views.widgets import field, inner


def typed(control: ft.Control, text: str) -> ft.TextField:
    tf = inner(control)
    tf.value = text
    tf.on_change(ft.ControlEvent(name="change", control=tf))
    return tf


def test_a_note_shows_its_limit_and_a_counter_as_the_limit_nears():
    tr = Translator("en")
    seen = []
    control = field(tr, "field.notes", multiline=True, on_change=lambda e: seen.append(e.control.value))
    tf = typed(control, "short note")
    assert tf.counter is None and tf.error is None and seen == ["short note"]
    tf = typed(control, "x" * (MAX_TEXT - 100))
    assert tf.counter == f"{MAX_TEXT - 100} / {MAX_TEXT} characters" and tf.error is None


def test_text_past_the_limit_is_kept_and_marked_too_long_at_once():
    tr = Translator("km")
    control = field(tr, "field.notes", multiline=True)
    tf = typed(control, "ក" * (MAX_TEXT + 5))
    assert len(tf.value) == MAX_TEXT + 5  # nothing the official typed or pasted is cut
    assert tf.error == tr.error("text_too_long") and "៤" in tf.counter  # Khmer digits
    tf = typed(control, "ក" * 10)
    assert tf.error is None and tf.counter is None


def test_field_errors_wrap_instead_of_ending_in_an_ellipsis():
    tf = inner(field(Translator("en"), "field.phone", error="phone_bad_chars"))
    assert tf.error == Translator("en").error("phone_bad_chars") and tf.error_max_lines >= 3
