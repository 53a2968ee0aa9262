"""Phum: `flet build apk|linux|windows` packages this; `python main.py` opens the desktop app.

`make run` (devtools/run_local.py) serves the same main() in a browser next to a local server.
"""
import flet as ft

from views.app import ASSETS_DIR, main

if __name__ == "__main__":
    ft.run(main, assets_dir=ASSETS_DIR)
