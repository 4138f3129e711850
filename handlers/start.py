"""/start (a warm introduction) and /timezone (which local time the journal uses)."""

from __future__ import annotations

from bot.choice_ids import ChoiceId, Timezone, TimezoneKeep, TimezoneSet
from bot.handler_api import Command, Context, expired
from bot.messages import Reply
from bot.timezones import is_valid, resolve_timezone, zone_label
from rules.intent import classify
from rules.parser import parse_twitch
from rules.texts import texts

INTRO = texts("start")["intro"]  # rules/texts.toml

TZ_EXAMPLES = "a city (Berlin, new york), a zone name (Europe/Berlin) or an offset (UTC+2)"


def _local_time(ctx: Context) -> str:
    local = ctx.local_now()
    return f"{local.strftime('%H:%M')} ({local.strftime('%a')} {local.day} {local.strftime('%b')})"


def _ask_zone(ctx: Context, lead: str) -> Reply:
    current = ctx.user.timezone
    return Reply(
        f"{lead}Which time zone are you in? I'm using {zone_label(current)}, where it is {_local_time(ctx)}.\n"
        f"Press Keep, or type {TZ_EXAMPLES}.",
        (TimezoneKeep(current).button(f"Keep {zone_label(current)}"), Timezone("cancel").button("Cancel")),
    )


async def start(ctx: Context) -> list[Reply]:
    """Meet Flicker and set your time zone"""
    await ctx.set_flow("timezone", "ask")
    return [Reply(INTRO), _ask_zone(ctx, "")]


async def timezone(ctx: Context) -> list[Reply]:
    """Set your time zone, e.g. /timezone Berlin"""
    if not ctx.args:
        await ctx.set_flow("timezone", "ask")
        return [_ask_zone(ctx, "")]
    return await _set_from_text(ctx, ctx.args)


async def _set_from_text(ctx: Context, text: str) -> list[Reply]:
    answer = resolve_timezone(text)
    if answer.zone is None and answer.problem and ctx.user.timezone in answer.suggestions:
        return await _apply(ctx, ctx.user.timezone)  # "IST" from someone already on Kolkata time
    if answer.zone is None:
        shown = text if len(text) <= 40 else text[:37] + "..."
        if answer.suggestions:
            await ctx.set_flow("timezone", "ask")
            lead = (
                f"{answer.problem}. Which one is yours?"
                if answer.problem
                else (f'I don\'t know the time zone "{shown}". Did you mean one of these?')
            )
            return [
                Reply(
                    lead,
                    tuple(TimezoneSet(z).button(zone_label(z)) for z in answer.suggestions)
                    + (Timezone("cancel").button("Cancel"),),
                )
            ]
        await ctx.set_flow("timezone", "ask")
        why = f"{answer.problem}. " if answer.problem else f'I don\'t know the time zone "{shown}". '
        return [Reply(f"{why}Try {TZ_EXAMPLES}.", (Timezone("cancel").button("Cancel"),))]
    return await _apply(ctx, answer.zone)


async def _apply(ctx: Context, zone: str) -> list[Reply]:
    changed = zone != ctx.user.timezone
    if changed:
        await ctx.store.set_timezone(ctx.user, zone)
    await ctx.end_flow()
    replies = [
        Reply(
            f"Time zone set to {zone_label(zone)}: your local time is now {_local_time(ctx)}. "
            "Describe a twitch any time, or send /help."
        )
    ]
    if changed:
        replies += await ctx.engine.emit("timezone_changed", ctx)
    return replies


async def on_text(ctx: Context) -> list[Reply] | None:
    if resolve_timezone(ctx.args).zone is None and parse_twitch(ctx.args, ctx.local_now()).is_twitch_report:
        # They moved on to telling me about a twitch: keep the zone and let the logger have it.
        await ctx.end_flow()
        return None
    return await _set_from_text(ctx, ctx.args)


async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    cid = ChoiceId.read(f"tz:{payload}")
    zone = cid.zone if isinstance(cid, TimezoneKeep | TimezoneSet) else ""
    if cid == Timezone("cancel"):
        await ctx.end_flow()
        return [Reply(f"Keeping {zone_label(ctx.user.timezone)}. /timezone changes it any time.")]
    if zone and is_valid(zone):
        if not ctx.in_flow("timezone") and isinstance(cid, TimezoneKeep):
            return expired("/timezone")
        return await _apply(ctx, zone)
    return expired("/timezone")


async def name(ctx: Context) -> list[Reply]:
    """Tell Flicker your first name, for the report you bring to a doctor"""
    given = " ".join(ctx.args.split())
    if not given:
        current = f'I have "{ctx.user.first_name}". ' if ctx.user.first_name else ""
        return [Reply(f"{current}Send your first name like this: /name Anna. /name - removes it.")]
    if given == "-":
        await ctx.store.set_first_name(ctx.user, None)
        return [Reply("Removed your name; reports will not show one.")]
    if len(given) > 40 or not any(ch.isalpha() for ch in given):
        return [Reply("That doesn't look like a first name. Send up to 40 letters, for example: /name Anna")]
    await ctx.store.set_first_name(ctx.user, given)
    return [Reply(f"Thanks, {given}. Your name appears only on reports you ask for.")]


async def _zone_interrupted(ctx: Context) -> bool:
    if resolve_timezone(ctx.args).zone is not None:
        return False
    return classify(ctx.args, ctx.local_now()).kind in ("report", "question", "feeling", "greeting", "thanks", "note")


async def _close_zone(ctx: Context, why: str) -> list[Reply]:
    await ctx.end_flow()  # the zone stays as it is, as the question offered; nothing to report
    return []


CLOSERS = {"timezone": (_zone_interrupted, _close_zone)}

COMMANDS = [
    Command("start", start),
    Command("timezone", timezone, usage="/timezone CITY"),
    Command("name", name, usage="/name FIRSTNAME"),
]
FLOWS = {"timezone": on_text}
CHOICES = {"tz": on_choice}
