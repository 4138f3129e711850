"""The PostgreSQL backend's core, for operators who run several replicas on one database.

The table modules' statements are portable (`?` placeholders, RETURNING, ON CONFLICT); this
core turns `?` into psycopg's `%s` and runs each write function in its own transaction on a
pooled connection in a worker thread. psycopg 3 (not asyncpg) because the table modules write
through synchronous DB-API callbacks, which SQLite runs on its database thread with group
commit; psycopg's synchronous pool lets the very same callbacks run here unchanged.

Several replicas share everything through the database: no users or conversations are
cached in the process (caches = False), a person's messages are serialised by an advisory
lock held for the length of one message, migrations take an advisory lock, and reminders
are claimed with FOR UPDATE SKIP LOCKED (see reminders.py's _LOCK_CLAUSE).
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import psycopg
from psycopg.rows import RowMaker
from psycopg_pool import ConnectionPool

from bot.store.base import StoreCore
from bot.store.migrate import migration_files
from bot.store.records import WRITE_ALSO, SchemaTooNew, StoreError, Tx, to_ts
from bot.store.tables import Tables

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATION_LOCK = 0x666C6B01  # advisory lock key: "flk" + 1, held while migrating
PERSON_LOCK_SPACE = 0x666C6B02  # first key of the two-key advisory locks that order one person's messages
NAMED_LOCK_SPACE = 0x666C6B04  # the same for named locks (one Telegram sender's updates, ...)
LOCK_POLL_S = (0.002, 0.05)  # waiting for another replica's lock: first and longest pause between tries


class Row(tuple[Any, ...]):
    """A result row readable by position and by column name, like sqlite3.Row."""

    names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def _row_factory(cursor: psycopg.Cursor[Any]) -> RowMaker[Row]:
    names = tuple(c.name for c in cursor.description or ())
    kind = type("Row", (Row,), {"names": names})
    return lambda values: kind(values)


def _param(value: Any) -> Any:
    """A parameter PostgreSQL can hold: its text type cannot contain NUL, which SQLite keeps (and
    people can type). Each NUL becomes U+FFFD, the replacement character, so the text keeps its
    length and shows where something unprintable was."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def _params(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(_param(v) for v in values)


def to_pg(sql: str) -> str:
    """`?` placeholders to psycopg's `%s` (a literal % doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgTx:
    """The Tx of the table modules over one psycopg connection in a transaction."""

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> psycopg.Cursor[Row]:
        return self.conn.execute(to_pg(sql), _params(params))

    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> psycopg.Cursor[Row]:
        cur = self.conn.cursor()
        cur.executemany(to_pg(sql), [_params(p) for p in params])
        return cur


def conninfo(url: str) -> str:
    """psycopg takes postgresql:// URLs as they are (sslmode etc. in the query string)."""
    if url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://") :]
    return url


class PostgresCore(StoreCore):
    dialect = "postgresql"
    caches = False
    shared = True
    # Appended to the claim of due reminders (reminders.py): replicas claiming at once each take
    # rows the others have not locked, instead of waiting for them or claiming them twice.
    _LOCK_CLAUSE = " FOR UPDATE SKIP LOCKED"

    def __init__(self, pool: ConnectionPool[Any], url: str, size: int) -> None:
        super().__init__()
        self.pool = pool
        self.conninfo = conninfo(url)
        self.path = url.split("@")[-1]  # for messages: never the password
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="flicker-pg")
        # Every advisory lock this process holds lives on this one connection: taking one is a
        # non-blocking try (waiting is a pause in this process, not a connection per waiter).
        self._lock_conn: psycopg.AsyncConnection[Any] | None = None
        self._lock_mutex = asyncio.Lock()

    @classmethod
    async def open(cls, url: str, *, size: int = 8) -> Any:
        info = conninfo(url)
        pool: ConnectionPool[Any] = ConnectionPool(
            info, min_size=1, max_size=size, open=False, kwargs={"row_factory": _row_factory}, name="flicker"
        )
        try:
            # One plain connection first: a wrong password or a missing server fails now, with its
            # reason, instead of the pool retrying it until its timeout.
            probe = await psycopg.AsyncConnection.connect(info, connect_timeout=10)
            await probe.close()
            await asyncio.to_thread(partial(pool.open, wait=True, timeout=30))
        except Exception as exc:
            pool.close()
            raise StoreError(f"could not connect to PostgreSQL at {url.split('@')[-1]}: {exc}") from exc
        store = cls(pool, url, size)
        try:
            await store._migrate()
        except BaseException:
            await store.close()
            raise
        return store

    async def close(self) -> None:
        await asyncio.to_thread(self.pool.close)
        if self._lock_conn is not None:
            await self._lock_conn.close()
        self._threads.shutdown(wait=True)

    def _in_thread(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        return asyncio.get_running_loop().run_in_executor(self._threads, fn)

    async def _migrate(self) -> None:
        available = migration_files("postgresql")
        newest_known = max(available, default=0)

        def migrate() -> list[str]:
            applied: list[str] = []
            with self.pool.connection() as conn:
                conn.autocommit = True
                # Several replicas start together: one migrates, the others wait here, then see it done.
                conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
                try:
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
                    )
                    done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}
                    if done and max(done) > newest_known:
                        raise SchemaTooNew(
                            f"The database was written by a newer Flicker (schema version {max(done)}; "
                            f"this code knows up to {newest_known}). Upgrade Flicker."
                        )
                    for version, file in sorted(available.items()):
                        if version in done:
                            continue
                        with conn.transaction():
                            conn.execute(file.read_text(encoding="utf-8"))
                            conn.execute(
                                "INSERT INTO schema_migrations(version, name, applied_at) VALUES (%s, %s, %s)",
                                (version, file.name, to_ts(datetime.now(UTC))),
                            )
                        applied.append(file.name)
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
                    conn.autocommit = False
            return applied

        for name in await self._in_thread(migrate):
            log.info("applied migration %s", name)

    async def write(self, fn: Callable[[Tx], T]) -> T:
        also = WRITE_ALSO.get()

        def run() -> T:
            with self.pool.connection() as conn, conn.transaction():
                tx = PgTx(conn)
                result = fn(tx)
                if also is not None:
                    also(tx)
                return result

        try:
            return await self._in_thread(run)
        except (psycopg.OperationalError, psycopg.errors.ReadOnlySqlTransaction) as exc:
            raise StoreError(str(exc)) from exc

    async def read(self, fn: Callable[[Tx], T]) -> T:
        def run() -> T:
            with self.pool.connection() as conn:
                return fn(PgTx(conn))

        return await self._in_thread(run)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        values = tuple(params)
        return await self.read(lambda tx: tx.execute(sql, values).fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any | None:
        values = tuple(params)
        return await self.read(lambda tx: tx.execute(sql, values).fetchone())

    async def drop_stale_cache(self) -> None:
        return None  # nothing is cached (caches = False)

    async def checkpoint(self) -> bool:
        # Erased rows leave dead tuples until VACUUM reclaims them; autovacuum does that on its
        # own schedule. The README tells operators how to make it prompt (and encrypt at rest).
        return True

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT max(version) FROM schema_migrations")
        return int(row[0] or 0) if row else 0

    async def _lock_statement(self, sql: str, key: tuple[int, int]) -> bool:
        async with self._lock_mutex:
            if self._lock_conn is None or self._lock_conn.closed:
                try:
                    self._lock_conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
                except psycopg.Error as exc:
                    raise StoreError(f"could not connect to PostgreSQL at {self.path}") from exc
            try:
                row = await (await self._lock_conn.execute(sql, key)).fetchone()
            except psycopg.OperationalError as exc:  # the connection broke: its locks went with it
                await self._lock_conn.close()
                self._lock_conn = None
                raise StoreError(str(exc)) from exc
            return bool(row and row[0])

    @asynccontextmanager
    async def _advisory(self, key: tuple[int, int]) -> AsyncIterator[None]:
        pause, longest = LOCK_POLL_S
        while not await self._lock_statement("SELECT pg_try_advisory_lock(%s, %s)", key):
            await asyncio.sleep(pause)  # another replica holds it
            pause = min(pause * 2, longest)
        try:
            yield
        finally:
            try:
                await self._lock_statement("SELECT pg_advisory_unlock(%s, %s)", key)
            except StoreError:
                log.warning("an advisory lock could not be released (its connection broke, which released it)")

    @asynccontextmanager
    async def person_lock(self, user_id: int) -> AsyncIterator[None]:
        """One person's messages one at a time across every replica: the in-process lock first (so
        one replica's waiters queue in memory), then a session advisory lock on (space, person)."""
        async with super().person_lock(user_id), self._advisory((PERSON_LOCK_SPACE, _key32(user_id))):
            yield

    @asynccontextmanager
    async def named_lock(self, name: str) -> AsyncIterator[None]:
        """A name's lock across every replica (in-process first, then a session advisory lock)."""
        key = zlib.crc32(name.encode()) - 2**31
        async with super().named_lock(name), self._advisory((NAMED_LOCK_SPACE, key)):
            yield


def _key32(user_id: int) -> int:
    """A person's id as the signed 32-bit second key of a two-key advisory lock."""
    if -(2**31) <= user_id < 2**31:
        return user_id
    return zlib.crc32(str(user_id).encode()) - 2**31


class PostgresStore(PostgresCore, Tables):
    """The PostgreSQL store (`await PostgresStore.open(url)`)."""

    # ---- leadership (added for the Discord gateway: one replica holds it) ---------------------------------

    @asynccontextmanager
    async def hold_leadership(self, name: str, *, check_s: float | None = None) -> AsyncIterator[Leadership]:
        """Try once to become the one replica that does `name` (e.g. "discord": its gateway connection).

        The session advisory lock is taken with pg_try_advisory_lock on a connection of its own, held
        while the block runs and released when it ends: by closing that connection, which is also what
        happens when the process dies (the server ends its session, at the latest after the TCP
        keepalives below give up on a vanished host). The yielded Leadership is truthy when held; its
        `lost` event is set if the lock's connection breaks (a database restart), so the holder stops.
        """
        key = zlib.crc32(name.encode()) - 2**31
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.conninfo,
                autocommit=True,
                options="-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3",
            )
        except psycopg.Error as exc:
            raise StoreError(f"could not connect to PostgreSQL at {self.path}: {exc.__class__.__name__}") from exc
        watch: asyncio.Task[None] | None = None
        try:
            row = await (await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LEADER_LOCK_SPACE, key))).fetchone()
            leadership = Leadership(bool(row and row[0]))
            if leadership.held:
                watch = asyncio.create_task(_watch_leadership(conn, leadership, check_s or LEADER_CHECK_S))
            yield leadership
        finally:
            if watch is not None:
                watch.cancel()
                await asyncio.gather(watch, return_exceptions=True)
            await conn.close()  # ends the session: the lock is released


LEADER_LOCK_SPACE = 0x666C6B03  # first key of the two-key advisory lock that names a leader ("flk" + 3)
LEADER_CHECK_S = 5.0  # how often a leader checks that its lock's connection is still there


class Leadership:
    """What `hold_leadership` yields: truthy when this replica is the leader; `lost` is set if that ends."""

    def __init__(self, held: bool) -> None:
        self.held = held
        self.lost = asyncio.Event()

    def __bool__(self) -> bool:
        return self.held


async def _watch_leadership(conn: psycopg.AsyncConnection[Any], leadership: Leadership, check_s: float) -> None:
    while True:
        await asyncio.sleep(check_s)
        try:
            await conn.execute("SELECT 1")
        except psycopg.Error:
            log.warning("the leadership lock's database connection broke; giving up leadership")
            leadership.held = False
            leadership.lost.set()
            return


def postgres_health(url: str, *, timeout: float = 5) -> Any:
    """`flicker health` on PostgreSQL: the schema version and the scheduler's heartbeat, read on a
    read-only session (nothing is migrated or written). StoreError (cause: the driver's error) when
    the database does not answer."""
    from bot.store.records import HealthReading

    try:
        with psycopg.connect(
            conninfo(url),
            connect_timeout=max(1, int(timeout)),
            autocommit=True,
            options=f"-c default_transaction_read_only=on -c statement_timeout={int(timeout * 1000)}",
        ) as conn:
            version = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
            beat = conn.execute("SELECT at FROM heartbeat WHERE name = 'scheduler'").fetchone()
    except psycopg.Error as exc:
        raise StoreError(f"{exc.__class__.__name__}") from exc
    return HealthReading(int(version[0] or 0) if version else 0, None if beat is None else int(beat[0]))
