"""Honest time: when a journal began, and the days a person marked ("none today", a day off).

A rate counts only days the journal could have recorded: from the day it began (the first
contact with Flicker, or an earlier twitch the person logged) and never a chosen day off.
A week is compared with the week before only when the journal covers that whole week.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.store import Store, User, from_ts, to_ts

NONE, OFF = "none", "off"


@dataclass(frozen=True)
class JournalDays:
    began: date  # first local day the journal covers
    marks: dict[date, str] = field(default_factory=dict)  # day -> "none" | "off"

    def counted(self, first: date, last: date) -> list[date]:
        """The days of [first, last] a rate may count: since the journal began, minus days off."""
        start = max(first, self.began)
        days = (start + timedelta(days=i) for i in range((last - start).days + 1))
        return [d for d in days if self.marks.get(d) != OFF]

    def covers(self, first: date) -> bool:
        """Does the journal cover every day from `first` on (so a comparison is fair)?"""
        return self.began <= first

    def marked(self, first: date, last: date, mark: str) -> list[date]:
        return sorted(d for d, m in self.marks.items() if m == mark and first <= d <= last)


async def journal_began(store: Store, user: User) -> date:
    """The first local day of the journal: first contact, or an earlier twitch logged since."""
    row = await store.fetchone("SELECT min(occurred_at) FROM entries WHERE user_id = ?", (user.id,))
    first = user.created_at
    if row and row[0] is not None and from_ts(row[0]) < first:
        first = from_ts(row[0])
    return first.astimezone(user.tz).date()


async def journal_days(store: Store, user: User, first: date | None = None, last: date | None = None) -> JournalDays:
    sql, params = "SELECT day, mark FROM day_marks WHERE user_id = ?", [user.id]
    if first is not None and last is not None:
        sql += " AND day BETWEEN ? AND ?"
        params += [first.isoformat(), last.isoformat()]
    rows = await store.fetchall(sql, params)
    return JournalDays(await journal_began(store, user), {date.fromisoformat(d): m for d, m in rows})


async def twitches_on(store: Store, user: User, day: date) -> int:
    """Twitches logged for a local day (in the person's zone now)."""
    start = datetime.combine(day, datetime.min.time(), user.tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), user.tz)
    row = await store.fetchone(
        "SELECT count(*) FROM entries WHERE user_id = ? AND kind = 'twitch' AND occurred_at >= ? AND occurred_at < ?",
        (user.id, to_ts(start), to_ts(end)),
    )
    return row[0]


async def set_mark(store: Store, user: User, day: date, mark: str, now: datetime) -> None:
    await store.write(
        lambda conn: conn.execute(
            "INSERT INTO day_marks(user_id, day, mark, at) VALUES (?,?,?,?) "
            "ON CONFLICT(user_id, day) DO UPDATE SET mark = excluded.mark, at = excluded.at",
            (user.id, day.isoformat(), mark, to_ts(now)),
        )
    )


async def mark_of(store: Store, user: User, day: date) -> str | None:
    row = await store.fetchone("SELECT mark FROM day_marks WHERE user_id = ? AND day = ?", (user.id, day.isoformat()))
    return row[0] if row else None


def clear_mark(conn: sqlite3.Connection, user_id: int, day: date) -> int:
    return conn.execute("DELETE FROM day_marks WHERE user_id = ? AND day = ?", (user_id, day.isoformat())).rowcount
