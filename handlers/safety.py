"""The safety screen's answers: emergencies, crises, red flags and pregnancy signs, wherever they
are typed, and the conversation right after an emergency.

The engine runs `rules.safety` on every typed message before any flow or parser and hands the
result to `screen()` here (registered as SCREEN). Texts and phrases live in rules/safety.toml.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from bot.choice_ids import Safety
from bot.handler_api import Context, ScreenOutcome, expired
from bot.messages import Choice, Reply
from bot.safety_replies import compose, crisis_lines
from bot.store import StoreError, User, to_ts
from bot.store.interface import StoreAPI
from bot.store.records import SafetyEvent
from rules.safety import Finding, ScreenResult, load_safety_screen

log = logging.getLogger(__name__)

FLOW = "safety"
# Hits recorded by other flows, not by a rule of rules/safety.toml: what they were, and the fact.
OTHER_RULES = {"triage_answer": ("an emergency sign answered in /triage", "GS-1")}
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

    if finding.category.startswith("check_"):
        # The rules found nothing, but the words look like a crisis or an emergency: ask, gently.
        if conv is not None and conv.flow in ANSWERED_BY_FLOW and not is_command:
            return None
        await _record(ctx, finding.category, finding.rule)
        await ctx.set_flow(FLOW, "check", {"kind": finding.kind, "text": text[:2000], "stash": _stash(conv)})
        yes = rules.replies["check_emergency_yes" if finding.kind == "emergency" else "check_yes"]
        buttons = (Safety("yes").button(yes), Safety("no").button(rules.replies["check_no"]))
        return ScreenOutcome([*replies[:-1], _with_choices(replies[-1], buttons)], route=False)

    if finding.interrupts:
        event_id = await _record(ctx, finding.category, finding.rule)
        if finding.category == "crisis":
            try:
                await ctx.set_flow(FLOW, "after", {"kind": "crisis", "keep": "", "stash": _stash(conv)})
            except StoreError:
                log.warning("could not keep the after-crisis state")
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
            replies[-1] = _with_choices(replies[-1], _after_buttons(finding.kind))
        return ScreenOutcome(replies, route=False, interrupts=True)

    if finding.category == "pregnancy" and not (conv is not None and conv.flow in ANSWERED_BY_FLOW and not is_command):
        # SF-4: contact the midwife now; the next messages ("should I sleep it off?") stay with that.
        await _record(ctx, finding.category, finding.rule)
        keep = _keepable(text, finding.twitch)
        await ctx.set_flow(FLOW, "after", {"kind": "pregnancy", "passed": False, "keep": keep, "stash": _stash(conv)})
        replies[-1] = _with_choices(replies[-1], _after_buttons("pregnancy"))
        return ScreenOutcome(replies, route=False)

    # Not an emergency: a doctor should look at it, and how soon.
    if conv is not None and conv.flow in ANSWERED_BY_FLOW and not is_command:
        return await _inside_questionnaire(ctx, conv, finding)
    event_id = await _record(ctx, finding.category, finding.rule)
    choices: list[Choice] = []
    if finding.category == "red_flag":
        replies.append(Reply(rules.replies["red_flag_triage"]))
        choices.append(Safety("triage").button(rules.after["button_triage"]))
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
        choices.append(Safety("note").button(rules.after["button_note"]))
        await ctx.set_flow(FLOW, "flagged", {"text": text[:1000], "event": event_id, "prefill": finding.triage})
    else:
        await _remember_prefill(ctx, finding.triage)
    replies[-1] = _with_choices(replies[-1], tuple(choices))
    return ScreenOutcome(replies, route=False)


async def _inside_questionnaire(ctx: Context, conv: Any, finding: Finding) -> ScreenOutcome | None:
    """A warning sign typed at a /triage question it doesn't answer ("yes it feels weaker when I climb
    stairs" at the pregnancy question): count it for the question it does answer, say so, and ask the
    open question again, instead of reading the "yes" as the answer to the wrong question."""
    qid = conv.step[2:] if conv.step.startswith("q:") else None
    if finding.category != "red_flag" or not finding.triage or qid is None or qid in finding.triage:
        return None  # the questionnaire reads it as the answer it is
    data = dict(conv.data)
    answers = dict(data.get("answers", {}))
    for question, answer in finding.triage.items():
        answers.setdefault(question, answer)
    data["answers"] = answers
    await ctx.set_flow(conv.flow, conv.step, data)
    await _record(ctx, finding.category, finding.rule)
    text = (
        f"{finding.what[:1].upper()}{finding.what[1:]} is important: I've counted it in the questionnaire. "
        "Now the question above, please: press an answer or type it."
    )
    return ScreenOutcome([Reply(text)], route=False)


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
async def enter_after_emergency(ctx: Context, kind: str = "stroke") -> tuple[str, tuple[Choice, ...]]:
    """Another flow (the /triage safety question) gave the emergency instruction: the next messages
    get answers consistent with it too. Returns the person's emergency number and the choices to
    show under that instruction."""
    rules = load_safety_screen()
    await _record(ctx, "emergency", "triage_answer")
    await ctx.set_flow(FLOW, "after", {"kind": kind, "passed": False, "keep": "", "stash": None, "event": None})
    number = rules.emergency_number(ctx.user.timezone) or "your local emergency number"
    return number, _after_buttons(kind)


async def after_text(ctx: Context) -> list[Reply] | None:
    """Messages right after an emergency answer: consistent with the instruction, never the log hint."""
    conv = ctx.conversation
    assert conv is not None
    if conv.step == "flagged":  # a red flag's offer stands only for the next press; text goes on as usual
        await ctx.end_flow()
        return None
    if conv.step == "check":  # a typed answer to the gentle question
        answer = _yes_no(ctx.args)
        if answer is not None:
            return await _check_answer(ctx, answer)
        await _restore(ctx)
        return None
    rules = load_safety_screen()
    minutes = int(rules.after.get("minutes", 60))
    if ctx.now - conv.updated_at > timedelta(minutes=minutes):
        await _restore(ctx)
        return None
    number = rules.emergency_number(ctx.user.timezone) or "your local emergency number"
    norm = rules.normalise(ctx.args)
    kind = conv.data.get("kind", "stroke")
    if kind == "crisis":  # stay near: feelings get the lines again; anything else goes on as usual
        pattern = rules.after_patterns.get("crisis_scared")
        if pattern is not None and pattern.search(norm):
            lines = crisis_lines(rules, ctx.user.timezone)
            return [Reply(rules.after["crisis_scared"].format(number=number, lines=lines))]
        return None
    if kind == "pregnancy":
        for key in ("pregnancy_unreachable", "pregnancy_medicine"):
            pattern = rules.after_patterns.get(key)
            if pattern is not None and pattern.search(norm):
                return [Reply(rules.after[key].format(number=number), _after_buttons(kind))]
    buttons = _after_buttons(kind)
    for key in rules.after.get("order", ()):
        pattern = rules.after_patterns.get(key)
        if pattern is None or not pattern.search(norm):
            continue
        if key == "called":
            return await _called(ctx)
        if key == "false_alarm":
            if HEDGE.search(norm):  # "it's probably a false alarm, right?" is a question, not an all-clear
                return [Reply(rules.after["false_alarm_unsure"].format(number=number), buttons)]
            await _restore(ctx)
            return [Reply(rules.after["false_alarm"].format(number=number))]
        if kind == "pregnancy":
            break
        text_key = "better_breathing" if key == "better" and kind == "breathing" else key
        return [Reply(rules.after[text_key].format(number=number), buttons)]
    other = "pregnancy_other" if kind == "pregnancy" else "other"
    return [Reply(rules.after[other].format(number=number), buttons)]


def _after_buttons(kind: str) -> tuple[Choice, ...]:
    after = load_safety_screen().after
    first = after["button_contacted"] if kind == "pregnancy" else after["button_called"]
    return (Safety("called").button(first), Safety("false").button(after["button_false_alarm"]))


async def _called(ctx: Context) -> list[Reply]:
    rules = load_safety_screen()
    conv = ctx.conversation
    keep = conv.data.get("keep", "") if conv is not None else ""
    choices: tuple[Choice, ...] = ()
    if keep:
        await ctx.set_flow(FLOW, "kept", {"keep": keep, "stash": conv.data.get("stash") if conv else None})
        label = rules.after["button_log"] if not keep.lower().startswith("/note") else "Save my note"
        choices = (Safety("keep").button(label),)
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
    if payload == "false":
        if ctx.in_flow(FLOW):
            await _restore(ctx)
        number = load_safety_screen().emergency_number(ctx.user.timezone) or "your local emergency number"
        return [Reply(load_safety_screen().after["false_alarm"].format(number=number))]
    if payload in ("yes", "no"):
        if not ctx.in_flow(FLOW, "check"):
            return expired()
        return await _check_answer(ctx, payload == "yes")
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


HEDGE = re.compile(r"\?|\b(probably|maybe|right|might|could|think|guess|hope|surely|is it|isnt it|is not it)\b")
_YES = re.compile(r"^\s*(yes|yeah|yep|yup|y|i am|i do|it is|he is|she is|maybe|kind of|sort of|a bit)\b", re.I)
_NO = re.compile(r"^\s*(no|nope|nah|n|not really|i am (ok|okay|fine)|i'm (ok|okay|fine)|im (ok|okay|fine))\b", re.I)


def _yes_no(text: str) -> bool | None:
    if _NO.search(text):
        return False
    if _YES.search(text):
        return True
    return None


async def _check_answer(ctx: Context, yes: bool) -> list[Reply]:
    """The answer to the gentle question: yes gets the full answer; no lets the message go on."""
    rules = load_safety_screen()
    conv = ctx.conversation
    assert conv is not None
    kind = conv.data.get("kind", "crisis")
    text = conv.data.get("text", "")
    if yes:
        category = "crisis" if kind == "crisis" else "emergency"
        finding = Finding(
            category,
            "second_opinion",
            "crisis" if kind == "crisis" else "stroke",
            "what you describe",
            "SF-3" if kind == "crisis" else "SF-1",
        )
        await _record(ctx, category, "second_opinion")
        replies = compose(rules, finding, timezone=ctx.user.timezone, language="en", private=ctx.incoming.private)
        if category == "emergency":
            await ctx.set_flow(
                FLOW,
                "after",
                {"kind": "stroke", "passed": False, "keep": "", "stash": conv.data.get("stash"), "event": None},
            )
            replies[-1] = _with_choices(replies[-1], _after_buttons("stroke"))
        else:
            await _restore(ctx)
        return replies
    await _restore(ctx)
    out = [Reply(rules.replies["check_no_reply"])]
    if text:  # nothing the person wrote is lost: it is handled as if the question hadn't come
        out += await ctx.engine.route_text(ctx, text)
    return out


# ---- what is kept ---------------------------------------------------------------------------------------
async def _record(ctx: Context, category: str, rule: str) -> int | None:
    """Keep the hit (category and rule, never the text). An emergency answer never waits on this."""
    try:
        return await ctx.store.record_safety_event(ctx.user.id, ctx.now, category, rule)
    except StoreError:
        log.warning("could not record a safety-screen hit")
        return None
    except Exception:  # the database driver's own error, whichever backend
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
    await ctx.store.link_safety_event(ctx.user.id, event_id, entry.id)


async def export_safety(store: StoreAPI, user: User) -> list[dict[str, Any]]:
    rows = await store.safety_events(user.id)
    rules = load_safety_screen()
    out = []
    for r in rows:
        rule = rules.by_id.get(r.rule)
        out.append(
            {
                "id": r.id,
                "at": r.at.astimezone(user.tz).isoformat(),
                "category": r.category,
                "rule": r.rule,
                "what": rule.what if rule else OTHER_RULES.get(r.rule, ("", ""))[0],
                "source": rule.source if rule else OTHER_RULES.get(r.rule, ("", ""))[1],
                "entry_id": r.entry_id,
            }
        )
    return out


async def safety_events(store: StoreAPI, user_id: int) -> list[SafetyEvent]:
    """For summaries and the report: every hit, oldest first."""
    return await store.safety_events(user_id)


SCREEN = screen
FLOWS = {FLOW: after_text}
FLOW_TTL = {FLOW: timedelta(hours=1)}  # an emergency's follow-ups, a gentle question, a kept note
CHOICES = {"safety": on_choice}
EXPORT = {"safety": export_safety}
PRIVACY = [
    "When something you write sounds like an emergency, a crisis or a warning sign, I keep the time and the "
    "kind of warning (never your words), so your export and your doctor's report can show it."
]
