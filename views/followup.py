"""The follow-up parts of the concerns screen: the "to follow up" list, the escalated list with its
brief, and, on one concern, its due date, the referral picker, the escalation summary and feedback."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

import flet as ft

from app.services.followup import OTHER, FollowupRow
from app.viewmodels.concerns import ConcernsVM, StatusChangeForm
from app.viewmodels.followup import ALL, FeedbackForm
from records.models import Concern, EscalationLevel
from views.theme import TOUCH
from views.widgets import card, choice_chips, chip, dropdown, empty_state, field, muted, primary_button, section_title, tid

if TYPE_CHECKING:
    from app.i18n import Translator

STATE_COLORS = {
    "overdue": ft.Colors.RED_800,
    "due_soon": ft.Colors.AMBER_900,
    "tell_household": ft.Colors.INDIGO_700,
    "on_track": ft.Colors.BLUE_GREY_600,
    "done": ft.Colors.GREEN_700,
}
SUMMARY_PARTS = ("tried_locally", "who_was_urged", "why_not_solved", "ask")


def summary_part_id(part: str) -> str:
    """The test id of one escalation summary field (browser tests find it by this)."""
    return f"escalation-{part.replace('_', '-')}"
SUGGESTED = 5  # institutions offered as chips before the whole list


def view_switch(tr: "Translator", vm: ConcernsVM, on_pick: Callable[[str], None], followup_count: int) -> ft.Control:
    labels = {"all": tr("followup.view_all"), "followup": tr("followup.view_followup", count=followup_count),
              "escalated": tr("followup.view_escalated")}
    return ft.Row([tid(f"concerns-view-{v}", ft.Chip(label=ft.Text(labels[v]), selected=vm.view == v,
                                                      on_select=lambda e, v=v: on_pick(v), show_checkmark=False))
                   for v in vm.VIEWS], spacing=6, wrap=True)


def due_chip(tr: "Translator", vm: ConcernsVM, concern: Concern, *, identifier: str = "") -> ft.Control:
    state, words = vm.due(tr, concern)
    return chip(words, STATE_COLORS[state], identifier=identifier)


# ---------------------------------------------------------------- the "to follow up" list


def followup_filters(tr: "Translator", vm: ConcernsVM, on_filter, on_area) -> ft.Control:
    f = vm.followups
    col = {"xs": 12, "sm": 6, "md": 4}
    controls: list[ft.Control] = []
    for which in f.filters:
        options = [(v, tr(label) if which != "institution" or v in (ALL, OTHER) else label)
                   for v, label in f.filter_options(which)]
        controls.append(dropdown(tr, f"followup.filter_{which}", options, f.filter_value(which),
                                 on_select=lambda e, w=which: on_filter(w, e.control.value),
                                 identifier=f"followup-filter-{which}", col=col))
    controls.append(ft.Container(tid("followup-area-filter", ft.OutlinedButton(
        tr("followup.filter_village"), icon=ft.Icons.FILTER_LIST, on_click=on_area, height=TOUCH)), col=col))
    return ft.ResponsiveRow(controls, spacing=8, run_spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER)


def followup_summary(tr: "Translator", vm: ConcernsVM) -> str:
    c = vm.followups.counts
    return tr("followup.counts", overdue=c.overdue, due_soon=c.due_soon, tell=c.tell_household)


def followup_rows(tr: "Translator", vm: ConcernsVM, on_open) -> list[ft.Control]:
    f = vm.followups
    if not f.rows:
        key = "followup.no_match" if f.filtered else "followup.nothing"
        return [empty_state(ft.Icons.TASK_ALT, tr(f"{key}_title"), tr(f"{key}_message"),
                            identifier="followup-empty")]
    return [_followup_row(tr, vm, i, row, on_open) for i, row in enumerate(f.rows)]


def _followup_row(tr: "Translator", vm: ConcernsVM, index: int, row: FollowupRow, on_open) -> ft.Control:
    c, f = row.concern, vm.followups
    step = c.history[-1] if c.history else None
    facts = [tr("followup.age", count=row.age_days), tr(f"priority.{c.priority.value}")]
    institution = f.institution_name(row)
    if institution:
        facts.append(institution)
    last = tr("followup.last_step", step=_step_words(tr, step), date=tr.date(step.at)) if step else ""
    _, due_words = vm.due(tr, c)
    # The due chip sits on its own line: beside the title it leaves a phone's title one word wide.
    return tid(f"followup-row-{index}", ft.Container(
        ft.Column([
            ft.Text(f"{tr(f'category.{c.category.value}')} · {row.head_name}", weight=ft.FontWeight.W_600),
            ft.Row([chip(due_words, STATE_COLORS[row.state])], wrap=True),
            ft.Text(c.description, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
            muted(f"{f.place(row)} · {' · '.join(facts)}"),
            muted(last),
        ], spacing=3, tight=True),
        padding=ft.Padding.symmetric(horizontal=12, vertical=8), border_radius=8, ink=True,
        on_click=lambda e, cid=c.id: on_open(cid),
    ))


def _step_words(tr: "Translator", step) -> str:
    if step.feedback is not None:
        return tr("followup.step_feedback")
    return tr(f"status.{step.to_status.value}")


# ---------------------------------------------------------------- escalated, and the brief


def escalated_panel(tr: "Translator", vm: ConcernsVM, on_open, on_copy) -> list[ft.Control]:
    items = vm.escalated()
    if not items:
        return [empty_state(ft.Icons.OUTBOX_OUTLINED, tr("followup.no_escalated_title"),
                            tr("followup.no_escalated_message"), identifier="escalated-empty")]
    out: list[ft.Control] = [ft.Row([muted(tr("followup.brief_count", count=len(items))),
                                     primary_button(tr("followup.copy_brief"), on_copy, icon=ft.Icons.COPY,
                                                    identifier="copy-brief")],
                                    alignment=ft.MainAxisAlignment.SPACE_BETWEEN, wrap=True)]
    for i, (c, household) in enumerate(items):
        out.append(tid(f"escalated-row-{i}", ft.ListTile(
            title=ft.Text(f"{tr(f'category.{c.category.value}')} · {household.head_name if household else ''}",
                          weight=ft.FontWeight.W_600),
            subtitle=ft.Text(c.description, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
            on_click=lambda e, cid=c.id: on_open(cid))))
    # Read-only text field: selectable where no clipboard is at hand, and read as one text by screen readers.
    brief = ft.TextField(value=vm.brief(tr), read_only=True, multiline=True, min_lines=6, max_lines=24,
                         text_size=13, label=tr("followup.brief"))
    out.append(card(tid("brief-text", brief), identifier="brief-card"))
    return out


# ---------------------------------------------------------------- on one concern


def referral_controls(tr: "Translator", vm: ConcernsVM, form: StatusChangeForm, on_pick, on_submit) -> list[ft.Control]:
    if not form.needs_institution:
        return []
    options = [(value, name or tr("followup.other_institution")) for value, name in vm.referral_options()]
    # The few that handle this category where the household lives, one tap away; the whole list below.
    suggested = options[:SUGGESTED] + [options[-1]]
    chips = [tid(f"institution-{value}", ft.Chip(label=ft.Text(name, max_lines=2), selected=form.institution_id == value,
                                                  on_select=lambda e, v=value: on_pick(v), show_checkmark=True))
             for value, name in suggested]
    controls: list[ft.Control] = [
        muted(tr("followup.suggested")), ft.Column(chips, spacing=4),
        dropdown(tr, "followup.institution", options, form.institution_id or None,
                 on_select=lambda e: on_pick(e.control.value), identifier="status-institution",
                 error=form.errors.get("institution_id"))]
    if form.needs_other_name:
        controls.append(field(tr, "followup.other_name", form.referred_to, error=form.errors.get("referred_to"),
                              on_change=lambda e: _typed(vm, "referred_to", e.control.value),
                              identifier="status-referred-to", on_submit=on_submit))
    elif form.errors.get("referred_to"):
        controls.append(ft.Text(tr.error(form.errors["referred_to"]), color=ft.Colors.ERROR))
    controls.append(field(tr, "followup.expected_on", form.expected_text, error=form.errors.get("expected_on"),
                          on_change=lambda e: _typed(vm, "expected_text", e.control.value),
                          identifier="status-expected-on", helper_key="visit.date_help"))
    return controls


def _typed(vm: ConcernsVM, name: str, value) -> None:
    """Into the form the view-model holds now: a pull may have replaced the one these fields were built for."""
    if vm.change is not None:
        setattr(vm.change, name, value or "")
        vm.typed()


def escalation_controls(tr: "Translator", vm: ConcernsVM, form: StatusChangeForm) -> list[ft.Control]:
    if not form.needs_summary:
        return []
    summary = form.escalation

    def set_part(name: str, value: str) -> None:
        if vm.change is not None:
            vm.change.escalation[name] = value
            vm.typed()

    controls: list[ft.Control] = [
        muted(tr("followup.summary_help")),
        muted(tr("followup.level")),
        choice_chips(tr, "followup.level", [level.value for level in EscalationLevel], summary.get("level") or "",
                     lambda v: set_part("level", v), prefix="escalation-level"),
    ]
    for part in SUMMARY_PARTS:
        controls.append(field(tr, f"followup.{part}", summary.get(part, ""), multiline=True,
                              on_change=lambda e, p=part: set_part(p, e.control.value or ""),
                              identifier=summary_part_id(part)))
    if form.escalation_error:
        controls.append(tid("escalation-error", ft.Text(tr.error(form.escalation_error), color=ft.Colors.ERROR)))
    return controls


def feedback_card(tr: "Translator", vm: ConcernsVM, on_submit, offer: Optional[ft.Control] = None) -> ft.Control:
    form: FeedbackForm = vm.feedback
    if form is None or not vm.offers_feedback:
        return ft.Container()

    def pick(name: str, value: str) -> None:
        setattr(form, name, value)  # the chips show the choice themselves
        vm.feedback_typed()

    def typed(name: str, value: str) -> None:
        setattr(form, name, value or "")
        vm.feedback_typed()

    errors = [tr.error(code) for name, code in form.errors.items() if name not in ("told_on",)]
    return card(ft.Column([
        section_title(tr("followup.feedback_title")),
        *([offer] if offer is not None else []),
        muted(tr("followup.feedback_help")),
        field(tr, "followup.told_on", tr.number(form.told_text), error=form.errors.get("told_on"),
              on_change=lambda e: typed("told_text", e.control.value), identifier="feedback-told-on",
              helper_key="visit.date_help"),
        muted(tr("followup.channel")),
        choice_chips(tr, "followup.channel", form.CHANNELS, form.channel, lambda v: pick("channel", v),
                     prefix="feedback-channel"),
        muted(tr("followup.answer")),
        choice_chips(tr, "followup.answer", form.ANSWERS, form.answer, lambda v: pick("answer", v),
                     prefix="feedback-answer"),
        field(tr, "followup.feedback_note", form.note, multiline=True,
              on_change=lambda e: typed("note", e.control.value), identifier="feedback-note"),
        ft.Text(" ".join(errors), color=ft.Colors.ERROR, visible=bool(errors)),
        ft.Row([primary_button(tr("followup.record_feedback"), on_submit, icon=ft.Icons.RECORD_VOICE_OVER,
                               identifier="record-feedback")]),
    ], spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH), identifier="feedback-form")


def history_extras(tr: "Translator", vm: ConcernsVM, entry) -> list[ft.Control]:
    """What a follow-up step adds to its history line: the institution, the date asked, feedback, the summary."""
    lines: list[ft.Control] = []
    if entry.expected_on:
        lines.append(ft.Text(tr("followup.expected_line", date=tr.date(entry.expected_on))))
    if entry.feedback is not None:
        fb = entry.feedback
        lines.append(ft.Text(tr("followup.feedback_line", date=tr.date(fb.told_on),
                                channel=tr(f"followup.channel.{fb.channel.value}"),
                                answer=tr(f"followup.answer.{fb.answer.value}"))))
    if entry.escalation is not None:
        esc = entry.escalation
        lines.append(ft.Text(tr("followup.brief_level", level=tr(f"followup.level.{esc.level.value}"),
                                date=tr.date(entry.at))))
        for part in SUMMARY_PARTS:
            lines.append(muted(f"{tr(f'followup.{part}')}: {getattr(esc, part)}"))
    return lines


