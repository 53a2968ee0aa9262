"""The GPS button's work: ask for permission when pressed, then a position, with every refusal handled."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Optional

import flet as ft

FIX_TIMEOUT_S = 60.0  # a cold GPS fix can take long; past this, offer the last known one
_geolocators: dict[int, object] = {}  # one service per page, kept referenced (Flet drops unreferenced services)


@dataclass(frozen=True)
class Located:
    ok: bool
    lat: float = 0.0
    lon: float = 0.0
    accuracy_m: Optional[float] = None
    problem: str = ""  # unavailable | disabled | denied | denied_forever | timeout


def _service(page: ft.Page):
    import flet_geolocator as fg  # the Flutter plugin exists only in built apps (Android, desktop)

    key = id(page)
    if key not in _geolocators:
        geo = fg.Geolocator()
        page.services.append(geo)
        page.update()
        _geolocators[key] = geo
    return _geolocators[key]


async def locate(page: ft.Page) -> Located:
    if page.web:
        return Located(False, problem="unavailable")  # the browser client is built without the plugin
    try:
        import flet_geolocator as fg

        geo = _service(page)
        if not await asyncio.wait_for(geo.is_location_service_enabled(), 10):
            return Located(False, problem="disabled")
        status = await asyncio.wait_for(geo.request_permission(), 120)
        if status == fg.GeolocatorPermissionStatus.DENIED_FOREVER:
            await geo.open_app_settings()
            return Located(False, problem="denied_forever")
        if status not in (fg.GeolocatorPermissionStatus.WHILE_IN_USE, fg.GeolocatorPermissionStatus.ALWAYS):
            return Located(False, problem="denied")
        try:
            pos = await asyncio.wait_for(geo.get_current_position(), FIX_TIMEOUT_S)
        except asyncio.TimeoutError:
            pos = await asyncio.wait_for(geo.get_last_known_position(), 10)
            if pos is None:
                return Located(False, problem="timeout")
        return Located(True, float(pos.latitude), float(pos.longitude),
                       float(pos.accuracy) if pos.accuracy is not None else None)
    except (ImportError, asyncio.TimeoutError, RuntimeError, TypeError, ValueError):
        return Located(False, problem="unavailable")
