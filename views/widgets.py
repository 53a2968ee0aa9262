"""Small building blocks shared by the screens (render only; no state of their own)."""
from __future__ import annotations

from typing import Any, Callable, Optional

import flet as ft

from app.i18n import Translator
from app.viewmodels.unsaved import UnsavedEdit
from records.fields import MAX_TEXT
from views.theme import GAP, SYNC_COLORS, SYNC_ICONS, TOUCH

Handler = Optional[Callable[[Any], Any]]


def tid(identifier: str, control: ft.Control, *, expand: Any = None, col: Any = None) -> ft.Semantics:
    """A language-independent test id (flt-semantics-identifier in the browser).

    Hide the wrapper, never only the control inside it (Flutter rejects an empty Semantics).
    """
    sem = ft.Semantics(identifier=identifier, content=control, container=True)
    if expand is not None:
        sem.expand = expand
    if col is not None:
        sem.col = col
    return sem


def field(tr: Translator, label_key: str, value: str = "", *, error: Optional[str] = None, on_change: Handler = None,
          on_submit: Handler = None, identifier: str = "", keyboard: ft.KeyboardType = ft.KeyboardType.TEXT,
          multiline: bool = False, helper_key: str = "", password: bool = False, autofocus: bool = False,
          expand: Any = None, col: Any = None, limit: Optional[int] = None) -> ft.Control:
    """A labelled text field with its error (an error code) shown under it, translated.

    Errors and helpers wrap instead of ending in "…". A field with a ``limit`` (free text: every
    multiline field, MAX_TEXT) shows a counter once the text nears it and says "too long" as
    soon as it passes it, never cutting what was typed or pasted.
    """
    limit = limit or (MAX_TEXT if multiline else None)
    tf = ft.TextField(
        label=tr(label_key), value=value, on_submit=on_submit, keyboard_type=keyboard,
        multiline=multiline, min_lines=3 if multiline else None, max_lines=6 if multiline else 1,
        error=tr.error(error) if error else None, helper=tr(helper_key) if helper_key else None,
        error_max_lines=4, helper_max_lines=3,
        password=password, can_reveal_password=password, autofocus=autofocus,
    )
    if limit:
        given_error = tf.error

        def count(e=None) -> None:
            n = len(tf.value or "")
            tf.counter = tr("field.counter", count=n, limit=tr.number(limit)) if n >= limit * 0.8 else None
            tf.error = tr.error("text_too_long") if n > limit else given_error
            if on_change is not None and e is not None:
                on_change(e)

        count()
        tf.on_change = count
    else:
        tf.on_change = on_change
    if identifier:
        return tid(identifier, tf, expand=expand, col=col)
    if expand is not None:
        tf.expand = expand
    if col is not None:
        tf.col = col
    return tf


def inner(control: ft.Control) -> ft.Control:
    """The control inside a test-id wrapper (or the control itself)."""
    return control.content if isinstance(control, ft.Semantics) and control.content is not None else control


def set_error(control: ft.Control, tr: Translator, code: Optional[str]) -> None:
    target = inner(control)
    message = tr.error(code) if code else None
    if isinstance(target, ft.Dropdown):
        target.error_text = message
    else:
        target.error = message


def dropdown(tr: Translator, label_key: str, options: list[tuple[str, str]], value: Optional[str], *,
             on_select: Handler = None, identifier: str = "", error: Optional[str] = None, expand: Any = None,
             col: Any = None, disabled: bool = False) -> ft.Control:
    dd = ft.Dropdown(
        label=tr(label_key), value=value or None, options=[ft.DropdownOption(key=k, text=t) for k, t in options],
        on_select=on_select, error_text=tr.error(error) if error else None, enable_filter=len(options) > 12,
        editable=len(options) > 12, expand=True, disabled=disabled, menu_height=360,
    )
    wrapped: ft.Control = tid(identifier, dd) if identifier else dd
    if expand is not None:
        wrapped.expand = expand
    if col is not None:
        wrapped.col = col
    return wrapped


def primary_button(text: str, on_click: Handler, *, icon: Any = None, identifier: str = "",
                   disabled: bool = False) -> ft.Control:
    btn = ft.FilledButton(text, icon=icon, on_click=on_click, disabled=disabled, height=TOUCH)
    return tid(identifier, btn) if identifier else btn


def secondary_button(text: str, on_click: Handler, *, icon: Any = None, identifier: str = "",
                     disabled: bool = False) -> ft.Control:
    btn = ft.OutlinedButton(text, icon=icon, on_click=on_click, disabled=disabled, height=TOUCH)
    return tid(identifier, btn) if identifier else btn


def section_title(text: str) -> ft.Text:
    return ft.Text(text, theme_style=ft.TextThemeStyle.TITLE_MEDIUM, weight=ft.FontWeight.W_600)


def muted(text: str, *, size: Optional[int] = None) -> ft.Text:
    return ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT, size=size)


def sync_mark(tr: Translator, state: Any, *, size: int = 20) -> ft.Control:
    key = getattr(state, "value", state)
    label = tr(f"sync_state.{key}")
    return ft.Icon(SYNC_ICONS.get(key, ft.Icons.HELP_OUTLINE), color=SYNC_COLORS.get(key), size=size,
                   tooltip=label, semantics_label=label)


def chip(text: str, color: Any, *, identifier: str = "") -> ft.Control:
    box = ft.Container(
        content=ft.Text(text, color=ft.Colors.WHITE, size=12, weight=ft.FontWeight.W_600),
        bgcolor=color, border_radius=12, padding=ft.Padding.symmetric(horizontal=10, vertical=2),
    )
    return tid(identifier, box) if identifier else box


def empty_state(icon: Any, title: str, message: str, action: Optional[ft.Control] = None,
                identifier: str = "empty-state") -> ft.Control:
    items: list[ft.Control] = [
        ft.Icon(icon, size=56, color=ft.Colors.PRIMARY),
        ft.Text(title, theme_style=ft.TextThemeStyle.TITLE_MEDIUM, text_align=ft.TextAlign.CENTER),
        ft.Text(message, color=ft.Colors.ON_SURFACE_VARIANT, text_align=ft.TextAlign.CENTER),
    ]
    if action is not None:
        items.append(action)
    return tid(identifier, ft.Container(
        content=ft.Column(items, horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=GAP, tight=True),
        padding=32, alignment=ft.Alignment.CENTER,
    ))


def labelled(label: str, value: str) -> ft.Control:
    """A read-only "label: value" pair for detail screens (not selectable: a selectable Text
    merges its whole group into one text-field node that screen readers cannot read)."""
    return ft.Column([muted(label, size=12), ft.Text(value or "—")], spacing=2, tight=True)


def card(content: ft.Control, *, identifier: str = "", padding: int = 16) -> ft.Control:
    c = ft.Card(content=ft.Container(content=content, padding=padding))
    return tid(identifier, c) if identifier else c


def icon_button(icon: Any, tooltip: str, on_click: Handler, *, identifier: str = "", visible: bool = True
                ) -> ft.Control:
    """An icon button a thumb can hit: 48 × 48 (Material 3 draws them 40 × 40 by default)."""
    btn = ft.IconButton(icon, tooltip=tooltip, on_click=on_click, width=TOUCH, height=TOUCH)
    wrapped = tid(identifier, btn) if identifier else btn
    wrapped.visible = visible  # on the wrapper: a Semantics around a hidden control is an error in Flutter
    return wrapped


# Fields whose typed value is a choice, and the translation group of its labels.
_CHOICE_GROUPS = {"vulnerabilities": "vulnerability", "visit_kind": "visit_kind", "category": "category",
                  "priority": "priority"}


def typed_value(tr: Translator, edit: UnsavedEdit, village_label: Callable[[str], str] = str) -> str:
    """What the official had typed in a field, as a readable line."""
    value, group = edit.value, _CHOICE_GROUPS.get(edit.field)
    if isinstance(value, bool):
        return tr("form.value_yes") if value else tr("form.value_no")
    if isinstance(value, (set, frozenset, list)):
        text = ", ".join(tr(f"{group}.{v}") if group else str(v) for v in sorted(value))
    elif isinstance(value, tuple):
        text = ", ".join(str(v) for v in value if v)
    elif group and value:
        text = tr(f"{group}.{value}")
    elif edit.field == "village_code" and value:
        text = village_label(value)
    else:
        text = str(value or "")
    return text or tr("form.value_empty")


def changed_notice(tr: Translator, edits: list[UnsavedEdit], village_label: Callable[[str], str] = str
                   ) -> ft.Control:
    """The record changed since the form was opened and nothing was saved: the form shows the
    stored values again; this says so and lists what the official had typed, to enter again."""
    lines: list[ft.Control] = [ft.Row([
        ft.Icon(ft.Icons.UPDATE, color=ft.Colors.ON_ERROR_CONTAINER),
        ft.Text(tr.error("changed_since_opened"), color=ft.Colors.ON_ERROR_CONTAINER, expand=True),
    ], spacing=8, vertical_alignment=ft.CrossAxisAlignment.START)]
    if edits:
        lines.append(ft.Text(tr("form.your_edits"), weight=ft.FontWeight.W_600, color=ft.Colors.ON_ERROR_CONTAINER))
        for edit in edits:
            label = tr(f"field.{edit.field}")
            if edit.concern:
                label = tr("form.concern_field", number=edit.concern, field=label)
            lines.append(ft.Text(tr("form.edit_line", field=label, value=typed_value(tr, edit, village_label)),
                                 color=ft.Colors.ON_ERROR_CONTAINER))
    return tid("changed-notice", ft.Container(ft.Column(lines, spacing=6, tight=True),
                                              bgcolor=ft.Colors.ERROR_CONTAINER, padding=12, border_radius=12))


def draft_offer(tr: Translator, saved_at: Any, on_use: Handler, on_drop: Handler, *,
                prefix: str = "draft") -> ft.Control:
    """A draft of this form was kept (left unfinished, or the app was closed): offer it back.
    ``prefix`` names its test ids when a screen offers two (a concern's status and feedback forms)."""
    return tid(f"{prefix}-offer", ft.Container(ft.Column([
        ft.Row([ft.Icon(ft.Icons.RESTORE, color=ft.Colors.ON_SECONDARY_CONTAINER),
                ft.Text(tr("draft.offer", when=tr.date_time(saved_at)), color=ft.Colors.ON_SECONDARY_CONTAINER,
                        expand=True)], spacing=8, vertical_alignment=ft.CrossAxisAlignment.START),
        ft.Row([primary_button(tr("draft.use"), on_use, icon=ft.Icons.RESTORE, identifier=f"{prefix}-use"),
                secondary_button(tr("draft.drop"), on_drop, identifier=f"{prefix}-drop")], spacing=GAP, wrap=True),
    ], spacing=8, tight=True), bgcolor=ft.Colors.SECONDARY_CONTAINER, padding=12, border_radius=12))


class ChoiceChips:
    """One-tap choices (big targets, all visible): better than a menu in a doorway.

    Choosing updates the chips in place, so nothing else on the screen is rebuilt.
    """

    def __init__(self, tr, group: str, values: list[str], selected: str, on_pick, *, prefix: str):
        self.on_pick = on_pick
        self.chips = {value: ft.Chip(label=ft.Text(tr(f"{group}.{value}")), selected=value == selected,
                                     show_checkmark=True, on_select=lambda e, v=value: self.pick(v),
                                     height=TOUCH)
                      for value in values}
        self.control = ft.Row([tid(f"{prefix}-{v}", chip) for v, chip in self.chips.items()], wrap=True, spacing=6,
                              run_spacing=6)

    def pick(self, value: str) -> None:
        for v, chip in self.chips.items():
            chip.selected = v == value
        self.on_pick(value)


def choice_chips(tr, group: str, values: list[str], selected: str, on_pick, *, prefix: str) -> ft.Control:
    return ChoiceChips(tr, group, values, selected, on_pick, prefix=prefix).control
