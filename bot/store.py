"""The SQLite store: one aiosqlite connection, migrations, batched writes, core tables.

Writes go through `write(fn)`: `fn` runs on the database thread inside a transaction
shared with whatever other writes arrived at the same moment (each in its own
savepoint), and `write` returns only after COMMIT. With synchronous=FULL that COMMIT
includes an fsync of the WAL, so every acknowledged entry is on disk before its reply
leaves: it survives a killed process and a power cut alike. A burst of users costs one
round trip and one commit (one fsync) per batch, not per message. Other modules keep their
own tables but use these calls.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiosqlite

import migrations

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

T = TypeVar("T")

# FULL: a commit is fsynced before write() returns (what "acknowledged" promises, README).
# NORMAL would survive kill -9 but could lose the last commits on a power cut.
STALE_CHECK_S = 0.05  # how often to ask whether another process wrote (see drop_stale_cache)
SYNCHRONOUS = "FULL"
_SYNC_LEVELS = {"OFF": "OFF", "NORMAL": "NORMAL", "FULL": "FULL", "EXTRA": "EXTRA"}


# A write to add, in the same transaction, to every write made in this context: an adapter
# sets it while the engine handles one update, so "this update's effects are committed" is
# recorded atomically with the effects themselves (see bot/adapters/telegram_inbox.py).
WRITE_ALSO: contextvars.ContextVar[Callable[[sqlite3.Connection], Any] | None] = contextvars.ContextVar(
    "store_write_also", default=None
)


class StoreError(Exception):
    """The database refused a write (read-only file, disk full, ...): nothing was saved."""


class SchemaTooNew(StoreError):
    pass


def to_ts(at: datetime) -> int:
    return int(at.timestamp())


def from_ts(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass
class User:
    id: int
    timezone: str
    first_name: str | None
    created_at: datetime
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Entry:
    id: int
    user_id: int
    kind: str  # "twitch" | "note"
    occurred_at: datetime  # aware, UTC
    tz: str
    region: str | None
    side: str | None
    duration_s: int | None
    triggers: tuple[str, ...]
    intensity: int | None
    text: str
    created_at: datetime

    @property
    def local_time(self) -> datetime:
        return self.occurred_at.astimezone(ZoneInfo(self.tz))


@dataclass
class Conversation:
    flow: str
    step: str
    data: dict[str, Any]
    updated_at: datetime


ENTRY_COLUMNS = "id, user_id, kind, occurred_at, tz, region, side, duration_s, triggers, intensity, text, created_at"


def entry_from_row(row: Sequence[Any]) -> Entry:
    return Entry(
        id=row[0],
        user_id=row[1],
        kind=row[2],
        occurred_at=from_ts(row[3]),
        tz=row[4],
        region=row[5],
        side=row[6],
        duration_s=row[7],
        triggers=tuple(t for t in row[8].split(",") if t),
        intensity=row[9],
        text=row[10],
        created_at=from_ts(row[11]),
    )


_NO_CONVERSATION = object()
_IDENTITY_USER = (
    "SELECT u.id, u.timezone, u.first_name, u.created_at, u.settings FROM identities i "
    "JOIN users u ON u.id = i.user_id WHERE i.platform = ? AND i.external_id = ?"
)


class Store:
    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self.db = db
        self.path = path
        self._pending: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future]] = []
        self._flushing = False
        self._flush_task: asyncio.Task | None = None
        self._users_by_identity: dict[tuple[str, str], User] = {}
        self._users: dict[int, User] = {}
        self._conversations: dict[int, Any] = {}
        self._creating: dict[tuple[str, str], asyncio.Future] = {}
        self._data_version: int | None = None
        self._checked_at = float("-inf")

    # ---- lifecycle -------------------------------------------------------------------
    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, synchronous: str = SYNCHRONOUS) -> Store:
        path = str(path)
        if path != ":memory:":
            _create_private_file(path)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:  # a connection left open keeps its (non-daemon) thread, and the process, alive
            db.row_factory = sqlite3.Row
            await db.execute("PRAGMA busy_timeout=15000")  # first: another process may hold the file (migrating)
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute(f"PRAGMA synchronous={_SYNC_LEVELS[synchronous.upper()]}")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA secure_delete=ON")
            store = cls(db, path)
            await store._migrate()
        except BaseException:
            await db.close()
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
        available = migration_files()
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
                    for statement in _split_sql(sql):
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                        (v, name, to_ts(datetime.now(UTC))),
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise

            await self.run(apply)
            log.info("applied migration %s", file.name)

    # ---- generic access ----------------------------------------------------------------
    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` on the database thread in one round trip (no transaction added)."""
        # aiosqlite has no public "run this callable on your thread"; _execute is that, and
        # it lets a batch of statements cost one hop instead of one per statement.
        return await self.db._execute(fn, self.db._conn)  # noqa: SLF001

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return list(await self.db.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self.db.execute_fetchall(sql, tuple(params))
        return rows[0] if rows else None

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` in a transaction and return once it is committed.

        Raises StoreError when the database cannot commit; then nothing of `fn` was kept.
        """
        loop = asyncio.get_running_loop()
        fut: asyncio.Future = loop.create_future()
        also = WRITE_ALSO.get()
        if also is not None:
            inner = fn

            def fn(conn: sqlite3.Connection, inner=inner, also=also):
                result = inner(conn)
                also(conn)
                return result

        self._pending.append((fn, fut))
        if not self._flushing:
            self._flushing = True
            self._flush_task = loop.create_task(self._flush())
        return await fut

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One committed write statement; returns lastrowid."""
        params = tuple(params)
        return await self.write(lambda conn: conn.execute(sql, params).lastrowid)

    async def _flush(self) -> None:
        try:
            while self._pending:
                await asyncio.sleep(0)  # let writers that are ready join this batch
                batch, self._pending = self._pending, []
                try:
                    outcomes = await self.run(lambda conn, b=batch: _apply_batch(conn, [f for f, _ in b]))
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

    # ---- users and identities ----------------------------------------------------------
    async def user_for(self, platform: str, external_id: str, default_tz: str, now: datetime) -> tuple[User, bool]:
        """The user behind a platform identity, created on first contact. Returns (user, is_new)."""
        key = (platform, external_id)
        await self.drop_stale_cache()
        cached = self._users_by_identity.get(key)
        if cached is not None:
            return cached, False
        row = await self.fetchone(_IDENTITY_USER, key)
        is_new = row is None
        if row is None:
            # Several first messages of one new person can arrive together (one update batch
            # after an outage), and another process may be creating the same person: the write
            # lock decides, and whoever loses it reads the row the winner made.
            ts = to_ts(now)

            def create(conn: sqlite3.Connection) -> tuple[tuple, bool]:
                found = conn.execute(_IDENTITY_USER, key).fetchone()
                if found is not None:
                    return tuple(found), False
                uid = conn.execute("INSERT INTO users(timezone, created_at) VALUES (?, ?)", (default_tz, ts)).lastrowid
                conn.execute(
                    "INSERT INTO identities(platform, external_id, user_id, last_seen) VALUES (?, ?, ?, ?)",
                    (platform, external_id, uid, ts),
                )
                return (uid, default_tz, None, ts, "{}"), True

            pending = self._creating.get(key)
            if pending is None:
                # Creating a person is safe to repeat (create() finds the row), so it doesn't count
                # as an effect of the update being handled (WRITE_ALSO): a replay may redo it.
                token = WRITE_ALSO.set(None)
                try:
                    pending = self._creating[key] = asyncio.ensure_future(self.write(create))
                finally:
                    WRITE_ALSO.reset(token)
                pending.add_done_callback(lambda _f, k=key: self._creating.pop(k, None))
                row, is_new = await asyncio.shield(pending)
            else:  # the same person's first message is being created right now: share it
                row, _ = await asyncio.shield(pending)
                is_new = False
        cached = self._users_by_identity.get(key)
        if cached is not None:
            return cached, is_new
        user = self._users.get(row[0]) or User(row[0], row[1], row[2], from_ts(row[3]), json.loads(row[4] or "{}"))
        self._users[user.id] = user
        self._users_by_identity[key] = user
        return user, is_new

    async def drop_stale_cache(self) -> None:
        """Forget cached users and conversations if another connection (another process on the
        same file: a console next to the bot, a second replica) committed since we last looked.

        SQLite's data_version changes exactly then, and costs no disk read to ask; it still costs a
        round trip to the database thread, so it is asked at most every STALE_CHECK_S seconds (another
        process's change is seen within that time)."""
        now = time.monotonic()
        if now - self._checked_at < STALE_CHECK_S:
            return
        self._checked_at = now
        version = await self.run(lambda conn: conn.execute("PRAGMA data_version").fetchone()[0])
        if version != self._data_version:
            if self._data_version is not None:
                self._users.clear()
                self._users_by_identity.clear()
                self._conversations.clear()
            self._data_version = version

    async def get_user(self, user_id: int) -> User | None:
        await self.drop_stale_cache()
        if user_id in self._users:
            return self._users[user_id]
        row = await self.fetchone(
            "SELECT id, timezone, first_name, created_at, settings FROM users WHERE id = ?", (user_id,)
        )
        if row is None:
            return None
        user = User(row[0], row[1], row[2], from_ts(row[3]), json.loads(row[4] or "{}"))
        self._users[user.id] = user
        return user

    async def identities_of(self, user_id: int) -> list[sqlite3.Row]:
        return await self.fetchall(
            "SELECT platform, external_id, chat_id, last_seen FROM identities "
            "WHERE user_id = ? ORDER BY last_seen DESC",
            (user_id,),
        )

    async def set_timezone(self, user: User, timezone: str) -> None:
        await self.execute("UPDATE users SET timezone = ? WHERE id = ?", (timezone, user.id))
        user.timezone = timezone

    async def set_first_name(self, user: User, first_name: str | None) -> None:
        await self.execute("UPDATE users SET first_name = ? WHERE id = ?", (first_name, user.id))
        user.first_name = first_name

    async def update_settings(self, user: User, **changes: Any) -> None:
        merged = {**user.settings, **changes}
        merged = {k: v for k, v in merged.items() if v is not None}
        await self.execute("UPDATE users SET settings = ? WHERE id = ?", (json.dumps(merged), user.id))
        user.settings = merged

    async def forget_user(self, user_id: int) -> None:
        """Erase every row of this person (tables cascade from users), and the old copies too.

        secure_delete zeroes the freed space in the database file, but the write-ahead log
        still holds earlier versions of those pages until a checkpoint: so copy the log into
        the file and truncate it to nothing, now, not whenever the bot next gets busy.
        """
        await self.execute("DELETE FROM users WHERE id = ?", (user_id,))
        self.evict(user_id)
        await self.checkpoint()

    async def checkpoint(self) -> bool:
        """Fold the WAL into the database file and truncate it; False if a reader kept it busy."""
        if self.path == ":memory:":
            return True
        try:
            busy, _, _ = await self.run(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
        except sqlite3.Error:
            busy = 1
        if busy:
            log.warning("the write-ahead log could not be truncated now (another reader); it will be at the next one")
        return not busy

    def evict(self, user_id: int) -> None:
        """Drop cached reads of a user (after erasing, merging or an outside change)."""
        self._users.pop(user_id, None)
        self._conversations.pop(user_id, None)
        for key in [k for k, u in self._users_by_identity.items() if u.id == user_id]:
            del self._users_by_identity[key]

    # ---- journal entries ---------------------------------------------------------------
    async def add_entry(
        self,
        user_id: int,
        kind: str,
        occurred_at: datetime,
        tz: str,
        *,
        region: str | None = None,
        side: str | None = None,
        duration_s: int | None = None,
        triggers: Iterable[str] = (),
        intensity: int | None = None,
        text: str = "",
        now: datetime,
        also: Callable[[sqlite3.Connection], Any] | None = None,
    ) -> Entry:
        """Save one entry (and, in the same transaction, whatever `also` writes)."""
        trig = tuple(triggers)
        values = (
            user_id,
            kind,
            to_ts(occurred_at),
            tz,
            region,
            side,
            duration_s,
            ",".join(trig),
            intensity,
            text,
            to_ts(now),
        )

        def insert(conn: sqlite3.Connection) -> int:
            rowid = conn.execute(
                "INSERT INTO entries(user_id, kind, occurred_at, tz, region, side, duration_s, "
                "triggers, intensity, text, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                values,
            ).lastrowid
            if also is not None:
                also(conn)
            return rowid

        entry_id = await self.write(insert)
        return Entry(
            entry_id,
            user_id,
            kind,
            from_ts(values[2]),
            tz,
            region,
            side,
            duration_s,
            trig,
            intensity,
            text,
            from_ts(values[10]),
        )

    async def entries(
        self,
        user_id: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        kind: str | None = None,
        newest_first: bool = True,
    ) -> list[Entry]:
        sql = f"SELECT {ENTRY_COLUMNS} FROM entries WHERE user_id = ?"
        params: list[Any] = [user_id]
        if since is not None:
            sql += " AND occurred_at >= ?"
            params.append(to_ts(since))
        if until is not None:
            sql += " AND occurred_at < ?"
            params.append(to_ts(until))
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        sql += " ORDER BY occurred_at DESC, id DESC" if newest_first else " ORDER BY occurred_at, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [entry_from_row(r) for r in await self.fetchall(sql, params)]

    async def entry(self, user_id: int, entry_id: int) -> Entry | None:
        row = await self.fetchone(
            f"SELECT {ENTRY_COLUMNS} FROM entries WHERE user_id = ? AND id = ?", (user_id, entry_id)
        )
        return entry_from_row(row) if row else None

    async def last_added_entry(self, user_id: int) -> Entry | None:
        row = await self.fetchone(
            f"SELECT {ENTRY_COLUMNS} FROM entries WHERE user_id = ? ORDER BY id DESC LIMIT 1", (user_id,)
        )
        return entry_from_row(row) if row else None

    async def delete_entry(self, user_id: int, entry_id: int) -> bool:
        """Delete one of this user's entries; False if there is no such entry of theirs."""
        changed = await self.write(
            lambda conn: conn.execute("DELETE FROM entries WHERE user_id = ? AND id = ?", (user_id, entry_id)).rowcount
        )
        return changed > 0

    # ---- conversation state --------------------------------------------------------------
    async def conversation(self, user_id: int) -> Conversation | None:
        cached = self._conversations.get(user_id)
        if cached is _NO_CONVERSATION:
            return None
        if cached is not None:
            return cached
        row = await self.fetchone(
            "SELECT flow, step, data, updated_at FROM conversations WHERE user_id = ?", (user_id,)
        )
        conv = Conversation(row[0], row[1], json.loads(row[2]), from_ts(row[3])) if row else None
        self._conversations[user_id] = conv if conv is not None else _NO_CONVERSATION
        return conv

    def conversation_writer(self, user_id: int, conv: Conversation | None) -> Callable[[sqlite3.Connection], None]:
        """A write function that stores (or, for None, clears) a conversation."""
        if conv is None:
            return lambda conn: conn.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))
        values = (user_id, conv.flow, conv.step, json.dumps(conv.data), to_ts(conv.updated_at))
        return lambda conn: conn.execute(
            "INSERT INTO conversations(user_id, flow, step, data, updated_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(user_id) DO UPDATE SET flow=excluded.flow, step=excluded.step, "
            "data=excluded.data, updated_at=excluded.updated_at",
            values,
        )

    def remember_conversation(self, user_id: int, conv: Conversation | None) -> None:
        """Update the cache after a conversation write has committed."""
        self._conversations[user_id] = conv if conv is not None else _NO_CONVERSATION

    async def save_conversation(self, user_id: int, conv: Conversation | None) -> None:
        try:
            await self.write(self.conversation_writer(user_id, conv))
        except Exception:
            self._conversations.pop(user_id, None)
            raise
        self.remember_conversation(user_id, conv)


def _apply_batch(conn: sqlite3.Connection, fns: list[Callable[[sqlite3.Connection], Any]]) -> list[tuple[bool, Any]]:
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


def migration_files() -> dict[int, Path]:
    found: dict[int, Path] = {}
    for file in MIGRATIONS_DIR.glob("*.sql"):
        m = _MIGRATION_NAME.match(file.name)
        if not m:
            continue
        version = int(m.group(1))
        if version in found:
            raise RuntimeError(f"two migrations share number {version}: {found[version].name}, {file.name}")
        found[version] = file
    return found


def _split_sql(sql: str) -> list[str]:
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


def _create_private_file(path: str) -> None:
    """Create the database file readable by its owner only (health data)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if not p.exists():
        fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    # SQLite gives the -wal and -shm files the same mode as the database file.
