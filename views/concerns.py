"""Concerns: filter by status, category and area; follow one through its lifecycle with notes."""
from __future__ import annotations

from typing import Optional

import flet as ft

from app.services.concerns import ConcernRow
from app.viewmodels.concerns import ConcernsVM
from views import followup
from views.area_picker import area_dialog
from views.env import Env, Screen
from views.form_focus import FormFocus
from views.theme import GAP, STATUS_COLORS, TOUCH
from views.widgets import (
    card, chip, choice_chips, draft_offer, dropdown, empty_state, field, inner, labelled, muted, primary_button, section_title,
    tid,
)


class StatusFormView:
    """The status change form of the open concern, built once: ``paint`` refreshes the moves and
    errors; the note stays the same control, and the referral/escalation fields are rebuilt only
    when their shape changes, so text, focus and caret survive every repaint."""

    def __init__(self, screen: "ConcernsScreen"):
        tr = screen.tr
        self.screen = screen
        self.tr = tr
        self.chips = ft.Container()
        self.offer_slot = ft.Container()  # a note kept from an earlier visit (or an app closed meanwhile)
        self.followup_slot = ft.Container()  # always there: the note keeps its place when it fills
        self.note = field(tr, "concern.note", "", on_change=lambda e: screen.typed("note", e.control.value),
                          identifier="status-note", multiline=True)
        self.error_text = ft.Text("", color=ft.Colors.ERROR, visible=False)
        self.card = card(ft.Column([
            section_title(tr("concern.change_status")), self.offer_slot, self.chips, self.followup_slot, self.note,
            self.error_text,
            ft.Row([primary_button(tr("concern.apply_status"), screen._change, icon=ft.Icons.CHECK,
                                   identifier="change-status")]),
        ], spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH), identifier="status-form")
        self._moves: Optional[tuple] = None
        self._painted = False
        self._shape: Optional[tuple] = None
        screen.focus.reset()
        screen.focus.track("note", self.note)

    def refill(self) -> None:
        """The next paint builds the referral and summary fields again, from the form's values."""
        self._shape = None

    def paint(self, form) -> None:
        tr = self.tr
        offered = self.screen.vm.draft.offered
        if (self.offer_slot.content is not None) != (offered is not None):
            self.offer_slot.content = draft_offer(tr, offered.saved_at, self.screen._use_draft,
                                                  self.screen._drop_draft) if offered else None
        self.offer_slot.visible = offered is not None  # no gap in the form when there is nothing to offer
        moves = (tuple(s.value for s in form.choices), form.to)
        if moves != self._moves:  # chips only when the moves offered or the one chosen changed
            self.chips.content = choice_chips(tr, "status", list(moves[0]), form.to, self.screen._pick_status,
                                              prefix="status-to")
            self._moves = moves
        if form.show_note or not self._painted:  # a form opened or cleared, or this view new
            inner(self.note).value = form.note
            form.show_note = False
            self._painted = True
        # Referral and escalation fields are built again only when their shape changes (a move, an
        # institution picked, a refusal), never for a sync's repaint: their text and focus stay.
        shape = (form.needs_institution, form.needs_other_name, form.needs_summary, form.institution_id,
                 tuple(sorted(form.errors.items())), form.escalation_error)
        if shape != self._shape:
            screen = self.screen
            self.followup_slot.content = ft.Column([
                *followup.referral_controls(tr, screen.vm, form, screen._pick_institution, screen._change),
                *followup.escalation_controls(tr, screen.vm, form),
            ], spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
            self._shape = shape
        other_errors = form.other_errors
        self.error_text.value = " ".join(tr.error(code) for code in other_errors)
        self.error_text.visible = bool(other_errors)


class ConcernsScreen(Screen):
    title_key = "concerns.title"
    tab = "concerns"
    keeps_draft = True

    def __init__(self, env: Env, concern_id: Optional[str]):
        super().__init__(env)
        self.vm = ConcernsVM(env.deps.concerns, env.deps.areas, env.lang, env.deps.followup,
                             drafts=env.deps.drafts)
        if _has_store(env.page):
            self.vm.set_view(env.page.session.store.get("ui.concerns_view") or "all")
        self.concern_id = concern_id
        if concern_id:
            self.vm.open(concern_id)
        self.list = ft.ListView(expand=True, spacing=4, padding=ft.Padding.only(bottom=24))
        self.summary = muted("")
        self.area_chip = ft.Row(spacing=4, visible=False)
        self.detail = ft.Container(expand=True)
        self.info = ft.Container()
        self.change_box = ft.Container()
        self.feedback_box = ft.Container()
        self.history_box = ft.Container()
        self.detail_column = ft.Column([card(self.info, identifier="concern-detail"), self.change_box,
                                        self.feedback_box, self.history_box], spacing=GAP,
                                       horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.switch = ft.Container()
        self.filters = ft.Container()
        self._clipboard = None  # kept: a Flet service is unregistered once nothing holds it
        self.status_form: Optional[StatusFormView] = None
        self._feedback_shown: Optional[tuple] = None  # (the form, its shape, the card built for them)
        self.focus = FormFocus(env.page)

    def relayout(self, env: Env) -> None:
        super().relayout(env)
        self.vm.lang = self.vm.area.lang = env.lang
        self.status_form = None  # labels in the new language; the form's text is in the view-model
        self._feedback_shown = None

    def shown(self, first: bool) -> None:
        if not first:  # a concern opening does not grab the keyboard; a rebuilt one gets its field back
            self.focus.restore()

    @property
    def title(self) -> str:
        return self.tr("concern.title") if (self.concern_id and self.env.phone) else self.tr("concerns.title")

    # ---------------------------------------------------------------- layout

    def body(self) -> ft.Control:
        self._paint_list()
        self._paint_detail()
        if self.env.phone:
            if self.concern_id:
                return ft.Container(ft.Column([self.detail], scroll=ft.ScrollMode.AUTO, expand=True,
                                horizontal_alignment=ft.CrossAxisAlignment.STRETCH), padding=12,
                                    expand=True)
            return ft.Container(ft.Column([self.switch, self.filters, self.summary, self.list], spacing=8,
                                          expand=True), padding=12, expand=True)
        left = ft.Column([self.switch, self.filters, self.summary, self.list], spacing=8, expand=True)
        right = ft.Column([self.detail], scroll=ft.ScrollMode.AUTO, expand=True,
                                horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        return ft.Container(ft.Row([ft.Container(left, expand=3), ft.VerticalDivider(width=1),
                                    ft.Container(right, expand=2, padding=ft.Padding.only(left=8))],
                                   vertical_alignment=ft.CrossAxisAlignment.START, expand=True),
                            padding=12, expand=True)

    def _filters(self) -> ft.Control:
        tr, vm = self.tr, self.vm
        everything = {"status": tr("concerns.all_statuses"), "category": tr("concerns.all_categories")}

        def options(which: str) -> list[tuple[str, str]]:
            return [(v, everything[which] if i == 0 else tr(f"{which}.{v}"))
                    for i, v in enumerate(vm.filter_options(which))]

        col = {"xs": 12, "sm": 6, "md": 4}
        return ft.Column([
            ft.ResponsiveRow([
                dropdown(tr, "concerns.filter_status", options("status"), vm.filter_value("status"),
                         on_select=lambda e: self._filter("status", e.control.value), identifier="filter-status",
                         col=col),
                dropdown(tr, "concerns.filter_category", options("category"), vm.filter_value("category"),
                         on_select=lambda e: self._filter("category", e.control.value), identifier="filter-category",
                         col=col),
                ft.Container(tid("concerns-area-filter", ft.OutlinedButton(
                    tr("households.filter_area"), icon=ft.Icons.FILTER_LIST, on_click=self._open_area, height=TOUCH)),
                    col=col),
            ], spacing=8, run_spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER),
            self.area_chip,
        ], spacing=4)

    # ---------------------------------------------------------------- list

    def _paint_list(self) -> None:
        tr, vm = self.tr, self.vm
        counts = self.env.deps.followup.counts()
        self.switch.content = followup.view_switch(tr, vm, self._set_view, counts.total)
        if vm.view == "followup":
            self.filters.content = ft.Column([followup.followup_filters(tr, vm, self._filter_followup,
                                                                        self._open_area), self.area_chip], spacing=4)
            area = vm.followups.area_filter_label()
            self._paint_area_chip(area)
            self.summary.value = followup.followup_summary(tr, vm)
            self.list.controls = followup.followup_rows(tr, vm, self._open)
            return
        if vm.view == "escalated":
            self.filters.content = ft.Column([self._area_button(), self.area_chip], spacing=4)
            self._paint_area_chip(vm.area_filter_label())
            self.summary.value = ""
            self.list.controls = followup.escalated_panel(tr, vm, self._open, self._copy_brief)
            return
        self.filters.content = self._filters()
        area = vm.area_filter_label()
        self._paint_area_chip(area)
        summary = vm.summary()
        self.summary.value = tr(summary.key, **summary.params)
        if not vm.rows:
            title, message = vm.empty_keys()
            self.list.controls = [empty_state(ft.Icons.CAMPAIGN_OUTLINED, tr(title), tr(message))]
            return
        self.list.controls = [self._row(i, r) for i, r in enumerate(vm.rows)]

    def _paint_area_chip(self, area: str) -> None:
        self.area_chip.controls = [ft.Chip(label=ft.Text(self.tr("households.in_area", area=area)),
                                           on_delete=self._clear_area)] if area else []
        self.area_chip.visible = bool(area)

    def _area_button(self) -> ft.Control:
        return tid("concerns-area-filter", ft.OutlinedButton(
            self.tr("households.filter_area"), icon=ft.Icons.FILTER_LIST, on_click=self._open_area, height=TOUCH))

    def _row(self, index: int, row: ConcernRow) -> ft.Control:
        tr, c = self.tr, row.concern
        selected = self.vm.selected is not None and self.vm.selected.id == c.id
        place = self.vm.place(row)
        _, due = self.vm.due(tr, c)
        where = row.head_name or row.meeting_title  # a forum concern may name no household
        source = f"{tr(f'concern_source.{c.source.value}')} · " if row.meeting_id else ""
        return tid(f"concern-row-{index}", ft.ListTile(
            title=ft.Text(f"{tr(f'category.{c.category.value}')} · {where}", weight=ft.FontWeight.W_600),
            subtitle=ft.Text(f"{c.description}\n{source}{place} · {tr.date(row.raised_on)} · {due}", max_lines=3,
                             overflow=ft.TextOverflow.ELLIPSIS),
            trailing=chip(tr(f"status.{c.status.value}"), STATUS_COLORS[c.status.value]),
            selected=selected, on_click=lambda e, cid=c.id: self._open(cid), min_vertical_padding=6,
            is_three_line=True,
        ))

    # ---------------------------------------------------------------- detail

    def _paint_detail(self) -> None:
        """Paint the open concern in place: the status form's fields are built once per screen
        and only refreshed, so a sync or a pull repainting the concern never touches what is typed."""
        tr, vm = self.tr, self.vm
        c = vm.selected
        if c is None:
            if self.concern_id:
                self.detail.content = empty_state(ft.Icons.SEARCH_OFF, tr("concern.not_found"),
                                                  tr("concern.not_found_message"))
            elif not self.env.phone:
                self.detail.content = empty_state(ft.Icons.TOUCH_APP_OUTLINED, tr("concerns.pick_title"),
                                                  tr("concerns.pick_message"), identifier="concern-pick")
            return
        household = self.env.deps.households.find(c.household_id) if c.household_id else None
        meeting = self.env.deps.meetings.find(c.meeting_id) if c.meeting_id else None
        raised_at = [labelled(tr("concern.source"), " · ".join(
            x for x in (tr(f"concern_source.{c.source.value}"), meeting.title if meeting else "") if x))]
        if c.meeting_id:
            who = tr("meeting.anonymous") if c.anonymous else (c.raised_by or "")
            answered = self.env.deps.meetings.decisions_answering(c)
            raised_at += [ft.Text(tr("concern.raised_by_line", name=who)),
                          *(tid(f"concern-decision-{n}", labelled(tr("concern.answered_by"), " · ".join(
                              x for x in (d.text, d.owner_name, d.owner_institution,
                                          tr.date(d.due_on) if d.due_on else "",
                                          tr(f"decision_status.{d.status.value}")) if x)))
                            for n, d in enumerate(answered)),
                          ft.Row([ft.TextButton(tr("concern.open_meeting"), icon=ft.Icons.GROUPS_OUTLINED,
                                                height=TOUCH, on_click=lambda e: self.env.go(f"/meetings/{c.meeting_id}"),
                                                )])]
        self.info.content = ft.Column([
            ft.Row([ft.Text(tr(f"category.{c.category.value}"), theme_style=ft.TextThemeStyle.TITLE_LARGE,
                            expand=True), tid("concern-status", chip(tr(f"status.{c.status.value}"),
                                                                     STATUS_COLORS[c.status.value]))]),
            ft.Text(c.description),
            ft.Row([followup.due_chip(tr, vm, c, identifier="concern-due")]),
            labelled(tr("concern.priority"), tr(f"priority.{c.priority.value}")),
            *raised_at,
            labelled(tr("concern.household"), household.head_name if household else "—"),
            labelled(tr("concern.referred_to"), vm.institution_name(c)),
            ft.Row([ft.TextButton(tr("concern.open_household"), icon=ft.Icons.HOME_OUTLINED, height=TOUCH,
                                  on_click=lambda e: self.env.go(f"/households/{c.household_id}"))],
                   visible=household is not None),
        ], spacing=8)
        self.change_box.content = self._change_form()
        self.feedback_box.content = self._feedback_card()
        self.history_box.content = self._history()
        self.detail.content = self.detail_column

    def _feedback_card(self) -> ft.Control:
        """Built again only for another form (opened, saved) or other errors, never for a sync's
        repaint: the fields keep their focus and the keys still on their way."""
        vm = self.vm
        form = vm.feedback
        offered = vm.feedback_draft.offered
        shape = (vm.offers_feedback, tuple(sorted(form.errors.items())) if form else (), offered is not None)
        shown = self._feedback_shown
        if shown is None or shown[0] is not form or shown[1] != shape:  # the form itself held: never a reused id
            offer = draft_offer(self.tr, offered.saved_at, self._use_feedback_draft, self._drop_feedback_draft,
                                prefix="feedback-draft") if offered is not None else None
            self._feedback_shown = shown = (form, shape, followup.feedback_card(self.tr, vm, self._feedback, offer))
        return shown[2]

    def _use_feedback_draft(self, e=None) -> None:
        self.vm.use_feedback_draft()
        self._feedback_shown = None  # built again with the kept values
        self._paint_detail()

    def _drop_feedback_draft(self, e=None) -> None:
        self.vm.feedback_draft.drop()
        self._paint_detail()

    def _change_form(self) -> ft.Control:
        form = self.vm.change
        if form is None or not self.vm.offers_moves:
            return muted(self.tr("concern.no_moves"))
        if self.status_form is None:
            self.status_form = StatusFormView(self)
        self.status_form.paint(form)
        return self.status_form.card

    def _history(self) -> ft.Control:
        tr = self.tr
        rows: list[ft.Control] = [section_title(tr("concern.history"))]
        for entry in self.vm.history():
            move = tr("followup.step_feedback") if entry.feedback is not None else tr(
                f"status.{entry.to_status.value}") if entry.from_status is None else tr(
                "concern.moved", from_status=tr(f"status.{entry.from_status.value}"),
                to_status=tr(f"status.{entry.to_status.value}"))
            lines: list[ft.Control] = [ft.Text(move, weight=ft.FontWeight.W_600),
                                       muted(tr("concern.by_when", who=entry.by, when=tr.date_time(entry.at)))]
            if entry.referred_to:
                listed = self.env.deps.concerns.reference.institution(entry.institution_id)
                lines.append(ft.Text(tr("concern.referred_line",
                                        institution=listed.name(self.env.lang) if listed else entry.referred_to)))
            lines += followup.history_extras(tr, self.vm, entry)
            if entry.note:
                lines.append(ft.Text(entry.note))
            stripe = ft.Border.only(left=ft.BorderSide(3, STATUS_COLORS[entry.to_status.value]))
            rows.append(ft.Container(ft.Column(lines, spacing=2), padding=ft.Padding.only(left=12), border=stripe))
        return card(ft.Column(rows, spacing=10), identifier="concern-history")

    # ---------------------------------------------------------------- events

    def _set_view(self, view: str) -> None:
        self.vm.set_view(view)
        if _has_store(self.env.page):
            self.env.page.session.store.set("ui.concerns_view", self.vm.view)
        self._paint_list()
        self.env.page.update()

    def _filter_followup(self, which: str, value: Optional[str]) -> None:
        self.vm.followups.set_filter(which, value)
        self._paint_list()

    def _pick_institution(self, value: Optional[str]) -> None:
        self.vm.pick_institution(value)
        self._paint_detail()
        self.env.page.update()

    def _feedback(self, e=None) -> None:
        if self.vm.submit_feedback():
            self.env.saved()
            self.env.toast("followup.feedback_saved")
            self._paint_list()
        self._paint_detail()

    async def _copy_brief(self, e=None) -> None:
        text = self.vm.brief(self.tr)
        try:
            self._clipboard = self._clipboard or ft.Clipboard()
            await self._clipboard.set(text)
            self.env.toast("followup.brief_copied")
        except Exception:  # noqa: BLE001 - a client without a clipboard: the brief stays on screen to copy
            self.env.toast("followup.brief_copy_failed")

    def _open(self, concern_id: str) -> None:
        self.env.go(f"/concerns/{concern_id}")

    def _filter(self, which: str, value: Optional[str]) -> None:
        self.vm.set_filter(which, value)
        self._paint_list()

    def _pick_status(self, value: str) -> None:
        self.vm.pick_status(value)
        self.vm.typed()
        self._paint_detail()

    def typed(self, name: str, value: str) -> None:
        """A status-form field changed: into the form the view-model holds now (never a stale copy)."""
        if self.vm.change is not None:
            setattr(self.vm.change, name, value or "")
            self.vm.typed()

    def _use_draft(self, e=None) -> None:
        self.vm.use_draft()
        if self.status_form is not None:
            self.status_form.refill()
        self._paint_detail()

    def _drop_draft(self, e=None) -> None:
        self.vm.drop_draft()
        self._paint_detail()

    def has_unsaved(self) -> bool:
        form = self.vm.change
        return form is not None and bool(form.note.strip() or any(
            text.strip() for part, text in form.escalation.items() if part != "level"))

    def discard(self) -> None:
        if self.vm.change is not None:
            self.vm.change.note = ""
            self.vm.change.show_note = True
            self.vm.change.escalation = {part: "" for part in self.vm.change.escalation}
        self.vm.drop_draft()

    def _change(self, e=None) -> None:
        if self.vm.submit_change():
            self.env.saved()
            self.env.toast(self.vm.saved_toast)
            self._paint_list()
        self._paint_detail()

    def _open_area(self, e) -> None:
        page = self.env.page
        page.show_dialog(area_dialog(self.tr, self._area_vm(), prefix="concerns-area", on_apply=self._apply_area,
                                     on_clear=self._clear_area, close=page.pop_dialog, refresh=self.env.refresh))

    def _area_vm(self):
        return self.vm.followups.area if self.vm.view == "followup" else self.vm.area

    def _apply_area(self) -> None:
        if self.vm.view == "followup":
            self.vm.followups.apply_area()
        else:
            self.vm.apply_area()
        self._paint_list()
        self.env.page.update()

    def _clear_area(self, e=None) -> None:
        if self.vm.view == "followup":
            self.vm.followups.clear_area()
        else:
            self.vm.clear_area()
        self._paint_list()
        self.env.page.update()

    def status_changed(self) -> bool:
        if not self.sync_settled():
            return False
        self.vm.sync_changed()
        self._paint_list()
        self._paint_detail()
        return True


def _has_store(page) -> bool:
    # The session's store keeps the chosen view across re-renders (language, phone/desktop width).
    return getattr(getattr(page, "session", None), "store", None) is not None
