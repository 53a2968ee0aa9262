"""What the records tabs show after a sign-out: nothing of the records, and the way to sign in."""
from __future__ import annotations

import flet as ft

from views.env import Env, Screen
from views.widgets import empty_state, primary_button


class SignedOutScreen(Screen):
    title_key = "fieldcheck.signed_out_title"

    def __init__(self, env: Env, tab: str):
        super().__init__(env)
        self.tab = tab

    def body(self) -> ft.Control:
        tr = self.tr
        return ft.Semantics(identifier="records-hidden", content=empty_state(
            ft.Icons.LOCK_OUTLINE, tr("fieldcheck.signed_out_title"),
            tr("fieldcheck.signed_out_message", count=self.env.deps.account.unsent_count()),
            primary_button(tr("settings.sign_in"), lambda e: self.env.go("/settings"), icon=ft.Icons.LOGIN,
                           identifier="go-sign-in")))
