"""The SQLite backend's core: one aiosqlite connection, migrations, batched writes.

Writes go through `write(fn)`: `fn` runs on the database thread inside a transaction
shared with whatever other writes arrived at the same moment (each in its own
savepoint), and `write` returns only after COMMIT. With synchronous=FULL that COMMIT
includes an fsync of the WAL, so every acknowledged entry is on disk before its reply
leaves: it survives a killed process and a power cut alike. A burst of users costs one
round trip and one commit (one fsync) per batch, not per message.

This file and postgres.py are the only places with dialect-specific SQL (PRAGMAs here).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.store.base import StoreCore
from bot.store.migrate import migration_files, split_sqlite
from bot.store.records import WRITE_ALSO, SchemaTooNew, StoreError, Tx, to_ts

log = logging.getLogger(__name__)

T = TypeVar("T")

# FULL: a commit is fsynced before write() returns (what "acknowledged" promises, README).
# NORMAL would survive kill -9 but could lose the last commits on a power cut.
STALE_CHECK_S = 0.05  # how often to ask whether another process wrote (see drop_stale_cache)
SYNCHRONOUS = "FULL"
OPEN_ATTEMPTS = 8
_SYNC_LEVELS = {"OFF": "OFF", "NORMAL": "NORMAL", "FULL": "FULL", "EXTRA": "EXTRA"}


class SQLiteCore(StoreCore):
    dialect = "sqlite"

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        super().__init__()
        self.db = db
        self.path = path
        self._pending: list[tuple[Callable[[Tx], Any], asyncio.Future[Any]]] = []
        self._flushing = False
        self._flush_task: asyncio.Task[None] | None = None
        self._data_version: int | None = None
        self._checked_at = float("-inf")

    # ---- lifecycle -------------------------------------------------------------------
    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, synchronous: str = SYNCHRONOUS) -> Any:
        """Open (and migrate) the file. Processes opening a new file together race for it: switching
        it to WAL can be refused at once ("database is locked") rather than waited for, so that
        step is tried again after a short pause."""
        for attempt in range(OPEN_ATTEMPTS):
            try:
                return await cls._open_once(str(path), synchronous)
            except StoreError as exc:
                if "locked" not in str(exc) or attempt == OPEN_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    @classmethod
    async def _open_once(cls, path: str, synchronous: str) -> Any:
        if path != ":memory:":
            _create_private_file(path)
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:  # callers see StoreError, whatever the backend
            raise StoreError(str(exc)) from exc
        try:  # a connection left open keeps its (non-daemon) thread, and the process, alive
            db.row_factory = sqlite3.Row
            await db.execute("PRAGMA busy_timeout=15000")  # first: another process may hold the file (migrating)
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute(f"PRAGMA synchronous={_SYNC_LEVELS[synchronous.upper()]}")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA secure_delete=ON")
            store = cls(db, path)
            await store._migrate()
        except BaseException as exc:
            await db.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(str(exc)) from exc
            raise
        return store

    async def close(self) -> None:
        if self._flush_task is not None:
            await self._flush_task  # writes already accepted are committed before closing
        await self.db.close()

    async def _migrate(self) -> None:
        await self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        done = {r[0] for r in await self.db.execute_fetchall("SELECT version FROM schema_migrations")}
        available = migration_files("sqlite")
        newest_known = max(available, default=0)
        if done and max(done) > newest_known:
            raise SchemaTooNew(
                f"The database {self.path} was written by a newer Flicker "
                f"(schema version {max(done)}; this code knows up to {newest_known}). "
                "Upgrade Flicker, or point FLICKER_DB at another file."
            )
        for version, file in sorted(available.items()):
            if version in done:
                continue
            sql = file.read_text(encoding="utf-8")

            def apply(conn: sqlite3.Connection, sql: str = sql, v: int = version, name: str = file.name) -> None:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # Another process may have applied it since we looked: the write lock decides.
                    if conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (v,)).fetchone():
                        conn.execute("ROLLBACK")
                        return
                    for statement in split_sqlite(sql):
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                        (v, name, to_ts(datetime.now(UTC))),
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise

            await self._on_thread(apply)
            log.info("applied migration %s", file.name)

    # ---- access ----------------------------------------------------------------------
    async def _on_thread(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` on the database thread in one round trip (no transaction added)."""
        # aiosqlite has no public "run this callable on your thread"; _execute is that, and
        # it lets a batch of statements cost one hop instead of one per statement. This is
        # the one use of a private aiosqlite name (tests/test_store.py checks it still works).
        return await self.db._execute(fn, self.db._conn)  # type: ignore[no-any-return, no-untyped-call]  # noqa: SLF001

    async def read(self, fn: Callable[[Tx], T]) -> T:
        return await self._on_thread(fn)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        return list(await self.db.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any | None:
        rows = list(await self.db.execute_fetchall(sql, tuple(params)))
        return rows[0] if rows else None

    async def write(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn(tx)` in a transaction and return once it is committed.

        Raises StoreError when the database cannot commit; then nothing of `fn` was kept.
        """
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        also = WRITE_ALSO.get()
        job: Callable[[Tx], Any] = fn
        if also is not None:

            def job(tx: Tx, inner: Callable[[Tx], Any] = fn, also: Callable[[Tx], Any] = also) -> Any:
                result = inner(tx)
                also(tx)
                return result

        self._pending.append((job, fut))
        if not self._flushing:
            self._flushing = True
            self._flush_task = loop.create_task(self._flush())
        return await fut  # type: ignore[no-any-return]

    async def _flush(self) -> None:
        try:
            while self._pending:
                await asyncio.sleep(0)  # let writers that are ready join this batch
                batch, self._pending = self._pending, []
                try:
                    outcomes = await self._on_thread(partial(_apply_batch, fns=[f for f, _ in batch]))
                except Exception as exc:  # the thread itself failed: nothing is known saved
                    outcomes = [(False, StoreError(str(exc)))] * len(batch)
                for (_, fut), (ok, value) in zip(batch, outcomes, strict=True):
                    if fut.done():
                        continue
                    if ok:
                        fut.set_result(value)
                    else:
                        fut.set_exception(value)
        finally:
            self._flushing = False

    async def drop_stale_cache(self) -> None:
        """Forget cached users and conversations if another connection (another process on the
        same file: a console next to the bot) committed since we last looked.

        SQLite's data_version changes exactly then, and costs no disk read to ask; it still costs a
        round trip to the database thread, so it is asked at most every STALE_CHECK_S seconds (another
        process's change is seen within that time)."""
        now = time.monotonic()
        if now - self._checked_at < STALE_CHECK_S:
            return
        self._checked_at = now
        version = await self._on_thread(lambda conn: conn.execute("PRAGMA data_version").fetchone()[0])
        if version != self._data_version:
            if self._data_version is not None:
                self.clear_cache()
            self._data_version = version

    async def checkpoint(self) -> bool:
        """Fold the WAL into the database file and truncate it; False if a reader kept it busy.

        secure_delete zeroes the freed space in the database file, but the write-ahead log
        still holds earlier versions of those pages until a checkpoint: erasing calls this.
        """
        if self.path == ":memory:":
            return True
        try:
            busy, _, _ = await self._on_thread(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
        except sqlite3.Error:
            busy = 1
        if busy:
            log.warning("the write-ahead log could not be truncated now (another reader); it will be at the next one")
        return not busy

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT max(version) FROM schema_migrations")
        return int(row[0] or 0) if row else 0


def _apply_batch(conn: sqlite3.Connection, fns: list[Callable[[Tx], Any]]) -> list[tuple[bool, Any]]:
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        return [(False, StoreError(str(exc)))] * len(fns)
    outcomes: list[tuple[bool, Any]] = []
    try:
        for fn in fns:
            conn.execute("SAVEPOINT w")
            try:
                outcomes.append((True, fn(conn)))
                conn.execute("RELEASE w")
            except Exception as exc:  # one writer's failure must not sink the others
                conn.execute("ROLLBACK TO w")
                conn.execute("RELEASE w")
                outcomes.append((False, exc if not isinstance(exc, sqlite3.OperationalError) else StoreError(str(exc))))
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        return [(False, StoreError(str(exc)))] * len(fns)
    return outcomes


def _create_private_file(path: str) -> None:
    """Create the database file readable by its owner only (health data)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if not p.exists():
        fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    # SQLite gives the -wal and -shm files the same mode as the database file.
