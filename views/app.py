"""The Flet entry point: one Shell per session over the process's shared AppContext's ScreenDeps."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import flet as ft

from app.screen_deps import ScreenDeps
from views.shell import Shell, wait_ready

ASSETS_DIR = str(Path(__file__).resolve().parent.parent / "assets")


def make_main(deps_factory: Optional[Callable[[], ScreenDeps]] = None):
    """main(page) for ft.run; ``deps_factory`` lets tests and benchmarks bring their own store."""

    async def main(page: ft.Page) -> None:
        if deps_factory is None:
            from app.composition import shared_context

            deps = shared_context().ui
        else:
            deps = deps_factory()
        await wait_ready(page)
        shell = Shell(page, deps)
        page.session.store.set("shell", shell)  # keep it alive as long as the session
        shell.start()

    return main


main = make_main()
