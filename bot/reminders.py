"""Reminder rows: when each one is next due, and the writes that change them.

Next times come from APScheduler's CronTrigger in the person's IANA zone, with two guards
that APScheduler 3 lacks: arithmetic is done in UTC (an aware ZoneInfo datetime plus a
timedelta keeps its wall time and loses its fold), and on a fall-back day the second
occurrence of a repeated wall time is skipped, so a 01:30 reminder fires once.
On a spring-forward day a time that does not exist (02:30) fires once, an hour later.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.store import Store, User, from_ts, to_ts
from rules.reminders import KIND_ORDER, load_reminder_rules

_TINY = timedelta(microseconds=1)


@lru_cache(maxsize=4096)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo("UTC")


@lru_cache(maxsize=16384)
def trigger_for(minute: int, weekday: int | None, tz: str) -> CronTrigger:
    kwargs = {"day_of_week": weekday} if weekday is not None else {}
    return CronTrigger(hour=minute // 60, minute=minute % 60, timezone=_zone(tz), **kwargs)


def next_fire(minute: int, weekday: int | None, tz: str, after: datetime) -> datetime:
    """The first time strictly after `after` (aware) that this reminder is due, in UTC."""
    trigger = trigger_for(minute, weekday, tz)
    zone = _zone(tz)
    at = after.astimezone(UTC)
    for _ in range(8):
        fire = trigger.get_next_fire_time(None, at + _TINY)
        fire_utc = fire.astimezone(UTC)
        if fire_utc <= at:  # never go backwards (APScheduler can return `after` again)
            at += timedelta(hours=1)
            continue
        wall = fire.replace(tzinfo=None)
        first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
        if first < second and fire_utc == second:
            at = fire_utc  # the repeated hour of a fall-back day: this wall time already came once
            continue
        return fire_utc
    raise RuntimeError("no next fire time found")  # pragma: no cover - cron always has one


def next_due_ts(minute: int, weekday: int | None, tz: str, after_ts: int) -> int:
    return to_ts(next_fire(minute, weekday, tz, from_ts(after_ts)))


def in_quiet(minute: int, start: int | None, end: int | None) -> bool:
    """Is a local time of day inside quiet hours (which may wrap past midnight)?"""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


@dataclass
class ReminderSettings:
    wake: int | None = None
    bedtime: int | None = None
    quiet_start: int | None = None
    quiet_end: int | None = None
    paused_until: int | None = None

    @property
    def has_times(self) -> bool:
        return self.wake is not None and self.bedtime is not None


@dataclass(frozen=True)
class Reminder:
    id: int
    kind: str
    slot: int
    minute: int
    weekday: int | None
    enabled: bool
    next_due: int | None


async def get_settings(store: Store, user_id: int) -> ReminderSettings:
    row = await store.fetchone(
        "SELECT wake, bedtime, quiet_start, quiet_end, paused_until FROM reminder_settings WHERE user_id = ?",
        (user_id,),
    )
    return ReminderSettings(*row) if row else ReminderSettings()


def write_settings(conn: sqlite3.Connection, user_id: int, s: ReminderSettings) -> None:
    conn.execute(
        "INSERT INTO reminder_settings(user_id, wake, bedtime, quiet_start, quiet_end, paused_until) "
        "VALUES (?,?,?,?,?,?) ON CONFLICT(user_id) DO UPDATE SET wake=excluded.wake, bedtime=excluded.bedtime, "
        "quiet_start=excluded.quiet_start, quiet_end=excluded.quiet_end, paused_until=excluded.paused_until",
        (user_id, s.wake, s.bedtime, s.quiet_start, s.quiet_end, s.paused_until),
    )


async def list_reminders(store: Store, user_id: int) -> list[Reminder]:
    rows = await store.fetchall(
        "SELECT id, kind, slot, minute, weekday, enabled, next_due FROM reminders "
        "WHERE user_id = ? AND once = 0 ORDER BY kind, slot",
        (user_id,),
    )
    out = [Reminder(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(out, key=lambda r: (order.get(r.kind, 99), r.minute))


def reschedule(conn: sqlite3.Connection, user_id: int, tz: str, now_ts: int) -> int:
    """Recompute next_due of every enabled reminder of a person (after a zone, time or pause change)."""
    row = conn.execute("SELECT paused_until FROM reminder_settings WHERE user_id = ?", (user_id,)).fetchone()
    after = max(now_ts, row[0] or 0) if row else now_ts
    rows = conn.execute(
        "SELECT id, minute, weekday FROM reminders WHERE user_id = ? AND enabled = 1 AND once = 0", (user_id,)
    ).fetchall()
    conn.executemany(
        "UPDATE reminders SET next_due = ? WHERE id = ?",
        [(next_due_ts(m, wd, tz, after), rid) for rid, m, wd in rows],
    )
    conn.execute("UPDATE reminders SET next_due = NULL WHERE user_id = ? AND enabled = 0", (user_id,))
    if row and row[0] and row[0] > now_ts:  # paused: a pending snooze would break the pause
        conn.execute("DELETE FROM reminders WHERE user_id = ? AND once = 1", (user_id,))
    return len(rows)


def default_rows(kind: str, wake: int, bedtime: int, weekday: int | None = None) -> list[tuple[int, int, int | None]]:
    """(slot, minute, weekday) rows of one kind at its default times."""
    rules = load_reminder_rules()
    minutes = rules.default_minutes(kind, wake, bedtime)
    wd = weekday if rules.kinds[kind].weekly else None
    return [(slot, m, wd) for slot, m in enumerate(minutes)]


def upsert_kind(
    conn: sqlite3.Connection,
    user_id: int,
    kind: str,
    rows: list[tuple[int, int, int | None]],
    enabled: bool = True,
    custom: bool = False,
) -> None:
    """Put a kind's rows in place (replacing its slots); next_due is set by reschedule()."""
    conn.execute("DELETE FROM reminders WHERE user_id = ? AND kind = ?", (user_id, kind))
    conn.executemany(
        "INSERT INTO reminders(user_id, kind, slot, minute, weekday, enabled, custom) VALUES (?,?,?,?,?,?,?)",
        [(user_id, kind, slot, m, wd, int(enabled), int(custom)) for slot, m, wd in rows],
    )


def kind_state(conn: sqlite3.Connection, user_id: int, kind: str) -> tuple[bool, bool, int | None] | None:
    """(enabled, custom, weekday) of a kind the person has, or None."""
    row = conn.execute(
        "SELECT max(enabled), max(custom), max(weekday) FROM reminders WHERE user_id = ? AND kind = ? AND once = 0",
        (user_id, kind),
    ).fetchone()
    return None if row is None or row[0] is None else (bool(row[0]), bool(row[1]), row[2])


def enable_defaults(
    conn: sqlite3.Connection, user_id: int, kinds: list[str], wake: int, bedtime: int, weekday: int | None = None
) -> None:
    """Switch kinds on: times the person chose are kept, the others follow wake-up and bedtime."""
    for kind in kinds:
        state = kind_state(conn, user_id, kind)
        if state is not None and state[1]:
            set_kind_enabled(conn, user_id, kind, True)
        else:
            upsert_kind(conn, user_id, kind, default_rows(kind, wake, bedtime, weekday))


def relayout(conn: sqlite3.Connection, user_id: int, wake: int, bedtime: int) -> None:
    """After a new wake-up time or bedtime: move every kind whose times were not chosen by hand."""
    for kind in load_reminder_rules().kinds:
        state = kind_state(conn, user_id, kind)
        if state is not None and not state[1]:
            upsert_kind(conn, user_id, kind, default_rows(kind, wake, bedtime, state[2]), enabled=state[0])


def set_kind_enabled(conn: sqlite3.Connection, user_id: int, kind: str, enabled: bool) -> int:
    n = conn.execute(
        "UPDATE reminders SET enabled = ? WHERE user_id = ? AND kind = ? AND once = 0", (int(enabled), user_id, kind)
    ).rowcount
    if not enabled:
        conn.execute("DELETE FROM reminders WHERE user_id = ? AND kind = ? AND once = 1", (user_id, kind))
    return n


def switch_all_off(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute("UPDATE reminders SET enabled = 0, next_due = NULL WHERE user_id = ? AND once = 0", (user_id,))
    conn.execute("DELETE FROM reminders WHERE user_id = ? AND once = 1", (user_id,))


async def apply(store: Store, user: User, now: datetime, change) -> int:
    """Run `change(conn)` and recompute the person's next times in the same transaction."""

    def run(conn: sqlite3.Connection) -> int:
        change(conn)
        return reschedule(conn, user.id, user.timezone, to_ts(now))

    return await store.write(run)


async def snooze(store: Store, user_id: int, reminder_id: int, until: datetime) -> bool:
    """A one-off copy of a reminder at `until`; False if that reminder is gone or off."""

    def run(conn: sqlite3.Connection) -> bool:
        row = conn.execute(
            "SELECT kind, slot, minute, weekday FROM reminders WHERE id = ? AND user_id = ? AND enabled = 1",
            (reminder_id, user_id),
        ).fetchone()
        if row is None:
            return False
        conn.execute("DELETE FROM reminders WHERE user_id = ? AND kind = ? AND once = 1", (user_id, row[0]))
        conn.execute(
            "INSERT INTO reminders(user_id, kind, slot, minute, weekday, enabled, once, next_due) "
            "VALUES (?,?,?,?,?,1,1,?)",
            (user_id, row[0], row[1], row[2], row[3], to_ts(until)),
        )
        return True

    return await store.write(run)
