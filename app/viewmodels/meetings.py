"""The Meetings tab: a quarter's schedule by level (planned / held / overdue / postponed) and planning one."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any, Callable, Optional

from app.services.areas import AreaService
from app.services.edits import ChangedSinceOpened, SaveFailed
from app.services.meetings import MeetingService, YearProgress
from app.services.parsing import InputError, parse_date
from app.viewmodels.area_picker import AreaPickerVM
from app.viewmodels.message import Message
from records.areas import level_of
from records.meetings import Invitation, Meeting, MeetingKind, MeetingLevel, quarter_of, shift_quarter
from records.text import clean_text, to_ascii_digits

LEVEL_ORDER = ("province", "district", "commune", "village")  # the schedule reads top down
SCHEDULE_STATES = ("planned", "held", "overdue", "postponed", "cancelled")
_HM = re.compile(r"^(\d{1,2})[:.h ](\d{2})$")


def parse_time(text: Optional[str]) -> Optional[time]:
    """08:30, 8.30 or 8h30 (Khmer digits too); empty is no time."""
    raw = to_ascii_digits(clean_text(text or ""))
    if not raw:
        return None
    match = _HM.match(raw)
    if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
        return time(int(match.group(1)), int(match.group(2)))
    raise InputError("meeting_time_invalid")


def schedule_state(meeting: Meeting, today: date) -> str:
    """What the schedule calls a meeting: overdue is planned with its day passed (records/meetings.py)."""
    return "overdue" if meeting.overdue(today) else meeting.status.value


@dataclass(frozen=True)
class ScheduleRow:
    meeting_id: str
    title: str
    day: date  # the day it takes place: planned, new (postponed) or held
    at: Optional[time]
    place: str
    state: str  # one of SCHEDULE_STATES
    kind: str
    area_code: str


@dataclass(frozen=True)
class LevelGroup:
    level: str
    rows: list[ScheduleRow]


class ScheduleVM:
    def __init__(self, meetings: MeetingService, areas: AreaService, lang: str, *, area_code: str = "",
                 home_area: str = "", today: Callable[[], date] = date.today):
        self.service = meetings
        self.areas = areas
        self.lang = lang
        self.area_code = area_code  # what the schedule lists ("" = every meeting on the device)
        self.home_area = home_area or area_code  # whose yearly target it counts: the signed-in user's area
        self.today = today
        self.year, self.quarter = quarter_of(today())
        self.groups: list[LevelGroup] = []
        self.counts: dict[str, int] = {}
        self.refresh()

    def refresh(self) -> None:
        today = self.today()
        rows: dict[str, list[ScheduleRow]] = {}
        for m in self.service.quarter(self.year, self.quarter, area_code=self.area_code):
            rows.setdefault(m.level.value, []).append(ScheduleRow(
                m.id, m.title, m.effective_on, m.planned_time, m.place, schedule_state(m, today),
                m.meeting_kind.value, m.area_code))
        self.groups = [LevelGroup(level, rows[level]) for level in LEVEL_ORDER if level in rows]
        every = [r.state for g in self.groups for r in g.rows]
        self.counts = {state: every.count(state) for state in SCHEDULE_STATES}

    def next_quarter(self) -> None:
        self.year, self.quarter = shift_quarter(self.year, self.quarter, 1)
        self.refresh()

    def previous_quarter(self) -> None:
        self.year, self.quarter = shift_quarter(self.year, self.quarter, -1)
        self.refresh()

    def title(self) -> Message:
        return Message("meeting.quarter_title", {"quarter": self.quarter, "year": self.year})

    @property
    def empty(self) -> bool:
        return not self.groups

    def progress(self) -> Optional[YearProgress]:
        """Held this year against the home area's yearly target (12 or 24)."""
        if not self.home_area:
            return None
        return self.service.year_progress(self.home_area, self.year)

    def set_target(self, value: str) -> None:
        if self.home_area:
            self.service.set_yearly_target(self.home_area, value)

    def area_label(self, code: str) -> str:
        return self.areas.label(code, self.lang, depth=2) if code else ""


class PlanMeetingVM:
    """A new meeting: what, where (an area picks the level), when, and who is invited."""

    def __init__(self, meetings: MeetingService, areas: AreaService, lang: str, *, area_code: str = "",
                 on: Optional[date] = None, meeting_id: Optional[str] = None):
        self.service = meetings
        self.areas, self.lang = areas, lang
        self.meeting_id = meeting_id  # set: the form edits this planned meeting (its invitations: on its detail)
        self.opened: Optional[Meeting] = None
        self.kind = MeetingKind.public_forum.value
        self.title = ""
        self.area = AreaPickerVM(areas, lang, area_code)
        self.day = on.strftime("%d/%m/%Y") if on else ""
        self.at = ""
        self.place = ""
        self.agenda = ""  # one item a line
        self.errors: dict[str, str] = {}
        self.saved: Optional[Meeting] = None
        self.offered: list[Invitation] = []
        self.chosen: set[str] = set()  # ids of offered invitations kept
        self.new_invitees: list[dict[str, Any]] = []
        if meeting_id:
            self.load()
        else:
            self.offer_last_invitees()
        self._as_opened = self._typed()

    def _typed(self) -> tuple:
        return (self.kind, self.title, self.area.code, self.day, self.at, self.place, self.agenda,
                frozenset(self.chosen), len(self.new_invitees))

    @property
    def has_typed(self) -> bool:
        """Something was typed or chosen since the form opened, and not saved."""
        return self.saved is None and self._typed() != self._as_opened

    @property
    def found(self) -> bool:
        return self.meeting_id is None or self.opened is not None

    def load(self) -> None:
        """Show the stored meeting (again, after a change that came meanwhile)."""
        m = self.opened = self.service.find(self.meeting_id or "")
        if m is None:
            return
        self.kind, self.title, self.place = m.meeting_kind.value, m.title, m.place
        self.area = AreaPickerVM(self.areas, self.lang, m.area_code)
        self.day = m.planned_on.strftime("%d/%m/%Y")
        self.at = m.planned_time.strftime("%H:%M") if m.planned_time else ""
        self.agenda = "\n".join(a.title for a in m.agenda)

    def offer_last_invitees(self) -> None:
        """The area's last meeting's invitees, all ticked: most forums invite the same officials again."""
        self.offered = self.service.last_invitees(self.area.code) if self.area.code else []
        self.chosen = {i.id for i in self.offered}

    def area_changed(self) -> None:
        self.errors.pop("area_code", None)
        self.offer_last_invitees()

    def toggle_offered(self, invitation_id: str) -> None:
        self.chosen ^= {invitation_id}

    def add_invitee(self, name: str, position: str = "", institution: str = "",
                    invitee_kind: str = "responsible_official") -> None:
        if clean_text(name):
            self.new_invitees.append({"name": name, "position": position, "institution": institution,
                                      "invitee_kind": invitee_kind})

    def _edit(self, values: dict[str, Any]) -> Meeting:
        """The stored meeting with the form's values; an agenda item kept by title keeps its presenter and time."""
        opened = self.opened
        assert opened is not None
        before = {a.title: a.model_dump() for a in opened.agenda}
        values["agenda"] = [before.get(item["title"], item) for item in values["agenda"]]
        return self.service.edit(opened.id, opened=opened, **values)

    def set(self, name: str, value: Any) -> None:
        setattr(self, name, value)
        self.errors.pop({"day": "planned_on", "at": "planned_time"}.get(name, name), None)

    def submit(self) -> bool:
        errors: dict[str, str] = {}
        values: dict[str, Any] = {"meeting_kind": self.kind, "title": self.title, "place": self.place,
                                  "agenda": [{"title": line} for line in self.agenda.splitlines() if clean_text(line)]}
        code = self.area.code
        level = level_of(code) if code else None
        if not code or level not in {lv.value for lv in MeetingLevel}:
            errors["area_code"] = "required"
        else:
            values.update(level=level, area_code=code)
        for name, key, parse in (("planned_on", "day", lambda t: parse_date(t)), ("planned_time", "at", parse_time)):
            try:
                values[name] = parse(getattr(self, key))
            except InputError as exc:
                errors[name] = exc.code
        if errors:
            self.errors = errors
            return False
        try:
            if self.meeting_id:
                self.saved = self._edit(values)
            else:
                kept = [i for i in self.offered if i.id in self.chosen]
                self.saved = self.service.plan({**values, "invitations": self.new_invitees}, invitations=kept)
        except ChangedSinceOpened as exc:
            self.load()
            self.errors = dict(exc.errors)
            return False
        except SaveFailed as exc:
            self.errors = dict(exc.errors)
            return False
        self.errors = {}
        return True

