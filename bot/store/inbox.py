"""the Telegram update ledger (each update handled once)."""

from __future__ import annotations

from bot.store.base import StoreCore
from bot.store.records import InboxReplies, InboxUpdate, Tx, Write


class InboxStore(StoreCore):
    async def record_update(self, update_id: int, received_at: int, body: str, *, drop_done_before: int | None) -> bool:
        """Write an update down; False if this update_id was recorded before (a repeat).

        With `drop_done_before`, finished updates received earlier than that are forgotten too."""

        def record(tx: Tx) -> bool:
            if drop_done_before is not None:
                tx.execute("DELETE FROM telegram_inbox WHERE status = 'done' AND received_at < ?", (drop_done_before,))
            cur = tx.execute(
                "INSERT INTO telegram_inbox(update_id, received_at, body) VALUES (?, ?, ?) "
                "ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
                (update_id, received_at, body),
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
