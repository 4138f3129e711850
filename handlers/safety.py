"""The safety screen's answers: emergencies, crises, red flags and pregnancy signs, wherever they
are typed, and the conversation right after an emergency.

The engine runs `rules.safety` on every typed message before any flow or parser and hands the
result to `screen()` here (registered as SCREEN). Texts and phrases live in rules/safety.toml.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from typing import Any

from bot.messages import Choice, Reply
from bot.safety_replies import compose
from bot.store import Store, StoreError, User, from_ts, to_ts
from handlers.base import Context, ScreenOutcome, expired
from rules.safety import ScreenResult, load_safety_screen

log = logging.getLogger(__name__)

FLOW = "safety"
# Flows where a red flag typed as an answer is the answer: the questionnaire weighs it itself.
ANSWERED_BY_FLOW = {"triage"}


# ---- the screen ---------------------------------------------------------------------------------------
async def screen(ctx: Context, result: ScreenResult) -> ScreenOutcome | None:
    """Decide what comes first for one typed message; None lets the engine route it as usual."""
    finding = result.finding
    text = ctx.incoming.text or ""
    is_command = text.lstrip().startswith("/")
    conv = ctx.conversation
    if finding is None:
        if result.language != "en" and not is_command and not (conv and conv.flow == FLOW):
            rules = load_safety_screen()
            lang = rules.languages.get(result.language)
            line = lang.line if lang is not None and lang.line else rules.replies["english_only"]
            return ScreenOutcome([Reply(line, private=False)], route=False)
        return None

    rules = load_safety_screen()
    replies = compose(
        rules, finding, timezone=ctx.user.timezone, language=result.language, private=ctx.incoming.private
    )

    if finding.interrupts:
        event_id = await _record(ctx, finding.category, finding.rule)
        if finding.category == "emergency":
            keep = _keepable(text, finding.twitch)
            try:
                await ctx.set_flow(
                    FLOW,
                    "after",
                    {
                        "kind": finding.kind,
                        "passed": finding.passed,
                        "keep": keep,
                        "stash": _stash(conv),
                        "event": event_id,
                    },
                )
            except StoreError:
                log.warning("could not keep the after-emergency state")
            if keep:
                replies.append(Reply(rules.replies["emergency_twitch"]))
            replies[-1] = _with_choices(replies[-1], (Choice("safety:called", rules.after["button_called"]),))
        return ScreenOutcome(replies, route=False, interrupts=True)

    # Not an emergency: a doctor should look at it, and how soon.
    if conv is not None and conv.flow in ANSWERED_BY_FLOW and not is_command:
        return None
    event_id = await _record(ctx, finding.category, finding.rule)
    choices: list[Choice] = []
    if finding.category == "red_flag":
        replies.append(Reply(rules.replies["red_flag_triage"]))
        choices.append(Choice("safety:triage", rules.after["button_triage"]))
    if is_command:
        # /note and /log with a red flag still save what was written, after the advice.
        before = await ctx.store.last_added_entry(ctx.user.id)

        async def after_route() -> None:
            await _link_entry(ctx, event_id, before.id if before else 0)

        if choices:
            replies[-1] = _with_choices(replies[-1], tuple(choices))
        await _remember_prefill(ctx, finding.triage)
        return ScreenOutcome(replies, route=True, after=after_route)
    if conv is None or conv.flow == FLOW:
        choices.append(Choice("safety:note", rules.after["button_note"]))
        await ctx.set_flow(FLOW, "flagged", {"text": text[:1000], "event": event_id, "prefill": finding.triage})
    else:
        await _remember_prefill(ctx, finding.triage)
    replies[-1] = _with_choices(replies[-1], tuple(choices))
    return ScreenOutcome(replies, route=False)


def _keepable(text: str, twitch: bool) -> str:
    """What we can save for the person later: their /note or /log, or a message that described a twitch."""
    stripped = text.strip()
    head = stripped.split(" ", 1)[0].lower()
    if head.startswith("/note") or head.startswith("/log"):
        return stripped[:1000] if " " in stripped else ""
    return stripped[:1000] if twitch else ""


def _stash(conv: Any) -> dict[str, Any] | None:
    if conv is None or conv.flow == FLOW:
        return None
    return {"flow": conv.flow, "step": conv.step, "data": conv.data}


def _with_choices(reply: Reply, choices: tuple[Choice, ...]) -> Reply:
    return Reply(reply.text, reply.choices + choices, reply.attachment, reply.private)


async def _remember_prefill(ctx: Context, prefill: dict[str, str]) -> None:
    if prefill:
        ctx.hints["triage_prefill"] = dict(prefill)
        try:
            await ctx.store.update_settings(ctx.user, triage_prefill={**prefill, "at": to_ts(ctx.now)})
        except StoreError:
            log.warning("could not keep what the message already answered")


# ---- after an emergency ---------------------------------------------------------------------------------
async def enter_after_emergency(ctx: Context, kind: str = "stroke") -> tuple[Choice, ...]:
    """Another flow (the /triage safety question) gave the emergency instruction: the next messages
    get answers consistent with it too. Returns the choices to show under that instruction."""
    rules = load_safety_screen()
    await _record(ctx, "emergency", "triage_answer")
    await ctx.set_flow(FLOW, "after", {"kind": kind, "passed": False, "keep": "", "stash": None, "event": None})
    return (Choice("safety:called", rules.after["button_called"]),)


async def after_text(ctx: Context) -> list[Reply] | None:
    """Messages right after an emergency answer: consistent with the instruction, never the log hint."""
    conv = ctx.conversation
    assert conv is not None
    if conv.step == "flagged":  # a red flag's offer stands only for the next press; text goes on as usual
        await ctx.end_flow()
        return None
    rules = load_safety_screen()
    minutes = int(rules.after.get("minutes", 60))
    if ctx.now - conv.updated_at > timedelta(minutes=minutes):
        await _restore(ctx)
        return None
    number = rules.emergency_number(ctx.user.timezone) or "your local emergency number"
    norm = rules.normalise(ctx.args)
    kind = conv.data.get("kind", "stroke")
    called = Choice("safety:called", rules.after["button_called"])
    for key in ("called", "drive", "better", "scared"):
        pattern = rules.after_patterns.get(key)
        if pattern is not None and pattern.search(norm):
            if key == "called":
                return await _called(ctx)
            text_key = "better_breathing" if key == "better" and kind == "breathing" else key
            return [Reply(rules.after[text_key].format(number=number), (called,))]
    return [Reply(rules.after["other"].format(number=number), (called,))]


async def _called(ctx: Context) -> list[Reply]:
    rules = load_safety_screen()
    conv = ctx.conversation
    keep = conv.data.get("keep", "") if conv is not None else ""
    choices: tuple[Choice, ...] = ()
    if keep:
        await ctx.set_flow(FLOW, "kept", {"keep": keep, "stash": conv.data.get("stash") if conv else None})
        label = rules.after["button_log"] if not keep.lower().startswith("/note") else "Save my note"
        choices = (Choice("safety:keep", label),)
    else:
        await _restore(ctx)
    return [Reply(rules.after["called"], choices)]


async def _restore(ctx: Context) -> None:
    """Put back the question that was open before the emergency, if any."""
    conv = ctx.conversation
    stash = conv.data.get("stash") if conv is not None else None
    if stash:
        await ctx.set_flow(stash["flow"], stash["step"], stash.get("data") or {})
    else:
        await ctx.end_flow()


async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    conv = ctx.conversation
    if payload == "called":
        if not ctx.in_flow(FLOW):
            return [Reply(load_safety_screen().after["called"])]
        return await _called(ctx)
    if payload == "keep":
        if not ctx.in_flow(FLOW) or not conv or not conv.data.get("keep"):
            return expired()
        keep = conv.data["keep"]
        await _restore(ctx)
        if keep.startswith("/"):
            return await ctx.engine.route_text(ctx, keep)
        return await ctx.engine.route_text(ctx, "/log " + keep)
    if payload == "note":
        if not ctx.in_flow(FLOW, "flagged") or not conv:
            return expired("/note")
        text = conv.data.get("text", "")
        await ctx.end_flow()
        return await ctx.engine.route_text(ctx, "/note " + text)
    if payload == "triage":
        prefill = dict(conv.data.get("prefill") or {}) if conv and conv.flow == FLOW else {}
        if conv is not None and conv.flow == FLOW:
            await ctx.end_flow()
        if prefill:
            await _remember_prefill(ctx, prefill)
        return await ctx.engine.route_text(ctx, "/triage")
    return expired()


# ---- what is kept ---------------------------------------------------------------------------------------
async def _record(ctx: Context, category: str, rule: str) -> int | None:
    """Keep the hit (category and rule, never the text). An emergency answer never waits on this."""
    now = to_ts(ctx.now)
    user_id = ctx.user.id

    def insert(conn: sqlite3.Connection) -> int:
        cur = conn.execute(
            "INSERT INTO safety_events(user_id, at, category, rule, entry_id) VALUES (?, ?, ?, ?, NULL)",
            (user_id, now, category, rule),
        )
        return int(cur.lastrowid or 0)

    try:
        return await ctx.store.write(insert)
    except StoreError:
        log.warning("could not record a safety-screen hit")
        return None
    except sqlite3.Error:
        log.warning("could not record a safety-screen hit")
        log.debug("safety record failure", exc_info=True)
        return None


async def _link_entry(ctx: Context, event_id: int | None, before_id: int) -> None:
    """After a /note or /log with a red flag was saved, point the hit at its entry."""
    if event_id is None:
        return
    entry = await ctx.store.last_added_entry(ctx.user.id)
    if entry is None or entry.id <= before_id:
        return
    await ctx.store.execute("UPDATE safety_events SET entry_id = ? WHERE id = ?", (entry.id, event_id))


async def export_safety(store: Store, user: User) -> list[dict[str, Any]]:
    rows = await store.fetchall(
        "SELECT id, at, category, rule, entry_id FROM safety_events WHERE user_id = ? ORDER BY at, id", (user.id,)
    )
    rules = load_safety_screen()
    out = []
    for r in rows:
        rule = rules.by_id.get(r["rule"])
        out.append(
            {
                "id": r["id"],
                "at": from_ts(r["at"]).astimezone(user.tz).isoformat(),
                "category": r["category"],
                "rule": r["rule"],
                "what": rule.what if rule else "",
                "source": rule.source if rule else "",
                "entry_id": r["entry_id"],
            }
        )
    return out


async def safety_events(store: Store, user_id: int) -> list[sqlite3.Row]:
    """For summaries and the report: every hit, oldest first."""
    return await store.fetchall(
        "SELECT at, category, rule, entry_id FROM safety_events WHERE user_id = ? ORDER BY at, id", (user_id,)
    )


SCREEN = screen
FLOWS = {FLOW: after_text}
CHOICES = {"safety": on_choice}
EXPORT = {"safety": export_safety}
PRIVACY = [
    "When something you write sounds like an emergency, a crisis or a warning sign, I keep the time and the "
    "kind of warning (never your words), so your export and your doctor's report can show it."
]
