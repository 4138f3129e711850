"""entries: the journal, twitches and notes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from bot.store.base import StoreCore
from bot.store.records import ENTRY_COLUMNS, Entry, Tx, entry_from_row, from_ts, to_ts


class EntriesStore(StoreCore):
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
        also: Callable[[Tx], Any] | None = None,
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

        def insert(tx: Tx) -> int:
            rowid = tx.execute(
                "INSERT INTO entries(user_id, kind, occurred_at, tz, region, side, duration_s, "
                "triggers, intensity, text, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                values,
            ).fetchone()[0]
            if also is not None:
                also(tx)
            return int(rowid)

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
        sql = f"SELECT {ENTRY_COLUMNS} FROM entries WHERE user_id = ? AND id = ?"
        row = await self.fetchone(sql, (user_id, entry_id))
        return entry_from_row(row) if row else None

    async def last_added_entry(self, user_id: int) -> Entry | None:
        row = await self.fetchone(
            f"SELECT {ENTRY_COLUMNS} FROM entries WHERE user_id = ? ORDER BY id DESC LIMIT 1", (user_id,)
        )
        return entry_from_row(row) if row else None

    async def placed_twitches_since(self, user_id: int, since: datetime) -> list[tuple[str, int, str]]:
        """(region, occurred_at unix s, text) of each twitch with a place since then, oldest first:
        the narrow read the triage evidence makes after every log (no Entry built for each)."""
        rows = await self.fetchall(
            "SELECT region, occurred_at, text FROM entries WHERE user_id = ? AND kind = 'twitch' "
            "AND occurred_at >= ? AND region IS NOT NULL ORDER BY occurred_at, id",
            (user_id, to_ts(since)),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def first_entry_at(self, user_id: int) -> datetime | None:
        """When this person's earliest entry happened (None with an empty journal)."""
        row = await self.fetchone("SELECT min(occurred_at) FROM entries WHERE user_id = ?", (user_id,))
        return from_ts(row[0]) if row and row[0] is not None else None

    async def delete_entry(self, user_id: int, entry_id: int) -> bool:
        """Delete one of this user's entries; False if there is no such entry of theirs."""
        changed = await self.execute("DELETE FROM entries WHERE user_id = ? AND id = ?", (user_id, entry_id))
        return changed > 0
