"""The numbered migrations of both dialects: the same numbers and names, one folder each."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migration_files(dialect: str = "sqlite") -> dict[int, Path]:
    """Migrations by number: SQLite's in migrations/, PostgreSQL's in migrations/postgresql/."""
    folder = MIGRATIONS_DIR if dialect == "sqlite" else MIGRATIONS_DIR / dialect
    found: dict[int, Path] = {}
    for file in folder.glob("*.sql"):
        m = _MIGRATION_NAME.match(file.name)
        if not m:
            continue
        version = int(m.group(1))
        if version in found:
            raise RuntimeError(f"two migrations share number {version}: {found[version].name}, {file.name}")
        found[version] = file
    return found


def split_sqlite(sql: str) -> list[str]:
    """Split a migration into statements (sqlite3.execute runs one at a time)."""
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
