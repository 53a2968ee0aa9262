"""Share a meeting as text: the invitation, or the closed minutes, in Khmer or English.

A phone app hands the text to the share sheet (Telegram is one tap away); the desktop and the
browser copy it to the clipboard, to paste in the group.
"""
from __future__ import annotations

from typing import Callable

import flet as ft

from app.i18n import Translator
from app.viewmodels.meeting_detail import MeetingDetailVM
from app.viewmodels.meeting_share import invitation_text, minutes_text
from views.env import Env
from views.settings import LANGUAGE_NAMES
from views.widgets import tid


def has_share_sheet(page: ft.Page) -> bool:
    return not page.web and page.platform in (ft.PagePlatform.ANDROID, ft.PagePlatform.IOS)


def share_dialog(env: Env, vm: MeetingDetailVM, which: str, *, close: Callable[[], None]) -> ft.AlertDialog:
    tr = env.tr
    areas = env.deps.areas

    def label(code: str, lang: str) -> str:
        return areas.label(code, lang, depth=2)

    chosen = {"lang": env.lang}
    box = ft.TextField(value="", multiline=True, read_only=True, min_lines=6, max_lines=12)
    services: list = []  # a service is unregistered once no Python reference remains: keep it for the dialog

    def text() -> str:
        other = Translator(chosen["lang"])
        if which == "minutes":
            return minutes_text(vm.meeting, vm.concerns, other, label) or ""
        return invitation_text(vm.meeting, other, label)

    def paint() -> None:
        box.value = text()
        for lang, c in chips.items():
            c.selected = lang == chosen["lang"]

    def pick(lang: str) -> None:
        chosen["lang"] = lang
        paint()
        env.refresh(box, *chips.values())

    async def copy(e) -> None:
        clipboard = ft.Clipboard()
        services.append(clipboard)
        try:
            await clipboard.set(box.value or "")
        except Exception:  # noqa: BLE001 - a browser may refuse the clipboard: the text stays shown to copy by hand
            return
        env.toast("meeting.copied")

    async def send(e) -> None:
        share = ft.Share()
        services.append(share)
        await share.share_text(box.value or "", title=vm.meeting.title if vm.meeting else None)

    chips = {lang: ft.Chip(label=ft.Text(name), on_select=lambda e, lang=lang: pick(lang), show_checkmark=True)
             for lang, name in LANGUAGE_NAMES.items()}
    paint()
    actions: list[ft.Control] = [ft.TextButton(tr("action.cancel"), on_click=lambda e: close())]
    actions.append(tid("share-copy", ft.OutlinedButton(tr("meeting.copy"), icon=ft.Icons.COPY, on_click=copy)))
    if has_share_sheet(env.page):
        actions.append(tid("share-send", ft.FilledButton(tr("meeting.share_sheet"), icon=ft.Icons.SEND,
                                                         on_click=send)))
    title = "meeting.share_minutes_button" if which == "minutes" else "meeting.share_invitation"
    return ft.AlertDialog(title=ft.Text(tr(title)), content=ft.Column([
        ft.Row([ft.Text(tr("meeting.share_in")), *(tid(f"share-lang-{k}", c) for k, c in chips.items())], wrap=True),
        tid("share-text", box)], tight=True, width=520, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
        actions=actions)
