"""The app's clock: the real time, or one a test moves (the seam the browser scenarios use).

``PHUM_CLOCK_FILE`` names a file holding an ISO date-time (with its offset); while it exists
"now" is what it says, read again whenever the file changes. A browser test runs the app in
another process and writes the file to let days pass. Records keep their own rules about the
real day (a date may not be in the future), so tests set this clock in the past, never ahead.
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from records.models import utcnow

Clock = Callable[[], datetime]


class FileClock:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._seen: Optional[tuple[float, int]] = None
        self._value: Optional[datetime] = None

    def __call__(self) -> datetime:
        try:
            stat = self.path.stat()
        except OSError:
            return utcnow()
        key = (stat.st_mtime, stat.st_size)
        if key != self._seen:
            try:
                value = datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
            except (OSError, ValueError):
                return utcnow()  # half written or unreadable: the real time, never a crash
            self._value = value if value.tzinfo else None
            self._seen = key
        return self._value or utcnow()


def clock_from_env() -> Clock:
    path = os.environ.get("PHUM_CLOCK_FILE", "").strip()
    return FileClock(Path(path)) if path else utcnow
