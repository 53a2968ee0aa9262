"""The follow-up side of the concerns screen: the "to follow up" list, feedback to the household,
and the escalation brief of an area. Plain Python: the view renders what these hold."""
from __future__ import annotations

from datetime import date
from typing import Optional

from app.i18n import Translator
from app.services.areas import AreaService
from app.services.edits import SaveFailed
from app.services.parsing import InputError, parse_date
from app.services.followup import OTHER, FollowupCounts, FollowupRow, FollowupService
from app.viewmodels.area_picker import AreaPickerVM
from records import followup
from records.models import Concern, ConcernCategory, FeedbackAnswer, FeedbackChannel, Household

ALL = "all"
# Where a concern was raised: a field the meetings work adds to Concern; the filter shows once it exists.


class FeedbackForm:
    """Telling the household the outcome: when (today unless changed), how, and what they said."""

    def __init__(self, today: date):
        self.told_text = today.strftime("%d/%m/%Y")  # as typed; read on submit
        self.channel = ""
        self.answer = ""
        self.note = ""
        self.errors: dict[str, str] = {}

    CHANNELS = [c.value for c in FeedbackChannel]
    ANSWERS = [a.value for a in FeedbackAnswer]


class FollowupVM:
    LIMIT = 50  # the most pressing first; a phone shows six, a desktop twelve (the counts say how many more)

    def __init__(self, service: FollowupService, areas: AreaService, lang: str):
        self.service = service
        self.areas = areas
        self.lang = lang
        self.institution = ""
        self.category = ""
        self.source = ""
        self.area = AreaPickerVM(areas, lang)
        self.area_code = ""
        self.rows: list[FollowupRow] = []
        self.counts = FollowupCounts()
        self.refresh()

    def refresh(self) -> None:
        self.rows, self.counts = self.service.list(institution=self.institution, category=self.category,
                                                   area_code=self.area_code, source=self.source, limit=self.LIMIT)

    # ---------------------------------------------------------------- filters

    def filter_options(self, which: str) -> list[tuple[str, str]]:
        """(value, label key or name) of a filter, "all" first; institutions named in this language."""
        if which == "category":
            return [(ALL, "followup.all_categories")] + [(c.value, f"category.{c.value}") for c in ConcernCategory]
        if which == "source":
            return [(ALL, "followup.all_sources")] + [(v, f"concern_source.{v}") for v in self.service.keys("source")]
        used = set(self.service.keys("institution"))
        named = [(i.id, i.name(self.lang)) for i in self.service.reference.institutions() if i.id in used]
        return [(ALL, "followup.all_institutions")] + sorted(named, key=lambda p: p[1]) + (
            [(OTHER, "followup.other_institution")] if OTHER in used else [])

    @property
    def filters(self) -> list[str]:
        return ["institution", "category", "source"]

    def filter_value(self, which: str) -> str:
        return getattr(self, which) or ALL

    def set_filter(self, which: str, value: Optional[str]) -> None:
        setattr(self, which, "" if value in (None, "", ALL) else value)
        self.refresh()

    def apply_area(self) -> None:
        self.area_code = self.area.code
        self.refresh()

    def clear_area(self) -> None:
        self.area.clear()
        self.apply_area()

    def area_filter_label(self) -> str:
        return self.areas.label(self.area_code, self.lang, depth=2) if self.area_code else ""

    @property
    def filtered(self) -> bool:
        return bool(self.institution or self.category or self.source or self.area_code)

    # ---------------------------------------------------------------- rows

    def place(self, row: FollowupRow) -> str:
        return self.areas.label(row.village_code, self.lang, depth=1)

    def institution_name(self, row: FollowupRow) -> str:
        if row.institution is not None:
            return row.institution.name(self.lang)
        return row.concern.referred_to or ""


def due_line(tr: Translator, concern: Concern, today: date) -> tuple[str, str]:
    """(state, words) for a concern's due date wherever it is shown: "Overdue 6 days · due 4 Mar"."""
    state = followup.state(concern, today)
    due = tr.date(followup.due_date(concern))
    if state == followup.State.overdue:
        return state, tr("followup.overdue_by", count=followup.days_overdue(concern, today), date=due)
    if state == followup.State.tell_household:
        return state, tr("followup.tell_household")
    if state == followup.State.done:
        return state, tr("followup.due_was", date=due)
    return state, tr("followup.due_on", date=due)


def escalation_brief(tr: Translator, area_label: str, items: list[tuple[Concern, Optional[Household]]],
                     place: callable, institution_name: callable, today: date) -> str:
    """The escalated concerns of an area as one text for the level above (copied, sent by any channel)."""
    lines = [tr("followup.brief_title", area=area_label or tr("followup.brief_whole_area"), date=tr.date(today)),
             tr("followup.brief_count", count=len(items)), ""]
    for n, (concern, household) in enumerate(items, start=1):
        summary, step = followup.escalation_of(concern)
        head = household.head_name if household else ""
        lines.append(f"{tr.number(n)}. {tr(f'category.{concern.category.value}')} · {head} · "
                     f"{place(household.village_code) if household else ''}")
        lines.append(f"   {concern.description}")
        lines.append("   " + tr("followup.brief_raised", date=tr.date(concern.created_at.date()),
                                priority=tr(f"priority.{concern.priority.value}")))
        if concern.referred_to or concern.institution_id:
            lines.append("   " + tr("followup.brief_referred", institution=institution_name(concern)))
        if summary is not None:
            lines.append("   " + tr("followup.brief_level", level=tr(f"followup.level.{summary.level.value}"),
                                    date=tr.date(step.at)))
            for part in ("tried_locally", "who_was_urged", "why_not_solved", "ask"):
                lines.append(f"   {tr(f'followup.{part}')}: {getattr(summary, part)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def submit_feedback(service: FollowupService, concern_id: str, form: FeedbackForm) -> Optional[Concern]:
    try:
        told_on = parse_date(form.told_text)
    except InputError as exc:
        form.errors = {"told_on": exc.code}
        return None
    try:
        saved = service.record_feedback(concern_id, told_on=told_on, channel=form.channel, answer=form.answer,
                                        note=form.note)
    except SaveFailed as exc:
        form.errors = dict(exc.errors)
        return None
    form.errors = {}
    return saved
