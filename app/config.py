"""Where Phum keeps its files, and the few settings that come from the environment."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

APP_NAME = "phum"


def data_dir() -> Path:
    """The durable data directory.

    A built app (Android, `flet build linux/windows`) gets FLET_APP_STORAGE_DATA, which
    survives updates; PHUM_DATA_DIR overrides for development and tests; otherwise the
    per-user data directory. Never the source tree: it is wiped on every app update.
    """
    for var in ("PHUM_DATA_DIR", "FLET_APP_STORAGE_DATA"):
        value = os.environ.get(var)
        if value:
            path = Path(value)
            break
    else:
        import platformdirs  # lazy: not needed on a phone, where the variable is always set

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def device_settings_path(directory: Optional[Path] = None) -> Path:
    """Server URL, token and device id: kept apart from the records store (in ``directory``,
    by default the data directory)."""
    return (directory or data_dir()) / "device.json"
