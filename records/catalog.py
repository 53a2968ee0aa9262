"""The translation catalogues (assets/i18n/<lang>.json): one reader for the app and the server.

The server names concern categories from the same catalogue the app shows, so both read it here.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("km", "en")
I18N_DIR = Path(__file__).resolve().parent.parent / "assets" / "i18n"


@lru_cache(maxsize=None)
def load_catalog(lang: str, directory: str = str(I18N_DIR)) -> dict[str, str]:
    """Key → text in ``lang``; cached (the files ship with the app and never change at run time)."""
    with open(Path(directory) / f"{lang}.json", encoding="utf-8") as fh:
        return json.load(fh)
