"""Sync: what is still on this device, Sync now with progress, rejected records and conflicts."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import flet as ft

from app.services.sync_review import ConflictItem, RejectedItem
from app.viewmodels.message import Message
from app.viewmodels.sync_screen import SyncScreenVM, fix_route
from views.env import Env, Screen
from views.theme import GAP, SYNC_COLORS
from views.widgets import card, muted, primary_button, secondary_button, section_title, tid
from records.meetings import MeetingStatus

CONNECTION_ICONS = {"online": (ft.Icons.CLOUD_DONE, ft.Colors.GREEN_700),
                    "offline": (ft.Icons.CLOUD_OFF, ft.Colors.RED_700),
                    "unknown": (ft.Icons.CLOUD_QUEUE, ft.Colors.GREY_600),
                    "no_server": (ft.Icons.CLOUD_OFF, ft.Colors.GREY_600)}


MEETING_STATES = frozenset(s.value for s in MeetingStatus)


class SyncScreen(Screen):
    title_key = "sync.title"
    tab = "sync"

    def __init__(self, env: Env):
        super().__init__(env)
        deps = env.deps
        self.vm = SyncScreenVM(deps.review, deps.status, deps.account, deps.sync_now, deps.recovery)
        self.connection = ft.Row(spacing=8)
        self.counts = ft.Container()
        self.last_success = muted("")
        self.button = primary_button(self.tr("sync.now"), self._sync_now, icon=ft.Icons.SYNC, identifier="sync-now")
        self.button.expand = True  # as wide as the card: the one action of this screen
        self.bar = tid("sync-progress", ft.ProgressBar(value=0, height=8, border_radius=4))
        self.bar_text = tid("sync-progress-text", ft.Text(""))
        self.progress_box = ft.Column([self.bar, self.bar_text], spacing=4, visible=False)
        self.result = tid("sync-result", ft.Text(""))
        self.rejected = ft.Column(spacing=8)
        self.conflicts = ft.Column(spacing=GAP)
        self._paint()

    def body(self) -> ft.Control:
        tr = self.tr
        top = card(ft.Column([
            self.connection, self.last_success,
            ft.Row([self.button]), self.progress_box, self.result,
        ], spacing=10), identifier="sync-card")
        blocks = [*self._repair(), top, card(ft.Column([section_title(tr("sync.waiting_title")), self.counts], spacing=8)),
                  self.rejected, self.conflicts]
        if self.env.phone:
            content = ft.Column(blocks, spacing=GAP, scroll=ft.ScrollMode.AUTO, expand=True,
                                horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        else:
            content = ft.Row([
                ft.Column(blocks[:2], spacing=GAP, scroll=ft.ScrollMode.AUTO, expand=2,
                          horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                ft.Column(blocks[2:], spacing=GAP, scroll=ft.ScrollMode.AUTO, expand=3,
                          horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
            ], spacing=GAP, vertical_alignment=ft.CrossAxisAlignment.START, expand=True)
        return ft.Container(content, padding=12, expand=True)

    # ---------------------------------------------------------------- painting

    def _say(self, message: Optional[Message]) -> str:
        if message is None:
            return ""
        params = dict(message.params)
        if "reason" in params:
            params["reason"] = self.tr.error(params["reason"]) if params["reason"] else ""
        params = {k: self.tr.date_time(v) if isinstance(v, datetime) else v for k, v in params.items()}
        return self.tr(message.key, **params)

    def _repair(self) -> list[ft.Control]:
        """What opening the store repaired: said once on this screen, above everything else."""
        if self.vm.repair is None:
            return []
        return [card(ft.Row([ft.Icon(ft.Icons.HEALING, color=ft.Colors.AMBER_900),
                             tid("store-repaired", ft.Text(self._say(self.vm.repair)), expand=True)],
                            spacing=8, vertical_alignment=ft.CrossAxisAlignment.START),
                     identifier="store-repaired-card")]

    def _paint(self) -> None:
        tr, vm = self.tr, self.vm
        state = vm.connection
        icon, color = CONNECTION_ICONS[state]
        server = vm.account.server_url
        self.connection.controls = [
            ft.Icon(icon, color=color, size=28),
            ft.Column([tid("connection-state", ft.Text(tr(f"sync.connection_{state}"), weight=ft.FontWeight.W_600)),
                       muted(f"{server}" if server else tr("sync.no_server")), muted(self._say(vm.who()))],
                      spacing=0, expand=True),
        ]
        if vm.offer_sign_in:
            self.connection.controls.append(secondary_button(tr("sync.go_sign_in"), lambda e: self.env.go("/settings"),
                                                             identifier="go-sign-in"))
        self.last_success.value = self._say(vm.last_success())
        inner_btn = self.button.content if isinstance(self.button, ft.Semantics) else self.button
        inner_btn.disabled = not vm.can_sync
        inner_btn.content = tr(vm.button_key)
        value, caption = vm.progress()
        self.progress_box.visible = vm.status.running
        self.bar.content.value = value
        self.bar_text.content.value = self._say(caption)
        self.result.content.value = self._say(vm.result())
        self._paint_counts()
        self._paint_rejected()
        self._paint_conflicts()

    def _paint_counts(self) -> None:
        tr = self.tr
        header = [ft.DataColumn(ft.Text(tr("sync.column_type"))),
                  ft.DataColumn(ft.Text(tr("sync.column_waiting")), numeric=True),
                  ft.DataColumn(ft.Text(tr("sync.column_rejected")), numeric=True),
                  ft.DataColumn(ft.Text(tr("sync.column_conflict")), numeric=True)]
        rows = [ft.DataRow(cells=[ft.DataCell(ft.Text(tr(f"record_kind.{kind}"))),
                                  ft.DataCell(tid(f"count-{kind}-pending", ft.Text(tr.number(p)))),
                                  ft.DataCell(tid(f"count-{kind}-rejected", ft.Text(tr.number(r)))),
                                  ft.DataCell(tid(f"count-{kind}-conflict", ft.Text(tr.number(c))))])
                for kind, p, r, c in self.vm.count_rows()]
        self.counts.content = ft.DataTable(columns=header, rows=rows, column_spacing=16, heading_row_height=40,
                                           data_row_min_height=44, horizontal_margin=4)

    def _paint_rejected(self) -> None:
        tr = self.tr
        items = self.vm.rejected
        if not items:
            self.rejected.controls = []
            return
        rows: list[ft.Control] = [section_title(tr("sync.rejected_title", count=len(items)))]
        for i, item in enumerate(items):
            rows.append(tid(f"rejected-{i}", ft.ListTile(
                leading=ft.Icon(ft.Icons.ERROR_OUTLINE, color=SYNC_COLORS["rejected"]),
                title=ft.Text(f"{tr(f'record_kind.{item.kind}')} · {item.title}", weight=ft.FontWeight.W_600),
                subtitle=ft.Text(self._reason(item)),
                trailing=ft.Icon(ft.Icons.CHEVRON_RIGHT),
                on_click=lambda e, it=item: self.env.go(fix_route(it)), min_vertical_padding=6,
            )))
        self.rejected.controls = [card(ft.Column(rows, spacing=4), identifier="rejected-list")]

    def _reason(self, item: RejectedItem) -> str:
        text = self.tr.error(item.code, item.reason)
        if item.field:
            return self.tr("sync.rejected_field", reason=text, field=self.tr(f"field.{item.field}"))
        return text

    def _paint_conflicts(self) -> None:
        tr = self.tr
        items = self.vm.conflicts
        if not items:
            self.conflicts.controls = []
            return
        blocks: list[ft.Control] = [section_title(tr("sync.conflicts_title", count=len(items)))]
        blocks += [self._conflict(i, item) for i, item in enumerate(items)]
        self.conflicts.controls = blocks

    def _conflict(self, index: int, item: ConflictItem) -> ft.Control:
        tr = self.tr
        rows = []
        for diff in item.fields:
            style = ft.FontWeight.W_600 if diff.differs else None
            color = ft.Colors.DEEP_ORANGE_50 if diff.differs else None
            rows.append(ft.DataRow(color=color, cells=[
                ft.DataCell(ft.Text(tr(f"field.{diff.field}"), weight=style)),
                ft.DataCell(ft.Text(self._show(diff.field, diff.mine), max_lines=3, overflow=ft.TextOverflow.ELLIPSIS)),
                ft.DataCell(ft.Text(self._show(diff.field, diff.server), max_lines=3,
                                    overflow=ft.TextOverflow.ELLIPSIS)),
            ]))
        table = ft.DataTable(columns=[ft.DataColumn(ft.Text(tr("sync.column_field"))),
                                      ft.DataColumn(ft.Text(tr("sync.this_device"))),
                                      ft.DataColumn(ft.Text(tr("sync.server_version")))],
                             rows=rows, column_spacing=12, horizontal_margin=4, data_row_max_height=72)
        return card(ft.Column([
            ft.Text(f"{tr(f'record_kind.{item.kind}')} · {item.title}", weight=ft.FontWeight.W_600),
            ft.Row([table], scroll=ft.ScrollMode.AUTO),
            ft.Row([
                secondary_button(tr("sync.keep_mine"), lambda e, rid=item.record_id: self._keep(self.vm.keep_local, rid),
                                 identifier=f"keep-mine-{index}"),
                secondary_button(tr("sync.keep_server"), lambda e, rid=item.record_id: self._keep(self.vm.keep_server, rid),
                                 identifier=f"keep-server-{index}"),
            ], wrap=True, spacing=GAP),
        ], spacing=8), identifier=f"conflict-{index}")

    def _show(self, name: str, value) -> str:
        """A field's value as the official reads it elsewhere in the app."""
        tr = self.tr
        if value is None or value == "" or value == []:
            return "—"
        if name == "phone":
            return tr.phone(value)
        if name == "village_code":
            return self.env.deps.areas.label(value, self.env.lang, depth=2)
        if isinstance(value, bool):
            return tr("common.yes") if value else tr("common.no")
        groups = {"vulnerabilities": "vulnerability", "visit_kind": "visit_kind", "category": "category",
                  "priority": "priority", "status": "status"}
        if name == "status" and value in MEETING_STATES:  # a meeting's status, not a concern's
            return tr(f"meeting_state.{value}")
        if name in groups:
            values = value if isinstance(value, list) else [value]
            return ", ".join(tr(f"{groups[name]}.{v}") for v in values)
        if isinstance(value, list) and isinstance(value[0], dict):  # a meeting's invitations, agenda, decisions
            return "; ".join(str(v.get("name") or v.get("title") or v.get("text") or "") for v in value)
        if name in ("visited_on", "follow_up_on", "planned_on", "held_on", "postponed_to"):
            try:
                return tr.date(date.fromisoformat(str(value)))
            except ValueError:
                return str(value)
        if name == "history" and isinstance(value, list):
            return tr.number(len(value))
        if isinstance(value, (int, float)):
            return tr.number(value)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, dict):
            return ", ".join(tr.number(v) if isinstance(v, (int, float)) else str(v) for v in value.values()
                             if v is not None)
        return str(value)

    # ---------------------------------------------------------------- events

    async def _sync_now(self, e=None):
        self.vm.begin_sync()
        self._paint()
        yield  # show "running" at once; progress then arrives through status_changed
        await self.vm.sync_now()
        self._paint()

    def _keep(self, choose, record_id: str) -> None:
        toast = choose(record_id)
        self.env.toast(toast.key, **toast.params)
        self._paint()

    def status_changed(self) -> bool:
        self.vm.status_changed()
        self._paint()
        return True
