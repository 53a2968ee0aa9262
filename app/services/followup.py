"""Following concerns up: the institutions and due days on this device, the "to follow up" list,
feedback to the household, and the escalation brief of an area.

The list reads the store's follow-up facts (storage/followup_index.py), not the records, so a
district office's 100,000 concerns list in well under a second; only the rows shown are built.
"Today" is the injected clock's day where the device is (tests and the browser scenario set it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Optional

from pydantic import ValidationError

from app.services.actor import ActorSource
from app.services.edits import OnSaved, SaveFailed, nothing_to_do, notify_saved
from records import followup
from records.followup import DUE_SOON_DAYS, DueDays
from records.institutions import Institution, for_referral
from records.models import Concern, Feedback, Household, field_errors, utcnow
from storage.followup_reference import institutions_version, load_due_days, load_institutions
from storage.repository import Store

OTHER = "other"  # the referral picker's choice for an institution not in the list (storage/followup_index.py)


@dataclass(frozen=True)
class FollowupRow:
    concern: Concern
    state: str  # records.followup.State
    head_name: str
    village_code: str
    age_days: int
    days_late: int  # days past its due date (0 when not overdue)
    institution: Optional[Institution]


@dataclass(frozen=True)
class FollowupCounts:
    overdue: int = 0
    due_soon: int = 0
    tell_household: int = 0

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon + self.tell_household


class FollowupReference:
    """The institutions and due-date table on this device, read once per version."""

    def __init__(self, store: Store):
        self.store = store
        self._key: Optional[str] = None
        self._institutions: list[Institution] = []
        self._by_id: dict[str, Institution] = {}

    def institutions(self) -> list[Institution]:
        key = institutions_version(self.store)
        if self._key != key or not self._institutions:
            _, _, self._institutions = load_institutions(self.store)
            self._by_id = {i.id: i for i in self._institutions}
            self._key = key
        return self._institutions

    def institution(self, institution_id: Optional[str]) -> Optional[Institution]:
        self.institutions()
        return self._by_id.get(institution_id) if institution_id else None

    def picker(self, category: str, village_code: str, lang: str) -> list[Institution]:
        return for_referral(self.institutions(), category, village_code, lang)

    def due_days(self) -> DueDays:
        return load_due_days(self.store)


class FollowupService:
    def __init__(self, store: Store, actor: ActorSource, reference: FollowupReference, *,
                 clock: Callable[[], datetime] = utcnow, on_saved: OnSaved = nothing_to_do):
        self.store = store
        self.actor = actor
        self.reference = reference
        self.clock = clock
        self.on_saved = on_saved

    def today(self) -> date:
        return self.clock().astimezone().date()

    # ------------------------------------------------------------------ the list

    def _page(self, *, institution: str = "", category: str = "", area_code: str = "", source: str = "",
              limit: int = 50):
        today = self.today().toordinal()
        keys = tuple((kind, value) for kind, value in (("category", category), ("institution", institution),
                                                        ("source", source)) if value)
        households = self.store.households.ids_in_area(area_code) if area_code else None
        return self.store.concerns.followup(today, today + DUE_SOON_DAYS, keys=keys, household_ids=households,
                                            limit=limit)

    def counts(self, *, area_code: str = "") -> FollowupCounts:
        """For the navigation badge: counted by the store's follow-up index, no record built."""
        page = self._page(area_code=area_code, limit=0)
        return FollowupCounts(page.overdue, page.due_soon, page.tell_household)

    def list(self, *, institution: str = "", category: str = "", area_code: str = "", source: str = "",
             limit: int = 50) -> tuple[list[FollowupRow], FollowupCounts]:
        """The most pressing first (at most ``limit``), and how many of each kind match."""
        today = self.today()
        page = self._page(institution=institution, category=category, area_code=area_code, source=source,
                          limit=limit)
        listed = {i.id: i for i in self.reference.institutions()}  # one version check for the page
        heads: dict[str, Optional[Household]] = {}
        rows = []
        for concern_id, state in page.top:
            concern = self.store.concerns.find(concern_id)
            if concern is None:
                continue
            if concern.household_id not in heads:
                heads[concern.household_id] = self.store.households.find(concern.household_id)
            h = heads[concern.household_id]
            rows.append(FollowupRow(concern, state, h.head_name if h else "", h.village_code if h else "",
                                    followup.age_days(concern, today), followup.days_overdue(concern, today),
                                    listed.get(concern.institution_id) if concern.institution_id else None))
        return rows, FollowupCounts(page.overdue, page.due_soon, page.tell_household)

    def keys(self, kind: str) -> list[str]:
        """The institutions (ids, or "other"), categories or sources concerns to follow up have."""
        return self.store.concerns.followup_keys(kind)

    def state(self, concern: Concern) -> str:
        return followup.state(concern, self.today())

    # ------------------------------------------------------------------ feedback

    def record_feedback(self, concern_id: str, *, told_on: Optional[date], channel: str, answer: str,
                        note: str = "") -> Concern:
        """The household (or forum) was told the outcome; SaveFailed (nothing saved) names what is wrong."""
        actor = self.actor()
        with self.store.write_lock:
            concern = self.store.concerns.get(concern_id)
            try:
                typed = {"told_on": told_on, "channel": channel, "answer": answer}
                told = Feedback.model_validate({k: v for k, v in typed.items() if v})  # left out: "required"
                changed = concern.record_feedback(told, by=actor.signature, note=note, at=self.clock())
            except ValidationError as exc:
                raise SaveFailed(_feedback_errors(exc)) from None
            saved = self.store.save_edit(changed)[0]
        notify_saved(self.on_saved)
        return saved

    # ------------------------------------------------------------------ escalations

    def escalated(self, *, area_code: str = "") -> list[tuple[Concern, Optional[Household]]]:
        """The escalated concerns of an area, oldest escalation first."""
        ids = self.store.concerns.escalated_ids(self.store.households.ids_in_area(area_code) if area_code else None)
        out = []
        for concern_id in ids:
            c = self.store.concerns.find(concern_id)
            if c is not None:
                out.append((c, self.store.households.find(c.household_id)))
        out.sort(key=lambda pair: (pair[0].history[-1].at if pair[0].history else pair[0].updated_at,
                                   pair[0].created_at))
        return out


def _feedback_errors(exc: ValidationError) -> dict[str, str]:
    """Field errors of a feedback, named as the form names its fields."""
    out: dict[str, str] = {}
    for field, code in field_errors(exc).items():
        name = {"told_on": "told_on", "channel": "channel", "answer": "answer"}.get(field, "feedback")
        out.setdefault(name, "required" if code == "required" else code)
    for err in exc.errors():  # loc ("feedback", "told_on") from the concern's own check
        if len(err["loc"]) > 1 and str(err["loc"][-1]) in ("told_on", "channel", "answer"):
            out.setdefault(str(err["loc"][-1]), err["type"] if err["type"] != "missing" else "required")
    return out
