"""The area picker: type part of a village name (Khmer or Latin), or go province → village."""
from __future__ import annotations

from typing import Callable, Optional

import flet as ft

from app.i18n import Translator
from app.services.areas import LEVELS
from app.viewmodels.area_picker import AreaPickerVM
from views.theme import TOUCH
from views.widgets import dropdown, inner, muted, tid


class AreaPicker:
    """Renders an AreaPickerVM; ``on_change`` runs after every choice."""

    def __init__(self, tr: Translator, vm: AreaPickerVM, *, prefix: str, on_change: Callable[[], None],
                 error: Optional[str] = None, levels: tuple[str, ...] = LEVELS,
                 refresh: Callable[..., None] = lambda *controls: None):
        self.refresh = refresh
        self.tr = tr
        self.vm = vm
        self.prefix = prefix
        self.on_change = on_change
        self.levels = levels
        self.search = tid(f"{prefix}-filter", ft.TextField(
            label=tr("area.type_to_filter"), prefix_icon=ft.Icons.SEARCH, on_change=self._on_filter,
            helper=tr("area.filter_help"), on_submit=self._on_filter_submit,
        ))
        self.matches = ft.Column(spacing=0)
        self.chosen = ft.Text("", weight=ft.FontWeight.W_600)
        self.outside = tid(f"{prefix}-outside", ft.Text("", color=ft.Colors.ERROR))
        self.error = ft.Text("", color=ft.Colors.ERROR, visible=False)
        self.dropdowns = ft.ResponsiveRow(spacing=8, run_spacing=8)
        self.set_error(error)
        self._paint_dropdowns()
        self._paint_chosen()
        self.control = ft.Column([self.search, self.matches, self.chosen, self.outside, self.error, self.dropdowns],
                                 spacing=8,
                                 horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def fields(self) -> list[tuple[str, ft.Control]]:
        """The picker's focusable fields in reading order (the dropdowns are new after each choice)."""
        return [(f"{self.prefix}_filter", self.search),
                *((f"{self.prefix}_{level}", dd) for level, dd in zip(self.levels, self.dropdowns.controls))]

    def set_error(self, code: Optional[str]) -> None:
        self.error.value = self.tr.error(code) if code else ""
        self.error.visible = bool(code)

    def _paint_chosen(self) -> None:
        label = self.vm.label()
        self.chosen.value = self.tr("area.chosen", area=label) if label else self.tr("area.none_chosen")
        inner(self.outside).value = self.tr("fieldcheck.outside_home", area=self.vm.home_label())
        self.outside.visible = self.vm.outside_home  # on the wrapper (see widgets.icon_button)

    def _paint_dropdowns(self) -> None:
        controls = []
        for level in self.levels:
            options = [(o.code, o.name) for o in self.vm.options(level)]
            controls.append(dropdown(
                self.tr, f"area.{level}", options, self.vm.selected[level],
                on_select=lambda e, lv=level: self._on_select(lv, e.control.value),
                identifier=f"{self.prefix}-{level}", col={"xs": 12, "sm": 6, "md": 12 // len(self.levels)},
                disabled=not options,
            ))
        self.dropdowns.controls = controls

    def _on_filter(self, e: ft.ControlEvent) -> None:
        found = self.vm.filter(e.control.value or "")
        rows = []
        for i, option in enumerate(found):
            context = ft.Text(option.context, size=12)
            if option.outside:
                context = ft.Column([context, ft.Text(self.tr("fieldcheck.outside_match"), size=12,
                                                      color=ft.Colors.ERROR)], spacing=0, tight=True)
            rows.append(tid(f"{self.prefix}-match-{i}", ft.ListTile(
                title=ft.Text(option.name), subtitle=context, min_vertical_padding=6,
                on_click=lambda e, code=option.code: self.pick(code),
            )))
        if (e.control.value or "").strip() and not found:
            rows.append(muted(self.tr("area.no_match")))
        self.matches.controls = rows
        self.refresh(self.matches)

    def _on_filter_submit(self, e: ft.ControlEvent) -> None:
        # Enter picks the only (or first) match: quick for office clerks typing from paper forms.
        if self.vm.matches:
            self.pick(self.vm.matches[0].code)

    def pick(self, code: str) -> None:
        self.vm.pick(code)
        inner(self.search).value = ""
        self.matches.controls = []
        self.set_error(None)
        self._paint_dropdowns()
        self._paint_chosen()
        self.on_change()

    def _on_select(self, level: str, code: Optional[str]) -> None:
        self.vm.select(level, code)
        self.set_error(None)
        self._paint_dropdowns()
        self._paint_chosen()
        self.on_change()

    def clear(self) -> None:
        self.pick("")


def area_dialog(tr: Translator, vm: AreaPickerVM, *, prefix: str, on_apply: Callable[[], None],
                on_clear: Callable[[], None], close: Callable[[], None],
                refresh: Callable[..., None] = lambda *controls: None) -> ft.AlertDialog:
    """A dialog to filter a list by area (any level, province down to village)."""
    picker = AreaPicker(tr, vm, prefix=prefix, on_change=lambda: None, refresh=refresh)

    def apply(e):
        close()
        on_apply()

    def clear(e):
        close()
        on_clear()

    return ft.AlertDialog(
        title=ft.Text(tr("area.filter_title")),
        content=ft.Container(picker.control, width=560),
        scrollable=True,
        actions=[
            tid(f"{prefix}-clear", ft.TextButton(tr("action.clear"), on_click=clear, height=TOUCH)),
            tid(f"{prefix}-apply", ft.FilledButton(tr("action.apply"), on_click=apply, height=TOUCH)),
        ],
    )
