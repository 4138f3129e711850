"""/plan: the 3-4 week self-care plan (SC-1..SC-6) and its weekly check-in.

The plan switches on the daily reminders (asking wake-up time and bedtime once) and a
weekly check-in that compares this week's twitches with last week's. When things get worse,
or week 4 ends without improvement, it advises a professional evaluation (SC-6) and offers
/triage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.messages import Choice, Reply
from bot.reminders import ReminderSettings, apply, get_settings, set_kind_enabled
from bot.store import Store, from_ts, to_ts
from handlers.base import Command, Context, expired
from handlers.format import region_words
from handlers.reminders import DAILY_KINDS, ask_times, ask_wake, overview, switch_on
from rules.reminders import load_reminder_rules

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.scheduler import DueReminder

WEEK = timedelta(days=7)
TRIAGE = Choice("triage:start", "Start /triage")


@dataclass(frozen=True)
class WeekStats:
    count: int
    regions: frozenset[str]
    avg_intensity: float | None

    def words(self) -> str:
        if not self.count:
            return "no twitches logged"
        areas = ", ".join(sorted(region_words(r, None) for r in self.regions))
        text = f"{self.count} twitch{'es' if self.count != 1 else ''} in {len(self.regions)} area"
        text += f"{'s' if len(self.regions) != 1 else ''} ({areas})"
        if self.avg_intensity is not None:
            text += f", average strength {self.avg_intensity:.1f} of 5"
        return text


async def week_stats(store: Store, user_id: int, since: datetime, until: datetime) -> WeekStats:
    entries = await store.entries(user_id, since=since, until=until, kind="twitch")
    strengths = [e.intensity for e in entries if e.intensity is not None]
    return WeekStats(
        len(entries),
        frozenset(e.region for e in entries if e.region),
        sum(strengths) / len(strengths) if strengths else None,
    )


def got_worse(this: WeekStats, last: WeekStats) -> str | None:
    """What got worse since last week, in words; None if nothing did."""
    if this.count >= last.count + 3 and this.count >= 1.5 * max(last.count, 1):
        return f"{this.count} twitches against {last.count} the week before"
    if len(this.regions) > len(last.regions) and this.regions - last.regions and len(this.regions) >= 2:
        new = ", ".join(sorted(region_words(r, None) for r in this.regions - last.regions))
        return f"twitching in more places, now also: {new}"
    if this.avg_intensity is not None and last.avg_intensity is not None:
        if this.avg_intensity >= last.avg_intensity + 1:
            return f"average strength {this.avg_intensity:.1f} against {last.avg_intensity:.1f}"
    return None


def improved(end: WeekStats, first: WeekStats) -> bool:
    if end.count < first.count or end.count == 0:
        return True
    return end.count == first.count and (end.avg_intensity or 0) < (first.avg_intensity or 0)


# ---- the weekly check-in (sent by the scheduler) -------------------------------------------------
async def weekly_checkin(engine: Engine, d: DueReminder) -> list[Reply]:
    store = engine.store
    row = await store.fetchone("SELECT started_at, status FROM plans WHERE user_id = ?", (d.user_id,))
    if row is None or row[1] != "active":
        return []
    rules = load_reminder_rules()
    weeks = int(rules.plan.get("weeks", 4))
    started, due = from_ts(row[0]), from_ts(d.due_at)
    week = max(1, round((d.due_at - row[0]) / WEEK.total_seconds()))
    this = await week_stats(store, d.user_id, due - WEEK, due)
    last = await week_stats(store, d.user_id, due - 2 * WEEK, due - WEEK)
    lines = [
        rules.kinds["checkin"].text.format(week=week),
        f"This week: {this.words()}.",
        f"The week before: {last.words()}.",
    ]
    choices: tuple[Choice, ...] = ()
    ended = False
    if week >= weeks:
        first = await week_stats(store, d.user_id, started, started + WEEK)
        ended = True
        if improved(this, first):
            lines.append(rules.plan["done_better"].format(what=f"{first.count} in week 1, {this.count} now"))
        else:
            lines.append(rules.plan["advice_no_change"].format(what=f"{first.count} in week 1, {this.count} now"))
            choices = (TRIAGE,)
        lines.append("The plan is complete; your daily reminders stay on until you change them in /reminders.")
    elif worse := got_worse(this, last):
        lines.append(rules.plan["advice_worse"].format(what=worse))
        choices = (TRIAGE,)
    else:
        left = weeks - week
        lines.append(f"Keep going: {left} week{'s' if left != 1 else ''} to go. Steady habits matter most (SC-6).")

    def record(conn) -> None:
        conn.execute("UPDATE plans SET weeks_checked = ? WHERE user_id = ?", (week, d.user_id))
        if ended:
            conn.execute("UPDATE plans SET status = 'done', ended_at = ? WHERE user_id = ?", (d.due_at, d.user_id))
            set_kind_enabled(conn, d.user_id, "checkin", False)
            conn.execute("UPDATE reminders SET next_due = NULL WHERE user_id = ? AND kind = 'checkin'", (d.user_id,))

    await store.write(record)
    return [Reply("\n".join(lines), choices)]


# ---- /plan -------------------------------------------------------------------------------------------
async def plan(ctx: Context) -> list[Reply]:
    """Start the 4-week self-care plan, or see how it is going (/plan stop ends it)"""
    arg = ctx.args.strip().lower()
    if arg in ("stop", "end", "quit", "off"):
        return await stop_plan(ctx)
    if arg not in ("", "start", "status"):
        return [Reply(f'I don\'t know "/plan {arg[:30]}". Send /plan to start or see your plan, /plan stop to end it.')]
    row = await ctx.store.fetchone("SELECT started_at, status FROM plans WHERE user_id = ?", (ctx.user.id,))
    if row is not None and row[1] == "active":
        started = from_ts(row[0]).astimezone(ctx.tz)
        day = (ctx.local_now().date() - started.date()).days + 1
        weeks = load_reminder_rules().plan.get("weeks", 4)
        return [
            Reply(
                f"Your self-care plan is on: day {day} of {weeks * 7}, started {started.strftime('%a %-d %b')}. "
                "Each week I compare your twitches with the week before.",
                (Choice("plan:stop", "Stop the plan"), Choice("plan:ok", "Keep going")),
            )
        ]
    intro = Reply(load_reminder_rules().plan["intro"])
    settings = await get_settings(ctx.store, ctx.user.id)
    if settings.has_times:
        return [intro, *await begin_plan(ctx, settings)]
    await ask_times(ctx, "plan")
    return [intro, ask_wake("To time your reminders well, two quick questions. ")]


async def begin_plan(ctx: Context, settings: ReminderSettings) -> list[Reply]:
    """Start the plan now (wake-up time and bedtime are known)."""
    now_ts = to_ts(ctx.now)
    yesterday = (ctx.local_now().date() - timedelta(days=1)).isoformat()
    cups = await ctx.store.fetchone(
        "SELECT value FROM checkins WHERE user_id = ? AND kind = 'cups' AND day = ?", (ctx.user.id, yesterday)
    )
    await ctx.store.write(
        lambda conn: conn.execute(
            "INSERT INTO plans(user_id, started_at, status, caffeine_start) VALUES (?, ?, 'active', ?) "
            "ON CONFLICT(user_id) DO UPDATE SET started_at = excluded.started_at, status = 'active', "
            "caffeine_start = excluded.caffeine_start, weeks_checked = 0, ended_at = NULL",
            (ctx.user.id, now_ts, cups[0] if cups else None),
        )
    )
    await switch_on(ctx, settings, [*DAILY_KINDS, "checkin"], weekday=ctx.local_now().weekday())
    return [await overview(ctx, "Your plan has started. Your reminders:")]


async def stop_plan(ctx: Context) -> list[Reply]:
    changed = await ctx.store.write(
        lambda conn: (
            conn.execute(
                "UPDATE plans SET status = 'stopped', ended_at = ? WHERE user_id = ? AND status = 'active'",
                (to_ts(ctx.now), ctx.user.id),
            ).rowcount
        )
    )
    if not changed:
        return [Reply("You don't have a self-care plan running. /plan starts one.")]
    await apply(ctx.store, ctx.user, ctx.now, lambda conn: set_kind_enabled(conn, ctx.user.id, "checkin", False))
    return [
        Reply(
            "Your self-care plan is stopped; no more weekly check-ins. Keep the daily reminders?",
            (Choice("plan:keep", "Keep them"), Choice("plan:off", "Switch them off")),
        )
    ]


async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    if payload == "start":  # offered by other flows, e.g. a self-care triage result
        ctx.args = ""
        return await plan(ctx)
    if payload == "stop":
        return await stop_plan(ctx)
    if payload == "ok":
        return [Reply("Great, keep going. I'll check in at the end of the week.")]
    row = await ctx.store.fetchone("SELECT status FROM plans WHERE user_id = ?", (ctx.user.id,))
    if payload in ("keep", "off") and row is not None and row[0] == "stopped":
        if payload == "keep":
            return [Reply("Your daily reminders stay on. /reminders changes them.")]

        def off(conn) -> None:
            for kind in DAILY_KINDS:
                set_kind_enabled(conn, ctx.user.id, kind, False)

        await apply(ctx.store, ctx.user, ctx.now, off)
        return [Reply("Daily reminders are off. /reminders or /plan switch them back on whenever you like.")]
    return expired("/plan")


COMMANDS = [Command("plan", plan, usage="/plan [stop]")]
CHOICES = {"plan": on_choice}
