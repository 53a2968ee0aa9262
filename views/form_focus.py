"""A form's fields in reading order, and where the keyboard focus is among them.

Flet 1.0 has no focus traversal group, and Flutter's reading order interleaves the
navigation rail with the form's rows (Tab from "Name in Latin letters" reached "Sync"). So
the form keeps its own order: Enter in a one-line field moves to the next field, Tab that
lands outside the form is brought back to the next field, the first field is focused when
the form opens, and the focused field (and its caret) is focused again after the screen is
rebuilt (phone/desktop width crossed)."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Optional

import flet as ft

from views.widgets import inner

TAB_SETTLE_S = 0.25  # how long Flutter's own Tab move may take to reach a field of the form


def _quiet() -> None:
    """Focus bookkeeping changes nothing on screen: skip the page diff after its events."""
    try:
        ft.context.disable_auto_update()
    except Exception:  # noqa: BLE001 - outside a session (screens built in plain tests)
        pass


class FormFocus:
    def __init__(self, page: Any):
        self.page = page
        self.order: list[str] = []
        self.controls: dict[str, ft.Control] = {}
        self.focusable: dict[str, bool] = {}
        self.current: Optional[str] = None  # the field that had focus last
        self.inside = False  # focus is in one of the form's fields right now
        self.carets: dict[str, ft.TextSelection] = {}
        self._moves = 0  # focus events seen: tells whether Flutter's Tab stayed inside the form
        self._blurred_at = 0.0
        self._tabs = 0  # Tab presses seen: only the latest one's check may move the focus

    def reset(self) -> None:
        """The form's controls are about to be built again (the names and what had focus stay)."""
        self.order, self.controls, self.focusable = [], {}, {}

    def track(self, name: str, control: ft.Control, *, focusable: bool = True) -> ft.Control:
        """Add ``control`` (or the control inside its test-id wrapper) as the next field; a name
        already tracked keeps its place and follows the new control (a repainted dropdown).

        ``focusable`` False: it can take focus but not be given it from Python (checkboxes, chips).
        """
        target = inner(control)
        if name not in self.controls:
            self.order.append(name)
        self.controls[name] = target
        self.focusable[name] = focusable and hasattr(target, "focus")

        def focused(e, n=name, t=target) -> None:
            _quiet()
            self.current, self.inside = n, True
            self._moves += 1

        def blurred(e, t=target) -> None:
            _quiet()
            if self.controls.get(self.current or "") is t:  # not a late blur of a control rebuilt meanwhile
                self.inside = False
                self._blurred_at = time.monotonic()

        target.on_focus = focused
        target.on_blur = blurred
        if isinstance(target, ft.TextField):
            def caret(e, n=name) -> None:
                _quiet()
                self.carets[n] = e.selection
            target.on_selection_change = caret
        return control

    def next_after(self, name: Optional[str], step: int = 1) -> Optional[str]:
        """The next field that can be given focus, in reading order, wrapping round the form."""
        if not self.order:
            return None
        start = self.order.index(name) if name in self.order else (-1 if step > 0 else 0)
        for i in range(1, len(self.order) + 1):
            candidate = self.order[(start + i * step) % len(self.order)]
            if self.focusable.get(candidate):
                return candidate
        return None

    def focus(self, name: Optional[str], *, caret: bool = False) -> None:
        control = self.controls.get(name or "")
        if control is None or not self.focusable.get(name or ""):
            return
        self.current, self.inside = name, True

        selection = None
        if caret and isinstance(control, ft.TextField):
            # Focusing a one-line field selects all of it on the web: put the caret back, or the
            # next key would replace the text.
            end = len(control.value or "")
            was = self.carets.get(name or "") or ft.TextSelection(base_offset=end, extent_offset=end)
            selection = ft.TextSelection(base_offset=min(was.base_offset, end),
                                         extent_offset=min(was.extent_offset, end))

        async def run() -> None:
            try:
                await control.focus()
                if selection is not None:
                    control.selection = selection
                    control.update()
            except (RuntimeError, AttributeError, TimeoutError):
                pass  # the screen went away meanwhile

        try:
            self.page.run_task(run)
        except (RuntimeError, AttributeError):
            pass  # no live page (screens built in plain tests)

    def focus_first(self) -> None:
        self.focus(self.next_after(None))

    def focus_next(self, name: str) -> None:
        self.focus(self.next_after(name))

    def restore(self) -> None:
        """After a rebuild: focus again the field that had it, caret where it was."""
        if self.inside and self.current in self.controls:
            self.focus(self.current, caret=True)

    def submit_moves_on(self, name: str):
        """An on_submit handler: Enter in this field goes to the next one (it never leaves the form)."""
        return lambda e: self.focus_next(name)

    def tab_pressed(self, shift: bool) -> None:
        """Tab went somewhere: if no field of the form took focus, Flutter left the form; come back."""
        just_left = time.monotonic() - self._blurred_at < 2 * TAB_SETTLE_S  # the blur may arrive before the key
        if self.current is None or not (self.inside or just_left):
            return
        origin, moves = self.current, self._moves
        self._tabs += 1
        tabs = self._tabs

        async def settle() -> None:
            await asyncio.sleep(TAB_SETTLE_S)
            if self._moves == moves and self._tabs == tabs:  # a later Tab has its own check
                self.focus(self.next_after(origin, -1 if shift else 1))

        try:
            self.page.run_task(settle)
        except (RuntimeError, AttributeError):
            pass
