"""/reminders, /wake, /bedtime, /pause, /resume: which reminders come, and when.

Times are local to the person's zone and follow it when /timezone changes. Wake-up time
and bedtime are asked once (buttons for common times, typed times work too); the default
reminder times hang off them until the person picks a time by hand.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from bot.choice_ids import (
    ChoiceId,
    ReminderBed,
    ReminderClock,
    ReminderPause,
    ReminderQuiet,
    ReminderSet,
    ReminderTimes,
    ReminderToggle,
    ReminderWake,
)
from bot.handler_api import Command, Context, expired
from bot.messages import Choice, Reply
from bot.reminders import (
    ReminderSettings,
    apply,
    enable_defaults,
    get_settings,
    in_quiet,
    list_reminders,
    relayout,
    set_kind_enabled,
    upsert_kind,
    write_settings,
)
from bot.store import User, from_ts, to_ts
from bot.store.interface import StoreAPI
from bot.timezones import zone_label
from handlers.reminder_times import FOLLOWUP_LABELS, first_checkin, muted_by_quiet, pending_followups
from rules.reminders import KIND_ORDER, bad_time_answer, clock_words, load_reminder_rules, parse_clock

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAILY_KINDS = [k for k in KIND_ORDER if k != "checkin"]
SETUP = "remsetup"  # flow: asking wake-up time, then bedtime
TIMES = "remtimes"  # flow: typing new times for one kind
QUIET = "remquiet"  # flow: typing quiet hours
PAUSE_EXAMPLE = 'e.g. "/pause 3d", "/pause 12h" or "/pause 1w" (up to 30 days)'
_PAUSE = re.compile(r"^(\d{1,3})\s*(h|hours?|d|days?|w|weeks?)$")


def _label(kind: str) -> str:
    return load_reminder_rules().kinds[kind].label


def _local(ts: int, ctx: Context) -> datetime:
    return from_ts(ts).astimezone(ctx.tz)


# ---- asking wake-up time and bedtime (shared with /plan) -------------------------------------
def ask_wake(lead: str = "") -> Reply:
    rules = load_reminder_rules()
    opts = tuple(ReminderWake(m).button(clock_words(m)) for m in rules.wake_buttons)
    return Reply(f"{lead}What time do you usually wake up? Press one or type it (e.g. 6:45).", opts)


def ask_bed(lead: str = "") -> Reply:
    rules = load_reminder_rules()
    opts = tuple(ReminderBed(m).button(clock_words(m)) for m in rules.bedtime_buttons)
    return Reply(f"{lead}And what time do you usually go to bed? Press one or type it (e.g. 23:15).", opts)


async def ask_times(ctx: Context, then: str) -> list[Reply]:
    """Start asking wake-up time and bedtime; `then` is "plan" or "reminders"."""
    await ctx.set_flow(SETUP, "wake", {"then": then})
    return [ask_wake()]


async def _setup_answer(ctx: Context, step: str, minute: int) -> list[Reply]:
    data = dict(ctx.conversation.data) if ctx.conversation else {}
    if step == "wake":
        data["wake"] = minute
        await ctx.set_flow(SETUP, "bed", data)
        return [ask_bed(f"Wake-up {clock_words(minute)}, noted. ")]
    settings = await get_settings(ctx.store, ctx.user.id)
    settings = replace(settings, wake=data.get("wake", load_reminder_rules().wake), bedtime=minute)
    await ctx.end_flow()
    if data.get("then") == "plan":
        from handlers.plan import begin_plan

        return await begin_plan(ctx, settings)
    await switch_on(ctx, settings, DAILY_KINDS)
    return [await overview(ctx, "Your daily reminders are on:")]


async def switch_on(ctx: Context, settings: ReminderSettings, kinds: list[str], weekday: int | None = None) -> None:
    uid = ctx.user.id

    def change(conn) -> None:
        write_settings(conn, uid, settings)
        enable_defaults(conn, uid, kinds, settings.wake, settings.bedtime, weekday)

    await apply(ctx.store, ctx.user, ctx.now, change)


async def setup_text(ctx: Context) -> list[Reply] | None:
    step = ctx.conversation.step
    minute = parse_clock(ctx.args)
    if minute is None:
        what = "a wake-up time" if step == "wake" else "a bedtime"
        return [(ask_wake if step == "wake" else ask_bed)(bad_time_answer(ctx.args, what) + "\n")]
    return await _setup_answer(ctx, step, minute)


# ---- /reminders ---------------------------------------------------------------------------------
async def overview(ctx: Context, lead: str = "") -> Reply:
    rems = await list_reminders(ctx.store, ctx.user.id)
    settings = await get_settings(ctx.store, ctx.user.id)
    by_kind: dict[str, list] = {}
    for r in rems:
        by_kind.setdefault(r.kind, []).append(r)
    lines = [lead] if lead else []
    opts: list[Choice] = []
    for kind in KIND_ORDER:
        rows = by_kind.get(kind)
        if not rows:
            continue
        on = rows[0].enabled
        times = ", ".join(clock_words(r.minute) for r in rows)
        if rows[0].weekday is not None:
            times = f"{WEEKDAYS[rows[0].weekday]}s {times}"
            if kind == "checkin" and on and (first := await first_checkin(ctx.store, ctx.user)) is not None:
                times += f" (next {first.astimezone(ctx.tz):%a} {first.astimezone(ctx.tz).day} {first:%b})"
        lines.append(f"- {_label(kind)}: {times}{'' if on else ' (off)'}")
        opts.append(ReminderToggle(kind).button(f"{'Turn off' if on else 'Turn on'} {_label(kind).lower()}"))
        if kind != "checkin":
            opts.append(ReminderTimes(kind).button(f"Times: {_label(kind).lower()}"))
    for kind, due in await pending_followups(ctx.store, ctx.user.id):
        at = _local(due, ctx)
        lines.append(f"- {FOLLOWUP_LABELS.get(kind, kind.capitalize())}: once, {at:%a} {at.day} {at:%b %H:%M}")
    if not by_kind:
        lines.append("You have no reminders yet. /plan starts the 4-week self-care plan with all of them.")
        opts.append(ReminderSet("setup").button("Switch on daily reminders"))
    if settings.quiet_start is not None:
        lines.append(f"Quiet hours: {clock_words(settings.quiet_start)}-{clock_words(settings.quiet_end)}")
        muted = muted_by_quiet(rems, settings)
        if muted:
            which = ", ".join(f"{_label(r.kind).lower()} {clock_words(r.minute)}" for r in muted)
            lines.append(
                f"Warning: quiet hours would mute {len(muted)} of your reminders ({which}); I won't send those."
            )
            opts.insert(0, ReminderSet("qfix").button(f"Move them before {clock_words(settings.quiet_start)}"))
    if settings.paused_until and settings.paused_until > to_ts(ctx.now):
        until = _local(settings.paused_until, ctx)
        lines.append(f"Paused until {until.strftime('%a %-d %b %H:%M')}. /resume starts them again.")
    lines.append(f"Times are in {zone_label(ctx.user.timezone)}. /wake 7:00 and /bedtime 23:00 move the defaults.")
    opts.append(ReminderSet("quiet").button("Quiet hours"))
    return Reply("\n".join(lines), tuple(opts))


async def reminders(ctx: Context) -> list[Reply]:
    """See and change your reminders"""
    return [await overview(ctx, "Your reminders:")]


async def _toggle(ctx: Context, kind: str) -> list[Reply]:
    rems = [r for r in await list_reminders(ctx.store, ctx.user.id) if r.kind == kind]
    if not rems:
        return expired("/reminders")
    on = not rems[0].enabled
    await apply(ctx.store, ctx.user, ctx.now, lambda conn: set_kind_enabled(conn, ctx.user.id, kind, on))
    return [await overview(ctx, f"{_label(kind)} reminders are {'on' if on else 'off'}.")]


def _time_prompt(kind: str, note: str = "") -> Reply:
    n = len(load_reminder_rules().kinds[kind].times)
    many = kind == "hydration"
    example = "9:00, 12:30, 15:30, 18:30" if many else "7:30"
    ask = f"What time{'s' if many else ''} for {_label(kind).lower()}? Type {'up to 6 times' if many else 'a time'}"
    return Reply(
        f"{note}{ask}, e.g. {example}." + (f" (Now {n} a day by default.)" if many else ""),
        (ReminderSet("cancel").button("Cancel"),),
    )


async def times_text(ctx: Context) -> list[Reply] | None:
    kind = ctx.conversation.data.get("kind", "")
    if kind not in load_reminder_rules().kinds:
        await ctx.end_flow()
        return expired("/reminders")
    parts = [p for p in re.split(r"[,;/]|\s+and\s+|\s{2,}", ctx.args) if p.strip()]
    if kind == "hydration" and len(parts) == 1 and " " in parts[0].strip():
        parts = parts[0].split()
    minutes = [parse_clock(p) for p in parts]
    bad = next((p for p, m in zip(parts, minutes, strict=True) if m is None), None)
    if not parts or bad is not None or (kind != "hydration" and len(parts) > 1) or len(parts) > 6:
        note = bad_time_answer(bad or ctx.args) + "\n" if bad or not parts else "That's too many times. "
        return [_time_prompt(kind, note)]
    minutes = sorted(set(minutes))
    await ctx.end_flow()
    await apply(
        ctx.store,
        ctx.user,
        ctx.now,
        lambda conn: upsert_kind(conn, ctx.user.id, kind, [(i, m, None) for i, m in enumerate(minutes)], custom=True),
    )
    settings = await get_settings(ctx.store, ctx.user.id)
    note = ""
    if any(in_quiet(m, settings.quiet_start, settings.quiet_end) for m in minutes):
        note = " Note: that's inside your quiet hours, so I won't send it then."
    times = ", ".join(clock_words(m) for m in minutes)
    return [await overview(ctx, f"{_label(kind)}: {times}, every day.{note}")]


# ---- quiet hours ----------------------------------------------------------------------------------
def _quiet_prompt(note: str = "") -> Reply:
    return Reply(
        f'{note}No reminders during quiet hours. Press one, or type a range like "22:00-7:00".',
        (
            ReminderQuiet("1320-420").button("22:00-7:00"),
            ReminderQuiet("1380-480").button("23:00-8:00"),
            ReminderQuiet("off").button("No quiet hours"),
            ReminderSet("cancel").button("Cancel"),
        ),
    )


async def _set_quiet(ctx: Context, start: int | None, end: int | None) -> list[Reply]:
    settings = await get_settings(ctx.store, ctx.user.id)
    settings = replace(settings, quiet_start=start, quiet_end=end)
    await ctx.end_flow()
    await apply(ctx.store, ctx.user, ctx.now, lambda conn: write_settings(conn, ctx.user.id, settings))
    said = "No quiet hours." if start is None else f"Quiet hours: {clock_words(start)}-{clock_words(end)}."
    return [await overview(ctx, said)]


async def quiet_text(ctx: Context) -> list[Reply] | None:
    parts = re.split(r"\s*(?:-|–|to|until)\s*", ctx.args.strip(), maxsplit=1)
    if ctx.args.strip().lower() in ("off", "none", "no"):
        return await _set_quiet(ctx, None, None)
    if len(parts) == 2 and (s := parse_clock(parts[0])) is not None and (e := parse_clock(parts[1])) is not None:
        if s != e:
            return await _set_quiet(ctx, s, e)
    shown = ctx.args.strip()[:30]
    return [_quiet_prompt(f'I couldn\'t read "{shown}" as quiet hours: I need a start and an end time.\n')]


async def _fix_quiet(ctx: Context) -> list[Reply]:
    """One tap: move every reminder quiet hours would mute to just before they begin."""
    settings = await get_settings(ctx.store, ctx.user.id)
    muted = muted_by_quiet(await list_reminders(ctx.store, ctx.user.id), settings)
    if not muted:
        return [await overview(ctx, "No reminder falls inside your quiet hours now.")]
    # keep their order, 15 minutes apart, ending 15 minutes before quiet hours begin
    ordered = sorted(muted, key=lambda r: (r.minute - settings.quiet_start) % 1440)
    new = {r.id: (settings.quiet_start - 15 * (len(ordered) - i)) % 1440 for i, r in enumerate(ordered)}

    await apply(ctx.store, ctx.user, ctx.now, ctx.store.minutes_writer(ctx.user.id, new))
    moved = ", ".join(f"{_label(r.kind).lower()} to {clock_words(new[r.id])}" for r in ordered)
    return [await overview(ctx, f"Moved: {moved}.")]


# ---- /wake, /bedtime ------------------------------------------------------------------------------
async def _set_wake_or_bed(ctx: Context, which: str) -> list[Reply]:
    word = "wake-up time" if which == "wake" else "bedtime"
    example = "/wake 7:00" if which == "wake" else "/bedtime 23:00"
    if not ctx.args:
        settings = await get_settings(ctx.store, ctx.user.id)
        current = settings.wake if which == "wake" else settings.bedtime
        now = f"It is {clock_words(current)}. " if current is not None else ""
        return [Reply(f"{now}Send it with a time, e.g. {example}.")]
    minute = parse_clock(ctx.args)
    if minute is None:
        return [Reply(bad_time_answer(ctx.args, f"a {word}") + f" For example: {example}")]
    rules = load_reminder_rules()
    settings = await get_settings(ctx.store, ctx.user.id)
    settings = replace(
        settings,
        wake=settings.wake if settings.wake is not None else rules.wake,
        bedtime=settings.bedtime if settings.bedtime is not None else rules.bedtime,
    )
    if which == "wake":
        settings = replace(settings, wake=minute)
    else:
        settings = replace(settings, bedtime=minute)

    def change(conn) -> None:
        write_settings(conn, ctx.user.id, settings)
        relayout(conn, ctx.user.id, settings.wake, settings.bedtime)

    await apply(ctx.store, ctx.user, ctx.now, change)
    return [await overview(ctx, f"Your {word} is {clock_words(minute)}; reminders moved to match:")]


async def wake(ctx: Context) -> list[Reply]:
    """Set your usual wake-up time, e.g. /wake 7:00"""
    return await _set_wake_or_bed(ctx, "wake")


async def bedtime(ctx: Context) -> list[Reply]:
    """Set your usual bedtime, e.g. /bedtime 23:00"""
    return await _set_wake_or_bed(ctx, "bed")


# ---- /pause, /resume ------------------------------------------------------------------------------
def parse_pause(text: str) -> timedelta | None:
    m = _PAUSE.match(text.strip().lower())
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2)[0]
    delta = {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
    return delta if timedelta(0) < delta <= timedelta(days=30) else None


async def pause(ctx: Context) -> list[Reply]:
    """Pause all reminders for a while, e.g. /pause 3d"""
    if not ctx.args:
        return [
            Reply(
                "Pause reminders for how long?",
                (
                    ReminderPause(1).button("1 day"),
                    ReminderPause(3).button("3 days"),
                    ReminderPause(7).button("1 week"),
                ),
            )
        ]
    delta = parse_pause(ctx.args)
    if delta is None:
        shown = ctx.args.strip()[:30]
        return [Reply(f'I couldn\'t read "{shown}" as a length of time to pause. Try {PAUSE_EXAMPLE}.')]
    return await _pause_for(ctx, delta)


async def _pause_for(ctx: Context, delta: timedelta) -> list[Reply]:
    until = ctx.now + delta
    settings = await get_settings(ctx.store, ctx.user.id)
    settings = replace(settings, paused_until=to_ts(until))
    await apply(ctx.store, ctx.user, ctx.now, lambda conn: write_settings(conn, ctx.user.id, settings))
    return [
        Reply(
            f"Reminders paused until {until.astimezone(ctx.tz).strftime('%a %-d %b %H:%M')}. "
            "/resume starts them again sooner."
        )
    ]


async def resume(ctx: Context) -> list[Reply]:
    """Start paused reminders again"""
    settings = await get_settings(ctx.store, ctx.user.id)
    if not settings.paused_until or settings.paused_until <= to_ts(ctx.now):
        return [Reply("Your reminders aren't paused. /reminders shows them.")]
    settings = replace(settings, paused_until=None)
    await apply(ctx.store, ctx.user, ctx.now, lambda conn: write_settings(conn, ctx.user.id, settings))
    return [await overview(ctx, "Reminders are back on:")]


# ---- buttons --------------------------------------------------------------------------------------
async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    cid = ChoiceId.read(f"rset:{payload}")
    kinds = load_reminder_rules().kinds
    if isinstance(cid, ReminderClock):
        if not ctx.in_flow(SETUP, cid.part) or not 0 <= cid.minute < 1440:
            return expired("/reminders")
        return await _setup_answer(ctx, cid.part, cid.minute)
    if cid == ReminderSet("setup"):
        settings = await get_settings(ctx.store, ctx.user.id)
        if settings.has_times:
            await switch_on(ctx, settings, DAILY_KINDS)
            return [await overview(ctx, "Your daily reminders are on:")]
        return await ask_times(ctx, "reminders")
    if isinstance(cid, ReminderToggle) and cid.kind in kinds:
        return await _toggle(ctx, cid.kind)
    if isinstance(cid, ReminderTimes) and cid.kind in kinds:
        await ctx.set_flow(TIMES, "ask", {"kind": cid.kind})
        return [_time_prompt(cid.kind)]
    if cid == ReminderSet("quiet"):
        await ctx.set_flow(QUIET, "ask")
        return [_quiet_prompt()]
    if isinstance(cid, ReminderQuiet) and ctx.in_flow(QUIET):
        if cid.value == "off":
            return await _set_quiet(ctx, None, None)
        start, _, end = cid.value.partition("-")
        if start.isdigit() and end.isdigit():
            return await _set_quiet(ctx, int(start) % 1440, int(end) % 1440)
    if cid == ReminderSet("qfix"):
        return await _fix_quiet(ctx)
    if isinstance(cid, ReminderPause) and cid.days in (1, 3, 7):
        return await _pause_for(ctx, timedelta(days=cid.days))
    if cid == ReminderSet("cancel") and ctx.conversation is not None and ctx.conversation.flow in (TIMES, QUIET, SETUP):
        await ctx.end_flow()
        return [Reply("Nothing changed. /reminders shows your reminders.")]
    return expired("/reminders")


# ---- events, export ---------------------------------------------------------------------------------
async def on_timezone_changed(ctx: Context, *args) -> list[Reply]:
    n = await apply(ctx.store, ctx.user, ctx.now, lambda conn: None)
    if not n:
        return []
    return [Reply(f"Your reminders follow you: they keep their local times, now in {zone_label(ctx.user.timezone)}.")]


async def reminders_section(store: StoreAPI, user: User) -> dict:
    settings = await get_settings(store, user.id)
    plan = await store.reminder_plan(user.id)

    def local(ts: int | None) -> str | None:
        return from_ts(ts).astimezone(user.tz).isoformat() if ts else None

    return {
        "reminders": [
            {"kind": r.kind, "time": clock_words(r.minute), "weekday": r.weekday, "on": r.enabled}
            for r in await list_reminders(store, user.id)
        ],
        "wake": clock_words(settings.wake) if settings.wake is not None else None,
        "bedtime": clock_words(settings.bedtime) if settings.bedtime is not None else None,
        "quiet_hours": None
        if settings.quiet_start is None
        else f"{clock_words(settings.quiet_start)}-{clock_words(settings.quiet_end)}",
        "paused_until": local(settings.paused_until),
        "plan": None
        if plan is None
        else {
            "started": local(plan.started_at),
            "status": plan.status,
            "caffeine_start_cups": plan.caffeine_start,
            "ended": local(plan.ended_at),
        },
    }


COMMANDS = [
    Command("reminders", reminders),
    Command("wake", wake, usage="/wake 7:00"),
    Command("bedtime", bedtime, usage="/bedtime 23:00"),
    Command("pause", pause, usage="/pause 3d"),
    Command("resume", resume),
]
FLOWS = {SETUP: setup_text, TIMES: times_text, QUIET: quiet_text}
CHOICES = {"rset": on_choice}
EVENTS = {"timezone_changed": on_timezone_changed}
EXPORT = {"reminders": reminders_section}
PRIVACY = ["your reminder times, wake-up time and bedtime, quiet hours, pauses and your self-care plan's progress"]
