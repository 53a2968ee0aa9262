"""What a screen gets from the shell: its ScreenDeps (services, status, events), the translator,
layout size, and navigation."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Optional

import flet as ft

from app.i18n import Translator
from app.screen_deps import ScreenDeps


class Env:
    def __init__(self, page: ft.Page, deps: ScreenDeps, tr: Translator, *, phone: bool,
                 navigate: Callable[[str], None], rerender: Callable[[], None],
                 set_language: Callable[[str], None] = lambda lang: None):
        self.page = page
        self.deps = deps
        self.tr = tr
        self.phone = phone
        self._navigate = navigate
        self._rerender = rerender
        self.set_language = set_language

    @property
    def lang(self) -> str:
        return self.tr.lang

    def go(self, route: str) -> None:
        self._navigate(route)

    def rerender(self) -> None:
        self._rerender()

    def toast(self, key: str, **params: Any) -> None:
        """A short message at the bottom (saved, signed in…); never required reading."""
        try:
            self.page.show_dialog(ft.SnackBar(ft.Text(self.tr(key, **params)), duration=2500))
        except (RuntimeError, AttributeError):
            pass  # no live page (tests that build screens without a session)

    def refresh(self, *controls: ft.Control) -> None:
        """Send only these controls' changes (typing handlers): diffing the whole page per key is slow."""
        try:
            self.page.update(*controls)
        except (RuntimeError, AttributeError):
            pass  # not on a live page (screens built in plain tests)

    def saved(self) -> None:
        self.deps.saved()


class Screen(ABC):
    """One screen: a title, a body, optional actions and floating button.

    A screen lives as long as its route is shown: the shell rebuilds its controls (``body``)
    for a new layout or language but keeps the screen and its view-model, so a form's draft
    survives; repaints for the app status must change controls in place, never rebuild a field.
    """

    title_key = ""
    tab = "households"
    focus: Optional[Any] = None  # a form's FormFocus (views/form_focus.py): fields in reading order
    keeps_draft = False  # a form: kept (not made anew) when the layout or the language changes

    def __init__(self, env: Env):
        self.env = env
        self.tr = env.tr

    def relayout(self, env: Env) -> None:
        """Shown again for another width or language: same view-model, controls built anew."""
        self.env = env
        self.tr = env.tr

    def shown(self, first: bool) -> None:
        """The screen is on the page: focus a form's first field, or again the one that had focus."""
        if self.focus is not None:
            if first:
                self.focus.focus_first()
            else:
                self.focus.restore()

    def has_unsaved(self) -> bool:
        """Typed and not saved: leaving asks first."""
        return False

    def discard(self) -> None:
        """The official chose to throw away what was typed."""

    @property
    def title(self) -> str:
        return self.tr(self.title_key)

    @abstractmethod
    def body(self) -> ft.Control: ...

    def actions(self) -> list[ft.Control]:
        return []

    def fab(self) -> Optional[ft.FloatingActionButton]:
        return None

    def status_changed(self) -> bool:
        """The app status changed (sync finished, went offline…). Return True when the body changed."""
        return False

    _status_seen: Optional[tuple] = None

    def sync_settled(self, *extra: Any) -> bool:
        """True once for each sync that ended having changed the device's records (or a change of
        ``extra``) since the screen last looked; never while a sync runs, so a screen repaints once
        with what the syncs brought, and not at all for one that brought nothing: auto-sync runs
        often, and a repaint for nothing moves the form the official is typing into."""
        status = self.env.deps.status
        if status.running:
            return False
        seen = (status.changed_syncs, *extra)
        settled = seen != self._status_seen
        self._status_seen = seen
        return settled

    def dispose(self) -> None:
        pass
