"""The seams hold: SQL and database drivers only in bot/store/, the core never imports the
handlers (the composition root, bot/app.py, hands them in), and no module rebinds globals."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX))\b", re.I | re.S
)
DRIVERS = {"sqlite3", "aiosqlite", "psycopg", "psycopg_pool"}


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def outside_store(path: Path) -> bool:
    return "bot/store/" not in path.relative_to(ROOT).as_posix()


def imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_sql_text_outside_the_store():
    found = []
    for path in filter(outside_store, sources("bot", "handlers", "rules")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and n.body
            and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if SQL.search(node.value):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"SQL outside bot/store/: {found}"


def test_database_drivers_are_imported_only_by_the_store():
    found = [
        f"{path.relative_to(ROOT)}: {sorted(imported(ast.parse(path.read_text())) & DRIVERS)}"
        for path in filter(outside_store, sources("bot", "handlers", "rules"))
        if {n.split(".")[0] for n in imported(ast.parse(path.read_text()))} & DRIVERS
    ]
    assert not found, found


def test_the_core_never_imports_the_handlers_but_the_composition_root_does():
    found = []
    for path in sources("bot"):
        rel = path.relative_to(ROOT).as_posix()
        roots = {n.split(".")[0] for n in imported(ast.parse(path.read_text()))}
        if "handlers" in roots and rel != "bot/app.py":
            found.append(rel)
    assert not found, f"bot/ modules importing handlers/: {found}"
    assert "handlers" in {n.split(".")[0] for n in imported(ast.parse((ROOT / "bot/app.py").read_text()))}


def test_the_command_line_and_the_runner_do_not_import_each_other():
    runner = imported(ast.parse((ROOT / "bot/runner.py").read_text()))
    app = imported(ast.parse((ROOT / "bot/app.py").read_text()))
    assert "bot.cli" not in runner and "bot.cli" not in app
    assert "bot.runner" not in app


def test_no_module_rebinds_a_global():
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sources("bot", "handlers", "rules")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Global)
    ]
    assert not found, found
