"""/log: record a twitch, guided with buttons or in one line; ask only what is missing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from bot.choice_ids import ChoiceId, Log, LogAnswer, LogStep, LogUndo
from bot.handler_api import CONVERSATION_TTL, Command, Context, expired
from bot.messages import Reply
from bot.store import User
from bot.store.interface import StoreAPI
from handlers.format import describe_entry, entry_ongoing_s, local_stamp, ongoing_words, region_words, twitch_summary
from handlers.log_advice import POINTED, advice
from handlers.log_questions import not_understood, question
from rules.intent import classify
from rules.parser import (
    ParsedTwitch,
    match_region,
    match_side,
    match_triggers,
    parse_duration,
    parse_intensity,
    parse_twitch,
    parse_when,
    says_no_trigger,
)
from rules.vocabulary import load_vocabulary

FLOW = "log"
FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little; beyond this a time is "still to come"
OLD_BEFORE_JOURNAL = timedelta(days=31)  # a backfilled week is fine; a year earlier is asked about


# ---- the questions ---------------------------------------------------------------------------
# Places with no left or right: the side is not asked.
NO_SIDE = frozenset({"face", "tongue", "neck", "chest", "abdomen", "back", "widespread", "other"})
# Typed answers to "anything that might have set it off?" that mean none (only as the whole answer:
# "no" inside a report is not an answer).
NO_TRIGGER_ANSWERS = frozenset(
    {"none", "no", "nothing", "nope", "none of these", "idk", "dunno", "not sure", "no idea", "n"}
)
_BARE_NUMBER = re.compile(r"\s*([0-9]{1,4})\s*[.!]?\s*")


def _next_step(fields: dict[str, Any], guided: bool) -> str | None:
    if fields.get("when_doubt"):
        return LogStep.WHEN
    if len(fields.get("places") or ()) > 1:
        return LogStep.WHICH if fields.get("which") else None  # several places: saved at once, sharing what was said
    if not fields.get("region"):
        return LogStep.REGION
    if fields["region"] == "other" and not fields.get("place"):
        return LogStep.PLACE
    if fields.get("quick") and not guided:
        return None  # ongoing, widespread, tongue: saved first, with what was said
    if "side" not in fields:
        if fields["region"] in NO_SIDE:
            fields["side"] = None
        else:
            return LogStep.SIDE
    if "duration_s" not in fields:
        return LogStep.DURATION
    if fields.get("triggers") is None:
        return LogStep.TRIGGERS
    if guided and "intensity" not in fields:
        return LogStep.INTENSITY
    return None


# ---- moving the flow on ------------------------------------------------------------------
def _when_doubt(ctx: Context, fields: dict[str, Any]) -> str | None:
    """A future time, or one long before the journal began, is asked about, not saved."""
    if not fields.get("occurred_at") or fields.get("when_ok"):
        return None
    at = datetime.fromisoformat(fields["occurred_at"])
    shown = local_stamp(at, ctx.local_now())
    if at > ctx.now + FUTURE_SLACK:
        return f"You wrote {shown}, which is still to come."
    began = min(ctx.user.created_at, ctx.now)
    if at < began - OLD_BEFORE_JOURNAL:
        return f"You wrote {shown}, long before your journal began ({local_stamp(began, ctx.local_now())})."
    return None


async def _advance(ctx: Context, fields: dict[str, Any], guided: bool, note: str = "") -> list[Reply]:
    if (doubt := _when_doubt(ctx, fields)) is not None:
        fields["when_doubt"] = doubt
    first = ctx.conversation is None or ctx.conversation.flow != FLOW
    step = _next_step(fields, guided)
    if step is None:
        return await _save(ctx, fields, lead=note)
    await ctx.set_flow(FLOW, step, {"fields": fields, "guided": guided})
    return [question(step, fields, note, first=first)]


def _places(fields: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    places = fields.get("places") or []
    if len(places) > 1:
        return [(r, s) for r, s in places]
    region = fields["region"]
    return [(None if region == "other" else region, fields.get("side"))]


async def _save(ctx: Context, fields: dict[str, Any], lead: str = "") -> list[Reply]:
    occurred = datetime.fromisoformat(fields["occurred_at"]) if fields.get("occurred_at") else ctx.now
    if not fields.get("when_ok"):
        occurred = min(occurred, ctx.now)
    store = ctx.store
    text = fields.get("text", "")
    if fields.get("place"):
        text = f"{text} · place: {fields['place']}" if text else f"place: {fields['place']}"
    entries = []
    clear = store.conversation_writer(ctx.user.id, None) if ctx.conversation is not None else None
    places = _places(fields)
    own = _own_details(ctx, fields, places)
    for i, (region, side) in enumerate(places):
        # each part's own details; what a part doesn't say is unknown for it, not borrowed from another
        details = (
            {"duration_s": None, "triggers": (), "occurred_at": ctx.local_now(), **own[i]}
            if own
            else {"duration_s": fields.get("duration_s"), "triggers": fields.get("triggers") or ()}
        )
        when = details.get("occurred_at") or occurred
        entries.append(
            await store.add_entry(
                ctx.user.id,
                "twitch",
                min(when, ctx.now) if not fields.get("when_ok") else when,
                ctx.user.timezone,
                region=region,
                side=side,
                duration_s=details["duration_s"],
                triggers=details["triggers"],
                intensity=fields.get("intensity"),
                text=text,
                now=ctx.now,
                also=clear,
            )
        )
        clear = None
    if ctx.conversation is not None:
        store.remember_conversation(ctx.user.id, None)
        ctx.conversation = None
    replies = [_saved_reply(ctx, entries, fields, lead)]
    replies += await advice(ctx, entries, fields)
    seen: set[str] = {r.text for r in replies}
    for r in await ctx.engine.emit("entry_saved", ctx, entries[-1]):
        if r.text not in seen:
            replies.append(r)
    return replies


_SEGMENT = re.compile(r"\s*[,;]\s*|\s+(?:and then|then|also|plus)\s+")


def _own_details(ctx: Context, fields: dict[str, Any], places: list) -> list[dict[str, Any]] | None:
    """Several places, each in its own part of the message with its own details ("left eyelid
    2 mins, right calf a few secs, on the 20th thumb after 4 coffees"): each entry keeps what its
    part says. Parts without a place ("..., all after the gym") say things for every entry.
    None when the message shares its details (then every entry gets them, as stated once)."""
    if len(places) < 2 or not fields.get("text"):
        return None
    now = ctx.local_now()
    parts = [parse_twitch(seg, now) for seg in _SEGMENT.split(fields["text"]) if seg.strip()]
    with_place = [p for p in parts if p.region]
    if len(with_place) != len(places) or any(len(p.places) > 1 for p in with_place):
        return None
    if [p.region for p in with_place] != [r for r, _ in places]:
        return None
    keys = ("duration_s", "triggers", "occurred_at")
    said = [{k: v for k in keys if (v := getattr(p, k)) not in (None, ())} for p in with_place]
    if all(d == said[0] for d in said):
        return None  # nothing differs between the parts: the shared reading stands
    shared: dict[str, Any] = {}
    for p in parts:
        if not p.region:
            shared.update({k: v for k in keys if (v := getattr(p, k)) not in (None, ())})
    return [{**shared, **d} for d in said]


def _saved_reply(ctx: Context, entries: list, fields: dict[str, Any], lead: str) -> Reply:
    e = entries[0]
    when = local_stamp(e.occurred_at, ctx.local_now())
    ongoing = fields.get("ongoing_s")
    head = f"{lead}\n" if lead else ""
    if len(entries) == 1:
        summary = twitch_summary(e.region, e.side, e.duration_s, e.triggers, e.intensity, ongoing, fields.get("place"))
        return Reply(f"{head}Saved #{e.id}: {summary}, {when}.", (LogUndo(str(e.id)).button("Undo"),))
    ids = ",".join(str(x.id) for x in entries)
    if len({(x.duration_s, x.triggers, x.occurred_at) for x in entries}) > 1:  # each part said its own
        lines = [
            f"#{x.id}: {twitch_summary(x.region, x.side, x.duration_s, x.triggers, x.intensity, ongoing)}, "
            f"{local_stamp(x.occurred_at, ctx.local_now())}"
            for x in entries
        ]
        return Reply(
            f"{head}Saved {len(entries)} entries, one per place, each as you described it:\n" + "\n".join(lines),
            (LogUndo(ids).button("Undo all"),),
        )
    where = ", ".join(f"#{x.id} {region_words(x.region, x.side)}" for x in entries)
    shared = twitch_summary(None, None, e.duration_s, e.triggers, e.intensity, ongoing).split(" twitch, ", 1)[-1]
    return Reply(
        f"{head}Saved {len(entries)} entries, one per place: {where}. For all of them: {shared}, {when}.",
        (LogUndo(ids).button("Undo all"),),
    )


def _fields_from_text(
    ctx: Context, text: str, fields: dict[str, Any] | None = None, parsed: ParsedTwitch | None = None
) -> dict[str, Any]:
    """Merge what a line of text says into fields, never overwriting what was already given."""
    fields = dict(fields or {})
    parsed = parsed or parse_twitch(text, ctx.local_now())
    if parsed.region and not fields.get("region"):
        fields["region"] = parsed.region
        if len(parsed.places) > 1:
            fields["places"] = [list(p) for p in parsed.places]
            if parsed.places_unclear:
                fields["which"] = True  # "calf or thigh": asked, not saved as two
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
    if parsed.ongoing_s and not fields.get("ongoing_s"):
        fields["ongoing_s"] = parsed.ongoing_s
    if fields.get("ongoing_s") or fields.get("region") in POINTED:
        fields["quick"] = True
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


async def report(ctx: Context, parsed: ParsedTwitch, lead: str = "") -> list[Reply]:
    """A free-text line that reads like a twitch report: saved, asking only what is missing."""
    text = ctx.args[:1000]
    fields = _fields_from_text(ctx, text, parsed=parsed)
    fields["text"] = text
    replies = await _advance(ctx, fields, guided=False)
    if lead:
        replies = [Reply(lead), *replies]
    return replies


async def free_text(ctx: Context) -> list[Reply] | None:
    """A line in a private chat that reads like a twitch report is logged."""
    if not ctx.incoming.private:
        return None
    parsed = parse_twitch(ctx.args[:1000], ctx.local_now())
    if not parsed.is_twitch_report:
        return None
    return await report(ctx, parsed)


async def on_text(ctx: Context) -> list[Reply] | None:
    """Typed text while a question of /log is open."""
    conv = ctx.conversation
    assert conv is not None
    fields, guided, step = dict(conv.data.get("fields", {})), bool(conv.data.get("guided")), conv.step
    text = ctx.args
    before = dict(fields)
    note = ""
    if step == LogStep.WHEN:
        at = parse_when(text, ctx.local_now())
        if at is not None and at <= ctx.now + FUTURE_SLACK:
            fields["occurred_at"], fields["when_ok"] = at.isoformat(), True
            fields.pop("when_doubt", None)
            return await _advance(ctx, fields, guided)
        return [question(step, fields, not_understood(step, text))]
    if step == LogStep.PLACE:
        return await _take_place(ctx, fields, guided, text)
    if step == LogStep.WHICH and (r := match_region(text)) in [p[0] for p in fields.get("places") or ()]:
        side = dict((p[0], p[1]) for p in fields["places"]).get(r)
        fields.pop("which", None)
        fields["places"], fields["region"] = [], r
        if side:
            fields["side"] = side
    elif step == LogStep.REGION and (r := match_region(text)):
        fields["region"] = r
    elif step == LogStep.SIDE and (s := match_side(text)):
        fields["side"] = s
    elif step == LogStep.DURATION and (n := _BARE_NUMBER.fullmatch(text)) and 0 < int(n.group(1)) <= 3600:
        fields["duration_s"] = int(n.group(1))  # a bare number answering "how long" is seconds
        note = f'Reading "{n.group(1)}" as {n.group(1)} seconds.'
    elif step == LogStep.DURATION and (d := parse_duration(text)) is not None:
        fields["duration_s"] = d
    elif step == LogStep.TRIGGERS and (t := match_triggers(text)):
        fields["triggers"] = sorted(set(fields.get("picked") or ()) | set(t))
    elif step == LogStep.TRIGGERS and text.strip(" .!").lower() in NO_TRIGGER_ANSWERS:
        fields["triggers"] = sorted(fields.get("picked") or ())
    elif step == LogStep.INTENSITY and (i := parse_intensity(text)) is not None:
        fields["intensity"] = i
    fields = _fields_from_text(ctx, text, fields)
    if fields == before:
        if step == LogStep.REGION and any(c.isalpha() for c in text) and len(text) <= 60:
            return await _take_place(ctx, fields, guided, text)  # a place not in my list: kept as typed
        return [question(step, fields, not_understood(step, text))]
    return await _advance(ctx, fields, guided, note=note)


async def _take_place(ctx: Context, fields: dict[str, Any], guided: bool, text: str) -> list[Reply]:
    place = " ".join(text.split())[:60]
    if not place:
        return [question(LogStep.PLACE, fields)]
    fields["region"], fields["place"] = "other", place
    return await _advance(ctx, fields, guided, note=f'I\'ll keep the place as you wrote it: "{place}".')


async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    cid = ChoiceId.read(f"log:{payload}")
    if cid == Log("start"):
        return await _advance(ctx, {}, guided=True)
    if isinstance(cid, LogUndo):
        return await _undo(ctx, cid.ids)
    if cid == Log("cancel"):
        if not ctx.in_flow(FLOW):
            return expired("/log")
        await ctx.end_flow()
        return [Reply("Cancelled; nothing was saved. /log starts again whenever you like.")]
    conv = ctx.conversation
    expected = {
        "region": LogStep.REGION,
        "side": LogStep.SIDE,
        "duration": LogStep.DURATION,
        "trig": LogStep.TRIGGERS,
        "int": LogStep.INTENSITY,
        "when": LogStep.WHEN,
        "which": LogStep.WHICH,
    }
    if not isinstance(cid, LogAnswer) or conv is None or conv.flow != FLOW or expected.get(cid.step) != conv.step:
        return expired("/log")
    step, value = expected[cid.step], str(cid.value)  # ints come back as the digits they were sent as
    fields, guided = dict(conv.data.get("fields", {})), bool(conv.data.get("guided"))
    vocab = load_vocabulary()
    if step == LogStep.WHICH and (value == "all" or value.isdigit()):
        places = fields.get("places") or []
        fields.pop("which", None)
        if value != "all" and int(value) < len(places):
            region, side = places[int(value)]
            fields["places"], fields["region"] = [], region
            if side:
                fields["side"] = side
            else:
                fields.pop("side", None)
    elif step == LogStep.WHEN and value in ("now", "today"):
        at = ctx.now if value == "now" else ctx.now - timedelta(hours=1)
        fields["occurred_at"], fields["when_ok"] = at.isoformat(), True
        fields.pop("when_doubt", None)
    elif step == LogStep.REGION and value == "other":
        await ctx.set_flow(FLOW, LogStep.PLACE, {"fields": fields, "guided": guided})
        return [question(LogStep.PLACE, fields)]
    elif step == LogStep.REGION and value in vocab.regions:
        fields["region"] = value
        if value in POINTED:
            fields["quick"] = True
    elif step == LogStep.SIDE and value in ("left", "right", "both", "none"):
        fields["side"] = None if value == "none" else value
    elif step == LogStep.DURATION and (value == "unknown" or value.isdigit()):
        fields["duration_s"] = None if value == "unknown" else int(value)
    elif step == LogStep.TRIGGERS and value in vocab.triggers:
        picked = set(fields.get("picked") or ())
        picked ^= {value}
        fields["picked"] = sorted(picked)
        await ctx.set_flow(FLOW, LogStep.TRIGGERS, {"fields": fields, "guided": guided})
        return [question(LogStep.TRIGGERS, fields)]
    elif step == LogStep.TRIGGERS and value in ("done", "none"):
        fields["triggers"] = [] if value == "none" else list(fields.get("picked") or ())
    elif step == LogStep.INTENSITY and (value == "skip" or value in {"1", "2", "3", "4", "5"}):
        fields["intensity"] = None if value == "skip" else int(value)
    else:
        return expired("/log")
    if fields.get("triggers") is not None:
        fields.pop("picked", None)
    return await _advance(ctx, fields, guided)


async def _undo(ctx: Context, value: str) -> list[Reply]:
    ids = [int(v) for v in value.split(",") if v.isdigit()][:20]
    if not ids:
        return expired("/journal")
    removed = []
    for entry_id in ids:
        entry = await ctx.store.entry(ctx.user.id, entry_id)
        if entry is not None and await ctx.store.delete_entry(ctx.user.id, entry.id):
            removed.append(describe_entry(entry, ctx.local_now()))
    if not removed:
        return [Reply("That entry is already gone from your journal." if len(ids) == 1 else "Those entries are gone.")]
    return [Reply("Removed " + "\nRemoved ".join(removed))]


# ---- a new message while a question is open ------------------------------------------------------
async def interrupts(ctx: Context) -> bool:
    """True when typed text is a message of its own, not an answer to the open question."""
    conv = ctx.conversation
    if conv is None or conv.step == LogStep.PLACE:
        return False
    intent = classify(ctx.args, ctx.local_now())
    if intent.kind in ("question", "feeling") and intent.confidence >= 0.75:
        return conv.step != LogStep.TRIGGERS or intent.kind == "question"  # "anxious" answers the trigger question
    if intent.kind == "report" and intent.parsed.region and conv.step not in (LogStep.REGION, LogStep.WHEN):
        pending = conv.data.get("fields", {}).get("region")
        return intent.parsed.region != pending
    return False


async def close(ctx: Context, why: str) -> list[Reply]:
    """Close the open question: save what it has (a place at least), or say what was dropped."""
    conv = ctx.conversation
    if conv is None:
        return []
    fields = dict(conv.data.get("fields", {}))
    lead = {
        "expired": f"(Your earlier log waited more than {CONVERSATION_TTL.seconds // 60} minutes for an answer.)",
        "command": "(I closed the earlier log's open question.)",
    }.get(why, "(That reads like a new message, so I closed the earlier log's question.)")
    if (fields.get("region") and fields["region"] != "other") or fields.get("place"):
        if fields.pop("when_doubt", None):
            fields.pop("occurred_at", None)  # a time that was in doubt is not saved
        fields.pop("picked", None)
        fields.setdefault("occurred_at", conv.updated_at.isoformat())  # when it was told, not now
        replies = await _save(ctx, fields, lead=lead + " I saved what you had told me:")
        return replies[:1]
    await ctx.end_flow()
    if not any(fields.get(k) for k in ("text", "side", "duration_s", "triggers", "picked", "intensity")):
        return []  # nothing had been given: nothing is lost, nothing to say
    return [Reply(f"{lead} It had no place yet, so nothing was saved from it.")]


COMMANDS = [Command("log", log, usage="/log [where, how long, triggers]")]
FLOWS = {FLOW: on_text}
CHOICES = {"log": on_choice}
CLOSERS = {FLOW: (interrupts, close)}


async def export_section(store: StoreAPI, user: User) -> list[dict]:
    """How long the twitching had gone on, for each entry that said so ("for 3 weeks")."""
    out = []
    for e in await store.entries(user.id, kind="twitch"):
        if (seconds := entry_ongoing_s(e)) is not None:
            out.append({"entry": e.id, "ongoing_s": seconds, "ongoing": ongoing_words(seconds)})
    return sorted(out, key=lambda row: row["entry"])


EXPORT = {"ongoing": export_section}
