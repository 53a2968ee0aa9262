"""The household form (new and edit): typed text in, field error codes or a saved record out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from app.i18n import national_phone
from app.models import Gps, Household, Vulnerability
from app.services.areas import AreaService
from app.services.households import HouseholdService, SaveFailed
from app.services.parsing import InputError, parse_decimal
from app.viewmodels.area_picker import AreaPickerVM

VULNERABILITIES = [v.value for v in Vulnerability]


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
                 household_id: Optional[str] = None):
        self.households = households
        self.household_id = household_id
        existing = households.find(household_id) if household_id else None
        self.exists = existing is not None
        self.fields = HouseholdFields.of(existing) if existing else HouseholdFields()
        self.area = AreaPickerVM(areas, lang, existing.village_code if existing else "")
        self.errors: dict[str, str] = {}
        self.saved: Optional[Household] = None

    @property
    def is_edit(self) -> bool:
        return self.household_id is not None

    def set(self, name: str, value: Any) -> None:
        setattr(self.fields, name, value)
        self.errors.pop(_error_field(name), None)  # the official is fixing it: stop shouting

    def toggle_vulnerability(self, flag: str, on: bool) -> None:
        if on:
            self.fields.vulnerabilities.add(flag)
        else:
            self.fields.vulnerabilities.discard(flag)

    def set_gps(self, lat: float, lon: float, accuracy_m: Optional[float]) -> None:
        self.fields.gps_lat = f"{lat:.6f}"
        self.fields.gps_lon = f"{lon:.6f}"
        self.fields.gps_accuracy = f"{accuracy_m:.0f}" if accuracy_m is not None else ""
        self.errors.pop("gps", None)

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
        """Save when every field is valid; otherwise fill ``errors`` and save nothing."""
        try:
            values = self.values()
            self.saved = self.households.save(values, household_id=self.household_id)
        except SaveFailed as exc:
            self.errors = dict(exc.errors)
            if "village_code" in self.errors and not self.area.village_code:
                self.errors["village_code"] = "village_required"
            return None
        self.errors = {}
        self.household_id = self.saved.id
        return self.saved


def _error_field(name: str) -> str:
    return "gps" if name.startswith("gps_") else name
