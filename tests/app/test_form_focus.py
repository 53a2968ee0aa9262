"""The form's own Tab check (views/form_focus.py): a Tab that Flutter sent out of the form is
brought back to the next field, and only once when Tabs come quicker than the check."""
from __future__ import annotations

from types import SimpleNamespace

import flet as ft
import pytest

from tests.app.flet_session import LoopThread
from views import form_focus
from views.form_focus import FormFocus


@pytest.fixture(autouse=True)
def no_session(monkeypatch):
    """No Flet session here: the handlers' "no page diff" would turn auto-update off process-wide."""
    monkeypatch.setattr(form_focus, "_quiet", lambda: None)


def form(*names: str):
    tasks: list = []
    focus = FormFocus(SimpleNamespace(run_task=tasks.append))
    fields = {name: ft.TextField() for name in names}
    for name, control in fields.items():
        focus.track(name, control)
    moved: list[str] = []
    focus.focus = lambda name, **_: moved.append(name)
    return focus, fields, tasks, moved


def focused(control: ft.TextField) -> None:
    """Flutter says the field took focus."""
    control.on_focus(None)


def run_all(tasks: list) -> None:
    runner = LoopThread()
    try:
        for task in tasks:
            runner.run(task())
    finally:
        runner.close()


def test_a_tab_that_left_the_form_comes_back_to_the_next_field():
    focus, fields, tasks, moved = form("name", "phone", "members")
    focused(fields["phone"])
    focus.tab_pressed(False)  # Flutter took the focus to the navigation: no field of ours got it
    run_all(tasks)
    assert moved == ["members"]


def test_a_tab_that_reached_the_next_field_is_left_alone():
    focus, fields, tasks, moved = form("name", "phone", "members")
    focused(fields["phone"])
    focus.tab_pressed(False)
    focused(fields["members"])
    run_all(tasks)
    assert moved == []


def test_two_quick_tabs_are_checked_once_so_the_first_check_cannot_pull_the_focus_back():
    focus, fields, tasks, moved = form("name", "phone", "members", "village")
    focused(fields["phone"])
    focus.tab_pressed(False)
    focus.tab_pressed(False)  # before the first check ran (a loaded device: focus events late)
    run_all(tasks)
    assert len(moved) == 1
