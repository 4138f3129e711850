"""day_marks and absent_answers: the days a person marked, and the weekly "what stayed absent" answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from bot.store.base import StoreCore
from bot.store.records import StoredAbsentAnswer, Tx, from_ts, to_ts


def clear_day_mark(tx: Tx, user_id: int, day: date) -> int:
    """Inside a transaction: remove the mark of one day; the number of marks removed (0 or 1)."""
    return int(tx.execute("DELETE FROM day_marks WHERE user_id = ? AND day = ?", (user_id, day.isoformat())).rowcount)


class DaysStore(StoreCore):
    # ---- day_marks ---------------------------------------------------------------------------------
    async def day_marks(self, user_id: int, first: date | None = None, last: date | None = None) -> dict[date, str]:
        """Marked days ("none" | "off") by local day in order, of [first, last] when both are given."""
        params: list[Any]
        sql, params = "SELECT day, mark FROM day_marks WHERE user_id = ?", [user_id]
        if first is not None and last is not None:
            sql += " AND day BETWEEN ? AND ?"
            params += [first.isoformat(), last.isoformat()]
        return {date.fromisoformat(d): m for d, m in await self.fetchall(sql + " ORDER BY day", params)}

    async def day_mark(self, user_id: int, day: date) -> str | None:
        sql = "SELECT mark FROM day_marks WHERE user_id = ? AND day = ?"
        row = await self.fetchone(sql, (user_id, day.isoformat()))
        return row[0] if row else None

    async def mark_day(self, user_id: int, day: date, mark: str, now: datetime) -> None:
        """Mark a local day ("none" | "off"), replacing an earlier mark of that day."""
        await self.execute(
            "INSERT INTO day_marks(user_id, day, mark, at) VALUES (?,?,?,?) "
            "ON CONFLICT(user_id, day) DO UPDATE SET mark = excluded.mark, at = excluded.at",
            (user_id, day.isoformat(), mark, to_ts(now)),
        )

    def day_mark_clearer(self, user_id: int, day: date) -> Callable[[Tx], int]:
        """A write function that removes a day's mark (returns how many were removed)."""
        return lambda tx: clear_day_mark(tx, user_id, day)

    async def twitches_between(self, user_id: int, start: datetime, end: datetime) -> int:
        """How many twitches happened in [start, end)."""
        row = await self.fetchone(
            "SELECT count(*) FROM entries WHERE user_id = ? AND kind = 'twitch' "
            "AND occurred_at >= ? AND occurred_at < ?",
            (user_id, to_ts(start), to_ts(end)),
        )
        return int(row[0]) if row else 0

    # ---- absent_answers ----------------------------------------------------------------------------
    async def absent_answers(self, user_id: int, since: datetime | None = None) -> list[StoredAbsentAnswer]:
        """The weekly "what stayed absent" answers, oldest first (from `since` on, if given)."""
        sql, params = "SELECT at, question, answer FROM absent_answers WHERE user_id = ?", [user_id]
        if since is not None:
            sql += " AND at >= ?"
            params.append(to_ts(since))
        rows = await self.fetchall(sql + " ORDER BY at, id", params)
        return [StoredAbsentAnswer(from_ts(at), q, a) for at, q, a in rows]

    async def save_absent_answer(
        self, user_id: int, question: str, answer: str, now: datetime, *, replaces_since: datetime
    ) -> None:
        """Keep one answer, replacing answers to the same question given since `replaces_since`."""
        values: tuple[Any, ...] = (user_id, to_ts(now), question, answer)
        since = to_ts(replaces_since)

        def save(tx: Tx) -> None:
            tx.execute(
                "DELETE FROM absent_answers WHERE user_id = ? AND question = ? AND at >= ?", (user_id, question, since)
            )
            tx.execute("INSERT INTO absent_answers(user_id, at, question, answer) VALUES (?,?,?,?)", values)

        await self.write(save)
