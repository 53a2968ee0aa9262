"""The frame around every screen: routes, phone/desktop navigation, pending badge, offline banner."""
from __future__ import annotations

import asyncio
from typing import Callable, Optional

import flet as ft

from app.i18n import Translator
from app.routes import TABS, Route, parse_route
from app.screen_deps import ScreenDeps
from views.env import Env, Screen
from views.theme import FONTS, PHONE_MAX_WIDTH, TOUCH, locales, theme
from views.widgets import icon_button, tid

TAB_ROUTES = {"households": "/households", "concerns": "/concerns", "meetings": "/meetings", "reports": "/reports", "sync": "/sync",
              "settings": "/settings"}
TAB_ICONS = {
    "households": (ft.Icons.HOME_OUTLINED, ft.Icons.HOME),
    "concerns": (ft.Icons.CAMPAIGN_OUTLINED, ft.Icons.CAMPAIGN),
    "meetings": (ft.Icons.GROUPS_OUTLINED, ft.Icons.GROUPS),
    "reports": (ft.Icons.BAR_CHART_OUTLINED, ft.Icons.BAR_CHART),
    "sync": (ft.Icons.SYNC_OUTLINED, ft.Icons.SYNC),
    "settings": (ft.Icons.SETTINGS_OUTLINED, ft.Icons.SETTINGS),
}


def screen_for(env: Env, route: Route) -> Screen:
    from views import concerns, household_detail, household_form, households, reports, settings, sync_screen, visit_form
    from views import forum_concerns, meeting_detail, meetings

    factories: dict[str, Callable[[], Screen]] = {
        "households": lambda: households.HouseholdsScreen(env),
        "household_new": lambda: household_form.HouseholdFormScreen(env, None),
        "household_edit": lambda: household_form.HouseholdFormScreen(env, route.household_id),
        "household": lambda: household_detail.HouseholdDetailScreen(env, route.household_id),
        "visit_new": lambda: visit_form.VisitFormScreen(env, route.household_id, None),
        "visit_edit": lambda: visit_form.VisitFormScreen(env, route.household_id, route.visit_id),
        "concerns": lambda: concerns.ConcernsScreen(env, None),
        "concern": lambda: concerns.ConcernsScreen(env, route.concern_id),
        "meetings": lambda: meetings.MeetingsScreen(env),
        "meeting_new": lambda: meetings.PlanMeetingScreen(env),
        "meeting_edit": lambda: meetings.PlanMeetingScreen(env, route.meeting_id),
        "meeting": lambda: meeting_detail.MeetingDetailScreen(env, route.meeting_id),
        "meeting_concerns": lambda: forum_concerns.ForumConcernsScreen(env, route.meeting_id),
        "reports": lambda: reports.ReportsScreen(env),
        "sync": lambda: sync_screen.SyncScreen(env),
        "settings": lambda: settings.SettingsScreen(env),
    }
    if route.shows_records and env.deps.account.records_hidden:
        from views.signed_out import SignedOutScreen

        return SignedOutScreen(env, route.tab)  # the records stay on the device, closed until a sign-in
    factory = factories.get(route.name)
    return factory() if factory else households.NotFoundScreen(env)


class Shell:
    """One per Flet session: renders the current route and keeps the status strip live."""

    def __init__(self, page: ft.Page, deps: ScreenDeps):
        self.page = page
        self.deps = deps
        self.tr = Translator(deps.language())
        self.screen: Optional[Screen] = None
        self.route = parse_route(page.route)
        self._phone = self._is_phone()
        self._badge_text = ft.Text("", weight=ft.FontWeight.W_600)
        self._badge_icon = ft.Icon(ft.Icons.CLOUD_DONE_OUTLINED, size=22)
        self._badge = tid("pending-badge", ft.TextButton(
            content=ft.Row([self._badge_icon, self._badge_text], spacing=4, tight=True),
            on_click=lambda e: self.go("/sync"), height=TOUCH,
        ))
        self._banner_text = ft.Text("", color=ft.Colors.ON_ERROR_CONTAINER, expand=True)
        self._banner = tid("offline-banner", ft.Container(
            content=ft.Row([ft.Icon(ft.Icons.CLOUD_OFF, color=ft.Colors.ON_ERROR_CONTAINER), self._banner_text],
                           spacing=8),
            bgcolor=ft.Colors.ERROR_CONTAINER, padding=ft.Padding.symmetric(horizontal=16, vertical=10),
        ))
        self._progress = ft.ProgressBar(value=None, height=3, visible=False)
        # Banner and progress toggle inside this strip, which is always there: Flutter matches
        # children by position, so the screen's body keeps its place and its fields their state.
        self._strip = ft.Column([self._banner, self._progress], spacing=0)
        self._nav: Optional[ft.Control] = None
        self._unsubscribe = deps.status.subscribe(self._status_changed)

        page.title = "Phum"
        page.fonts = dict(FONTS)
        page.theme = theme(self._phone)
        page.theme_mode = ft.ThemeMode.LIGHT
        page.locale_configuration = locales(self.tr.lang)
        page.padding = 0
        page.on_route_change = self._on_route_change
        page.on_view_pop = self._on_view_pop
        page.on_resize = self._on_resize
        page.on_disconnect = lambda e: None
        page.on_close = lambda e: self.dispose()
        page.on_app_lifecycle_state_change = self._on_lifecycle
        page.on_keyboard_event = self._on_key

    # ---------------------------------------------------------------- rendering

    def _is_phone(self) -> bool:
        width = self.page.width
        return bool(width) and width <= PHONE_MAX_WIDTH

    def start(self) -> None:
        if self.route.name == "households" and self.route.path == "/":
            self.route = parse_route("/households")
        self.deps.session_started(self.page.run_task)
        self.deps.status.records_changed()  # counts may have moved while no screen was open
        self.render()

    def env(self) -> Env:
        return Env(self.page, self.deps, self.tr, phone=self._phone, navigate=self.go, rerender=self.render,
                   set_language=self.set_language)

    def render(self, *, keep_screen: bool = False) -> None:
        """Show the route; ``keep_screen``: the same screen for a new layout or language (its
        view-model and any draft stay, only its controls are built again)."""
        self._hidden = self.deps.account.records_hidden
        first = not (keep_screen and self.screen is not None and self.screen.keeps_draft)
        if first:
            if self.screen is not None:
                self.screen.dispose()
            self.screen = screen_for(self.env(), self.route)
        else:
            self.screen.relayout(self.env())
        self._sync_icons: list[ft.Icon] = []
        self._concern_icons: list[ft.Icon] = []
        self.page.views.clear()
        self.page.views.append(self._frame(self.screen))
        self._paint_status()
        self.page.update()
        self.screen.shown(first)

    def _frame(self, screen: Screen) -> ft.View:
        tr = self.tr
        leading = None
        if self.route.back:
            leading = icon_button(ft.Icons.ARROW_BACK, tr("nav.back"), lambda e, r=self.route.back: self.go(r),
                                  identifier="back")
        appbar = ft.AppBar(
            title=ft.Text(screen.title, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
            leading=leading, automatically_imply_leading=False,
            actions=[*screen.actions(), self._badge, ft.Container(width=8)],
            bgcolor=ft.Colors.SURFACE_CONTAINER,
        )
        body = ft.Column([self._strip,
                          tid("screen-body", ft.Container(screen.body(), expand=True), expand=True)],
                         spacing=0, expand=True)
        tab_index = TABS.index(screen.tab) if screen.tab in TABS else 0
        if self._phone:
            nav = self._nav = ft.NavigationBar(
                selected_index=tab_index, on_change=self._on_tab,
                destinations=[ft.NavigationBarDestination(icon=self._tab_icon(t, False),
                                                          selected_icon=self._tab_icon(t, True), label=tr(f"nav.{t}"))
                              for t in TABS],
            )
            return ft.View(route=self.route.path, controls=[body], appbar=appbar, navigation_bar=nav,
                           floating_action_button=screen.fab(), padding=0, spacing=0)
        rail = self._nav = ft.NavigationRail(
            selected_index=tab_index, on_change=self._on_tab, label_type=ft.NavigationRailLabelType.ALL,
            min_width=88, group_alignment=-1.0,
            destinations=[ft.NavigationRailDestination(icon=self._tab_icon(t, False),
                                                       selected_icon=self._tab_icon(t, True), label=tr(f"nav.{t}"))
                          for t in TABS],
        )
        return ft.View(route=self.route.path, controls=[ft.Row([rail, ft.VerticalDivider(width=1), body],
                                                               expand=True, spacing=0)],
                       appbar=appbar, floating_action_button=screen.fab(), padding=0, spacing=0)

    def _tab_icon(self, tab: str, selected: bool) -> ft.Control:
        icon = ft.Icon(TAB_ICONS[tab][1 if selected else 0])
        if tab == "sync":
            self._sync_icons.append(icon)
            self._paint_sync_icon(icon)
        if tab == "concerns":
            self._concern_icons.append(icon)
            self._paint_concern_icon(icon)
        return tid(f"nav-{tab}", icon)

    def _paint_concern_icon(self, icon: ft.Icon) -> None:
        # Concerns to chase (overdue, due soon, the household to tell): the follow-up list's count.
        counts = self.deps.followup.counts()
        icon.badge = ft.Badge(label=self.tr.number(counts.total),
                              bgcolor=ft.Colors.RED_800 if counts.overdue else None) if counts.total else None

    def _paint_sync_icon(self, icon: ft.Icon) -> None:
        count = self.deps.status.pending
        icon.badge = ft.Badge(label=self.tr.number(count)) if count else None

    # ---------------------------------------------------------------- status strip

    def _paint_status(self) -> None:
        status, tr = self.deps.status, self.tr
        count = status.pending
        self._badge_text.value = tr.number(count)
        self._badge_icon.icon = ft.Icons.CLOUD_UPLOAD if count else ft.Icons.CLOUD_DONE_OUTLINED
        self._badge_icon.color = ft.Colors.AMBER_900 if count else ft.Colors.GREEN_800
        inner = self._badge.content
        inner.tooltip = tr("status.pending_badge", count=count)
        self._badge.label = tr("status.pending_badge", count=count)
        if status.offline:
            self._banner_text.value = tr("status.offline")
            self._banner.visible = True
        elif status.needs_sign_in:
            self._banner_text.value = tr("status.needs_sign_in")
            self._banner.visible = True
        else:
            self._banner.visible = False
        self._progress.visible = status.running
        for icon in getattr(self, "_sync_icons", []):
            self._paint_sync_icon(icon)
        for icon in getattr(self, "_concern_icons", []):
            self._paint_concern_icon(icon)

    def _status_changed(self) -> None:
        # Called from AutoSync (event loop) or a worker thread: hop onto this session's loop.
        try:
            if self.page.session.connection is None:
                return  # a tab that is away; it is painted afresh when it comes back
            self.page.run_task(self._apply_status)
        except (RuntimeError, AttributeError):
            self.dispose()  # the session is gone

    async def _apply_status(self) -> None:
        if self.route.shows_records and self.deps.account.records_hidden != getattr(self, "_hidden", False):
            self.render()  # signed out (or in) in another window: open or close the records here too
            return
        self._paint_status()
        if self.screen is not None:
            self.screen.status_changed()
        try:
            self.page.update()
        except RuntimeError:
            pass

    # ---------------------------------------------------------------- events

    def go(self, route: str) -> None:
        """Go to ``route``; from a form with typed changes, ask first (keep editing / discard)."""
        screen = self.screen
        if screen is not None and route != self.route.path and screen.has_unsaved():
            self._ask_leave(route)
            return
        self.page.navigate(route)

    def _ask_leave(self, route: str) -> None:
        tr, screen = self.tr, self.screen

        def keep(e) -> None:
            self.page.pop_dialog()
            self._paint_tab()

        def discard(e) -> None:
            self.page.pop_dialog()
            if screen is self.screen and screen is not None:
                screen.discard()
            self.page.navigate(route)

        self.page.show_dialog(ft.AlertDialog(
            modal=True, title=ft.Text(tr("draft.leave_title")), content=ft.Text(tr("draft.leave_message")),
            actions=[tid("leave-keep", ft.TextButton(tr("draft.keep_editing"), on_click=keep, height=TOUCH,
                                                      autofocus=True)),
                     tid("leave-discard", ft.TextButton(tr("draft.discard"), on_click=discard, height=TOUCH))],
        ))

    def _paint_tab(self) -> None:
        """The rail or bar shows the screen's tab again (a tap on another tab was not followed)."""
        if self._nav is not None and self.screen is not None:
            self._nav.selected_index = TABS.index(self.screen.tab) if self.screen.tab in TABS else 0
            try:
                self.page.update()
            except RuntimeError:
                pass

    def _on_tab(self, e: ft.ControlEvent) -> None:
        index = int(e.control.selected_index or 0)
        self.go(TAB_ROUTES[TABS[index]])

    def _on_key(self, e: ft.KeyboardEvent) -> None:
        try:
            ft.context.disable_auto_update()  # every key comes here: no page diff for it
        except Exception:  # noqa: BLE001 - outside a session
            pass
        if e.key == "Tab" and self.screen is not None and self.screen.focus is not None:
            self.screen.focus.tab_pressed(bool(e.shift))

    def _on_route_change(self, e: ft.RouteChangeEvent) -> None:
        self.route = parse_route(e.route if getattr(e, "route", None) else self.page.route)
        self.render()

    async def _on_view_pop(self, e: ft.ViewPopEvent) -> None:
        if self.route.back:
            self.go(self.route.back)

    def _on_resize(self, e: ft.PageResizeEvent) -> None:
        phone = bool(e.width) and e.width <= PHONE_MAX_WIDTH
        if phone != self._phone:
            self._phone = phone
            self.page.theme = theme(phone)
            self.render(keep_screen=True)

    def _on_lifecycle(self, e) -> None:
        # Android may have frozen Python while hidden: look again as soon as the app is back.
        if str(getattr(e, "state", "")).lower().endswith("resume"):
            self.deps.app_resumed()

    def set_language(self, lang: str) -> None:
        self.deps.language_changed(lang)
        self.tr = Translator(self.deps.language())
        self.page.locale_configuration = locales(self.tr.lang)
        self.render(keep_screen=True)

    def dispose(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.screen is not None:
            self.screen.dispose()


async def wait_ready(page: ft.Page) -> None:
    """Give the client a moment to report its size before the first layout choice."""
    for _ in range(20):
        if page.width:
            return
        await asyncio.sleep(0.05)
