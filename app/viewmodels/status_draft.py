"""The drafts of a concern's two forms, kept in the device store so an app kill loses none of
what was typed, and offered back when the concern opens again (app/viewmodels/drafts.py does the
keeping): the status change (note, summary for the level above, the institution's name, the date
asked) and telling the household (when, how, what they said)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from app.services.drafts import DraftService, concern_feedback_key, concern_status_key
from app.viewmodels.drafts import DraftKeeper

if TYPE_CHECKING:
    from app.viewmodels.concerns import StatusChangeForm
    from app.viewmodels.followup import FeedbackForm

TEXTS = ("note", "referred_to", "expected_text")


def typed(form: Optional["StatusChangeForm"]) -> dict[str, Any]:
    """The form's draft: {} when nothing was typed (a move chosen alone is not worth keeping)."""
    if form is None:
        return {}
    texts = {name: getattr(form, name) for name in TEXTS if (getattr(form, name) or "").strip()}
    summary = {part: text for part, text in form.escalation.items() if (text or "").strip()}
    if not texts and not any(part != "level" for part in summary):
        return {}
    return {**texts, "to": form.to, "institution_id": form.institution_id, "escalation": summary}


def apply(form: "StatusChangeForm", fields: dict[str, Any]) -> None:
    """Put a kept draft back into the form (the move only while it is still offered)."""
    for name in TEXTS:
        if isinstance(fields.get(name), str):
            setattr(form, name, fields[name])
    if isinstance(fields.get("institution_id"), str) and fields["institution_id"]:
        form.institution_id = fields["institution_id"]
    summary = fields.get("escalation")
    if isinstance(summary, dict):
        form.escalation.update({k: v for k, v in summary.items() if k in form.escalation and isinstance(v, str)})
    if fields.get("to") in {s.value for s in form.choices}:
        form.pick(fields["to"])
    form.show_note = True


def keeper(drafts: Optional[DraftService], concern_id: str, form) -> DraftKeeper:
    """``form()`` gives the form of this concern as the view-model holds it now (None once another opened)."""
    return DraftKeeper(drafts, concern_status_key(concern_id), lambda: typed(form()))


FEEDBACK = ("told_text", "channel", "answer", "note")


def feedback_typed(form: Optional["FeedbackForm"]) -> dict[str, Any]:
    """{} until a note is typed or a channel or an answer chosen (the day alone is today's)."""
    if form is None or not (form.note.strip() or form.channel or form.answer):
        return {}
    return {name: getattr(form, name) for name in FEEDBACK}


def apply_feedback(form: "FeedbackForm", fields: dict[str, Any]) -> None:
    for name in FEEDBACK:
        if isinstance(fields.get(name), str):
            setattr(form, name, fields[name])


def feedback_keeper(drafts: Optional[DraftService], concern_id: str, form) -> DraftKeeper:
    return DraftKeeper(drafts, concern_feedback_key(concern_id), lambda: feedback_typed(form()))
