"""Look of the app: the Khmer font and its fallbacks, colours, and sizes a thumb can hit."""
from __future__ import annotations

import flet as ft

from app.i18n import LOCALES, locale_of

FONT_FAMILY = "NotoSansKhmer"
EMOJI_FAMILY = "NotoEmoji"  # monochrome Noto Emoji (OFL): a fifth of the colour font's size
FONTS = {
    FONT_FAMILY: "fonts/NotoSansKhmer-Regular.ttf",
    f"{FONT_FAMILY}Bold": "fonts/NotoSansKhmer-Bold.ttf",
    EMOJI_FAMILY: "fonts/NotoEmoji-Regular.ttf",
}
# Glyphs missing from the theme font are looked up here, in the app's own fonts, in both
# languages: offline, the web engine cannot fetch a fallback and would draw empty boxes.
FONT_FALLBACK = [FONT_FAMILY, "Roboto", EMOJI_FAMILY]
TEXT_STYLES = [f"{group}_{size}" for group in ("display", "headline", "title", "label", "body")
               for size in ("large", "medium", "small")]
SEED = "#1F6F5C"  # rice-field green: calm, readable in sunlight
PHONE_MAX_WIDTH = 600
TOUCH = 48  # minimum touch target (Material / WCAG)
GAP = 12
# Room below a list under the phone's add button (extended FAB 56 px + its 16 px margin + a gap):
# scrolled to its end, the last row is above the button, not under it.
FAB_CLEARANCE = 96

SYNC_COLORS = {
    "pending": ft.Colors.AMBER_800,
    "sending": ft.Colors.BLUE_700,
    "synced": ft.Colors.GREEN_700,
    "rejected": ft.Colors.RED_700,
    "conflict": ft.Colors.DEEP_ORANGE_700,
}
SYNC_ICONS = {
    "pending": ft.Icons.CLOUD_UPLOAD_OUTLINED,
    "sending": ft.Icons.CLOUD_SYNC_OUTLINED,
    "synced": ft.Icons.CLOUD_DONE_OUTLINED,
    "rejected": ft.Icons.ERROR_OUTLINE,
    "conflict": ft.Icons.CALL_SPLIT,
}
STATUS_COLORS = {
    "open": ft.Colors.RED_700,
    "in_progress": ft.Colors.AMBER_900,
    "referred": ft.Colors.BLUE_700,
    "resolved": ft.Colors.GREEN_700,
    "escalated": ft.Colors.PURPLE_700,
}


def theme(phone: bool = True) -> ft.Theme:
    """Phones get standard density (48 px targets) whatever platform the client reports;
    office desktops keep the platform's denser layout for keyboard work."""
    density = ft.VisualDensity.STANDARD if phone else ft.VisualDensity.ADAPTIVE_PLATFORM_DENSITY
    # Screens replace each other without animation: a cheap phone spends its frames on content.
    none = ft.PageTransitionTheme.NONE
    transitions = ft.PageTransitionsTheme(android=none, ios=none, linux=none, macos=none, windows=none)
    # Flet's Theme has no font fallback of its own: every text style of the theme carries it.
    text = ft.TextTheme(**{name: ft.TextStyle(font_family_fallback=FONT_FALLBACK) for name in TEXT_STYLES})
    return ft.Theme(color_scheme_seed=SEED, font_family=FONT_FAMILY, use_material3=True, visual_density=density,
                    page_transitions=transitions, text_theme=text, primary_text_theme=text)


def locales(lang: str) -> ft.LocaleConfiguration:
    """Flutter's built-in texts (date picker, text selection) in the UI language: Khmer needs listing."""
    return ft.LocaleConfiguration(supported_locales=[ft.Locale(*pair) for pair in LOCALES.values()],
                                  current_locale=ft.Locale(*locale_of(lang)))
