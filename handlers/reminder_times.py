"""When one-off and weekly check-ins come: at the person's evening reminder time, never inside
quiet hours, and never before the plan's day 7 (a split of handlers/reminders.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.handler_api import Context
from bot.reminders import ReminderSettings, get_settings, in_quiet, next_fire
from bot.store import User, from_ts, to_ts
from bot.store.interface import StoreAPI
from rules.reminders import load_reminder_rules


def outside_quiet(minute: int, settings: ReminderSettings) -> int:
    """`minute`, or half an hour before quiet hours begin when it falls inside them."""
    if in_quiet(minute, settings.quiet_start, settings.quiet_end):
        return (settings.quiet_start - 30) % 1440
    return minute


async def evening_minute(store: StoreAPI, user_id: int, settings: ReminderSettings | None = None) -> int:
    """The person's evening reminder time (their evening journal reminder, else its default from
    their bedtime), never inside quiet hours."""
    settings = settings or await get_settings(store, user_id)
    minute = await store.first_journal_minute(user_id)
    if minute is None:
        rules = load_reminder_rules()
        wake = settings.wake if settings.wake is not None else rules.wake
        bed = settings.bedtime if settings.bedtime is not None else rules.bedtime
        minute = rules.default_minutes("journal", wake, bed)[0]
    return outside_quiet(minute, settings)


async def followup_at(ctx: Context, days: int = 7) -> datetime:
    """When a follow-up `days` from now should come: that day, at the person's evening reminder time."""
    minute = await evening_minute(ctx.store, ctx.user.id)
    day = ctx.local_now().date() + timedelta(days=days)
    local = datetime.combine(day, datetime.min.time(), ctx.tz) + timedelta(minutes=minute)
    return local.astimezone(ctx.now.tzinfo)


async def schedule_followup(ctx: Context, kind: str = "triage", days: int = 7) -> datetime:
    """A one-off check-in (e.g. a triage follow-up) at a sensible local hour; /reminders lists it."""
    due = await followup_at(ctx, days)
    local = due.astimezone(ctx.tz)
    minute = local.hour * 60 + local.minute
    await ctx.store.add_once_reminder(ctx.user.id, kind, minute, to_ts(due))
    return due


async def pending_followups(store: StoreAPI, user_id: int) -> list[tuple[str, int]]:
    """One-off check-ins still to come (kind, due), e.g. the one-week triage follow-up."""
    return [(f.kind, f.due) for f in await store.pending_followups(user_id)]


FOLLOWUP_LABELS = {"triage": "Triage follow-up"}


async def first_checkin(store: StoreAPI, user: User) -> datetime | None:
    """When the plan's next weekly check-in comes: never before day 7 of the plan."""
    plan = await store.reminder_plan(user.id)
    rem = await store.next_checkin_reminder(user.id)
    if plan is None or plan.status != "active" or rem is None:
        return None
    day7 = from_ts(plan.started_at).astimezone(user.tz).date() + timedelta(days=7)
    earliest = datetime.combine(day7, datetime.min.time(), user.tz)
    if from_ts(rem.next_due) >= earliest:
        return from_ts(rem.next_due)
    return next_fire(rem.minute, rem.weekday, user.timezone, earliest - timedelta(seconds=1))


def muted_by_quiet(rems, settings: ReminderSettings) -> list:
    """Enabled reminders that quiet hours would silence."""
    return [r for r in rems if r.enabled and in_quiet(r.minute, settings.quiet_start, settings.quiet_end)]
