"""safety_events: the safety screen's hits (the kind of warning and when, never the words)."""

from __future__ import annotations

from datetime import datetime

from bot.store.base import StoreCore
from bot.store.records import SafetyEvent, Tx, from_ts, to_ts


class SafetyStore(StoreCore):
    async def record_safety_event(self, user_id: int, at: datetime, category: str, rule: str) -> int:
        """Keep one hit (not yet pointing at an entry); its id."""
        values = (user_id, to_ts(at), category, rule)

        def insert(tx: Tx) -> int:
            return int(
                tx.execute(
                    "INSERT INTO safety_events(user_id, at, category, rule, entry_id) VALUES (?, ?, ?, ?, NULL) "
                    "RETURNING id",
                    values,
                ).fetchone()[0]
            )

        return await self.write(insert)

    async def link_safety_event(self, user_id: int, event_id: int, entry_id: int) -> bool:
        """Point one of this person's hits at the entry it was typed in; False if there is no such hit."""
        changed = await self.execute(
            "UPDATE safety_events SET entry_id = ? WHERE id = ? AND user_id = ?", (entry_id, event_id, user_id)
        )
        return changed > 0

    async def safety_events(self, user_id: int) -> list[SafetyEvent]:
        """Every hit of this person, oldest first."""
        rows = await self.fetchall(
            "SELECT id, at, category, rule, entry_id FROM safety_events WHERE user_id = ? ORDER BY at, id", (user_id,)
        )
        return [SafetyEvent(r[0], from_ts(r[1]), r[2], r[3], r[4]) for r in rows]
