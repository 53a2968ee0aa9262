"""Views render and emit events; they never reach the store, sync or the network themselves.
Services and view-models hold the logic and never import Flet."""
from __future__ import annotations

import ast
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


def test_the_rule_catches_a_violation(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("import flet as ft\nfrom storage.tiny import TinyStore\nfrom sync import runner\n")
    assert {"storage.tiny", "sync"} <= imported_modules(sample)


def test_app_entry_points_exist():
    assert (REPO / "main.py").exists()
    assert "ft.run(" in (REPO / "main.py").read_text()
