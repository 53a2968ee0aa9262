"""The app's addresses (deep links) and where "back" goes from each (pure)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

TABS = ("households", "concerns", "meetings", "reports", "sync", "settings")
_ID = r"([0-9a-fA-F-]{36})"
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("households", re.compile(r"^/(?:households)?$")),
    ("household_new", re.compile(r"^/households/new$")),
    ("household", re.compile(rf"^/households/{_ID}$")),
    ("household_edit", re.compile(rf"^/households/{_ID}/edit$")),
    ("visit_new", re.compile(rf"^/households/{_ID}/visit$")),
    ("visit_edit", re.compile(rf"^/households/{_ID}/visits/{_ID}$")),
    ("concerns", re.compile(r"^/concerns$")),
    ("concern", re.compile(rf"^/concerns/{_ID}$")),
    ("meetings", re.compile(r"^/meetings$")),
    ("meeting_new", re.compile(r"^/meetings/new$")),
    ("meeting", re.compile(rf"^/meetings/{_ID}$")),
    ("meeting_concerns", re.compile(rf"^/meetings/{_ID}/concerns$")),
    ("meeting_edit", re.compile(rf"^/meetings/{_ID}/edit$")),
    ("reports", re.compile(r"^/reports$")),
    ("sync", re.compile(r"^/sync$")),
    ("settings", re.compile(r"^/settings$")),
]


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    household_id: str = ""
    visit_id: str = ""
    concern_id: str = ""
    meeting_id: str = ""

    @property
    def tab(self) -> str:
        if self.name.startswith(("household", "visit")):
            return "households"
        if self.name.startswith("meeting"):
            return "meetings"
        if self.name.startswith("concern"):
            return "concerns"
        return self.name if self.name in TABS else "households"

    @property
    def shows_records(self) -> bool:
        """Households, visits or concerns: closed while signed out (the sync and settings tabs are not)."""
        return self.name.startswith(("household", "visit", "concern"))

    @property
    def back(self) -> Optional[str]:
        """Where the back arrow leads; None on the top-level screens."""
        if self.name in ("household_new",):
            return "/households"
        if self.name == "household":
            return "/households"
        if self.name in ("household_edit", "visit_new", "visit_edit"):
            return f"/households/{self.household_id}"
        if self.name == "concern":
            return "/concerns"
        if self.name in ("meeting_new", "meeting"):
            return "/meetings"
        if self.name in ("meeting_concerns", "meeting_edit"):
            return f"/meetings/{self.meeting_id}"
        if self.name == "not_found":
            return "/households"
        return None


def parse_route(raw: Optional[str]) -> Route:
    path = urlsplit(raw or "/").path.rstrip("/") or "/"
    for name, pattern in _PATTERNS:
        match = pattern.match(path)
        if match:
            groups = [g.lower() for g in match.groups()]
            if name == "concern":
                return Route(name, path, concern_id=groups[0])
            if name in ("meeting", "meeting_concerns", "meeting_edit"):
                return Route(name, path, meeting_id=groups[0])
            return Route(name, path, household_id=groups[0] if groups else "",
                         visit_id=groups[1] if len(groups) > 1 else "")
    return Route("not_found", path)
