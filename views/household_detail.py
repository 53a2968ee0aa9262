"""One household: contact, address, and its visits and concerns over time."""
from __future__ import annotations

import flet as ft

from records.models import Concern
from app.services.households import HouseholdHistory, VisitWithConcerns
from app.viewmodels.followup import due_line
from views.env import Env, Screen
from views.theme import GAP, STATUS_COLORS, SYNC_COLORS
from views.widgets import (
    card, chip, empty_state, icon_button, labelled, muted, primary_button, secondary_button, section_title,
    sync_mark, tid,
)


class HouseholdDetailScreen(Screen):
    title_key = "household.title"
    tab = "households"

    def __init__(self, env: Env, household_id: str):
        super().__init__(env)
        self.household_id = household_id
        self.history: HouseholdHistory | None = env.deps.households.history(household_id)
        self.holder = ft.Container(expand=True)

    @property
    def title(self) -> str:
        return self.history.household.head_name if self.history else self.tr("household.title")

    def body(self) -> ft.Control:
        self._paint()
        return self.holder

    def _paint(self) -> None:
        tr = self.tr
        if self.history is None:
            self.holder.content = empty_state(ft.Icons.SEARCH_OFF, tr("household.not_found"),
                                              tr("household.not_found_message"))
            return
        contact = self._contact()
        timeline = self._timeline()
        if self.env.phone:
            content = ft.Column([contact, timeline], spacing=GAP, scroll=ft.ScrollMode.AUTO, expand=True,
                                horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        else:
            content = ft.Row([
                ft.Container(ft.Column([contact], scroll=ft.ScrollMode.AUTO,
                                       horizontal_alignment=ft.CrossAxisAlignment.STRETCH), width=420),
                ft.Container(timeline, expand=True),
            ], spacing=GAP, vertical_alignment=ft.CrossAxisAlignment.START, expand=True)
        self.holder.content = ft.Container(content, padding=12, expand=True)

    def _contact(self) -> ft.Control:
        tr, h = self.tr, self.history.household
        areas = self.env.deps.areas
        flags = ft.Row([chip(tr(f"vulnerability.{v.value}"), ft.Colors.BLUE_GREY_600) for v in h.vulnerabilities],
                       wrap=True, spacing=4, run_spacing=4)
        state = h.sync_state.value
        lines: list[ft.Control] = [
            ft.Row([ft.Text(h.head_name, theme_style=ft.TextThemeStyle.HEADLINE_SMALL, expand=True,
                            weight=ft.FontWeight.W_600),
                    sync_mark(tr, h.sync_state, size=24)]),
        ]
        if h.head_name_latin:
            lines.append(muted(h.head_name_latin))
        if h.sync_error and state == "rejected":
            lines.append(tid("rejected-reason", ft.Container(
                ft.Text(tr("household.rejected", reason=tr.error(h.sync_error.get("code"), h.sync_error.get("reason"))),
                        color=SYNC_COLORS["rejected"]),
                bgcolor=ft.Colors.RED_50, padding=8, border_radius=8)))
        phone_value = tr.phone(h.phone) if h.phone else ""
        lines += [
            labelled(tr("household.phone"), phone_value),
            labelled(tr("household.members"), tr.number(h.members)),
            labelled(tr("household.village"), areas.label(h.village_code, self.env.lang, depth=4)),
            labelled(tr("household.address"), h.address),
            labelled(tr("household.consent_to_contact"), tr("common.yes") if h.consent_to_contact else tr("common.no")),
        ]
        if h.gps:
            lines.append(labelled(tr("household_form.location"),
                                  tr.number(f"{h.gps.lat:.5f}, {h.gps.lon:.5f}")))
        if h.vulnerabilities:
            lines.append(flags)
        lines.append(labelled(tr("household.sync_state"), tr(f"sync_state.{state}")))
        lines.append(ft.Row([
            primary_button(tr("household.new_visit"), lambda e: self.env.go(f"/households/{h.id}/visit"),
                           icon=ft.Icons.ADD_COMMENT, identifier="new-visit"),
            secondary_button(tr("action.edit"), lambda e: self.env.go(f"/households/{h.id}/edit"),
                             icon=ft.Icons.EDIT, identifier="edit-household"),
        ], wrap=True, spacing=GAP, run_spacing=GAP))
        return card(ft.Column(lines, spacing=10), identifier="household-contact")

    def _timeline(self) -> ft.Control:
        tr = self.tr
        visits = self.history.visits
        header = ft.Row([section_title(tr("household.visits")),
                         muted(tr("household.open_concerns", count=self.history.open_concerns))],
                        alignment=ft.MainAxisAlignment.SPACE_BETWEEN, wrap=True)
        if not visits:
            items: list[ft.Control] = [empty_state(ft.Icons.EVENT_NOTE, tr("household.no_visits_title"),
                                                   tr("household.no_visits_message"), identifier="no-visits")]
        else:
            items = [self._visit(i, v) for i, v in enumerate(visits)]
        column = ft.Column([header, *items], spacing=GAP, scroll=None if self.env.phone else ft.ScrollMode.AUTO,
                           horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        if not self.env.phone:
            column.expand = True
        return column

    def _visit(self, index: int, item: VisitWithConcerns) -> ft.Control:
        tr, v = self.tr, item.visit
        head = ft.Row([
            ft.Icon(ft.Icons.GROUPS if v.visit_kind.value == "public_forum" else ft.Icons.HOME_WORK_OUTLINED),
            ft.Text(tr.date(v.visited_on), weight=ft.FontWeight.W_600),
            muted(tr(f"visit_kind.{v.visit_kind.value}")),
            ft.Container(expand=True),
            sync_mark(tr, v.sync_state),
            icon_button(ft.Icons.EDIT_OUTLINED, tr("visit.edit"),
                        lambda e, vid=v.id: self.env.go(f"/households/{self.household_id}/visits/{vid}"),
                        identifier=f"edit-visit-{index}"),
        ], spacing=8)
        lines: list[ft.Control] = [head, muted(tr("visit.officials_line", names=", ".join(v.officials)))]
        if v.notes:
            lines.append(ft.Text(v.notes))
        if v.follow_up_on:
            lines.append(muted(tr("visit.follow_up_line", date=tr.date(v.follow_up_on))))
        for j, concern in enumerate(item.concerns):
            lines.append(self._concern(f"{index}-{j}", concern))
        return card(ft.Column(lines, spacing=6), identifier=f"visit-{index}", padding=12)

    def _concern(self, key: str, c: Concern) -> ft.Control:
        tr = self.tr
        _, due = due_line(tr, c, self.env.deps.followup.today())
        return tid(f"concern-{key}", ft.ListTile(
            leading=ft.Icon(ft.Icons.CAMPAIGN_OUTLINED),
            title=ft.Text(f"{tr(f'category.{c.category.value}')} · {tr(f'priority.{c.priority.value}')}",
                          weight=ft.FontWeight.W_600),
            subtitle=ft.Text(f"{c.description}\n{due}", max_lines=4, overflow=ft.TextOverflow.ELLIPSIS),
            trailing=chip(tr(f"status.{c.status.value}"), STATUS_COLORS[c.status.value]),
            on_click=lambda e, cid=c.id: self.env.go(f"/concerns/{cid}"), min_vertical_padding=4,
            content_padding=ft.Padding.symmetric(horizontal=4), height=None,
        ))

    def status_changed(self) -> bool:
        if not self.sync_settled():
            return False
        self.history = self.env.deps.households.history(self.household_id)
        self._paint()
        return True
