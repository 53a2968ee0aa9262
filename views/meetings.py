"""Meetings: a quarter's schedule by level, next/previous quarter, the yearly target; planning a meeting."""
from __future__ import annotations

from typing import Optional

import flet as ft

from app.viewmodels.meetings import SCHEDULE_STATES, PlanMeetingVM, ScheduleRow, ScheduleVM
from records.meetings import YEARLY_TARGETS, InviteeKind, MeetingKind
from views.area_picker import area_dialog
from views.env import Env, Screen
from views.theme import GAP, TOUCH
from views.visit_form import choice_chips
from views.widgets import card, chip, dropdown, empty_state, field, icon_button, muted, primary_button, section_title, tid

STATE_COLORS = {
    "planned": ft.Colors.BLUE_700,
    "held": ft.Colors.GREEN_700,
    "overdue": ft.Colors.RED_700,
    "postponed": ft.Colors.AMBER_900,
    "cancelled": ft.Colors.GREY_700,
}
KIND_ICONS = {"public_forum": ft.Icons.GROUPS, "working_group": ft.Icons.WORK_OUTLINE, "other": ft.Icons.EVENT_NOTE}


def home_area(env: Env) -> str:
    user = env.deps.account.user
    return user.area_code if user else ""


class MeetingsScreen(Screen):
    title_key = "meeting.tab"
    tab = "meetings"
    PAGE = 40  # rows painted at first and per "show more"

    def __init__(self, env: Env):
        super().__init__(env)
        self.vm = ScheduleVM(env.deps.meetings, env.deps.areas, env.lang, home_area=home_area(env))
        self.rows_shown = self.PAGE
        self.content = ft.Column(spacing=GAP, expand=True, scroll=ft.ScrollMode.AUTO,
                                 horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def body(self) -> ft.Control:
        self._paint()
        return ft.Container(self.content, padding=12, expand=True)

    def fab(self) -> Optional[ft.FloatingActionButton]:
        if not self.env.phone:
            return None
        return ft.FloatingActionButton(icon=ft.Icons.EVENT_AVAILABLE,
                                       content=tid("plan-meeting", ft.Text(self.tr("meeting.plan"))),
                                       on_click=lambda e: self.env.go("/meetings/new"))

    def actions(self) -> list[ft.Control]:
        if self.env.phone:
            return []
        return [tid("plan-meeting", ft.FilledButton(self.tr("meeting.plan"), icon=ft.Icons.EVENT_AVAILABLE,
                                                    on_click=lambda e: self.env.go("/meetings/new"), height=40))]

    def _paint(self) -> None:
        tr, vm = self.tr, self.vm
        title = vm.title()
        header = ft.Row([
            icon_button(ft.Icons.CHEVRON_LEFT, tr("meeting.previous_quarter"), self._previous,
                        identifier="quarter-previous"),
            tid("quarter-title", ft.Text(tr(title.key, **{k: tr.number(v) for k, v in title.params.items()}),
                                         theme_style=ft.TextThemeStyle.TITLE_LARGE,
                                         text_align=ft.TextAlign.CENTER), expand=True),
            icon_button(ft.Icons.CHEVRON_RIGHT, tr("meeting.next_quarter"), self._next, identifier="quarter-next"),
        ])
        counts = ft.Row([tid(f"count-{s}", chip(f"{tr(f'meeting_state.{s}')} {tr.number(vm.counts[s])}",
                                                STATE_COLORS[s]))
                         for s in SCHEDULE_STATES if vm.counts.get(s) or s != "cancelled"], wrap=True, spacing=6)
        items: list[ft.Control] = [header, counts]
        progress = vm.progress()
        if progress is not None:
            items.append(ft.ResponsiveRow([
                ft.Container(tid("year-progress", muted(tr("meeting.progress", area=vm.area_label(vm.home_area),
                                                           held=progress.held, target=progress.target,
                                                           planned=progress.planned))),
                             col={"xs": 12, "md": 8}, alignment=ft.Alignment.CENTER_LEFT),
                dropdown(tr, "meeting.target", [(str(n), tr("meeting.target_value", count=n)) for n in YEARLY_TARGETS],
                         str(progress.target), on_select=self._target, identifier="yearly-target",
                         col={"xs": 12, "md": 4}),
            ], vertical_alignment=ft.CrossAxisAlignment.CENTER))
        if vm.empty:
            items.append(empty_state(ft.Icons.EVENT_NOTE, tr("meeting.empty_title"), tr("meeting.empty_message"),
                                     primary_button(tr("meeting.plan"), lambda e: self.env.go("/meetings/new"))))
        room = self.rows_shown  # a quarter of a whole district is long: a page of rows first, more on request
        for group in vm.groups:
            rows = [self._row(r, f"{group.level}-{n}") for n, r in enumerate(group.rows[:max(room, 0)])]
            room -= len(group.rows)
            items.append(card(ft.Column([section_title(tr(f"area.{group.level}")), *rows], spacing=4),
                              identifier=f"level-{group.level}", padding=8))
        total = sum(len(g.rows) for g in vm.groups)
        if total > self.rows_shown:
            items.append(ft.Row([tid("schedule-more", ft.OutlinedButton(
                tr("meeting.show_more", count=total - self.rows_shown), on_click=self._more, height=TOUCH))],
                alignment=ft.MainAxisAlignment.CENTER))
        self.content.controls = items

    def _more(self, e) -> None:
        self.rows_shown += self.PAGE
        self._paint()

    def _row(self, row: ScheduleRow, key: str) -> ft.Control:
        tr = self.tr
        when = tr.date(row.day) + (f" {tr.number(row.at.strftime('%H:%M'))}" if row.at else "")
        place = " · ".join(p for p in (self.vm.area_label(row.area_code), row.place) if p)
        return tid(f"meeting-row-{key}", ft.ListTile(
            leading=ft.Icon(KIND_ICONS.get(row.kind, ft.Icons.EVENT)),
            title=ft.Text(row.title, weight=ft.FontWeight.W_600),
            subtitle=ft.Text(f"{when}\n{place}", max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
            trailing=tid(f"meeting-state-{key}", chip(tr(f"meeting_state.{row.state}"),
                                                                 STATE_COLORS[row.state])),
            on_click=lambda e, mid=row.meeting_id: self.env.go(f"/meetings/{mid}"), is_three_line=True,
            min_vertical_padding=6,
        ))

    def _previous(self, e) -> None:
        self.rows_shown = self.PAGE
        self.vm.previous_quarter()
        self._paint()

    def _next(self, e) -> None:
        self.rows_shown = self.PAGE
        self.vm.next_quarter()
        self._paint()

    def _target(self, e) -> None:
        self.vm.set_target(e.control.value)
        self._paint()

    def status_changed(self) -> bool:
        if not self.sync_settled():
            return False
        self.vm.refresh()
        self._paint()
        return True


class PlanMeetingScreen(Screen):
    tab = "meetings"
    keeps_draft = True  # what is typed stays through a width or language change (the form is painted from the vm)

    def __init__(self, env: Env, meeting_id: Optional[str] = None):
        super().__init__(env)
        self.vm = PlanMeetingVM(env.deps.meetings, env.deps.areas, env.lang, area_code=home_area(env),
                                meeting_id=meeting_id)
        self.title_key = "meeting.edit_title" if meeting_id else "meeting.new_title"
        self.form = ft.Column(spacing=GAP, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.invitee = {"name": "", "position": "", "institution": "", "invitee_kind": "responsible_official"}

    def relayout(self, env: Env) -> None:
        super().relayout(env)
        self.vm.lang = self.vm.area.lang = env.lang  # the area picker's names in the new language

    def has_unsaved(self) -> bool:
        return self.vm.has_typed or invitee_typed(self.invitee)

    def body(self) -> ft.Control:
        self._paint()
        return ft.Container(ft.Column([self.form], scroll=ft.ScrollMode.AUTO, expand=True,
                                      horizontal_alignment=ft.CrossAxisAlignment.STRETCH), padding=12, expand=True)

    def _paint(self) -> None:
        tr, vm = self.tr, self.vm
        if not vm.found:
            self.form.controls = [muted(tr("meeting.not_found"))]
            return
        err = vm.errors.get
        area = self.env.deps.areas.label(vm.area.code, self.env.lang, depth=3) if vm.area.code else tr(
            "meeting.no_area")
        col = {"xs": 12, "sm": 6}
        self.form.controls = [
            choice_chips(tr, "meeting_kind", [k.value for k in MeetingKind], vm.kind, lambda v: vm.set("kind", v),
                         prefix="meeting-kind"),
            field(tr, "meeting.title", vm.title, error=err("title"), identifier="meeting-title",
                  on_change=lambda e: vm.set("title", e.control.value)),
            ft.Row([ft.Text(area, expand=True, color=ft.Colors.ERROR if err("area_code") else None),
                    tid("meeting-area", ft.OutlinedButton(tr("meeting.choose_area"), icon=ft.Icons.PLACE_OUTLINED,
                                                          on_click=self._pick_area, height=TOUCH))], wrap=True),
            ft.ResponsiveRow([
                field(tr, "meeting.day", vm.day, error=err("planned_on"), identifier="meeting-day", col=col,
                      on_change=lambda e: vm.set("day", e.control.value)),
                field(tr, "meeting.time", vm.at, error=err("planned_time"), identifier="meeting-time", col=col,
                      on_change=lambda e: vm.set("at", e.control.value)),
            ], spacing=8, run_spacing=8),
            field(tr, "meeting.place", vm.place, error=err("place"), identifier="meeting-place",
                  on_change=lambda e: vm.set("place", e.control.value)),
            field(tr, "meeting.agenda", vm.agenda, error=err("agenda"), identifier="meeting-agenda",
                  helper_key="meeting.agenda_help", multiline=True,
                  on_change=lambda e: vm.set("agenda", e.control.value)),
            *([] if vm.meeting_id else [self._invitations()]),
            ft.Text(" ".join(tr.error(c) for k, c in vm.errors.items()
                             if k not in ("title", "area_code", "planned_on", "planned_time", "place", "agenda")),
                    color=ft.Colors.ERROR, visible=bool(vm.errors)),
            ft.Row([primary_button(tr("action.save"), self._save, icon=ft.Icons.CHECK, identifier="save-meeting")]),
        ]

    def _invitations(self) -> ft.Control:
        tr, vm = self.tr, self.vm
        items: list[ft.Control] = [section_title(tr("meeting.invitations"))]
        if vm.offered:
            items.append(muted(tr("meeting.offered")))
            items += [tid(f"offered-{i}", ft.Checkbox(label=" · ".join(x for x in (p.name, p.position, p.institution)
                                                                      if x),
                                                      value=p.id in vm.chosen,
                                                      on_change=lambda e, pid=p.id: vm.toggle_offered(pid)))
                      for i, p in enumerate(vm.offered)]
        items += [ft.Text(f"• {p['name']}" + (f" · {p['institution']}" if p.get("institution") else ""))
                  for p in vm.new_invitees]
        items.append(invitee_fields(tr, self.invitee, self._add_invitee, prefix="plan-invitee"))
        return card(ft.Column(items, spacing=6), identifier="plan-invitations")

    def _add_invitee(self, e=None) -> None:
        self.vm.add_invitee(**self.invitee)
        self.invitee.update(dict.fromkeys(INVITEE_TEXTS, ""))
        self._paint()

    def _pick_area(self, e) -> None:
        page = self.env.page
        page.show_dialog(area_dialog(self.tr, self.vm.area, prefix="meeting-area", on_apply=self._area_applied,
                                     on_clear=self._area_applied, close=page.pop_dialog, refresh=self.env.refresh))

    def _area_applied(self, e=None) -> None:
        self.vm.area_changed()
        self._paint()
        self.env.page.update()

    def _save(self, e=None) -> None:
        if self.invitee["name"].strip():  # typed but not added yet: invited all the same
            self._add_invitee()
        if self.vm.submit():
            self.env.saved()
            self.env.toast("meeting.saved")
            self.env.go(f"/meetings/{self.vm.saved.id}")
            return
        self._paint()


INVITEE_TEXTS = ("name", "position", "institution")


def invitee_typed(values: dict) -> bool:
    """Something typed into the invitee fields and not added yet."""
    return any(values[k].strip() for k in INVITEE_TEXTS)


def invitee_fields(tr, values: dict, on_add, *, prefix: str) -> ft.Control:
    """Name, position, institution and kind of one more invitee, and the button that adds them
    (two to a row from a small tablet up: in the meeting's half-width card four were too narrow to read)."""
    col = {"xs": 12, "sm": 6}

    def setter(name):
        return lambda e: values.__setitem__(name, e.control.value or "")

    return ft.ResponsiveRow([
        field(tr, "meeting.invitee_name", values["name"], identifier=f"{prefix}-name", col=col,
              on_change=setter("name"), on_submit=on_add),
        field(tr, "meeting.invitee_position", values["position"], identifier=f"{prefix}-position", col=col,
              on_change=setter("position")),
        field(tr, "meeting.invitee_institution", values["institution"], identifier=f"{prefix}-institution", col=col,
              on_change=setter("institution"), on_submit=on_add),
        dropdown(tr, "meeting.invitee_kind", [(k.value, tr(f"invitee_kind.{k.value}")) for k in InviteeKind],
                 values["invitee_kind"], on_select=setter("invitee_kind"), identifier=f"{prefix}-kind", col=col),
        ft.Container(tid(f"{prefix}-add", ft.OutlinedButton(tr("meeting.add_invitee"), icon=ft.Icons.PERSON_ADD,
                                                            on_click=on_add, height=TOUCH)), col=col),
    ], spacing=8, run_spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER)
