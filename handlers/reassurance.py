"""The reassurance-loop guard: when the same worry comes back unchanged, answer once, briefly.

What has not changed, what would change the advice (the red flags in plain words), and one
thing to try instead (SC-4 "worry time", or a day off logging the journal records as such).
It never refuses (the person can always start /triage, and /guard off answers in full every
time) and it never hides a red flag: text with a red-flag word, a triage result above
"monitor", or a journal that changed (new areas, new flags, an absent finding answered "yes")
passes straight through. Thresholds and texts: rules/reassurance.toml.

API for other flows:
- ``await guard(ctx, kind, fingerprint, text=..., red_flag=...)``: records one occurrence and
  returns the guard's replies when the repetition threshold is reached, else None.
- ``await after_triage(ctx, answers, level)``: the call for /triage's result.
The FAQ needs no call: ``repeated_question`` below runs just before it (FREE_TEXT priority 4, before the intent router).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.choice_ids import Guard, Triage
from bot.handler_api import Command, Context
from bot.insights.days import OFF, set_mark
from bot.messages import Reply
from bot.store import Entry
from handlers.format import local_stamp
from rules.sources import check_sources, cited_ids

log = logging.getLogger(__name__)
RULES_FILE = Path(__file__).resolve().parent.parent / "rules" / "reassurance.toml"


@dataclass(frozen=True)
class KindRule:
    times: int
    within: timedelta
    cooldown: timedelta
    topics: tuple[str, ...] = ()  # faq: which answers count as a worry that can loop


@dataclass(frozen=True)
class GuardRules:
    kinds: dict[str, KindRule]
    red_flags: re.Pattern[str]
    texts: dict[str, str]
    gist: dict[str, str]
    sources: dict[str, tuple[str, ...]]
    guarded_levels: tuple[str, ...]
    open_answer_days: int


@lru_cache(maxsize=1)
def load_guard_rules() -> GuardRules:
    data = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    kinds = {}
    for name, k in data["kinds"].items():
        if int(k["times"]) < 2:
            raise ValueError(f"rules/reassurance.toml: kinds.{name}.times must be at least 2")
        kinds[name] = KindRule(
            int(k["times"]),
            timedelta(hours=float(k["within_hours"])),
            timedelta(hours=float(k["cooldown_hours"])),
            tuple(k.get("topics", ())),
        )
    texts, gist, sources = {}, {}, {}
    for table, out in ((data["texts"], texts), (data["gist"], gist)):
        for key, value in table.items():
            if isinstance(value, dict):
                out[key] = value["text"].strip()
                sources[key] = tuple(value.get("sources", ()))
            else:
                out[key] = value.strip()
    for key in ("first", "again", "worry_time", "day_off", "what_faq", "what_triage", "what_log"):
        if not texts.get(key):
            raise ValueError(f"rules/reassurance.toml: texts.{key} is missing")
    for needed in (*kinds["faq"].topics, "log", "triage"):
        if not gist.get(needed):
            raise ValueError(f"rules/reassurance.toml: gist.{needed} is missing")
    for needed in (*gist, "first", "again", "worry_time", "day_off"):
        if not sources.get(needed):
            raise ValueError(f"rules/reassurance.toml: {needed} must name the facts behind it in `sources`")
    check_sources([i for ids in sources.values() for i in ids], "rules/reassurance.toml")
    if cited_ids(" ".join([*texts.values(), *gist.values()])):
        raise ValueError("rules/reassurance.toml: chat texts carry no fact codes; list them in `sources`")
    return GuardRules(
        kinds,
        re.compile("|".join(f"(?:{p})" for p in data["red_flags"])),
        texts,
        gist,
        sources,
        tuple(data["guarded_levels"]),
        int(data["open_answer_days"]),
    )


def has_red_flag(text: str) -> bool:
    return bool(text) and load_guard_rules().red_flags.search(text.lower()) is not None


def is_on(ctx: Context) -> bool:
    return ctx.user.settings.get("guard") != "off"


async def _journal_digest(ctx: Context) -> str:
    """What would make "nothing has changed" untrue: new areas, new journal flags, a "yes"."""
    row = await ctx.store.guard_digest_parts(ctx.user.id)  # one round trip: this runs for every logged twitch
    raw = json.dumps(list(row))
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


async def _something_open(ctx: Context, rules: GuardRules) -> bool:
    """A result above "monitor", or a recent "yes"/"not sure" about weakness, wasting, swallowing:
    then the way forward is a doctor, not worry time, and the guard stays out of the way."""
    since = ctx.now - timedelta(days=rules.open_answer_days)
    latest, open_answer = await ctx.store.guard_open_facts(ctx.user.id, since)  # one round trip
    return (latest is not None and latest not in rules.guarded_levels) or open_answer


async def guard(
    ctx: Context, kind: str, fingerprint: str, *, text: str = "", red_flag: bool = False
) -> list[Reply] | None:
    """Record one occurrence of a worry; the guard's brief answer when it keeps coming back, else None.

    kind: "faq" (fingerprint: the FAQ answer's id), "triage" (the answers) or "log" (region:side).
    """
    rules = load_guard_rules()
    rule = rules.kinds.get(kind)
    if rule is None or red_flag or has_red_flag(text) or not is_on(ctx):
        return None
    if kind == "faq" and fingerprint not in rule.topics:
        return None
    logged = 0
    if kind == "log":
        # The journal itself counts these: one query, and nothing more until there are enough.
        region, _, side = fingerprint.partition(":")
        logged = await ctx.store.twitch_logs_since(ctx.user.id, region, side, ctx.now - rule.within)
        if logged < rule.times:
            return None
    if await _something_open(ctx, rules):
        return None
    fp = f"{fingerprint}|{await _journal_digest(ctx)}"
    seen = await ctx.store.record_guard_event(
        ctx.user.id,
        kind,
        fp,
        ctx.now,
        window_since=ctx.now - rule.within,
        cooldown_since=ctx.now - rule.cooldown,
        forget_before=ctx.now - timedelta(days=30),  # forget occurrences long past any window
        times=rule.times,
        counted=logged,  # for logs, the journal already counted them
    )
    n, answered_before = seen.count, seen.answered_before
    if n < rule.times:
        return None
    since = local_stamp(seen.first_at, ctx.local_now())
    what = rules.texts[f"what_{kind}"].format(n=n, since=since)
    gist = rules.gist.get(fingerprint if kind == "faq" else kind, "")
    if answered_before:
        if kind == "log":
            return None  # said once this evening; more would be nagging
        return [_reply(rules.texts["again"].format(what=what, suggestion=""), short=True)]
    # alternate the suggestion, so a person who keeps returning is offered both over time
    answered = await ctx.store.guard_answers_count(ctx.user.id)
    suggestion = rules.texts["day_off" if answered % 2 == 0 else "worry_time"]
    return [_reply(rules.texts["first"].format(what=what, gist=gist, suggestion=suggestion))]


def _reply(text: str, short: bool = False) -> Reply:
    options = [
        Triage("start").button("Something is new: /triage"),
        Guard("worry").button("Try worry time"),
        Guard("dayoff").button("Day off logging tomorrow"),
    ]
    if not short:
        options.append(Guard("off").button("Always answer in full"))
    return Reply(" ".join(text.split()) if short else text, tuple(options))


# ---- the hooks ---------------------------------------------------------------------------------
async def after_triage(ctx: Context, answers: dict[str, Any], level: str) -> list[Reply] | None:
    """For /triage's result: the guard's brief answer when the same answers, on an unchanged journal,
    come back; never for a result above "monitor" (those go on to a doctor, not to worry time)."""
    fp = json.dumps(answers, sort_keys=True)
    try:
        return await guard(ctx, "triage", fp, red_flag=level not in load_guard_rules().guarded_levels)
    except Exception:  # the guard fails open: the result goes on as usual
        log.warning("the reassurance guard failed; answering in full")
        log.debug("guard failure", exc_info=True)
        return None


async def repeated_question(ctx: Context) -> list[Reply] | None:
    """Runs just before the FAQ (priority 9): the same worried question again -> the brief answer."""
    if not ctx.incoming.private:
        return None
    from handlers.triage_faq import answer_for

    f = answer_for(ctx.args)
    if f is None:
        return None
    try:
        return await guard(ctx, "faq", f.id, text=ctx.args)
    except Exception:  # the guard fails open: the FAQ answers in full
        log.warning("the reassurance guard failed; answering in full")
        log.debug("guard failure", exc_info=True)
        return None


async def on_entry_saved(ctx: Context, entry: Entry) -> list[Reply]:
    """Many logs of the same benign twitch in one evening: say so once."""
    if entry.kind != "twitch" or not entry.region:
        return []
    fp = f"{entry.region}:{entry.side or '-'}"
    red = entry.intensity is not None and entry.intensity >= 5
    return await guard(ctx, "log", fp, text=entry.text, red_flag=red) or []


# ---- buttons and /guard ----------------------------------------------------------------------------
async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    rules = load_guard_rules()
    if payload == "worry":
        return [
            Reply(
                "Worry time: pick a 10-minute slot later today. Until then, when a worry about the "
                "twitching comes up, write it down in a word or two and tell yourself it has its slot. In the "
                "slot, read the list, and for each one ask: has anything new appeared (weakness, a thinner "
                "muscle, swallowing or speech trouble, numbness, spreading)? If not, let it go until tomorrow's "
                "slot. Slow breathing (in for 4, out for 6) helps to end it."
            )
        ]
    if payload == "dayoff":
        tomorrow = ctx.local_now().date() + timedelta(days=1)
        await set_mark(ctx.store, ctx.user, tomorrow, OFF, ctx.now)
        return [
            Reply(
                f"Done: {tomorrow:%A} is a day off logging. Your journal will show it as such, it won't count "
                "as a day without twitches, and the evening journal reminder stays quiet that day. Anything "
                "new (weakness, a thinner muscle, swallowing or speech trouble) still matters: tell me then."
            )
        ]
    if payload in ("off", "on"):
        return await _set(ctx, payload)
    return [Reply(rules.texts.get("off_note", "/guard off answers every time in full."))]


async def _set(ctx: Context, state: str) -> list[Reply]:
    await ctx.store.update_settings(ctx.user, guard="off" if state == "off" else None)
    if state == "off":
        return [
            Reply(
                "Done: I'll answer every question in full, however often it comes. /guard on brings the "
                "short answer back."
            )
        ]
    return [
        Reply(
            "Done: when the same worry comes back unchanged, I'll answer briefly and suggest something to try "
            "instead. Anything new always gets a full answer. /guard off switches this off."
        )
    ]


async def guard_command(ctx: Context) -> list[Reply]:
    """Turn the short answer to repeated worries on or off, e.g. /guard off"""
    arg = ctx.args.strip().lower()
    if arg in ("off", "on"):
        return await _set(ctx, arg)
    state = "on" if is_on(ctx) else "off"
    return [
        Reply(
            f"The repeated-worry guard is {state}. When the same worry comes back unchanged (the same question "
            "again within a few days, the same /triage answers, many logs of the same twitch in one evening), "
            "I answer briefly: what hasn't changed, what would change the advice, and one thing to try instead. "
            "It never hides anything new. Send /guard off or /guard on.",
            (Guard("off").button("Turn it off"),) if state == "on" else (Guard("on").button("Turn it on"),),
        )
    ]


async def guard_section(store, user) -> list[dict]:
    rows = await store.guard_events(user.id)
    return [{"kind": e.kind, "at": e.at.astimezone(user.tz).isoformat(), "answered": e.answered} for e in rows]


COMMANDS = [Command("guard", guard_command, usage="/guard [on | off]")]
CHOICES = {"rguard": on_choice}
FREE_TEXT = [(4, repeated_question)]  # before handlers/chat.py reads intent
EVENTS = {"entry_saved": on_entry_saved}
EXPORT = {"guard": guard_section}
PRIVACY = ["when a worry came back (the kind of question and the time, not the words) for the repeated-worry guard"]
