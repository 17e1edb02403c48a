"""DESIGN §2: imports point downwards only, Textual stays in tui/ui, SQL stays in tui/store."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TUI = Path(__file__).resolve().parent.parent / "tui"
ORDER = ["model", "store", "ingest", "engine", "intel", "report", "ui", "commands"]
BASE = {"__init__", "config"}  # layer-free leaves every layer may use
SQL = re.compile(r"\b(SELECT .* FROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b")


def _layer(parts: tuple[str, ...]) -> int:
    head = parts[0] if parts else "__init__"
    if head in BASE:
        return -1
    if head == "cli":
        return len(ORDER)
    return ORDER.index(head)


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(), str(p))) for p in sorted(TUI.rglob("*.py"))]


def _imports(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_imports_point_downwards() -> None:
    wrong = []
    for path, tree in _modules():
        own = _layer(path.relative_to(TUI).with_suffix("").parts)
        for name in _imports(tree):
            if name.startswith("tui."):
                other = _layer(tuple(name.split(".")[1:]))
                if other > own:
                    wrong.append(f"{path.relative_to(TUI)} imports {name}")
    assert wrong == []


def test_textual_only_in_ui() -> None:
    wrong = [
        str(path.relative_to(TUI))
        for path, tree in _modules()
        if path.relative_to(TUI).parts[0] != "ui"
        and any(n == "textual" or n.startswith("textual.") for n in _imports(tree))
    ]
    assert wrong == []


def test_sql_only_in_store() -> None:
    wrong = [
        str(path.relative_to(TUI))
        for path, _tree in _modules()
        if path.relative_to(TUI).parts[0] != "store" and SQL.search(path.read_text())
    ]
    assert wrong == []
