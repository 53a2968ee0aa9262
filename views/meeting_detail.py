"""One meeting: its next step, invitations (one tap each), public counters, minutes, decisions, concerns, share.

(Over 300 lines on purpose: the one screen a forum is run from, its cards read top to bottom.)
"""
from __future__ import annotations

from typing import Callable, Optional

import flet as ft

from app.viewmodels.meeting_detail import ANSWERS, MeetingDetailVM
from app.viewmodels.meetings import schedule_state
from records.meetings import Meeting
from views.env import Env, Screen
from views.meeting_share import share_dialog
from views.meetings import STATE_COLORS, home_area, INVITEE_TEXTS, invitee_fields, invitee_typed
from views.theme import GAP, STATUS_COLORS, TOUCH
from views.widgets import (
    card, chip, draft_offer, field, icon_button, inner, labelled, muted, primary_button, secondary_button,
    section_title, set_error, tid,
)


class MeetingDetailScreen(Screen):
    title_key = "meeting.detail_title"
    tab = "meetings"
    keeps_draft = True  # minutes, a decision or an invitee being typed stay through a width or language change

    def __init__(self, env: Env, meeting_id: str):
        super().__init__(env)
        self.vm = MeetingDetailVM(env.deps.meetings, meeting_id, user_area=home_area(env), drafts=env.deps.drafts)
        self.content = ft.Column(spacing=GAP, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.invitee = {"name": "", "position": "", "institution": "", "invitee_kind": "responsible_official"}
        self.invitee_form: Optional[ft.Control] = None
        self.decision = {"text": "", "owner_name": "", "owner_institution": "", "due": ""}
        self.counts: dict[str, ft.Text] = {}  # the public counters, kept across repaints
        self.ticks: dict[str, dict[str, ft.Control]] = {}  # invitation id -> its answer chips and "came" box
        self.answering: set[str] = set()  # concern ids the decision being typed answers
        self._stage: tuple = ()  # (held, closed, addenda): the minutes and decision form are built again on a change

    @property
    def title(self) -> str:
        return self.vm.meeting.title if self.vm.meeting else self.tr("meeting.detail_title")

    def relayout(self, env: Env) -> None:
        super().relayout(env)
        self._stage, self.counts, self.invitee_form = (), {}, None  # built again, in the new layout or language

    def has_unsaved(self) -> bool:
        return self.vm.minutes_changed or any(v.strip() for v in self.decision.values()) or invitee_typed(
            self.invitee)

    def _use_draft(self, e=None) -> None:
        self.vm.use_draft()
        self._stage = ()  # the minutes card again, with the kept text and without the offer
        self._paint()

    def _drop_draft(self, e=None) -> None:
        self.vm.draft.drop()
        self._stage = ()
        self._paint()

    def discard(self) -> None:
        self.vm.draft.drop()
        self.vm.reload()
        self.decision.update(text="", owner_name="", owner_institution="", due="")
        self.invitee.update(dict.fromkeys(INVITEE_TEXTS, ""))

    def body(self) -> ft.Control:
        names = ("header", "errors", "invitations", "attendance", "minutes", "decisions", "concerns")
        self.sections = {name: ft.Container() for name in names}
        self._paint()
        boxes = [self.sections[n] for n in names]
        if self.env.phone:
            self.content.controls = boxes
        else:  # two columns: running the meeting on the left, its outcome on the right
            stretch = ft.CrossAxisAlignment.STRETCH
            self.content.controls = [ft.Row([ft.Column(boxes[:4], spacing=GAP, expand=1, horizontal_alignment=stretch),
                                             ft.Column(boxes[4:], spacing=GAP, expand=1, horizontal_alignment=stretch)],
                                            vertical_alignment=ft.CrossAxisAlignment.START)]
        return ft.Container(ft.Column([self.content], scroll=ft.ScrollMode.AUTO, expand=True,
                                      horizontal_alignment=ft.CrossAxisAlignment.STRETCH), padding=12, expand=True)

    def actions(self) -> list[ft.Control]:
        if self.vm.meeting is None:
            return []
        return [icon_button(ft.Icons.SHARE, self.tr("meeting.share_invitation"), lambda e: self._share("invitation"),
                            identifier="share-invitation")]

    # ---------------------------------------------------------------- painting

    def _paint(self) -> None:
        """Each section's content; the minutes and the decision form keep their controls (and focus) while
        the rest changes, and are built again only when the meeting moves on (held, closed)."""
        tr, vm = self.tr, self.vm
        m, box = vm.meeting, self.sections
        if m is None:
            box["header"].content = muted(tr("meeting.not_found"))
            return
        errors = [tr.error(code) for code in vm.errors.values()]
        box["header"].content = self._header(m)
        box["errors"].content = ft.Text(" ".join(errors), color=ft.Colors.ERROR)
        box["errors"].visible = bool(errors)
        box["invitations"].content = self._invitations(m)
        stage = (vm.held, m.closed, len(m.addenda))
        if stage != self._stage:
            self._stage = stage
            box["attendance"].content = self._attendance(m) if vm.held else None
            box["minutes"].content = self._minutes(m) if vm.held else None
            box["decisions"].content = self._decisions() if vm.held else None
        for name in ("attendance", "minutes", "decisions"):
            box[name].visible = vm.held
        if vm.held:
            self._paint_decisions(m)
            self._paint_answers()
            for which, value in (("total", m.public_total), ("women", m.public_women)):
                if which in self.counts:
                    self.counts[which].value = tr.number(value)
        box["concerns"].content = self._concerns()

    def _header(self, m: Meeting) -> ft.Control:
        tr, vm = self.tr, self.vm
        state = schedule_state(m, vm.today())
        day = tr.date(m.effective_on) + (f" {tr.number(m.planned_time.strftime('%H:%M'))}" if m.planned_time else "")
        lines: list[ft.Control] = [
            ft.Row([ft.Text(tr(f"meeting_kind.{m.meeting_kind.value}"), theme_style=ft.TextThemeStyle.TITLE_MEDIUM,
                            expand=True),
                    tid("meeting-state", chip(tr(f"meeting_state.{state}"), STATE_COLORS[state]))]),
            ft.Text(day, weight=ft.FontWeight.W_600),
            labelled(tr("meeting.where"), self.env.deps.areas.label(m.area_code, self.env.lang, depth=3)),
            labelled(tr("meeting.place"), m.place),
            muted(tr("meeting.by_organiser", name=m.organiser)),
        ]
        if m.cancel_reason:
            lines.append(ft.Text(tr("meeting.cancelled_because", reason=m.cancel_reason)))
        if not vm.can_edit:
            lines.append(tid("meeting-read-only", ft.Text(tr("meeting.read_only"), italic=True)))
        if m.agenda:
            lines.append(labelled(tr("meeting.agenda"), "\n".join(
                f"{tr.number(n)}. {a.title}" for n, a in enumerate(m.agenda, 1))))
        buttons = {
            "mark_held": lambda: primary_button(tr("meeting.mark_held"), self._held, icon=ft.Icons.EVENT_AVAILABLE,
                                                identifier="mark-held"),
            "postpone": lambda: secondary_button(tr("meeting.postpone"), lambda e: self._ask(
                "meeting.postpone", "meeting.new_date", vm.postpone), icon=ft.Icons.UPDATE, identifier="postpone"),
            "cancel": lambda: secondary_button(tr("meeting.cancel"), lambda e: self._ask(
                "meeting.cancel", "meeting.cancel_reason", vm.cancel), icon=ft.Icons.EVENT_BUSY, identifier="cancel"),
            "close": lambda: primary_button(tr("meeting.close"), self._close, icon=ft.Icons.LOCK_OUTLINE,
                                            identifier="close-meeting"),
            "add_addendum": lambda: secondary_button(tr("meeting.add_addendum"), lambda e: self._ask(
                "meeting.add_addendum", "meeting.add_addendum", vm.add_addendum, multiline=True),
                icon=ft.Icons.EDIT_NOTE, identifier="add-addendum"),
        }
        row = [buttons[a]() for a in vm.actions()]
        if "postpone" in vm.actions():  # still to take place: what, where and when can be corrected
            row.append(secondary_button(tr("action.edit"), lambda e: self.env.go(f"/meetings/{m.id}/edit"),
                                        icon=ft.Icons.EDIT_OUTLINED, identifier="edit-meeting"))
        if m.closed:
            row.append(secondary_button(tr("meeting.share_minutes_button"), lambda e: self._share("minutes"),
                                        icon=ft.Icons.SHARE, identifier="share-minutes"))
        lines.append(ft.Row(row, wrap=True, spacing=8, run_spacing=8))
        return card(ft.Column(lines, spacing=8), identifier="meeting-header")

    def _invitations(self, m: Meeting) -> ft.Control:
        tr, vm = self.tr, self.vm
        items: list[ft.Control] = [section_title(tr("meeting.invitations"))]
        if not m.invitations:
            items.append(muted(tr("meeting.no_invitations")))
        self.ticks = {}
        for n, inv in enumerate(m.invitations):
            chips = {a: ft.Chip(label=ft.Text(tr(f"answer.{a}")), selected=inv.answer.value == a, height=TOUCH,
                                on_select=lambda e, iid=inv.id, a=a: self._tap(lambda: vm.set_answer(iid, a)),
                                disabled=not vm.can_edit)
                     for a in ANSWERS}
            self.ticks[inv.id] = chips
            answers = ft.Row([tid(f"invitation-{n}-{a}", c) for a, c in chips.items()], wrap=True, spacing=4)
            who = ft.Column([ft.Text(inv.name, weight=ft.FontWeight.W_600),
                             muted(" · ".join(x for x in (inv.position, inv.institution,
                                                          tr(f"invitee_kind.{inv.invitee_kind.value}")) if x))],
                            spacing=0, expand=True)
            top: list[ft.Control] = [who]
            if vm.held:
                came = ft.Checkbox(label=tr("meeting.attended"), value=inv.attended, disabled=not vm.can_edit,
                                   on_change=lambda e, iid=inv.id: self._tap(lambda: vm.toggle_attended(iid)))
                chips["came"] = came  # type: ignore[assignment]
                top.append(tid(f"invitation-{n}-came", came))
            items.append(tid(f"invitation-{n}", ft.Column([ft.Row(top), answers], spacing=2)))
        if not m.closed and vm.can_edit:
            before = vm.invited_before()
            if before:
                items.append(muted(tr("meeting.invited_before")))
                items.append(ft.Row([tid(f"invite-again-{n}", ft.ActionChip(
                    label=ft.Text(p.name), on_click=lambda e, p=p: self._do(lambda: vm.invite_again([p]))))
                    for n, p in enumerate(before)], wrap=True, spacing=4))
            if self.invitee_form is None:  # built once: a sync's repaint keeps its text, focus and keys in flight
                self.invitee_form = invitee_fields(tr, self.invitee, self._invite, prefix="invitee")
            items.append(self.invitee_form)
        return card(ft.Column(items, spacing=8), identifier="meeting-invitations")

    def _attendance(self, m: Meeting) -> ft.Control:
        tr = self.tr

        def counter(which: str, label_key: str, value: int) -> ft.Control:
            editable = not m.closed and self.vm.can_edit
            number = self.counts.setdefault(which, ft.Text(size=22, weight=ft.FontWeight.W_600))
            number.value = tr.number(value)
            return ft.Row([
                ft.Text(tr(label_key), expand=True),
                icon_button(ft.Icons.REMOVE, f"{tr(label_key)} −1", lambda e: self._count(which, -1),
                            identifier=f"{which}-minus", visible=editable),
                tid(f"{which}-count", number),
                icon_button(ft.Icons.ADD, f"{tr(label_key)} +1", lambda e: self._count(which, +1),
                            identifier=f"{which}-plus", visible=editable),
            ])

        return card(ft.Column([section_title(tr("meeting.public")),
                               counter("total", "meeting.public_total", m.public_total),
                               counter("women", "meeting.public_women", m.public_women)], spacing=4),
                    identifier="meeting-attendance")

    def _minutes(self, m: Meeting) -> ft.Control:
        tr, vm = self.tr, self.vm
        items: list[ft.Control] = [section_title(tr("meeting.minutes"))]
        if vm.minutes_editable:
            if vm.offers_draft:
                items.append(draft_offer(tr, vm.draft.offered.saved_at, self._use_draft, self._drop_draft))
            self.minutes_field = field(tr, "meeting.minutes", vm.minutes, multiline=True, identifier="minutes",
                                       error=vm.errors.get("minutes"),
                                       on_change=lambda e: vm.type_minutes(e.control.value or ""))
            items += [self.minutes_field,
                      ft.Row([secondary_button(tr("meeting.save_minutes"), self._save_minutes, icon=ft.Icons.SAVE,
                                               identifier="save-minutes")]),
                      muted(tr("meeting.close_help"))]
        else:
            items.append(tid("minutes-closed" if m.closed else "minutes-read", ft.Text(m.minutes or "—")))
            if m.closed:
                items.append(muted(tr("meeting.minutes_closed_note", when=tr.date_time(m.minutes_closed_at),
                                      name=m.minutes_closed_by or "")))
            if m.addenda:
                items.append(section_title(tr("meeting.addenda")))
                items += [ft.Column([muted(f"{tr.date_time(a.at)} · {a.by}"), ft.Text(a.text)], spacing=0)
                          for a in m.addenda]
        return card(ft.Column(items, spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                    identifier="meeting-minutes")  # the minutes field as wide as the card: a long text

    def _decisions(self) -> ft.Control:
        """The decisions card: its list is repainted, its form stays (typing goes on while a decision is added)."""
        tr, d = self.tr, self.decision
        col = {"xs": 12, "sm": 6}

        def setter(name):
            return lambda e: d.__setitem__(name, e.control.value or "")

        self.decision_fields = {
            "text": field(tr, "meeting.decision_text", d["text"], identifier="decision-text", col={"xs": 12},
                          on_change=setter("text")),
            "owner_name": field(tr, "meeting.owner_name", d["owner_name"], identifier="decision-owner", col=col,
                                on_change=setter("owner_name")),
            "owner_institution": field(tr, "meeting.owner_institution", d["owner_institution"],
                                       identifier="decision-institution", col=col,
                                       on_change=setter("owner_institution")),
            "due": field(tr, "meeting.due", d["due"], identifier="decision-due", col=col, on_change=setter("due"),
                         on_submit=self._add_decision),
        }
        form = ft.ResponsiveRow([*self.decision_fields.values(), ft.Container(secondary_button(
            tr("meeting.add_decision"), self._add_decision, icon=ft.Icons.ADD_TASK, identifier="add-decision"),
            col=col)], spacing=8, run_spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER,
            visible=self.vm.can_edit and not (self.vm.meeting and self.vm.meeting.closed))  # decided with the minutes
        self.decision_list = ft.Column(spacing=8)
        self.answers_row = ft.Row(wrap=True, spacing=4, run_spacing=4)  # the concerns a new decision answers
        self.answers = ft.Column([muted(tr("meeting.decision_answers")), self.answers_row], spacing=4,
                                 visible=form.visible)
        return card(ft.Column([section_title(tr("meeting.decisions")), self.decision_list, form, self.answers],
                              spacing=8), identifier="meeting-decisions")

    def _paint_answers(self) -> None:
        """One chip per concern raised here: ticked ones are linked to the decision being added."""
        tr, chosen = self.tr, self.answering
        self.answers_row.controls = [tid(f"decision-answers-{n}", ft.Chip(
            label=ft.Text(f"{tr(f'category.{c.category.value}')} · {c.description[:40]}"), selected=c.id in chosen,
            show_checkmark=True, on_select=lambda e, cid=c.id: chosen.symmetric_difference_update({cid})))
            for n, c in enumerate(self.vm.concerns)]
        self.answers.visible = bool(self.vm.concerns) and self.vm.can_edit and not self.vm.meeting.closed

    def _paint_decisions(self, m: Meeting) -> None:
        tr, vm = self.tr, self.vm
        items: list[ft.Control] = [] if m.decisions else [muted(tr("meeting.no_decisions"))]
        for n, d in enumerate(m.decisions):
            owner = " · ".join(x for x in (d.owner_name, d.owner_institution) if x)
            due = tr("meeting.share_due", day=tr.date(d.due_on)) if d.due_on else ""
            answers = tr("meeting.answers_count", count=len(d.concern_ids)) if d.concern_ids else ""
            line: list[ft.Control] = [ft.Column([ft.Text(d.text, weight=ft.FontWeight.W_600),
                                                 muted(" · ".join(x for x in (owner, due, answers) if x))], spacing=0,
                                                expand=True),
                                      chip(tr(f"decision_status.{d.status.value}"),
                                           STATUS_COLORS["resolved" if d.status.value == "done" else "open"])]
            if d.status.value == "open" and vm.can_edit:
                line.append(icon_button(ft.Icons.CHECK, tr("meeting.decision_done"),
                                        lambda e, did=d.id: self._do(lambda: vm.decision_done(did)),
                                        identifier=f"decision-{n}-done"))
            items.append(tid(f"decision-{n}", ft.Row(line)))
        self.decision_list.controls = items

    def _concerns(self) -> ft.Control:
        tr, vm = self.tr, self.vm
        items: list[ft.Control] = [section_title(f"{tr('meeting.concerns')} ({tr.number(len(vm.concerns))})")]
        if not vm.concerns:
            items.append(muted(tr("meeting.no_concerns")))
        for n, c in enumerate(vm.concerns):
            who = tr("meeting.anonymous") if c.anonymous else (c.raised_by or "")
            items.append(tid(f"meeting-concern-{n}", ft.ListTile(
                title=ft.Text(f"{tr(f'category.{c.category.value}')} · {c.description}", max_lines=2,
                              overflow=ft.TextOverflow.ELLIPSIS),
                subtitle=ft.Text(who), trailing=chip(tr(f"status.{c.status.value}"), STATUS_COLORS[c.status.value]),
                on_click=lambda e, cid=c.id: self.env.go(f"/concerns/{cid}"), min_vertical_padding=4)))
        if vm.held and vm.can_edit and not (vm.meeting and vm.meeting.closed):
            items.append(ft.Row([primary_button(tr("meeting.add_concerns"),
                                                lambda e: self.env.go(f"/meetings/{vm.meeting_id}/concerns"),
                                                icon=ft.Icons.RECORD_VOICE_OVER, identifier="forum-concerns")]))
        return card(ft.Column(items, spacing=4), identifier="meeting-concerns")

    # ---------------------------------------------------------------- events

    def _do(self, action: Callable[[], bool]) -> None:
        if action():
            self.env.saved()
        self._paint()
        self.env.page.update()

    def _tap(self, action: Callable[[], bool]) -> None:
        """An answer or a "came": saved, and only the invitations' chips and boxes set in place."""
        if not action():
            self._paint()
            self.env.page.update()
            return
        self.env.saved()
        changed: list[ft.Control] = []
        for inv in self.vm.meeting.invitations:
            for key, control in self.ticks.get(inv.id, {}).items():
                if key == "came":
                    control.value = inv.attended
                else:
                    control.selected = inv.answer.value == key
                changed.append(control)
        self.env.refresh(*changed)

    def _count(self, which: str, by: int) -> None:
        """A tap on + or −: saved, and only the two numbers repainted (the buttons stay under the thumb)."""
        if not self.vm.count(which, by):
            self._paint()
            self.env.page.update()
            return
        self.env.saved()
        m = self.vm.meeting
        self.counts["total"].value = self.tr.number(m.public_total)
        self.counts["women"].value = self.tr.number(m.public_women)
        self.env.refresh(*self.counts.values())

    def _held(self, e=None) -> None:
        self._do(self.vm.mark_held)

    def _invite(self, e=None) -> None:
        values = dict(self.invitee)
        if not values["name"].strip():
            return
        if self.vm.invite(**values):
            self.env.saved()
            self.invitee.update(dict.fromkeys(INVITEE_TEXTS, ""))
            for control in self.invitee_form.controls[:3] if self.invitee_form is not None else ():
                inner(control).value = ""  # name, position, institution: cleared for the next one
        self._paint()  # refused: what was typed stays in the fields, the reason above them
        self.env.page.update()

    def _save_minutes(self, e=None) -> None:
        if self.vm.save_minutes():
            self.env.saved()
            self.env.toast("meeting.minutes_saved")
        set_error(self.minutes_field, self.tr, self.vm.errors.get("minutes"))

    def _close(self, e=None) -> None:
        self._do(self.vm.close)

    def _add_decision(self, e=None) -> None:
        d = dict(self.decision)
        if self.vm.add_decision(d["text"], d["owner_name"], d["owner_institution"], d["due"], sorted(self.answering)):
            self.env.saved()
            self.decision.update(text="", owner_name="", owner_institution="", due="")
            self.answering.clear()
            for control in self.decision_fields.values():
                inner(control).value = ""
        self._paint()
        self.env.page.update()

    def _ask(self, title_key: str, label_key: str, action: Callable[[str], bool], *, multiline: bool = False) -> None:
        """A small dialog for the one value a step needs (new date, reason, correction)."""
        page, tr = self.env.page, self.tr
        box = field(tr, label_key, "", identifier="ask-value", multiline=multiline, autofocus=True)

        def done(e=None) -> None:
            text = (box.content if isinstance(box, ft.Semantics) else box).value or ""
            page.pop_dialog()
            self._do(lambda: action(text))

        page.show_dialog(ft.AlertDialog(title=ft.Text(tr(title_key)), content=box, actions=[
            ft.TextButton(tr("action.cancel"), on_click=lambda e: page.pop_dialog()),
            tid("ask-ok", ft.FilledButton(tr("action.ok"), on_click=done)),
        ]))

    def _share(self, which: str) -> None:
        page = self.env.page
        page.show_dialog(share_dialog(self.env, self.vm, which, close=page.pop_dialog))

    def status_changed(self) -> bool:
        if not self.sync_settled():
            return False
        typed = self.vm.minutes
        self.vm.reload()
        if self.vm.minutes_editable:
            self.vm.minutes = typed  # what is being typed stays; saving checks nobody changed it meanwhile
        self._paint()
        return True
