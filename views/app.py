"""The Flet entry point: one Shell per session over the process's shared AppContext's ScreenDeps."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Optional

import flet as ft

from app.screen_deps import ScreenDeps
from views.shell import Shell, wait_ready
from views.theme import FONTS, theme

ASSETS_DIR = str(Path(__file__).resolve().parent.parent / "assets")
log = logging.getLogger(__name__)


def make_main(deps_factory: Optional[Callable[[], ScreenDeps]] = None):
    """main(page) for ft.run; ``deps_factory`` lets tests and benchmarks bring their own store."""

    async def main(page: ft.Page) -> None:
        try:
            deps = deps_factory() if deps_factory is not None else (await _shared_context(page)).ui
        except Exception as exc:
            problem = getattr(exc, "message_key", None)  # the store's key errors say what to show
            if not problem:
                raise
            log.error("the records cannot be opened: %s", exc)
            show_store_problem(page, problem)
            return
        await wait_ready(page)
        shell = Shell(page, deps)
        page.session.store.set("shell", shell)  # keep it alive as long as the session
        shell.start()

    return main


async def _shared_context(page: ft.Page):
    from app.composition import shared_context

    data_key = None
    if not page.web and page.platform in (ft.PagePlatform.ANDROID, ft.PagePlatform.IOS):
        # On a phone the records' key lives in the platform key store, reached through the page.
        from app.config import data_dir
        from app.secure_keys import phone_data_key

        data_key = await phone_data_key(data_dir() / "records")
    return shared_context(data_key)


def show_store_problem(page: ft.Page, message_key: str) -> None:
    """The records could not be opened (wrong or missing key): say so in both languages, touch nothing."""
    from app.i18n import Translator

    km, en = Translator("km"), Translator("en")
    page.fonts = dict(FONTS)
    page.theme = theme(True)
    page.add(ft.SafeArea(ft.Column([
        ft.Semantics(identifier="store-problem", content=ft.Text(km(message_key), size=18)),
        ft.Text(en(message_key)),
        ft.Text(km("store.key_help")),
        ft.Text(en("store.key_help")),
    ], spacing=12)))


main = make_main()
