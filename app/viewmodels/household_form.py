"""The household form (new and edit): typed text in, field error codes or a saved record out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from app.i18n import national_phone
from records.text import to_ascii_digits
from records.models import Gps, Household, Vulnerability
from app.services.areas import AreaService
from app.services.households import ChangedSinceOpened, HouseholdRow, HouseholdService, SaveFailed
from app.services.parsing import InputError, parse_decimal
from app.services.drafts import DraftService, household_key
from app.viewmodels.area_picker import AreaPickerVM
from app.viewmodels.drafts import DraftKeeper
from app.viewmodels.rejected import rejected_field_errors
from app.viewmodels.unsaved import UnsavedEdit

VULNERABILITIES = [v.value for v in Vulnerability]
# The form's fields in screen order, as they are listed when an edit has to be made again.
FIELD_ORDER = ("head_name", "head_name_latin", "phone", "members", "village_code", "address", "vulnerabilities",
               "consent_to_contact", "gps")


@dataclass
class HouseholdFields:
    """What the fields hold, as typed (strings), so nothing is lost while the form is invalid."""

    head_name: str = ""
    head_name_latin: str = ""
    phone: str = ""
    members: str = "1"
    address: str = ""
    vulnerabilities: set[str] = field(default_factory=set)
    consent_to_contact: bool = False
    gps_lat: str = ""
    gps_lon: str = ""
    gps_accuracy: str = ""

    @classmethod
    def of(cls, h: Household) -> "HouseholdFields":
        return cls(
            head_name=h.head_name,
            head_name_latin=h.head_name_latin or "",
            phone=national_phone(h.phone),
            members=str(h.members),
            address=h.address,
            vulnerabilities={v.value for v in h.vulnerabilities},
            consent_to_contact=h.consent_to_contact,
            gps_lat=f"{h.gps.lat:.6f}" if h.gps else "",
            gps_lon=f"{h.gps.lon:.6f}" if h.gps else "",
            gps_accuracy=f"{h.gps.accuracy_m:.0f}" if h.gps and h.gps.accuracy_m is not None else "",
        )


class HouseholdFormVM:
    def __init__(self, households: HouseholdService, areas: AreaService, lang: str,
                 household_id: Optional[str] = None, drafts: Optional[DraftService] = None):
        self.households = households
        self.household_id = household_id
        self.areas = areas
        self.lang = lang
        existing = households.find(household_id) if household_id else None
        self.exists = existing is not None
        # The household as shown when the form opened: saving checks nobody changed it since.
        self.opened: Optional[Household] = existing
        self.fields = HouseholdFields.of(existing) if existing else HouseholdFields()
        self.home = households.home_area()
        # A new household starts in the user's own area: its dropdowns offer that area's villages first.
        self.area = AreaPickerVM(areas, lang, existing.village_code if existing else self.home, home=self.home)
        # A record the server refused opens with the refused field marked (the reason sync kept).
        self.errors: dict[str, str] = rejected_field_errors(existing, FIELD_ORDER)
        self.saved: Optional[Household] = None
        # After a save refused because the household changed meanwhile: what the official had
        # typed that the reloaded form no longer shows, to make it again.
        self.unsaved: list[UnsavedEdit] = []
        # The draft: what differs from what the form opened with, kept in the store as typed.
        self._initial = self.snapshot()
        self.draft = DraftKeeper(drafts, household_key(household_id), self.changes)
        # Before a new household is saved: households of its village that look like the same one.
        self.duplicates: list[HouseholdRow] = []
        self._not_these: set[str] = set()  # ids the official said are a different household

    @property
    def is_edit(self) -> bool:
        return self.household_id is not None

    def snapshot(self) -> dict[str, Any]:
        """Every field as the form holds it (JSON types)."""
        f = self.fields
        return {"head_name": f.head_name, "head_name_latin": f.head_name_latin, "phone": f.phone,
                "members": f.members, "village_code": self.area.village_code, "address": f.address,
                "vulnerabilities": sorted(f.vulnerabilities), "consent_to_contact": f.consent_to_contact,
                "gps_lat": f.gps_lat, "gps_lon": f.gps_lon, "gps_accuracy": f.gps_accuracy}

    def changes(self) -> dict[str, Any]:
        """The fields typed since the form opened (or was last saved); {} when nothing is."""
        now = self.snapshot()
        return {name: value for name, value in now.items() if self._initial.get(name) != value}

    @property
    def has_changes(self) -> bool:
        return bool(self.changes())

    def restore(self, fields: dict[str, Any]) -> None:
        """Put a kept draft's values back into the fields (only names the form knows)."""
        for name, value in fields.items():
            if name == "village_code" and isinstance(value, str):
                self.area.pick(value)
            elif name == "vulnerabilities" and isinstance(value, list):
                self.fields.vulnerabilities = {v for v in value if v in VULNERABILITIES}
            elif name == "consent_to_contact":
                self.fields.consent_to_contact = bool(value)
            elif name in self._initial and isinstance(value, str):
                setattr(self.fields, name, value)

    def use_draft(self) -> None:
        fields = self.draft.take_offer()
        if fields:
            self.restore(fields)

    def set(self, name: str, value: Any) -> None:
        setattr(self.fields, name, value)
        self.errors.pop(_error_field(name), None)  # the official is fixing it: stop shouting
        self.draft.typed()

    def area_changed(self) -> None:
        self.errors.pop("village_code", None)
        self.draft.typed()

    def toggle_vulnerability(self, flag: str, on: bool) -> None:
        if on:
            self.fields.vulnerabilities.add(flag)
        else:
            self.fields.vulnerabilities.discard(flag)
        self.draft.typed()

    def set_gps(self, lat: float, lon: float, accuracy_m: Optional[float]) -> None:
        self.fields.gps_lat = f"{lat:.6f}"
        self.fields.gps_lon = f"{lon:.6f}"
        self.fields.gps_accuracy = f"{accuracy_m:.0f}" if accuracy_m is not None else ""
        self.errors.pop("gps", None)
        self.draft.typed()

    def values(self) -> dict[str, Any]:
        """The record's fields from the typed text; raises SaveFailed for what cannot be read."""
        f = self.fields
        errors: dict[str, str] = {}
        gps = None
        try:
            lat, lon, acc = parse_decimal(f.gps_lat), parse_decimal(f.gps_lon), parse_decimal(f.gps_accuracy)
            if lat is not None or lon is not None:
                if lat is None or lon is None:
                    raise InputError("gps_invalid")
                gps = Gps(lat=lat, lon=lon, accuracy_m=acc)
        except (InputError, ValueError):
            errors["gps"] = "gps_invalid"
        if errors:
            raise SaveFailed(errors)
        return {
            "head_name": f.head_name,
            "head_name_latin": f.head_name_latin or None,
            "phone": f.phone,
            "members": f.members,
            "village_code": self.area.village_code or None,
            "address": f.address,
            "gps": gps,
            "vulnerabilities": sorted(f.vulnerabilities),
            "consent_to_contact": f.consent_to_contact,
        }

    def submit(self) -> Optional[Household]:
        """Save when every field is valid; otherwise fill ``errors`` and save nothing.

        When the household changed since the form was opened (a pull brought the district's
        change), nothing is saved: the form reloads the stored values, ``errors`` says
        ``changed_since_opened`` and ``unsaved`` lists what the official had typed.
        """
        try:
            values = self.values()
            if not self.is_edit:
                found = self.households.likely_duplicates(values)
                if any(row.id not in self._not_these for row in found):
                    self.duplicates, self.errors = found, {}
                    return None  # the screen asks: open that one, or it is a different household
            self.saved = self.households.save(values, household_id=self.household_id, opened=self.opened)
        except ChangedSinceOpened as exc:
            self.reload(exc.fresh)
            self.errors = {"__all__": exc.code}
            return None
        except SaveFailed as exc:
            self.errors = dict(exc.errors)
            if "village_code" in self.errors and not self.area.village_code:
                self.errors["village_code"] = "village_required"
            return None
        self.errors = {}
        self.unsaved = []
        self.duplicates = []
        self.household_id = self.saved.id
        self.opened = self.saved
        self.draft.drop()
        self._initial = self.snapshot()
        return self.saved

    def save_as_different(self) -> Optional[Household]:
        """The official says the listed households are another one: save this one anyway."""
        self._not_these |= {row.id for row in self.duplicates}
        self.duplicates = []
        return self.submit()

    def village_label(self, row: HouseholdRow) -> str:
        return self.areas.label(row.village_code, self.lang, depth=2)

    def reload(self, fresh: Household) -> None:
        """Show ``fresh`` (the stored copy); keep aside the typed values it does not hold."""
        typed, typed_village = self.fields, self.area.village_code
        was = HouseholdFields.of(self.opened) if self.opened else HouseholdFields()
        now = HouseholdFields.of(fresh)
        unsaved: list[UnsavedEdit] = []
        for name in FIELD_ORDER:
            if name == "village_code":
                mine, before, after = typed_village, self.opened.village_code if self.opened else "", fresh.village_code
            elif name == "gps":
                mine, before, after = ((f.gps_lat, f.gps_lon) for f in (typed, was, now))
            else:
                mine, before, after = (getattr(f, name) for f in (typed, was, now))
            if not _same(mine, before) and not _same(mine, after):  # typed, and not what is stored now
                unsaved.append(UnsavedEdit(name, mine))
        self.unsaved = unsaved
        self.fields = now
        self.area = AreaPickerVM(self.areas, self.lang, fresh.village_code, home=self.home)
        self.opened = fresh
        self.exists = True
        self._initial = self.snapshot()  # what was typed is listed in ``unsaved`` beside the stored values

    @property
    def reloaded(self) -> bool:
        """The last save was refused because the household changed since the form was opened."""
        return self.errors.get("__all__") == ChangedSinceOpened.code


def _same(a: Any, b: Any) -> bool:
    """Equal as the official reads them: Khmer or Latin digits, spacing in a phone number."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, str) and isinstance(b, str):
        return _plain(a) == _plain(b)
    return a == b


def _plain(text: str) -> str:
    return "".join(ch for ch in to_ascii_digits(text) if not ch.isspace() and ch != "-")


def _error_field(name: str) -> str:
    return "gps" if name.startswith("gps_") else name
