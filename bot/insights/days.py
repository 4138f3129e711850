"""Honest time: when a journal began, and the days a person marked ("none today", a day off).

A rate counts only days the journal could have recorded: from the day it began (the first
contact with Flicker, or an earlier twitch the person logged) and never a chosen day off.
A week is compared with the week before only when the journal covers that whole week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.store import Tx, User
from bot.store.days import clear_day_mark
from bot.store.interface import StoreAPI

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


async def journal_began(store: StoreAPI, user: User) -> date:
    """The first local day of the journal: first contact, or an earlier twitch logged since."""
    logged = await store.first_entry_at(user.id)
    first = user.created_at
    if logged is not None and logged < first:
        first = logged
    return first.astimezone(user.tz).date()


async def journal_days(store: StoreAPI, user: User, first: date | None = None, last: date | None = None) -> JournalDays:
    marks = await store.day_marks(user.id, first, last)
    return JournalDays(await journal_began(store, user), marks)


async def twitches_on(store: StoreAPI, user: User, day: date) -> int:
    """Twitches logged for a local day (in the person's zone now)."""
    start = datetime.combine(day, datetime.min.time(), user.tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), user.tz)
    return await store.twitches_between(user.id, start, end)


async def set_mark(store: StoreAPI, user: User, day: date, mark: str, now: datetime) -> None:
    await store.mark_day(user.id, day, mark, now)


async def mark_of(store: StoreAPI, user: User, day: date) -> str | None:
    return await store.day_mark(user.id, day)


def clear_mark(conn: Tx, user_id: int, day: date) -> int:
    return clear_day_mark(conn, user_id, day)
