"""/log: record a twitch, guided with buttons or in one line; ask only what is missing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.messages import Choice, Reply
from handlers.base import Command, Context, expired
from handlers.format import describe_entry, local_stamp, twitch_summary
from rules.parser import (
    ParsedTwitch,
    match_region,
    match_side,
    match_triggers,
    parse_duration,
    parse_intensity,
    parse_twitch,
    says_no_trigger,
)
from rules.vocabulary import load_vocabulary

FLOW = "log"
CANCEL = Choice("log:cancel", "Cancel")
DURATIONS = (
    (5, "A few seconds"),
    (30, "About 30 seconds"),
    (60, "About a minute"),
    (180, "A few minutes"),
    (600, "10 minutes or more"),
)
SIDES = (("left", "Left"), ("right", "Right"), ("both", "Both sides"), ("none", "Middle / no side"))


# ---- the questions ---------------------------------------------------------------------------
def _next_step(fields: dict[str, Any], guided: bool) -> str | None:
    if not fields.get("region"):
        return "region"
    if "side" not in fields:
        return "side"
    if "duration_s" not in fields:
        return "duration"
    if fields.get("triggers") is None:
        return "triggers"
    if guided and "intensity" not in fields:
        return "intensity"
    return None


def _question(step: str, fields: dict[str, Any], note: str = "") -> Reply:
    vocab = load_vocabulary()
    lead = f"{note}\n" if note else ""
    if step == "region":
        opts = tuple(Choice(f"log:region:{r.id}", r.label) for r in vocab.regions.values())
        return Reply(f'{lead}Where was the twitch? Press one, or type it (e.g. "left calf").', opts + (CANCEL,))
    if step == "side":
        opts = tuple(Choice(f"log:side:{v}", label) for v, label in SIDES)
        return Reply(f"{lead}Which side?", opts + (CANCEL,))
    if step == "duration":
        opts = tuple(Choice(f"log:duration:{s}", label) for s, label in DURATIONS)
        return Reply(
            f'{lead}How long did it last? Press one, or type it (e.g. "90s", "2 min").',
            opts + (Choice("log:duration:unknown", "Not sure"), CANCEL),
        )
    if step == "triggers":
        picked = set(fields.get("picked") or ())
        opts = tuple(
            Choice(f"log:trig:{t.id}", ("✓ " if t.id in picked else "") + t.label) for t in vocab.triggers.values()
        )
        done = Choice("log:trig:done", "Done") if picked else Choice("log:trig:none", "None of these")
        return Reply(
            f"{lead}Anything that might have set it off? Pick all that fit, then Done "
            "(common triggers are caffeine, stress, short sleep and dehydration: BG-3).",
            opts + (done, CANCEL),
        )
    opts = tuple(Choice(f"log:int:{i}", str(i)) for i in range(1, 6))
    return Reply(
        f"{lead}How strong was it, from 1 (barely noticeable) to 5 (very strong)? This one is optional.",
        opts + (Choice("log:int:skip", "Skip"),),
    )


# ---- moving the flow on ------------------------------------------------------------------
async def _advance(ctx: Context, fields: dict[str, Any], guided: bool, note: str = "") -> list[Reply]:
    step = _next_step(fields, guided)
    if step is None:
        return await _save(ctx, fields)
    await ctx.set_flow(FLOW, step, {"fields": fields, "guided": guided})
    return [_question(step, fields, note)]


async def _save(ctx: Context, fields: dict[str, Any]) -> list[Reply]:
    occurred = datetime.fromisoformat(fields["occurred_at"]) if fields.get("occurred_at") else ctx.now
    occurred = min(occurred, ctx.now)
    store = ctx.store
    clear = store.conversation_writer(ctx.user.id, None) if ctx.conversation is not None else None
    entry = await store.add_entry(
        ctx.user.id,
        "twitch",
        occurred,
        ctx.user.timezone,
        region=fields["region"],
        side=fields.get("side"),
        duration_s=fields.get("duration_s"),
        triggers=fields.get("triggers") or (),
        intensity=fields.get("intensity"),
        text=fields.get("text", ""),
        now=ctx.now,
        also=clear,
    )
    if clear is not None:
        store.remember_conversation(ctx.user.id, None)
        ctx.conversation = None
    summary = twitch_summary(entry.region, entry.side, entry.duration_s, entry.triggers, entry.intensity)
    saved = Reply(
        f"Saved #{entry.id}: {summary}, {local_stamp(entry.occurred_at, ctx.local_now())}.",
        (Choice(f"log:undo:{entry.id}", "Undo"),),
    )
    return [saved, *await ctx.engine.emit("entry_saved", ctx, entry)]


def _fields_from_text(
    ctx: Context, text: str, fields: dict[str, Any] | None = None, parsed: ParsedTwitch | None = None
) -> dict[str, Any]:
    """Merge what a line of text says into fields, never overwriting what was already given."""
    fields = dict(fields or {})
    parsed = parsed or parse_twitch(text, ctx.local_now())
    if parsed.region and not fields.get("region"):
        fields["region"] = parsed.region
    if parsed.side and "side" not in fields:
        fields["side"] = parsed.side
    if parsed.duration_s is not None and "duration_s" not in fields:
        fields["duration_s"] = parsed.duration_s
    if fields.get("triggers") is None and (parsed.triggers or says_no_trigger(text)):
        fields["triggers"] = list(parsed.triggers)
    if parsed.intensity is not None and "intensity" not in fields:
        fields["intensity"] = parsed.intensity
    if parsed.occurred_at is not None and not fields.get("occurred_at"):
        fields["occurred_at"] = parsed.occurred_at.isoformat()
    return fields


# ---- entry points ------------------------------------------------------------------------------
async def log(ctx: Context) -> list[Reply]:
    """Log a twitch, e.g. /log left eyelid 2 min after coffee"""
    if not ctx.args:
        return await _advance(ctx, {}, guided=True)
    text = ctx.args[:1000]
    fields = _fields_from_text(ctx, text)
    fields["text"] = text
    note = "" if fields.get("region") else "I couldn't tell where the twitch was from that."
    return await _advance(ctx, fields, guided=False, note=note)


async def free_text(ctx: Context) -> list[Reply] | None:
    """A line in a private chat that reads like a twitch report is logged."""
    if not ctx.incoming.private:
        return None
    text = ctx.args[:1000]
    parsed = parse_twitch(text, ctx.local_now())
    if not parsed.is_twitch_report:
        return None
    fields = _fields_from_text(ctx, text, parsed=parsed)
    fields["text"] = text
    return await _advance(ctx, fields, guided=False)


async def on_text(ctx: Context) -> list[Reply] | None:
    """Typed text while a question of /log is open."""
    conv = ctx.conversation
    assert conv is not None
    fields, guided, step = dict(conv.data.get("fields", {})), bool(conv.data.get("guided")), conv.step
    text = ctx.args
    before = dict(fields)
    if step == "region" and (r := match_region(text)):
        fields["region"] = r
    elif step == "side" and (s := match_side(text)):
        fields["side"] = s
    elif step == "duration" and (d := parse_duration(text)) is not None:
        fields["duration_s"] = d
    elif step == "triggers" and (t := match_triggers(text)):
        fields["triggers"] = sorted(set(fields.get("picked") or ()) | set(t))
    elif step == "intensity" and (i := parse_intensity(text)) is not None:
        fields["intensity"] = i
    fields = _fields_from_text(ctx, text, fields)
    if fields == before:
        return [_question(step, fields, _not_understood(step, text))]
    return await _advance(ctx, fields, guided)


def _not_understood(step: str, text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "..."
    examples = {
        "region": 'a body part, e.g. "left calf" or "eyelid"',
        "side": "left, right, both, or press Middle / no side",
        "duration": 'a length of time, e.g. "30s", "2 min" or "an hour"',
        "triggers": 'e.g. "coffee and stress", or press None of these',
        "intensity": "a number from 1 to 5, or press Skip",
    }
    return (
        f'I didn\'t understand "{shown}" here. Please answer with {examples[step]}. Nothing you told me so far is lost.'
    )


async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    step, _, value = payload.partition(":")
    if step == "start":
        return await _advance(ctx, {}, guided=True)
    if step == "undo":
        return await _undo(ctx, value)
    if step == "cancel":
        if not ctx.in_flow(FLOW):
            return expired("/log")
        await ctx.end_flow()
        return [Reply("Cancelled; nothing was saved. /log starts again whenever you like.")]
    conv = ctx.conversation
    expected = {"region": "region", "side": "side", "duration": "duration", "trig": "triggers", "int": "intensity"}
    if conv is None or conv.flow != FLOW or expected.get(step) != conv.step:
        return expired("/log")
    fields, guided = dict(conv.data.get("fields", {})), bool(conv.data.get("guided"))
    vocab = load_vocabulary()
    if step == "region" and value in vocab.regions:
        fields["region"] = value
    elif step == "side" and value in ("left", "right", "both", "none"):
        fields["side"] = None if value == "none" else value
    elif step == "duration" and (value == "unknown" or value.isdigit()):
        fields["duration_s"] = None if value == "unknown" else int(value)
    elif step == "trig" and value in vocab.triggers:
        picked = set(fields.get("picked") or ())
        picked ^= {value}
        fields["picked"] = sorted(picked)
        await ctx.set_flow(FLOW, "triggers", {"fields": fields, "guided": guided})
        return [_question("triggers", fields)]
    elif step == "trig" and value in ("done", "none"):
        fields["triggers"] = [] if value == "none" else list(fields.get("picked") or ())
    elif step == "int" and (value == "skip" or value in {"1", "2", "3", "4", "5"}):
        fields["intensity"] = None if value == "skip" else int(value)
    else:
        return expired("/log")
    if fields.get("triggers") is not None:
        fields.pop("picked", None)
    return await _advance(ctx, fields, guided)


async def _undo(ctx: Context, value: str) -> list[Reply]:
    if not value.isdigit():
        return expired("/journal")
    entry = await ctx.store.entry(ctx.user.id, int(value))
    if entry is None or not await ctx.store.delete_entry(ctx.user.id, entry.id):
        return [Reply("That entry is already gone from your journal.")]
    return [Reply(f"Removed {describe_entry(entry, ctx.local_now())}")]


COMMANDS = [Command("log", log, usage="/log [where, how long, triggers]")]
FLOWS = {FLOW: on_text}
CHOICES = {"log": on_choice}
FREE_TEXT = [(50, free_text)]
