"""the Telegram update ledger (each update handled once)."""

from __future__ import annotations

from bot.store.base import StoreCore
from bot.store.records import WRITE_ALSO, InboxOpen, InboxReplies, InboxUpdate, Tx, Write


class InboxStore(StoreCore):
    async def record_update(
        self,
        update_id: int,
        received_at: int,
        body: str,
        *,
        drop_done_before: int | None,
        person: str | None = None,
    ) -> bool:
        """Write an update down; False if this update_id was recorded before (a repeat).

        `person` (the sender's platform id) lets any replica handle one person's updates in order.
        With `drop_done_before`, finished updates received earlier than that are forgotten too."""

        def record(tx: Tx) -> bool:
            if drop_done_before is not None:
                tx.execute("DELETE FROM telegram_inbox WHERE status = 'done' AND received_at < ?", (drop_done_before,))
            cur = tx.execute(
                "INSERT INTO telegram_inbox(update_id, received_at, body, person) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
                (update_id, received_at, body, person),
            )
            return cur.fetchone() is not None

        return await self.write(record)

    async def mark_update_handled(self, update_id: int, replies: str) -> None:
        """The engine answered: keep the replies (JSON) until sent; the update's body goes."""
        await self.execute(
            "UPDATE telegram_inbox SET status = 'handled', body = NULL, replies = ?, sent = 0 WHERE update_id = ?",
            (replies, update_id),
        )

    async def mark_update_sent(self, update_id: int, count: int) -> None:
        await self.execute("UPDATE telegram_inbox SET sent = ? WHERE update_id = ?", (count, update_id))

    async def mark_update_done(self, update_id: int) -> None:
        await self.execute(
            "UPDATE telegram_inbox SET status = 'done', body = NULL, replies = NULL WHERE update_id = ?", (update_id,)
        )

    def update_applied_write(self, update_id: int) -> Write:
        """A write marking this update's effects as committed: set it as WRITE_ALSO while handling it."""
        return lambda tx: tx.execute(
            "UPDATE telegram_inbox SET status = 'applied' WHERE update_id = ? AND status = 'received'", (update_id,)
        )

    async def unfinished_updates(self, status: str = "received") -> list[InboxUpdate]:
        """Recorded updates in this state ('received' or 'applied'), oldest first."""
        rows = await self.fetchall(
            "SELECT update_id, body FROM telegram_inbox WHERE status = ? ORDER BY update_id", (status,)
        )
        return [InboxUpdate(r[0], r[1]) for r in rows]

    async def unsent_replies(self) -> list[InboxReplies]:
        """Updates answered whose replies were not all sent, oldest first."""
        rows = await self.fetchall(
            "SELECT update_id, replies, sent FROM telegram_inbox WHERE status = 'handled' ORDER BY update_id"
        )
        return [InboxReplies(r[0], r[1], r[2]) for r in rows]

    async def open_updates_of(self, person: str) -> list[InboxOpen]:
        """This person's recorded updates not yet finished, in update_id order (any replica's)."""
        rows = await self.fetchall(
            "SELECT update_id, status, body, replies, sent FROM telegram_inbox "
            "WHERE person = ? AND status <> 'done' ORDER BY update_id",
            (person,),
        )
        return [InboxOpen(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def update_status(self, update_id: int) -> str | None:
        row = await self.fetchone("SELECT status FROM telegram_inbox WHERE update_id = ?", (update_id,))
        return str(row[0]) if row else None

    async def people_waiting(self, received_before: int, limit: int = 100) -> list[str]:
        """People with an update left unfinished since before then (a replica died handling it)."""
        rows = await self.fetchall(
            "SELECT person FROM telegram_inbox WHERE status <> 'done' AND received_at < ? AND person IS NOT NULL "
            "GROUP BY person ORDER BY min(update_id) LIMIT ?",
            (received_before, limit),
        )
        return [str(r[0]) for r in rows]

    async def count_message(self, platform: str, external_id: str, window_start: int) -> int:
        """Count one message of this person in the window starting then; the count so far.

        The flood limit's memory when several replicas share the database (one process keeps it
        in memory). Windows that ended long ago are dropped now and then."""

        def count(tx: Tx) -> int:
            if window_start % 60 == 0:
                tx.execute("DELETE FROM flood_counts WHERE window_start < ?", (window_start - 600,))
            row = tx.execute(
                "INSERT INTO flood_counts(platform, external_id, window_start, count) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (platform, external_id, window_start) DO UPDATE SET count = flood_counts.count + 1 "
                "RETURNING count",
                (platform, external_id, window_start),
            ).fetchone()
            return int(row[0])

        token = WRITE_ALSO.set(None)  # counting isn't an effect of the update being handled
        try:
            return await self.write(count)
        finally:
            WRITE_ALSO.reset(token)

    async def unowned_updates(self) -> list[InboxOpen]:
        """Unfinished updates recorded before the inbox knew whose they were (older Flicker)."""
        rows = await self.fetchall(
            "SELECT update_id, status, body, replies, sent FROM telegram_inbox "
            "WHERE person IS NULL AND status <> 'done' ORDER BY update_id"
        )
        return [InboxOpen(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def own_update(self, update_id: int, person: str) -> None:
        await self.execute("UPDATE telegram_inbox SET person = ? WHERE update_id = ?", (person, update_id))
