"""The Flet entry point: one Shell per session over the process's shared AppContext."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import flet as ft

from views.shell import Shell, wait_ready

ASSETS_DIR = str(Path(__file__).resolve().parent.parent / "assets")


def make_main(context_factory: Optional[Callable] = None):
    """main(page) for ft.run; ``context_factory`` lets tests and benchmarks bring their own store."""

    async def main(page: ft.Page) -> None:
        if context_factory is None:
            from app.composition import shared_context

            ctx = shared_context()
        else:
            ctx = context_factory()
        await wait_ready(page)
        shell = Shell(page, ctx)
        page.session.store.set("shell", shell)  # keep it alive as long as the session
        shell.start()

    return main


main = make_main()
