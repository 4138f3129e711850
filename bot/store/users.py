"""users and identities: who a platform account belongs to, their time zone and settings."""

from __future__ import annotations

import asyncio
import json
import weakref
from datetime import datetime
from typing import Any

from bot.store.base import StoreCore
from bot.store.records import WRITE_ALSO, Identity, Tx, User, from_ts, to_ts

_USER_COLUMNS = "u.id, u.timezone, u.first_name, u.created_at, u.settings"
_IDENTITY_USER = (
    f"SELECT {_USER_COLUMNS} FROM identities i "
    "JOIN users u ON u.id = i.user_id WHERE i.platform = ? AND i.external_id = ?"
)


def _user(row: Any) -> User:
    return User(row[0], row[1], row[2], from_ts(row[3]), json.loads(row[4] or "{}"))


class UsersStore(StoreCore):
    def __init__(self) -> None:
        super().__init__()
        self._creating: dict[tuple[str, str], asyncio.Future[tuple[tuple[Any, ...], bool]]] = {}
        # Without caches, every read makes a User from the database's row; a person's User object
        # still stays one object while anyone holds it (refreshed in place by each read), so that
        # what set_timezone & co. change on it is seen by every holder, as with the cache.
        self._live_users: weakref.WeakValueDictionary[int, User] = weakref.WeakValueDictionary()

    def _user_object(self, row: Any) -> User:
        """The User of a row just read: when not caching, the live object of that person, refreshed."""
        fresh = _user(row)
        if self.caches:
            return fresh
        live = self._live_users.get(fresh.id)
        if live is None:
            self._live_users[fresh.id] = fresh
            return fresh
        live.timezone, live.first_name = fresh.timezone, fresh.first_name
        live.created_at, live.settings = fresh.created_at, fresh.settings
        return live

    async def user_for(
        self, platform: str, external_id: str, default_tz: str, now: datetime, *, chat_id: str | None = None
    ) -> tuple[User, bool]:
        """The user behind a platform identity, created on first contact. Returns (user, is_new).

        `chat_id`: where a first private message came from, kept to reach the person later."""
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

            def create(tx: Tx) -> tuple[tuple[Any, ...], bool]:
                found = tx.execute(_IDENTITY_USER, key).fetchone()
                if found is not None:
                    return tuple(found), False
                uid = tx.execute(
                    "INSERT INTO users(timezone, created_at) VALUES (?, ?) RETURNING id", (default_tz, ts)
                ).fetchone()[0]
                tx.execute(
                    "INSERT INTO identities(platform, external_id, user_id, last_seen, chat_id) VALUES (?, ?, ?, ?, ?)",
                    (platform, external_id, uid, ts, chat_id),
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
                pending.add_done_callback(lambda _f: self._creating.pop(key, None))
                row, is_new = await asyncio.shield(pending)
            else:  # the same person's first message is being created right now: share it
                row, _ = await asyncio.shield(pending)
                is_new = False
        cached = self._users_by_identity.get(key)
        if cached is not None:
            return cached, is_new
        assert row is not None  # found, or made above
        user = self._users.get(row[0]) or self._user_object(row)
        if self.caches:
            self._users[user.id] = user
            self._users_by_identity[key] = user
        return user, is_new

    async def get_user(self, user_id: int) -> User | None:
        await self.drop_stale_cache()
        if user_id in self._users:
            return self._users[user_id]
        sql = "SELECT id, timezone, first_name, created_at, settings FROM users WHERE id = ?"
        row = await self.fetchone(sql, (user_id,))
        if row is None:
            return None
        user = self._user_object(row)
        if self.caches:
            self._users[user.id] = user
        return user

    async def identities_of(self, user_id: int) -> list[Identity]:
        rows = await self.fetchall(
            "SELECT platform, external_id, chat_id, last_seen FROM identities WHERE user_id = ? "
            "ORDER BY last_seen DESC",
            (user_id,),
        )
        return [Identity(r[0], r[1], r[2], r[3]) for r in rows]

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
        """Erase every row of this person (tables cascade from users), and the old copies too."""
        await self.execute("DELETE FROM users WHERE id = ?", (user_id,))
        self.evict(user_id)
        await self.checkpoint()
