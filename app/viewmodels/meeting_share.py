"""What is shared in a Telegram group: a meeting's invitation, and its closed minutes, as plain text.

Plain lines (no markup: Telegram shows them as typed), in the language asked for, with Khmer
digits in Khmer. Minutes are shared only once closed: what goes out is what can no longer change.
"""
from __future__ import annotations

from typing import Callable, Optional

from app.i18n import Translator
from records.meetings import Meeting
from records.models import Concern

AreaName = Callable[[str, str], str]  # (code, lang) -> "Commune, District"


def _when(meeting: Meeting, tr: Translator) -> str:
    day = tr.date(meeting.effective_on)
    return f"{day}, {tr.number(meeting.planned_time.strftime('%H:%M'))}" if meeting.planned_time else day


def _person(name: str, *details: Optional[str]) -> str:
    extra = ", ".join(d for d in details if d)
    return f"{name} ({extra})" if extra else name


def invitation_text(meeting: Meeting, tr: Translator, area_name: AreaName) -> str:
    lines = [meeting.title, f"{tr.choice('meeting_kind', meeting.meeting_kind)} · {area_name(meeting.area_code, tr.lang)}",
             "", tr("meeting.share_when", when=_when(meeting, tr))]
    if meeting.place:
        lines.append(tr("meeting.share_place", place=meeting.place))
    if meeting.agenda:
        lines += ["", tr("meeting.agenda")]
        for n, item in enumerate(meeting.agenda, 1):
            minutes = tr("meeting.share_minutes", count=item.planned_minutes) if item.planned_minutes else None
            lines.append(f"{tr.number(n)}. {_person(item.title, item.presenter, minutes)}")
    if meeting.invitations:
        lines += ["", tr("meeting.invitations")]
        lines += [f"- {_person(i.name, i.position, i.institution)}" for i in meeting.invitations]
    lines += ["", tr("meeting.share_organiser", name=meeting.organiser)]
    return "\n".join(lines)


def minutes_text(meeting: Meeting, concerns: list[Concern], tr: Translator, area_name: AreaName) -> Optional[str]:
    """The closed minutes with attendance, decisions, corrections and the concerns raised; None while open."""
    if not meeting.closed:
        return None
    lines = [tr("meeting.share_minutes_title", title=meeting.title),
             f"{tr.choice('meeting_kind', meeting.meeting_kind)} · {area_name(meeting.area_code, tr.lang)}",
             tr("meeting.share_held", when=_when(meeting, tr))]
    if meeting.place:
        lines.append(tr("meeting.share_place", place=meeting.place))
    lines.append(tr("meeting.share_attendance", total=meeting.public_total, women=meeting.public_women,
                    invited=meeting.attended_count()))
    came = [i for i in meeting.invitations if i.attended]
    if came:
        lines += ["", tr("meeting.share_present")]
        lines += [f"- {_person(i.name, i.position, i.institution)}" for i in came]
    lines += ["", tr("meeting.minutes"), meeting.minutes or "—"]
    if meeting.addenda:
        lines += ["", tr("meeting.addenda")]
        lines += [f"- {tr.date_time(a.at)} · {a.by}: {a.text}" for a in meeting.addenda]
    if meeting.decisions:
        lines += ["", tr("meeting.decisions")]
        for n, d in enumerate(meeting.decisions, 1):
            due = tr("meeting.share_due", day=tr.date(d.due_on)) if d.due_on else None
            owner = _person(d.owner_name or "", d.owner_institution)
            lines.append(f"{tr.number(n)}. {d.text} — {owner}" + (f", {due}" if due else "")
                         + f" [{tr.choice('decision_status', d.status)}]")
    if concerns:
        lines += ["", tr("meeting.share_concerns", count=len(concerns))]
        for c in concerns:
            who = tr("meeting.anonymous") if c.anonymous else (c.raised_by or "")
            lines.append(f"- {tr.choice('category', c.category)}: {c.description}" + (f" ({who})" if who else ""))
    lines += ["", tr("meeting.share_closed", when=tr.date_time(meeting.minutes_closed_at),
                     name=meeting.minutes_closed_by or "")]
    return "\n".join(lines)
