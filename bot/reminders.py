"""Reminder rows: when each one is next due, and the writes that change them.

Next times come from APScheduler's CronTrigger in the person's IANA zone, with two guards
that APScheduler 3 lacks: arithmetic is done in UTC (an aware ZoneInfo datetime plus a
timedelta keeps its wall time and loses its fold), and on a fall-back day the second
occurrence of a repeated wall time is skipped, so a 01:30 reminder fires once.
On a spring-forward day a time that does not exist (02:30) fires once, an hour later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from bot.store import User, from_ts, to_ts
from bot.store.interface import StoreAPI
from bot.store.records import Tx
from bot.store.reminders import Reminder, RemindersStore
from bot.store.reminders import ReminderSettings as ReminderSettings  # re-exported for handlers
from bot.store.reminders import in_quiet as in_quiet
from bot.store.reminders import zone as _zone
from rules.reminders import KIND_ORDER, load_reminder_rules

_TINY = timedelta(microseconds=1)


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
        fire: datetime = trigger.get_next_fire_time(None, at + _TINY)  # a cron trigger always has one
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


async def get_settings(store: StoreAPI, user_id: int) -> ReminderSettings:
    return await store.reminder_settings(user_id)


def write_settings(conn: Tx, user_id: int, s: ReminderSettings) -> None:
    RemindersStore.settings_writer(user_id, s)(conn)


async def list_reminders(store: StoreAPI, user_id: int) -> list[Reminder]:
    out = await store.reminders_of(user_id)
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(out, key=lambda r: (order.get(r.kind, 99), r.minute))


def reschedule(conn: Tx, user_id: int, tz: str, now_ts: int) -> int:
    """Recompute next_due of every enabled reminder of a person (after a zone, time or pause change)."""
    return RemindersStore.reschedule_writer(user_id, tz, now_ts, next_due_ts)(conn)


def default_rows(kind: str, wake: int, bedtime: int, weekday: int | None = None) -> list[tuple[int, int, int | None]]:
    """(slot, minute, weekday) rows of one kind at its default times."""
    rules = load_reminder_rules()
    minutes = rules.default_minutes(kind, wake, bedtime)
    wd = weekday if rules.kinds[kind].weekly else None
    return [(slot, m, wd) for slot, m in enumerate(minutes)]


def _layout(wake: int, bedtime: int) -> Callable[[str, int | None], list[tuple[int, int, int | None]]]:
    return lambda kind, weekday: default_rows(kind, wake, bedtime, weekday)


def upsert_kind(
    conn: Tx,
    user_id: int,
    kind: str,
    rows: list[tuple[int, int, int | None]],
    enabled: bool = True,
    custom: bool = False,
) -> None:
    """Put a kind's rows in place (replacing its slots); next_due is set by reschedule()."""
    RemindersStore.kind_writer(user_id, kind, rows, enabled, custom)(conn)


def enable_defaults(
    conn: Tx, user_id: int, kinds: list[str], wake: int, bedtime: int, weekday: int | None = None
) -> None:
    """Switch kinds on: times the person chose are kept, the others follow wake-up and bedtime."""
    RemindersStore.kinds_enabler(user_id, kinds, _layout(wake, bedtime), weekday)(conn)


def relayout(conn: Tx, user_id: int, wake: int, bedtime: int) -> None:
    """After a new wake-up time or bedtime: move every kind whose times were not chosen by hand."""
    RemindersStore.relayout_writer(user_id, load_reminder_rules().kinds, _layout(wake, bedtime))(conn)


def set_kind_enabled(conn: Tx, user_id: int, kind: str, enabled: bool) -> int:
    return RemindersStore.kind_enabled_writer(user_id, kind, enabled)(conn)


def switch_all_off(conn: Tx, user_id: int) -> None:
    RemindersStore.all_off_writer(user_id)(conn)


async def apply(store: StoreAPI, user: User, now: datetime, change: Callable[[Tx], Any]) -> int:
    """Run `change(conn)` and recompute the person's next times in the same transaction."""
    return await store.reschedule_reminders(user.id, user.timezone, to_ts(now), next_due_ts, change)


async def snooze(store: StoreAPI, user_id: int, reminder_id: int, until: datetime) -> bool:
    """A one-off copy of a reminder at `until`; False if that reminder is gone or off."""
    return await store.snooze_reminder(user_id, reminder_id, to_ts(until))
