"""Settings: language, sign in/out, server address, and what this device is."""
from __future__ import annotations

import flet as ft

from app.viewmodels.settings import SettingsVM
from views.env import Env, Screen
from views.theme import GAP, TOUCH
from views.widgets import card, field, labelled, muted, primary_button, secondary_button, section_title, tid

LANGUAGE_NAMES = {"km": "ខ្មែរ", "en": "English"}


class SettingsScreen(Screen):
    title_key = "settings.title"
    tab = "settings"

    def __init__(self, env: Env):
        super().__init__(env)
        self.vm = SettingsVM(env.deps.account, env.deps.areas, env.lang)
        self.account_box = ft.Container()
        self.inputs: dict[str, ft.Control] = {}

    def body(self) -> ft.Control:
        tr, vm = self.tr, self.vm
        language = card(ft.Column([
            section_title(tr("settings.language")),
            ft.Row([tid(f"lang-{lang}", ft.Chip(
                label=ft.Text(LANGUAGE_NAMES[lang]), selected=lang == vm.language, show_checkmark=True,
                on_select=lambda e, lg=lang: self.env.set_language(lg), height=TOUCH))
                for lang in vm.languages], spacing=8),
        ], spacing=8), identifier="language-card")
        self._paint_account()
        source, version, villages = vm.gazetteer()
        device = card(ft.Column([
            section_title(tr("settings.device")),
            tid("device-id", labelled(tr("settings.device_id"), vm.device_id)),
            labelled(tr("settings.app_version"), tr.number(vm.version)),
            labelled(tr("settings.gazetteer"), tr("settings.gazetteer_value", source=source, version=version,
                                                  count=villages) if villages else tr("settings.gazetteer_none")),
        ], spacing=10), identifier="device-card")
        blocks = [language, self.account_box, device]
        if self.env.phone:
            content = ft.Column(blocks, spacing=GAP, scroll=ft.ScrollMode.AUTO, expand=True,
                                horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        else:
            content = ft.Column([ft.Container(ft.Column(blocks, spacing=GAP), width=640)], spacing=GAP,
                                scroll=ft.ScrollMode.AUTO, expand=True,
                                horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        return ft.Container(content, padding=12, expand=True)

    def _paint_account(self) -> None:
        tr, vm = self.tr, self.vm
        user = vm.user
        if user is not None:
            self.account_box.content = card(ft.Column([
                section_title(tr("settings.account")),
                tid("signed-in-as", ft.Text(tr("settings.signed_in_as", name=user.full_name or user.username),
                                            weight=ft.FontWeight.W_600)),
                labelled(tr("settings.username"), user.username),
                labelled(tr("settings.role"), tr(f"role.{user.role}")),
                labelled(tr("settings.area"), self.env.deps.areas.label(user.area_code, self.env.lang, depth=3)
                         if user.area_code else tr("settings.whole_country")),
                labelled(tr("settings.server_url"), vm.account.server_url),
                secondary_button(tr("settings.sign_out"), self._ask_sign_out, icon=ft.Icons.LOGOUT,
                                 identifier="sign-out"),
            ], spacing=10), identifier="account-card")
            return
        self.inputs = {
            "server_url": field(tr, "settings.server_url", vm.server_url, error=vm.errors.get("server_url"),
                                on_change=lambda e: vm.set("server_url", e.control.value), identifier="server-url",
                                keyboard=ft.KeyboardType.URL, helper_key="settings.server_url_help",
                                on_submit=self._sign_in),
            "username": field(tr, "settings.username", vm.username, error=vm.errors.get("username"),
                              on_change=lambda e: vm.set("username", e.control.value), identifier="username",
                              on_submit=self._sign_in),
            "password": field(tr, "settings.password", vm.password, error=vm.errors.get("password"),
                              on_change=lambda e: vm.set("password", e.control.value), identifier="password",
                              password=True, on_submit=self._sign_in),
        }
        general = vm.errors.get("")
        self.account_box.content = card(ft.Column([
            section_title(tr("settings.sign_in_title")),
            muted(tr("settings.sign_in_help")),
            *self.inputs.values(),
            ft.Text(tr.error(general) if general else "", color=ft.Colors.ERROR, visible=bool(general)),
            primary_button(tr("settings.sign_in"), self._sign_in, icon=ft.Icons.LOGIN, identifier="sign-in",
                           disabled=vm.busy),
        ], spacing=10), identifier="account-card")

    async def _sign_in(self, e=None):
        self.vm.busy = True
        self._paint_account()
        yield
        ok = await self.vm.sign_in()
        self._paint_account()
        if ok:
            self.env.toast("settings.signed_in")
            self.env.deps.signed_in()

    def _ask_sign_out(self, e=None) -> None:
        unsent = self.vm.unsent_before_sign_out()
        if not unsent:
            self.env.page.run_task(self._sign_out)
            return
        page = self.env.page

        async def confirmed(e):
            page.pop_dialog()
            await self._sign_out()
            page.update()

        page.show_dialog(ft.AlertDialog(
            title=ft.Text(self.tr("fieldcheck.sign_out_title")),
            content=tid("sign-out-warning", ft.Text(self.tr("fieldcheck.sign_out_unsent", count=unsent))),
            actions=[tid("sign-out-cancel", ft.TextButton(self.tr("action.cancel"), on_click=lambda e: page.pop_dialog(),
                                                          height=TOUCH)),
                     tid("sign-out-confirm", ft.FilledButton(self.tr("fieldcheck.sign_out_anyway"), on_click=confirmed,
                                                             height=TOUCH))]))

    async def _sign_out(self, e=None):
        await self.vm.sign_out()
        self._paint_account()
        self.env.toast("settings.signed_out")
        self.env.deps.signed_out()
