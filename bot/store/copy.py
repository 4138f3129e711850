"""`flicker db copy`: move every row from one database to another and prove it arrived.

The source is opened read-only and never modified; it must already be at this Flicker's schema
version (start Flicker on it once to migrate). The target is opened (and migrated) like any
store and must be empty. Tables are copied parents first, ids kept, so references and the ids
carried by buttons already sent stay valid; PostgreSQL's id sequences are moved past the
copied ids. Each table is then verified: the same row count and the same checksum, a sum of
per-row hashes that doesn't depend on the order either database returns rows in.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bot.store.migrate import migration_files
from bot.store.records import StoreError

BATCH = 5_000
_MOD = 2**128


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    checksum: str  # hex of the order-independent sum; equal on both sides when verified
    verified: bool


def row_hash(row: Sequence[Any]) -> int:
    canon = json.dumps([v if not isinstance(v, bytes) else v.hex() for v in row], separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(canon.encode()).digest()[:16], "big")


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables (not SQLite's own, not the migration log), parents before children."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name <> 'schema_migrations' ORDER BY name"
        )
    ]
    parents = {n: {r[2] for r in conn.execute(f'PRAGMA foreign_key_list("{n}")')} - {n} for n in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
        if not ready:
            raise StoreError(f"circular references among {sorted(set(names) - set(ordered))}")
        ordered.extend(ready)
    return ordered


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


class _Side:
    """One end of a copy, through a plain DB-API connection."""

    dialect: str

    def rows(self, table: str, columns: list[str]) -> Iterator[Sequence[Any]]:
        raise NotImplementedError

    def count_and_sum(self, table: str, columns: list[str]) -> tuple[int, int]:
        n, total = 0, 0
        for row in self.rows(table, columns):
            n += 1
            total = (total + row_hash(row)) % _MOD
        return n, total


class _SQLiteSide(_Side):
    dialect = "sqlite"

    def __init__(self, path: str, *, read_only: bool) -> None:
        if read_only:
            if not Path(path).exists():
                raise StoreError(f"no database at {path}")
            self.conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        else:
            self.conn = sqlite3.connect(path)
            self.conn.execute("PRAGMA foreign_keys=OFF")  # parents first anyway; self-references aside

    def schema_version(self) -> int:
        try:
            row = self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        except sqlite3.Error:
            return 0
        return int(row[0] or 0)

    def rows(self, table: str, columns: list[str]) -> Iterator[Sequence[Any]]:
        cols = ", ".join(f'"{c}"' for c in columns)
        yield from self.conn.execute(f'SELECT {cols} FROM "{table}"')

    def columns(self, table: str) -> list[str]:
        return _columns(self.conn, table)

    def is_empty(self, tables: list[str]) -> bool:
        return all(self.conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() is None for t in tables)

    def load(self, table: str, columns: list[str], rows: Iterator[Sequence[Any]], done: Callable[[int], None]) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        batch: list[Sequence[Any]] = []
        with self.conn:
            for row in rows:
                batch.append(row)
                if len(batch) >= BATCH:
                    self.conn.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', batch)
                    done(len(batch))
                    batch = []
            if batch:
                self.conn.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', batch)
                done(len(batch))

    def after_load(self, table: str) -> None:
        return None

    def close(self) -> None:
        self.conn.close()


class _PostgresSide(_Side):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg

        from bot.store.postgres import conninfo

        self.conn = psycopg.connect(conninfo(url))

    def rows(self, table: str, columns: list[str]) -> Iterator[Sequence[Any]]:
        cols = ", ".join(f'"{c}"' for c in columns)
        with self.conn.cursor(name=f"copy_{table}") as cur:  # server-side: a big table isn't loaded at once
            cur.execute(f'SELECT {cols} FROM "{table}"')
            yield from cur

    def columns(self, table: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
            (table,),
        ).fetchall()
        return [r[0] for r in rows]

    def is_empty(self, tables: list[str]) -> bool:
        return all(self.conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() is None for t in tables)

    def load(self, table: str, columns: list[str], rows: Iterator[Sequence[Any]], done: Callable[[int], None]) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        n = 0
        with self.conn.transaction(), self.conn.cursor() as cur:
            with cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
                    if n % BATCH == 0:
                        done(BATCH)
            done(n % BATCH)

    def after_load(self, table: str) -> None:
        # Move an identity column's sequence past the copied ids (new rows must not collide).
        if "id" not in self.columns(table):
            return
        seq = self.conn.execute("SELECT pg_get_serial_sequence(%s, 'id')", (f'"{table}"',)).fetchone()
        if seq and seq[0]:
            self.conn.execute(f'SELECT setval(%s, (SELECT coalesce(max(id), 0) + 1 FROM "{table}"), false)', (seq[0],))
            self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def _open(setting: str, *, read_only: bool) -> _SQLiteSide | _PostgresSide:
    from bot.store import database_url

    dialect, where = database_url(setting)
    if dialect == "postgresql":
        if read_only:
            side = _PostgresSide(where)
            side.conn.read_only = True
            return side
        return _PostgresSide(where)
    if not where:
        raise StoreError(f"not a database URL: {setting!r}")
    return _SQLiteSide(where, read_only=read_only)


async def copy_database(
    source: str, target: str, progress: Callable[[str, int], None] | None = None
) -> list[TableCopy]:
    """Copy everything from `source` to `target` (settings as for FLICKER_DATABASE_URL) and verify it.

    Raises StoreError when the source isn't at this Flicker's schema, the target isn't empty, or
    a table's count or checksum differs after copying.
    """
    import asyncio

    from bot.store import open_store

    # Open the target as a store once, so it exists and is migrated, then copy with plain connections.
    store = await open_store(target)
    await store.close()
    return await asyncio.to_thread(_copy, source, target, progress or (lambda _t, _n: None))


def _copy(source: str, target: str, progress: Callable[[str, int], None]) -> list[TableCopy]:
    newest = max(migration_files("sqlite"), default=0)
    src = _open(source, read_only=True)
    dst = _open(target, read_only=False)
    try:
        if isinstance(src, _SQLiteSide):
            version = src.schema_version()
            if version != newest:
                raise StoreError(
                    f"the source database is at schema version {version}, this Flicker at {newest}: "
                    "start this Flicker once on it (it migrates at start), then copy"
                )
            tables = _sqlite_tables(src.conn)
        else:
            raise StoreError("copying from PostgreSQL is not supported; copy from a SQLite file")
        if not dst.is_empty(tables):
            raise StoreError("the target database already holds rows; copy into an empty database")
        results: list[TableCopy] = []
        for table in tables:
            columns = src.columns(table)
            missing = set(columns) - set(dst.columns(table))
            if missing:
                raise StoreError(f"the target's {table} lacks columns {sorted(missing)}")
            dst.load(table, columns, src.rows(table, columns), partial(progress, table))
            dst.after_load(table)
            n_src, sum_src = src.count_and_sum(table, columns)
            n_dst, sum_dst = dst.count_and_sum(table, columns)
            ok = (n_src, sum_src) == (n_dst, sum_dst)
            results.append(TableCopy(table, n_src, f"{sum_src:032x}", ok))
            if not ok:
                raise StoreError(
                    f"{table}: {n_src} rows in the source, {n_dst} in the target, checksums "
                    f"{sum_src:032x} and {sum_dst:032x}: the copy is not identical"
                )
        return results
    finally:
        src.close()
        dst.close()
