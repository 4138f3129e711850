"""What every backend's core gives the table modules: reads, committed writes, a cache.

A table module (users.py, entries.py, ...) is a mixin over `StoreCore`: it knows its tables'
SQL, written once in the portable subset both SQLite and PostgreSQL run (`?` placeholders,
RETURNING instead of lastrowid, ON CONFLICT instead of INSERT OR ...). A backend (sqlite.py,
postgres.py) supplies how statements reach the database; it is the one place for
dialect-specific SQL.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from bot.store.records import Conversation, Tx, User

T = TypeVar("T")

NO_CONVERSATION = object()  # cached "this person has none", distinct from "not cached"


class StoreCore(ABC):
    """Connection core: the only methods table modules use to reach the database."""

    dialect: str = ""  # "sqlite" | "postgresql"
    # Caching users and conversations in the process is right for one process on a file
    # (SQLite tells cheaply when another process wrote). Replicas on PostgreSQL keep state in
    # the database only, so that backend turns it off.
    caches: bool = True
    # Several processes serve from this database at once (replicas): what must hold across them
    # (one person's order, the flood limit) is kept in the database, not in a process.
    shared: bool = False

    def __init__(self) -> None:
        self._users_by_identity: dict[tuple[str, str], User] = {}
        self._users: dict[int, User] = {}
        self._conversations: dict[int, Conversation | object] = {}
        self._person_locks: dict[int, tuple[asyncio.Lock, int]] = {}  # lock and how many hold or wait
        self._named_locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @abstractmethod
    async def write(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn(tx)` in a transaction and return once it is committed (StoreError if not)."""

    @abstractmethod
    async def read(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn(tx)` for reading, in one round trip; nothing it does is committed."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]: ...

    @abstractmethod
    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any | None: ...

    @abstractmethod
    async def drop_stale_cache(self) -> None:
        """Forget cached rows if another process may have changed them."""

    @abstractmethod
    async def checkpoint(self) -> bool:
        """Make erased rows unrecoverable from logs where the backend can; True when done."""

    @abstractmethod
    async def close(self) -> None: ...

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One committed write statement; returns the number of rows it changed."""
        values = tuple(params)
        return int(await self.write(lambda tx: tx.execute(sql, values).rowcount))

    @asynccontextmanager
    async def named_lock(self, name: str) -> AsyncIterator[None]:
        """One holder at a time for this name (e.g. one Telegram sender's updates, in order).

        Within one process a keyed asyncio.Lock; postgres.py makes it hold across replicas."""
        lock, users = self._named_locks.get(name) or (asyncio.Lock(), 0)
        self._named_locks[name] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._named_locks[name]
            if users == 1:
                del self._named_locks[name]
            else:
                self._named_locks[name] = (lock, users - 1)

    @asynccontextmanager
    async def person_lock(self, user_id: int) -> AsyncIterator[None]:
        """Handle one person's messages one at a time, in the order they arrived.

        Within one process an asyncio.Lock per person does it (the lock is dropped when nobody
        holds or waits for it, so idle people cost nothing). A backend shared by several
        processes extends this to all of them (postgres.py: an advisory lock).
        """
        lock, users = self._person_locks.get(user_id) or (asyncio.Lock(), 0)
        self._person_locks[user_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._person_locks[user_id]
            if users == 1:
                del self._person_locks[user_id]
            else:
                self._person_locks[user_id] = (lock, users - 1)

    def evict(self, user_id: int) -> None:
        """Drop cached reads of a user (after erasing, merging or an outside change)."""
        self._users.pop(user_id, None)
        self._conversations.pop(user_id, None)
        for key in [k for k, u in self._users_by_identity.items() if u.id == user_id]:
            del self._users_by_identity[key]

    def clear_cache(self) -> None:
        self._users.clear()
        self._users_by_identity.clear()
        self._conversations.clear()
