"""Who is working on this device: stamped on every record and history entry."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from records.roles import is_office



@dataclass(frozen=True)
class Actor:
    username: str  # the sign-in name; "" before the first sign-in
    full_name: str
    device_id: str
    role: str = "official"  # of the signed-in user (device settings); an official until someone signs in
    area_code: str = ""  # the signed-in user's area ("" = whole country, or nobody signed in yet)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def signature(self) -> str:
        """Who a history entry is by: the person, or this device before anyone signed in."""
        return self.display_name or self.device_id or "device"

    @property
    def is_office(self) -> bool:
        return is_office(self.role)


ActorSource = Callable[[], Actor]


def fixed_actor(username: str = "", full_name: str = "", device_id: str = "", role: str = "official",
                area_code: str = "") -> ActorSource:
    actor = Actor(username=username, full_name=full_name, device_id=device_id, role=role, area_code=area_code)
    return lambda: actor
