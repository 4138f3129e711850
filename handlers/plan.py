"""/plan: the 3-4 week self-care plan (SC-1..SC-6) and its weekly check-in.

The plan switches on the daily reminders (asking wake-up time and bedtime once) and a
weekly check-in that compares this week's twitches with last week's. When things get worse,
or week 4 ends without improvement, it advises a professional evaluation (SC-6) and offers
/triage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.choice_ids import Absent, AbsentAnswer, ChoiceId, Plan, Triage
from bot.handler_api import Command, Context, expired
from bot.insights.days import NONE, OFF, JournalDays, journal_days
from bot.insights.words import day_words, plural
from bot.messages import Choice, Reply
from bot.reminders import ReminderSettings, apply, get_settings, set_kind_enabled
from bot.store import Conversation, User, from_ts, to_ts
from bot.store.interface import StoreAPI
from handlers.format import region_words
from handlers.reminder_times import evening_minute, first_checkin
from handlers.reminders import DAILY_KINDS, ask_times, ask_wake, overview, switch_on
from rules.reminders import load_reminder_rules

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.scheduler import DueReminder

TRIAGE = Triage("start").button("Start /triage")
ABSENT_FLOW = "absent"  # a typed answer to the pending weekly question


@dataclass(frozen=True)
class WeekStats:
    count: int
    regions: frozenset[str]
    avg_intensity: float | None
    quiet_days: int = 0  # days marked "no twitches today"
    off_days: int = 0  # days off logging

    @property
    def recorded(self) -> bool:
        """Did the person record anything this week (a twitch or a quiet day)?"""
        return self.count > 0 or self.quiet_days > 0

    def words(self) -> str:
        quiet = f'{plural(self.quiet_days, "day")} marked "no twitches"' if self.quiet_days else ""
        off = f"{plural(self.off_days, 'day')} off logging" if self.off_days else ""
        extra = "; ".join(x for x in (quiet, off) if x)
        if not self.count:
            if self.quiet_days:
                return "no twitches: " + extra
            return "no twitches logged" + (f"; {extra}" if extra else "")
        areas = ", ".join(sorted(region_words(r, None) for r in self.regions))
        text = f"{plural(self.count, 'twitch')} in {plural(len(self.regions), 'area')} ({areas})"
        if self.avg_intensity is not None:
            text += f", average strength {self.avg_intensity:.1f} of 5"
        return text + (f"; {extra}" if extra else "")


def _day_start(day: date, tz) -> datetime:
    return datetime.combine(day, datetime.min.time(), tz)


async def week_stats(store: StoreAPI, user: User, first: date, journal: JournalDays | None = None) -> WeekStats:
    """The seven local days from `first`."""
    last = first + timedelta(days=6)
    entries = await store.entries(
        user.id, since=_day_start(first, user.tz), until=_day_start(last + timedelta(days=1), user.tz), kind="twitch"
    )
    strengths = [e.intensity for e in entries if e.intensity is not None]
    marks = journal.marks if journal is not None else {}
    return WeekStats(
        len(entries),
        frozenset(e.region for e in entries if e.region),
        sum(strengths) / len(strengths) if strengths else None,
        sum(1 for d, m in marks.items() if m == NONE and first <= d <= last),
        sum(1 for d, m in marks.items() if m == OFF and first <= d <= last),
    )


def got_worse(this: WeekStats, last: WeekStats) -> str | None:
    """What got worse since last week, in words; None if nothing did."""
    if this.count >= last.count + 3 and this.count >= 1.5 * max(last.count, 1):
        return f"{plural(this.count, 'twitch')} against {last.count} the week before"
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


def plan_week(started_ts: int, tz, on: date) -> int:
    """Which full week of the plan ended by local day `on`: 0 before day 7, 1 on days 7-13, ..."""
    return (on - from_ts(started_ts).astimezone(tz).date()).days // 7


# ---- the weekly check-in (sent by the scheduler) -------------------------------------------------
async def weekly_checkin(engine: Engine, d: DueReminder) -> list[Reply]:
    store = engine.store
    current = await store.current_plan(d.user_id)
    user = await store.get_user(d.user_id)
    if current is None or current.status != "active" or user is None:
        return []
    rules = load_reminder_rules()
    weeks = int(rules.plan.get("weeks", 4))
    tz = d.local_due.tzinfo
    start_day = current.started_at.astimezone(tz).date()
    week = plan_week(to_ts(current.started_at), tz, d.local_due.date())
    if week < 1 or week <= current.weeks_checked:
        return []  # never before day 7, and once a week
    journal = await journal_days(store, user)
    this_first = start_day + timedelta(days=7 * (week - 1))
    before_first = this_first - timedelta(days=7)
    this = await week_stats(store, user, this_first, journal)
    last = await week_stats(store, user, before_first, journal) if journal.covers(before_first) else None
    lines = [rules.kinds["checkin"].text.format(week=week), f"This week: {this.words()}."]
    if last is None:
        lines.append(f"No comparison with the week before: your journal began on {day_words(journal.began)}.")
    elif not last.recorded:
        lines.append("The week before: nothing recorded, so no comparison.")
    else:
        lines.append(f"The week before: {last.words()}.")
    choices: tuple[Choice, ...] = ()
    ended = False
    if week >= weeks:
        first = await week_stats(store, user, start_day, journal)
        ended = True
        what = f"{first.count} in week 1, {this.count} now"
        if improved(this, first):
            lines.append(rules.plan["done_better"].format(what=what))
        else:
            lines.append(rules.plan["advice_no_change"].format(what=what))
            choices = (TRIAGE,)
        lines.append("The plan is complete; your daily reminders stay on until you change them in /reminders.")
    elif last is not None and last.recorded and (worse := got_worse(this, last)):
        lines.append(rules.plan["advice_worse"].format(what=worse))
        choices = (TRIAGE,)
    else:
        left = weeks - week
        lines.append(rules.plan["keep_going"].format(left=plural(left, "week")))

    checked = store.plan_week_writer(d.user_id, week, from_ts(d.due_at) if ended else None)

    def record(conn) -> None:
        checked(conn)
        if ended:
            set_kind_enabled(conn, d.user_id, "checkin", False)

    await store.write(record)
    replies = [Reply("\n".join(lines), choices)]
    if user.settings.get("absent_questions") == "on":
        replies.append(ask_absent(0, d.local_due.date(), rules.absent_texts["intro"]))
        if await store.conversation(d.user_id) is None:  # typed answers work too, unless a flow is open
            stamp = d.local_due.date().strftime("%Y%m%d")
            conv = Conversation(ABSENT_FLOW, rules.absent[0].id, {"stamp": stamp}, from_ts(d.due_at))
            await store.save_conversation(d.user_id, conv)
    return replies


# ---- "what stayed absent": three weekly questions (opt-in) ------------------------------------------
def ask_absent(index: int, day: date, lead: str = "") -> Reply:
    q = load_reminder_rules().absent[index]
    stamp = day.strftime("%Y%m%d")
    return Reply(
        (lead + "\n" if lead else "") + f"{index + 1} of 3. {q.text}",
        (
            AbsentAnswer(q.id, "no", stamp).button("No"),
            AbsentAnswer(q.id, "yes", stamp).button("Yes"),
            AbsentAnswer(q.id, "unsure", stamp).button("Not sure"),
        ),
    )


async def on_absent(ctx: Context, payload: str) -> list[Reply]:
    cid = ChoiceId.read(f"absent:{payload}")
    rules = load_reminder_rules()
    if cid in (Absent("on"), Absent("off")):
        await ctx.store.update_settings(ctx.user, absent_questions="on" if cid == Absent("on") else None)
        if cid == Absent("on"):
            return [Reply("Done: each weekly check-in will end with the three quick questions. /plan turns them off.")]
        return [Reply("Done: no weekly questions. /plan turns them back on.")]
    if cid == Absent("now"):
        today = ctx.local_now().date()
        await ctx.set_flow(ABSENT_FLOW, rules.absent[0].id, {"stamp": today.strftime("%Y%m%d")})
        return [ask_absent(0, today, rules.absent_texts["intro"])]
    if not isinstance(cid, AbsentAnswer):
        return expired("/plan")
    qid, answer, stamp = cid.question, cid.answer, cid.stamp
    index = next((i for i, q in enumerate(rules.absent) if q.id == qid), None)
    try:
        asked = datetime.strptime(stamp, "%Y%m%d").date()
    except ValueError:
        return expired("/plan")
    if index is None or not 0 <= (ctx.local_now().date() - asked).days <= 7:
        return expired("/plan")
    # pressing again replaces the answer of the same week
    await ctx.store.save_absent_answer(ctx.user.id, qid, answer, ctx.now, replaces_since=_day_start(asked, ctx.tz))
    label = rules.absent[index].label.lower()
    if answer == "yes":  # a red flag goes straight to triage, nothing else first
        if ctx.in_flow(ABSENT_FLOW):
            await ctx.end_flow()
        start = ctx.engine.registry.choices.get("triage")
        lead = Reply(f"Thank you for saying so: {label} is worth looking at properly. Let's go through /triage now.")
        return [lead, *(await start(ctx, "start") if start else [Reply("Send /triage to start.")])]
    note = "Kept as absent this week." if answer == "no" else "Noted as not sure; a doctor can check it with you."
    if index + 1 < len(rules.absent):
        await ctx.set_flow(ABSENT_FLOW, rules.absent[index + 1].id, {"stamp": stamp})
        return [ask_absent(index + 1, asked, note)]
    if ctx.in_flow(ABSENT_FLOW):
        await ctx.end_flow()
    replies = [Reply(f"{note} That's all three, thank you. /summary and /report show these answers over time.")]
    if answer == "unsure":
        replies.append(Reply("If you'd like to go through it properly: /triage.", (TRIAGE,)))
    return replies


# ---- /plan -------------------------------------------------------------------------------------------
async def plan(ctx: Context) -> list[Reply]:
    """Start the 4-week self-care plan, or see how it is going (/plan stop ends it)"""
    arg = ctx.args.strip().lower()
    if arg in ("stop", "end", "quit", "off"):
        return await stop_plan(ctx)
    if arg not in ("", "start", "status"):
        return [Reply(f'I don\'t know "/plan {arg[:30]}". Send /plan to start or see your plan, /plan stop to end it.')]
    current = await ctx.store.current_plan(ctx.user.id)
    if current is not None and current.status == "active":
        started = current.started_at.astimezone(ctx.tz)
        day = (ctx.local_now().date() - started.date()).days + 1
        weeks = load_reminder_rules().plan.get("weeks", 4)
        nxt = await first_checkin(ctx.store, ctx.user)
        when = f" The next check-in: {nxt.astimezone(ctx.tz):%a} {nxt.astimezone(ctx.tz):%-d %b %H:%M}." if nxt else ""
        absent_on = ctx.user.settings.get("absent_questions") == "on"
        toggle = (
            Absent("off").button("No weekly questions") if absent_on else Absent("on").button("Add weekly questions")
        )
        return [
            Reply(
                f"Your self-care plan is on: day {day} of {weeks * 7}, started {started.strftime('%a %-d %b')}. "
                "Each week, from day 7, I compare your last full week with the one before."
                + when
                + (' Each check-in ends with the three "what stayed absent" questions.' if absent_on else ""),
                (Plan("stop").button("Stop the plan"), Plan("ok").button("Keep going"), toggle),
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
    yesterday = ctx.local_now().date() - timedelta(days=1)
    cups = await ctx.store.checkin_value(ctx.user.id, "cups", yesterday)
    await ctx.store.start_plan(ctx.user.id, ctx.now, cups)
    await switch_on(ctx, settings, [*DAILY_KINDS, "checkin"], weekday=ctx.local_now().weekday())
    # the weekly check-in comes at the person's evening reminder time, never inside quiet hours
    minute = await evening_minute(ctx.store, ctx.user.id, settings)
    await apply(ctx.store, ctx.user, ctx.now, ctx.store.checkin_minute_writer(ctx.user.id, minute))
    replies = [await overview(ctx, "Your plan has started. Your reminders:")]
    if ctx.user.settings.get("absent_questions") != "on":
        replies.append(
            Reply(
                load_reminder_rules().absent_texts["offer"],
                (Absent("on").button("Yes, add them"), Absent("off").button("No thanks")),
            )
        )
    return replies


async def stop_plan(ctx: Context) -> list[Reply]:
    changed = await ctx.store.stop_plan(ctx.user.id, ctx.now)
    if not changed:
        return [Reply("You don't have a self-care plan running. /plan starts one.")]
    await apply(ctx.store, ctx.user, ctx.now, lambda conn: set_kind_enabled(conn, ctx.user.id, "checkin", False))
    return [
        Reply(
            "Your self-care plan is stopped; no more weekly check-ins. Keep the daily reminders?",
            (Plan("keep").button("Keep them"), Plan("off").button("Switch them off")),
        )
    ]


async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    cid = ChoiceId.read(f"plan:{payload}")
    payload = cid.action if isinstance(cid, Plan) else ""
    if payload == "start":  # offered by other flows, e.g. a self-care triage result
        ctx.args = ""
        return await plan(ctx)
    if payload == "stop":
        return await stop_plan(ctx)
    if payload == "ok":
        nxt = await first_checkin(ctx.store, ctx.user)
        when = (
            f" on {nxt.astimezone(ctx.tz):%A} at {nxt.astimezone(ctx.tz):%H:%M}" if nxt else " at the end of the week"
        )
        return [Reply(f"Great, keep going. I'll check in{when}.")]
    current = await ctx.store.current_plan(ctx.user.id)
    if payload in ("keep", "off") and current is not None and current.status == "stopped":
        if payload == "keep":
            return [Reply("Your daily reminders stay on. /reminders changes them.")]

        def off(conn) -> None:
            for kind in DAILY_KINDS:
                set_kind_enabled(conn, ctx.user.id, kind, False)

        await apply(ctx.store, ctx.user, ctx.now, off)
        return [Reply("Daily reminders are off. /reminders or /plan switch them back on whenever you like.")]
    return expired("/plan")


TYPED_ANSWERS = {
    "no": "no",
    "n": "no",
    "nope": "no",
    "yes": "yes",
    "y": "yes",
    "not sure": "unsure",
    "unsure": "unsure",
}


async def absent_text(ctx: Context) -> list[Reply] | None:
    """Typed yes / no / not sure answers the pending weekly question; anything else passes on."""
    answer = TYPED_ANSWERS.get(ctx.args.strip().lower().rstrip(".!"))
    conv = ctx.conversation
    if answer is None or conv is None:
        return None
    return await on_absent(ctx, f"a:{conv.step}:{answer}:{conv.data.get('stamp', '')}")


async def absent_section(store: StoreAPI, user: User) -> list[dict]:
    rows = await store.absent_answers(user.id)
    return [{"at": r.at.astimezone(user.tz).isoformat(), "question": r.question, "answer": r.answer} for r in rows]


COMMANDS = [Command("plan", plan, usage="/plan [stop]")]
CHOICES = {"plan": on_choice, "absent": on_absent}
FLOWS = {ABSENT_FLOW: absent_text}
FLOW_TTL = {ABSENT_FLOW: timedelta(hours=24)}  # the weekly questions arrive as a reminder
EXPORT = {"absent_answers": absent_section}
PRIVACY = [
    'your answers to the weekly "what stayed absent" questions (weakness, a thinner muscle, swallowing or speech)'
]
