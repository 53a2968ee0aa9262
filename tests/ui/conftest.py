"""Browser fixtures: one headless Chromium for the whole run (Debian's, from scripts/system-deps.sh)."""
from __future__ import annotations

import os

import pytest

from tests.ui.harness import chromium_path, launch_browser


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def playwright():
    if chromium_path() is None:
        message = "Debian's chromium is not installed (scripts/system-deps.sh installs it)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright):
    browser = launch_browser(playwright)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def devices(playwright) -> dict:
    return playwright.devices
