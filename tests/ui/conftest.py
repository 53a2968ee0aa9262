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


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    """A browser test that fails runs once more, and only its second run counts.

    Flutter web in headless Chromium now and then drops keys typed on a long form, or a tap that a
    redraw took (docs/STATE.md "Tests"); one failure in a fresh CI run of 2,100 tests would hold
    back everything. A real defect fails both runs. The first failure is printed, not hidden.
    """
    from _pytest.runner import runtestprotocol

    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    reports = runtestprotocol(item, nextitem=nextitem, log=False)
    if any(r.failed for r in reports):
        failed = next(r for r in reports if r.failed)
        print(f"\n{item.nodeid}: failed once, run again (first failure: {failed.longreprtext[-1500:]})")
        item._initrequest()
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
    for report in reports:
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
