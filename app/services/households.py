"""Households: find them, read one with its history, save one from a form."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from pydantic import ValidationError

from records.areas import covers
from records.models import Concern, Household, SyncState, Visit, field_errors, utcnow
from app.services.actor import ActorSource
from app.services.edits import ChangedSinceOpened, OnSaved, SaveFailed, ensure_unchanged, nothing_to_do, notify_saved
from storage.repository import Store

__all__ = ["ChangedSinceOpened", "HouseholdHistory", "HouseholdRow", "HouseholdService", "SaveFailed",
           "VisitWithConcerns"]


@dataclass(frozen=True)
class HouseholdRow:
    id: str
    head_name: str
    head_name_latin: str
    phone: str
    village_code: str
    members: int
    open_concerns: int
    sync_state: SyncState


@dataclass(frozen=True)
class VisitWithConcerns:
    visit: Visit
    concerns: list[Concern]


@dataclass(frozen=True)
class HouseholdHistory:
    household: Household
    visits: list[VisitWithConcerns]  # newest first
    open_concerns: int


class HouseholdService:
    def __init__(self, store: Store, actor: ActorSource, *, clock: Callable = utcnow,
                 on_saved: OnSaved = nothing_to_do):
        self.store = store
        self.actor = actor
        self.clock = clock
        self.on_saved = on_saved

    def count(self) -> int:
        return self.store.households.count()

    def home_area(self) -> str:
        """The signed-in user's area ("" = the whole country, or nobody signed in)."""
        return self.actor().area_code

    def count_matching(self, text: str = "", *, area_code: str = "") -> int:
        return self.store.households.count_matching(text, area_code=area_code)

    def search(self, text: str = "", *, area_code: str = "", limit: int = 50) -> list[HouseholdRow]:
        return self._rows(self.store.households.search(text, area_code=area_code, limit=limit))

    def likely_duplicates(self, values: dict[str, Any], *, household_id: Optional[str] = None) -> list[HouseholdRow]:
        """Households of the same village with the same phone or name (either script, case, spaces
        and Khmer/ASCII digits ignored) as the form's ``values``; [] while the values are invalid.
        Reads the village's rows of the store's index only: cheap on a 50,000-household store."""
        try:
            probe = Household.model_validate(values)
        except ValidationError:
            return []
        names = [n for n in (probe.head_name, probe.head_name_latin) if n]
        found = self.store.households.likely_duplicates(probe.village_code, names, probe.phone or "")
        return self._rows([h for h in found if h.id != household_id])

    def _rows(self, found: list[Household]) -> list[HouseholdRow]:
        open_counts = self.store.concerns.open_counts() if found else {}
        return [
            HouseholdRow(
                id=h.id,
                head_name=h.head_name,
                head_name_latin=h.head_name_latin or "",
                phone=h.phone or "",
                village_code=h.village_code,
                members=h.members,
                open_concerns=open_counts.get(h.id, 0),
                sync_state=h.sync_state,
            )
            for h in found
        ]

    def find(self, household_id: str) -> Optional[Household]:
        return self.store.households.find(household_id)

    def history(self, household_id: str) -> Optional[HouseholdHistory]:
        household = self.store.households.find(household_id)
        if household is None:
            return None
        concerns = self.store.concerns.for_household(household_id)
        by_visit: dict[str, list[Concern]] = {}
        for concern in concerns:
            by_visit.setdefault(concern.visit_id, []).append(concern)
        visits = [VisitWithConcerns(v, by_visit.get(v.id, [])) for v in self.store.visits.for_household(household_id)]
        open_count = sum(1 for c in concerns if c.status.value != "resolved")
        return HouseholdHistory(household, visits, open_count)

    def save(self, values: dict[str, Any], *, household_id: Optional[str] = None,
             opened: Optional[Household] = None) -> Household:
        """Validate and save in one durable step; raises SaveFailed (nothing saved) when invalid.

        ``opened`` is the household as the form loaded it: when one of the form's fields changed
        in the store since then (a pull, another window), ChangedSinceOpened is raised with the
        stored copy and nothing is saved, rather than the form's values replacing that change.
        """
        actor = self.actor()
        now = self.clock()
        with self.store.write_lock:  # no sync answer lands between the check and the save
            try:
                if household_id:
                    current = self.store.households.get(household_id)
                    if _same_content(current, values):
                        return current  # saving an untouched form must not make a new revision to sync
                    ensure_unchanged(opened, current, values)
                    record = current.edited(at=now, **values)
                else:
                    record = Household(
                        **values, created_at=now, updated_at=now, device_id=actor.device_id, author=actor.username
                    )
            except ValidationError as exc:
                raise SaveFailed(field_errors(exc)) from None
            if not covers(actor.area_code, record.village_code):
                # The server would refuse it at sync ("outside_area"): say so now, at the field.
                raise SaveFailed({"village_code": "outside_area"})
            saved = self.store.save_edit(record)[0]
        notify_saved(self.on_saved)
        return saved


def _same_content(current: Household, values: dict[str, Any]) -> bool:
    try:
        probe = Household.model_validate(values)
    except ValidationError:
        return False  # the edit path reports the errors
    return all(getattr(probe, k) == getattr(current, k) for k in values)
