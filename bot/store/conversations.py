"""conversations: the one open flow per person (its step and answers so far)."""

from __future__ import annotations

import json
from collections.abc import Callable

from bot.store.base import NO_CONVERSATION, StoreCore
from bot.store.records import Conversation, Tx, from_ts, to_ts


class ConversationsStore(StoreCore):
    async def conversation(self, user_id: int) -> Conversation | None:
        cached = self._conversations.get(user_id)
        if cached is NO_CONVERSATION:
            return None
        if isinstance(cached, Conversation):
            return cached
        sql = "SELECT flow, step, data, updated_at FROM conversations WHERE user_id = ?"
        row = await self.fetchone(sql, (user_id,))
        conv = Conversation(row[0], row[1], json.loads(row[2]), from_ts(row[3])) if row else None
        if self.caches:
            self._conversations[user_id] = conv if conv is not None else NO_CONVERSATION
        return conv

    def conversation_writer(self, user_id: int, conv: Conversation | None) -> Callable[[Tx], None]:
        """A write function that stores (or, for None, clears) a conversation."""
        if conv is None:
            return lambda tx: tx.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))
        values = (user_id, conv.flow, conv.step, json.dumps(conv.data), to_ts(conv.updated_at))
        return lambda tx: tx.execute(
            "INSERT INTO conversations(user_id, flow, step, data, updated_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(user_id) DO UPDATE SET flow=excluded.flow, step=excluded.step, "
            "data=excluded.data, updated_at=excluded.updated_at",
            values,
        )

    def remember_conversation(self, user_id: int, conv: Conversation | None) -> None:
        """Update the cache after a conversation write has committed."""
        if self.caches:
            self._conversations[user_id] = conv if conv is not None else NO_CONVERSATION

    async def save_conversation(self, user_id: int, conv: Conversation | None) -> None:
        try:
            await self.write(self.conversation_writer(user_id, conv))
        except Exception:
            self._conversations.pop(user_id, None)
            raise
        self.remember_conversation(user_id, conv)
