"""Every import in the repository follows docs/architecture.json (explained in docs/architecture.md).

Each .py file is parsed with ast, so imports inside functions and ``importlib.import_module("…")``
with a literal name count too. A failure lists every offending import as file:line.
"""
from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

REPO = Path(__file__).resolve().parents[1]
RULES_FILE = REPO / "docs" / "architecture.json"
SKIPPED_DIRS = {".venv", "venv", "build", "screenshots", "var", "__pycache__", "node_modules"}



@dataclass(frozen=True)
class Import:
    file: str  # relative to the root, with "/"
    line: int
    module: str


@dataclass(frozen=True)
class Violation:
    file: str
    line: int
    module: str
    rule: str

    def __str__(self) -> str:
        if not self.module:
            return f"{self.file}: {self.rule}"
        return f"{self.file}:{self.line} imports {self.module}: {self.rule}"


def load_rules(path: Path = RULES_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def python_files(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(folder) / name


def _absolute(rel: str, level: int, module: Optional[str]) -> str:
    package = rel.split("/")[:-1]
    base = package[:len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, module] if module else base)


def imports_of(path: Path, root: Path) -> list[Import]:
    rel = path.relative_to(root).as_posix()
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=rel)):
        if isinstance(node, ast.Import):
            found += [Import(rel, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module if node.level == 0 else _absolute(rel, node.level, node.module)
            found.append(Import(rel, node.lineno, module))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__")))):
            found.append(Import(rel, node.lineno, node.args[0].value))
    return sorted(found, key=lambda i: (i.line, i.module))


def part_of_file(rel: str, parts: dict) -> Optional[str]:
    if rel in parts:
        return rel
    top = rel.split("/")[0]
    return top if "/" in rel and top in parts else None


def part_of_module(module: str, parts: dict) -> Optional[str]:
    top = module.split(".")[0]
    if top in parts:
        return top
    return f"{top}.py" if f"{top}.py" in parts else None


def _within(rel: str, where: str, parts: dict) -> bool:
    """``where`` is a part ("records"), a folder ("app/services/") or a file ("sync/transport.py")."""
    if where.endswith("/"):
        return rel.startswith(where)
    return rel == where or part_of_file(rel, parts) == where


def _broken_rules(imp: Import, source: str, rules: dict) -> list[str]:
    parts = rules["parts"]
    broken: list[str] = []
    target = part_of_module(imp.module, parts)
    if target and target != source:
        for never in rules["never"]:
            if _within(imp.file, never["from"], parts) and target in never["to"]:
                broken.append(f"{never['from']} never imports {target} ({never['why']})")
        if target not in rules["allowed"][source]:
            broken.append(f"{source} may import only {', '.join(rules['allowed'][source]) or 'itself'}")
        shipped_never = rules["shipped_never_imports"]
        if source in rules["shipped"] and target in shipped_never["to"]:
            broken.append(f"shipped code never imports {target} ({shipped_never['why']})")
    top = imp.module.split(".")[0]
    libraries = rules["libraries"]
    if source not in libraries["exempt"]:
        for only in libraries["only"]:
            if top == only["module"] and not any(_within(imp.file, w, parts) for w in only["in"]):
                broken.append(f"only {', '.join(only['in'])} import {top} ({only['why']})")
    for never in libraries["never"]:
        if _within(imp.file, never["from"], parts) and top in never["modules"]:
            broken.append(f"{never['from']} never imports {top} ({never['why']})")
    return broken


def check(root: Path, rules: dict) -> list[Violation]:
    """Every import under ``root`` that breaks ``rules``, in file and line order."""
    violations: list[Violation] = []
    for path in python_files(root):
        rel = path.relative_to(root).as_posix()
        source = part_of_file(rel, rules["parts"])
        if source is None:
            violations.append(Violation(rel, 0, "", "the file is in no part of docs/architecture.json"))
            continue
        for imp in imports_of(path, root):
            violations += [Violation(rel, imp.line, imp.module, rule) for rule in _broken_rules(imp, source, rules)]
    return violations


def _listing(violations: list[Violation]) -> str:
    return "\n".join(f"  {v}" for v in violations)


def test_every_import_follows_the_architecture():
    found = check(REPO, load_rules())
    assert not found, f"{len(found)} import(s) against docs/architecture.json:\n{_listing(found)}"


def test_the_rules_file_is_consistent():
    rules = load_rules()
    parts = set(rules["parts"])
    assert set(rules["allowed"]) == parts
    assert set(rules["shipped"]) <= parts
    for source, targets in rules["allowed"].items():
        assert set(targets) <= parts - {source}, source
    for never in rules["never"]:
        assert set(never["to"]) <= parts
        owner = never["from"].split("/")[0]
        assert owner in parts, never["from"]
        if never["from"] in parts:  # a whole part: the arrow cannot also be allowed
            assert not set(never["to"]) & set(rules["allowed"][never["from"]]), never
    for source in rules["shipped"]:
        assert not set(rules["shipped_never_imports"]["to"]) & set(rules["allowed"][source]), source


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_a_forbidden_import_inside_a_function_is_reported_with_file_and_line(tmp_path):
    root = _tree(tmp_path, {
        "views/screen.py": "import flet as ft\n\ndef build():\n    from storage.tiny import TinyStore\n",
        "storage/tiny.py": "import tinydb\nfrom .journal import Journal\n",
        "storage/journal.py": "",
    })
    found = [str(v) for v in check(root, load_rules())]
    assert len(found) == 2, found  # not allowed + never (views -> storage)
    assert all(line.startswith("views/screen.py:4 imports storage.tiny: ") for line in found), found
    assert any("views never imports storage" in line for line in found), found


def test_libraries_shipped_code_and_stray_files_are_checked(tmp_path):
    root = _tree(tmp_path, {
        "app/net.py": "import os\nimport requests\n",
        "main.py": "import importlib\nimportlib.import_module('server.api')\n",
        "records/ui.py": "from flet import Text\n",
        "tests/test_x.py": "import requests\nimport tinydb\nimport server\n",
        "scripts/tool.py": "",
    })
    found = {(v.file, v.line, v.module) for v in check(root, load_rules())}
    assert found == {("app/net.py", 2, "requests"), ("main.py", 2, "server.api"), ("records/ui.py", 1, "flet"),
                     ("scripts/tool.py", 0, "")}, found


def test_the_whole_repository_is_covered():
    files = {p.relative_to(REPO).as_posix() for p in python_files(REPO)}
    assert {"main.py", "records/models.py", "sync/transport.py", "tests/test_architecture.py"} <= files
    assert not any(f.startswith((".venv/", "build/")) for f in files)
