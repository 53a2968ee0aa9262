"""Before a new household is saved: the village's households that look like the same one."""
from __future__ import annotations

from typing import Callable

import flet as ft

from app.i18n import Translator
from app.services.households import HouseholdRow
from views.theme import GAP
from views.widgets import primary_button, secondary_button, section_title, tid


def duplicates_panel(tr: Translator, rows: list[HouseholdRow], *, village_label: Callable[[HouseholdRow], str],
                     on_open: Callable[[str], None], on_different: Callable[..., None]) -> ft.Control:
    """Each likely duplicate with "Open that one"; one "It is a different household" that saves."""
    items: list[ft.Control] = []
    for i, row in enumerate(rows):
        name = row.head_name + (f" ({row.head_name_latin})" if row.head_name_latin else "")
        details = " · ".join(x for x in (village_label(row), tr.phone(row.phone)) if x)
        items.append(ft.ResponsiveRow([
            ft.Column([ft.Text(name, weight=ft.FontWeight.W_600), ft.Text(details, size=12)], spacing=2,
                      col={"xs": 12, "sm": 8}),
            ft.Container(secondary_button(tr("fieldcheck.duplicate_open"), lambda e, hid=row.id: on_open(hid),
                                          icon=ft.Icons.OPEN_IN_NEW, identifier=f"duplicate-open-{i}"),
                         col={"xs": 12, "sm": 4}),
        ], spacing=GAP, run_spacing=4, vertical_alignment=ft.CrossAxisAlignment.CENTER))
    return tid("duplicates", ft.Container(ft.Column([
        section_title(tr("fieldcheck.duplicates_title", count=len(rows))),
        ft.Text(tr("fieldcheck.duplicates_help")),
        *items,
        primary_button(tr("fieldcheck.duplicate_different"), on_different, icon=ft.Icons.SAVE,
                       identifier="save-different"),
    ], spacing=GAP, horizontal_alignment=ft.CrossAxisAlignment.START),
        bgcolor=ft.Colors.TERTIARY_CONTAINER, border_radius=12, padding=16))
