"""What a reminder says, its buttons, and the answers to them (stored as daily check-ins).

Every reminder carries Snooze (1 hour) and Stop. Answer buttons name the local day they
are about, so an old button still files its answer under the right day, and a very old
one is answered as expired.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.choice_ids import (
    ChoiceId,
    Log,
    Reminder,
    ReminderCheckin,
    ReminderCups,
    ReminderDay,
    ReminderGlass,
    ReminderNone,
    ReminderSleep,
    ReminderSnooze,
    ReminderStop,
    ReminderStress,
    Triage,
)
from bot.handler_api import Command, Context, expired
from bot.insights.days import NONE, OFF, clear_mark, mark_of, set_mark, twitches_on
from bot.insights.words import plural
from bot.messages import Choice, Reply
from bot.reminders import apply, set_kind_enabled, snooze
from bot.store import Entry, User, from_ts, to_ts
from bot.store.interface import StoreAPI
from rules.reminders import load_reminder_rules
from rules.texts import texts

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.scheduler import DueReminder

ANSWER_DAYS = 3  # answer buttons older than this many days have expired
CUPS = ((0, "0"), (1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5"), (6, "6+"))
SLEEP = ((4, "<5 h"), (5, "5 h"), (6, "6 h"), (7, "7 h"), (8, "8 h"), (9, "9 h"), (10, "10+ h"))
STRESS = tuple((i, str(i)) for i in range(1, 6))
GLASS_ML = 250


def taper_target(start: int, day: int) -> int:
    """Caffeine target on day `day` of the plan: steps down from `start` to the floor (SC-1)."""
    plan = load_reminder_rules().plan
    days, floor = int(plan["taper_days"]), int(plan.get("taper_floor_cups", 1))
    if start <= floor:
        return start
    done = min(max(day, 0), days) / days
    return max(floor, math.ceil(start - (start - floor) * done - 1e-9))


def plan_day(started_ts: int, tz, on: date) -> int:
    return (on - from_ts(started_ts).astimezone(tz).date()).days


def _day_id(d: date) -> str:
    return d.strftime("%Y%m%d")


def _common(d: DueReminder) -> tuple[Choice, ...]:
    return (ReminderSnooze(d.reminder_id).button("Snooze 1 h"), ReminderStop(d.kind).button("Stop these"))


async def compose(engine: Engine, d: DueReminder) -> list[Reply]:
    """The message for one due reminder (the scheduler calls this for every delivery)."""
    if d.kind == "triage":  # the one-week check-in a "monitor" triage result offered (RF-4)
        return [
            Reply(
                texts("reminders")["triage_checkin"],
                (Triage("start").button("Answer again"), ReminderSnooze(d.reminder_id).button("Snooze 1 h")),
            )
        ]
    rules = load_reminder_rules()
    kind = rules.kinds.get(d.kind)
    if kind is None:
        return []
    local = d.local_due
    today = local.date()
    if d.kind == "checkin":
        from handlers.plan import weekly_checkin

        return await weekly_checkin(engine, d)
    if d.kind == "hydration":
        return [Reply(kind.text, (ReminderGlass(_day_id(today)).button("Drank a glass"), *_common(d)))]
    if d.kind == "caffeine":
        text = kind.text
        if d.plan_status == "active" and d.plan_started is not None and d.caffeine_start is not None:
            target = taper_target(d.caffeine_start, plan_day(d.plan_started, local.tzinfo, today))
            text += "\n" + kind.extra["taper"].format(
                target=target, s="" if target == 1 else "s", start=d.caffeine_start
            )
        day = _day_id(today - timedelta(days=1))
        return [Reply(text, (*(ReminderCups(day, n).button(label) for n, label in CUPS), *_common(d)))]
    if d.kind == "sleep":
        day = _day_id(today)
        return [Reply(kind.text, (*(ReminderSleep(day, n).button(label) for n, label in SLEEP), *_common(d)))]
    if d.kind == "stress":
        tips = kind.extra["suggestions"]
        text = kind.text.format(suggestion=tips[today.toordinal() % len(tips)])
        text += "\nHow stressed do you feel today, from 1 (calm) to 5 (very)?"
        day = _day_id(today)
        return [Reply(text, (*(ReminderStress(day, n).button(label) for n, label in STRESS), *_common(d)))]
    if d.kind == "journal":
        day = _day_id(today)
        user = await engine.store.get_user(d.user_id)
        if user is not None and await mark_of(engine.store, user, today) == OFF:
            return []  # a day off logging the person chose: no nudge about twitches
        return [
            Reply(
                kind.text,
                (
                    ReminderNone(day).button("None today"),
                    Log("start").button("Log one"),
                    Reminder("note").button("Add a note"),
                    *_common(d),
                ),
            )
        ]
    return [Reply(kind.text, _common(d))]


# ---- answers ------------------------------------------------------------------------------
def _parse_day(ctx: Context, raw: str) -> date | None:
    try:
        day = datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        return None
    age = (ctx.local_now().date() - day).days
    return day if -1 <= age <= ANSWER_DAYS else None


async def save_checkin(store: StoreAPI, user: User, day: date, kind: str, value: int, now: datetime, add=False) -> int:
    """Store one daily answer; with add=True the value is added to the day's count. Returns the new value."""
    return await store.save_checkin_answer(user.id, day.isoformat(), kind, value, to_ts(now), add)


async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    cid = ChoiceId.read(f"rem:{payload}")
    if isinstance(cid, ReminderSnooze):
        return await _snooze(ctx, str(cid.reminder_id))
    if isinstance(cid, ReminderStop):
        return await _stop(ctx, cid.kind)
    if cid == Reminder("note"):
        from handlers.journal import note

        ctx.args = ""
        return await note(ctx)
    if not isinstance(cid, ReminderDay):
        return expired("/reminders")
    action = cid.action
    day = _parse_day(ctx, cid.day)
    if day is None:
        return expired("/reminders")
    when = "today" if day == ctx.local_now().date() else day.strftime("%a %-d %b")
    if action == "glass":
        n = await save_checkin(ctx.store, ctx.user, day, "glasses", 1, ctx.now, add=True)
        litres = n * GLASS_ML / 1000
        es = "es" if n != 1 else ""
        return [Reply(texts("reminders")["glass_counted"].format(n=n, es=es, when=when, litres=litres))]
    if action == "none":
        return await _none_today(ctx, day, when)
    if not isinstance(cid, ReminderCheckin):
        return expired("/reminders")
    value = cid.value
    if action == "cups" and 0 <= value <= 6:
        await save_checkin(ctx.store, ctx.user, day, "cups", value, ctx.now)
        text = f"Noted: {value if value < 6 else '6 or more'} cup{'s' if value != 1 else ''} on {when}."
        started = await ctx.store.start_caffeine_taper(ctx.user.id, value)
        if started and value > 1:
            text += " " + texts("reminders")["taper_note"]
        return [Reply(text)]
    if action == "sleep" and 4 <= value <= 10:
        await save_checkin(ctx.store, ctx.user, day, "sleep_hours", value, ctx.now)
        goal = "within" if 7 <= value <= 9 else "outside"
        return [Reply(texts("reminders")["sleep_noted"].format(value=value, goal=goal))]
    if action == "stress" and 1 <= value <= 5:
        await save_checkin(ctx.store, ctx.user, day, "stress", value, ctx.now)
        return [Reply(f"Noted: stress {value} of 5 {when}.")]
    return expired("/reminders")


async def _none_today(ctx: Context, day: date, when: str) -> list[Reply]:
    """ "No twitches today", kept as a quiet day (different from a day without logging)."""
    logged = await twitches_on(ctx.store, ctx.user, day)
    if logged:
        return [
            Reply(
                f"You logged {plural(logged, 'twitch')} {when}, so I haven't marked it as a day without twitches. "
                "/journal shows them; /undo removes the last one if it was a mistake."
            )
        ]
    await set_mark(ctx.store, ctx.user, day, NONE, ctx.now)
    return [
        Reply(
            f"Good to hear: no twitches {when}. I've kept that as a quiet day, so your summary and plan can tell it "
            "from a day without logging."
        )
    ]


async def none_today(ctx: Context) -> list[Reply]:
    """Mark today as a day without twitches (a quiet day, not a day without logging)"""
    today = ctx.local_now().date()
    return await _none_today(ctx, today, "today")


async def on_entry_saved(ctx: Context, entry: Entry) -> list[Reply]:
    """A twitch logged for a day marked quiet (or off) makes it a logged day again."""
    if entry.kind != "twitch":
        return []
    day = entry.occurred_at.astimezone(ctx.tz).date()
    mark = await mark_of(ctx.store, ctx.user, day)
    if mark is None:
        return []
    await ctx.store.write(lambda conn: clear_mark(conn, ctx.user.id, day))
    what = '"no twitches"' if mark == NONE else '"day off logging"'
    return [Reply(f"(I took the {what} mark off {day:%a} {day.day} {day:%b}: it has a twitch logged now.)")]


async def marks_section(store: StoreAPI, user: User) -> list[dict]:
    rows = await store.day_marks_of(user.id)
    return [{"day": r.day, "mark": {"none": "no twitches", "off": "day off logging"}[r.mark]} for r in rows]


async def _snooze(ctx: Context, raw: str) -> list[Reply]:
    if not raw.isdigit():
        return expired("/reminders")
    minutes = load_reminder_rules().snooze_minutes
    until = ctx.now + timedelta(minutes=minutes)
    if not await snooze(ctx.store, ctx.user.id, int(raw), until) and not await _rearm_once(ctx, int(raw), until):
        return [Reply("That reminder is off now, so there is nothing to snooze. /reminders shows yours.")]
    return [Reply(f"Snoozed: I'll remind you again at {until.astimezone(ctx.tz).strftime('%H:%M')}.")]


async def _rearm_once(ctx: Context, reminder_id: int, until: datetime) -> bool:
    """A one-off check-in (the triage follow-up) is switched off once sent: Snooze brings it back."""
    return await ctx.store.rearm_once_reminder(ctx.user.id, reminder_id, to_ts(until))


async def _stop(ctx: Context, kind: str) -> list[Reply]:
    rules = load_reminder_rules()
    if kind not in rules.kinds:
        return expired("/reminders")
    await apply(ctx.store, ctx.user, ctx.now, lambda conn: set_kind_enabled(conn, ctx.user.id, kind, False))
    return [Reply(f"{rules.kinds[kind].label} reminders are off. /reminders switches them back on.")]


async def checkins_section(store: StoreAPI, user: User) -> list[dict]:
    return [{"day": r.day, "kind": r.kind, "value": r.value} for r in await store.checkin_answers(user.id)]


COMMANDS = [Command("none", none_today)]
CHOICES = {"rem": on_choice}
EVENTS = {"entry_saved": on_entry_saved}
EXPORT = {"checkins": checkins_section, "day_marks": marks_section}
PRIVACY = [
    "your answers to reminders (cups of coffee, glasses of water, hours slept, stress 1-5), by day",
    'the days you marked "no twitches today" or took off logging',
]

REMINDER_COMPOSER = compose  # the scheduler asks this what a due reminder says
