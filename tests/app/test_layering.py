"""Views render and emit events; they never reach the store, sync or the network themselves.
Services and view-models hold the logic and never import Flet."""
from __future__ import annotations

import ast
import dataclasses
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VIEWS_MUST_NOT_IMPORT = ("storage", "sync", "tinydb", "requests", "server", "sqlalchemy", "fastapi")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(REPO.glob("views/*.py")), ids=lambda p: p.name)
def test_views_do_not_import_storage_sync_or_network(path):
    bad = {m for m in imported_modules(path) if m.split(".")[0] in VIEWS_MUST_NOT_IMPORT}
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", sorted([*REPO.glob("app/services/*.py"), *REPO.glob("app/viewmodels/*.py"),
                                         REPO / "app" / "i18n.py", REPO / "app" / "routes.py",
                                         REPO / "app" / "composition.py"]), ids=lambda p: p.name)
def test_logic_does_not_import_flet(path):
    bad = {m for m in imported_modules(path) if m.split(".")[0] in ("flet", "flet_web", "flet_geolocator")}
    assert not bad, f"{path.name} imports {sorted(bad)}"


EDITING_SERVICES = ("households.py", "visits.py", "concerns.py", "edits.py", "drafts.py")


@pytest.mark.parametrize("name", EDITING_SERVICES)
def test_a_save_goes_to_the_store_without_passing_through_sync(name):
    bad = {m for m in imported_modules(REPO / "app" / "services" / name) if m.split(".")[0] == "sync"}
    assert not bad, f"app/services/{name} imports {sorted(bad)}: save through store.save_edit"


def test_the_shipped_app_never_imports_the_dev_launcher():
    shipped = [p for folder in ("app", "views", "storage", "sync", "records") for p in (REPO / folder).rglob("*.py")]
    bad = [p.relative_to(REPO).as_posix() for p in [*shipped, REPO / "main.py"]
           if any(m.split(".")[0] in ("devtools", "server") for m in imported_modules(p))]
    assert not bad, f"{bad} import devtools/ or server/ (not packaged for phones)"
    exclude = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["flet"]["app"]["exclude"]
    assert {"devtools", "server"} <= set(exclude)


def test_the_rule_catches_a_violation(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("import flet as ft\nfrom storage.tiny import TinyStore\nfrom sync import runner\n")
    assert {"storage.tiny", "sync"} <= imported_modules(sample)


def test_app_entry_points_exist():
    assert (REPO / "main.py").exists()
    assert "ft.run(" in (REPO / "main.py").read_text()


NOT_FOR_SCREENS = ("Store", "AutoSync", "SyncAccount", "Reachability", "AppContext")
CONTEXT_ATTRIBUTES = {"ctx", "auto", "sync_account", "reachability"}


def reaches_past_the_screen_deps(path: Path) -> list[str]:
    """Attribute uses in a view that would get at the context, the store or AutoSync."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
        if node.attr in CONTEXT_ATTRIBUTES or (node.attr == "store" and owner != "session"):
            found.append((node.lineno, node.attr))
    return [f"line {line}: .{attr}" for line, attr in sorted(found)]


def test_screens_get_services_status_and_events_but_not_the_store_or_autosync():
    from app.screen_deps import ScreenDeps

    fields = {f.name: str(f.type) for f in dataclasses.fields(ScreenDeps)}
    assert {"households", "status", "saved", "sync_now", "recovery"} <= set(fields)
    assert not [name for name, kind in fields.items() if any(bad in kind for bad in NOT_FOR_SCREENS)]


@pytest.mark.parametrize("path", sorted(REPO.glob("views/*.py")), ids=lambda p: p.name)
def test_views_reach_nothing_past_their_screen_deps(path):
    assert not reaches_past_the_screen_deps(path), f"{path.name}: {reaches_past_the_screen_deps(path)}"
    if path.name != "app.py":  # the entry point takes the shared context's ScreenDeps, nothing else
        assert "app.composition" not in imported_modules(path) and "AppContext" not in path.read_text()


def test_the_screen_rule_catches_a_view_that_reaches_the_store(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("x = env.ctx.households\ny = page.session.store\nz = self.deps.households.store\n")
    assert reaches_past_the_screen_deps(sample) == ["line 1: .ctx", "line 3: .store"]
