"""/triage: the safety check, who it is about, the journal as evidence (confirmed item by item),
the questionnaire from rules/triage.toml answered by button or in everyday words, the result."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from bot.choice_ids import (
    ChoiceId,
    Triage,
    TriageAnswer,
    TriageEvidence,
    TriageExplain,
    TriageLog,
    TriageReask,
    TriageSources,
)
from bot.handler_api import Command, Context, expired
from bot.messages import Choice, Reply
from handlers.format import twitch_summary
from handlers.triage_evidence import Item, journal_evidence, on_entry_saved
from handlers.triage_faq import FREE_TEXT as FAQ_FREE_TEXT
from handlers.triage_result import export_section, finish, history, next_steps, result_text, sources_replies
from rules.triage import Question, evaluate, load_triage_rules
from rules.triage_typed import normalise, read_answer, wants_explanation, yes_no

FLOW = "triage"
NOT_NOW = Triage("cancel").button("Not now")
EXPLAIN = "What does this mean?"
EVIDENCE_FOR = ("duration", "spread")  # the journal is shown before the first of these is asked
STOP_AT = "immediate"  # from this level up no answer can change what to do: the result comes at once
SAID = {"yes": "yes", "no": "no", "unsure": "not sure"}
RE_ASK_WORDS = {"duration": ("how long", "long", "time", "started"), "selfcare": ("self-care", "self care")}

__all__ = ["next_steps", "result_text"]  # kept importable from here for older callers


# ---- asking ---------------------------------------------------------------------------------
def _next_question(answers: dict[str, str]) -> Question | None:
    rules = load_triage_rules()
    for q in rules.questions:
        if q.id not in answers and rules.should_ask(q, answers):
            return q
    return None


def _ask(q: Question, lead: str = "") -> Reply:
    opts = tuple(TriageAnswer(q.id, a).button(label) for a, label in q.options)
    return Reply((lead + "\n\n" if lead else "") + q.text, opts + (TriageExplain(q.id).button(EXPLAIN), NOT_NOW))


def _ask_item(data: dict[str, Any], lead: str = "") -> Reply:
    i = data["ev_i"]
    items = data["evidence"]
    item = items[i]
    text = f"From your journal ({i + 1} of {len(items)}): {item['text']}. Is that right?"
    return Reply(
        (lead + "\n\n" if lead else "") + text,
        (
            TriageEvidence(i, "yes").button("Yes, that's right"),
            TriageEvidence(i, "no").button("No"),
            TriageEvidence(i, "unsure").button("Not sure"),
            NOT_NOW,
        ),
    )


def _ask_conflict(cid: str, lead: str = "") -> Reply:
    c = next(c for c in load_triage_rules().consistency if c.id == cid)
    return Reply(
        (lead + "\n\n" if lead else "") + c.text,
        tuple(TriageReask(qid).button(label) for qid, label in c.reask) + (NOT_NOW,),
    )


async def _continue(ctx: Context, data: dict[str, Any], lead: str = "") -> list[Reply]:
    rules = load_triage_rules()
    answers = data["answers"]
    level = rules.levels[evaluate(answers).level]
    # GS-1, SF-4, RF-2: act now, no more questions first (but the safety question always comes first,
    # even when what the person already told us is serious)
    if level.rank >= rules.levels[STOP_AT].rank and "emergency" in answers:
        return await finish(ctx, answers, data)
    conflict = rules.conflict(answers)
    if conflict is not None:  # RD-4: ask again instead of combining impossible answers
        await ctx.set_flow(FLOW, f"conflict:{conflict.id}", data)
        return [_ask_conflict(conflict.id, lead)]
    q = _next_question(answers)
    if q is None:
        return await finish(ctx, answers, data)
    if q.id in EVIDENCE_FOR and not data.get("ev_done"):
        data["ev_done"] = True
        ev = await journal_evidence(ctx.store, ctx.user.id, ctx.now, ctx.tz)
        items = [asdict(i) for i in ev.items if i.question not in answers]
        if items:
            data.update(evidence=items, ev_i=0)
            await ctx.set_flow(FLOW, "ev:0", data)
            return [_ask_item(data, lead)]
    await ctx.set_flow(FLOW, f"q:{q.id}", data)
    return [_ask(q, lead)]


async def start(ctx: Context) -> list[Reply]:
    """Answer a few questions to learn how soon to see a doctor, and why (/triage history lists results)"""
    if ctx.args.strip().lower() == "history":
        return await history(ctx)
    if ctx.args.strip():
        return [Reply("Send /triage to start the questionnaire, or /triage history for your past results.")]
    if ctx.in_flow("log"):
        return await _unfinished_log(ctx)
    return await _begin(ctx)


async def _begin(ctx: Context, lead: str = "") -> list[Reply]:
    intro = (
        "A few questions, about 3 minutes. Press a button or type your answer in your own words; "
        '"What does this mean?" explains each question and "Not now" stops. This is not a diagnosis.'
    )
    answers = await _prefilled(ctx)
    if answers:
        rules = load_triage_rules()
        said = "; ".join(
            f"{rules.question(q).short or q}: {rules.question(q).label(a).lower()}" for q, a in answers.items()
        )
        intro += f"\nFrom what you told me I've counted: {said}. I won't ask those again."
    return await _continue(ctx, {"answers": answers}, (lead + "\n" if lead else "") + intro)


PREFILL_FOR = timedelta(hours=1)


async def _prefilled(ctx: Context) -> dict[str, str]:
    """Answers the safety screen read in what the person just wrote ("my hand looks thinner"),
    kept for an hour; the safety question itself is always asked."""
    raw = ctx.hints.get("triage_prefill") or ctx.user.settings.get("triage_prefill") or {}
    at = raw.get("at")
    if at is not None and ctx.now.timestamp() - float(at) > PREFILL_FOR.total_seconds():
        raw = {}
    if ctx.user.settings.get("triage_prefill"):
        await ctx.store.update_settings(ctx.user, triage_prefill=None)
    rules = load_triage_rules()
    known = {q.id: {a for a, _ in q.options} for q in rules.questions}
    return {q: a for q, a in raw.items() if q in known and a in known[q] and q != "emergency"}


# ---- an unfinished /log: save it or drop it on purpose, never silently ---------------------------
async def _unfinished_log(ctx: Context) -> list[Reply]:
    conv = ctx.conversation
    assert conv is not None
    fields = dict(conv.data.get("fields", {}))
    await ctx.set_flow(FLOW, "log", {"log_step": conv.step, "log_data": conv.data})
    if fields.get("region"):
        text = f"You were in the middle of logging a twitch ({_log_summary(fields)}). Save it before the questions?"
        opts: tuple[Choice, ...] = (
            TriageLog("save").button("Save it, then start"),
            TriageLog("drop").button("Discard it, then start"),
        )
    else:
        text = "You were in the middle of logging a twitch, but it has no body area yet, so it can't be saved."
        opts = (TriageLog("drop").button("Discard it, then start"),)
    return [Reply(text, opts + (TriageLog("back").button("Back to my log"),))]


def _log_summary(fields: dict[str, Any]) -> str:
    triggers = fields.get("triggers") or fields.get("picked") or ()
    side, duration, intensity = fields.get("side"), fields.get("duration_s"), fields.get("intensity")
    return twitch_summary(fields["region"], side, duration, triggers, intensity)


async def _log_decision(ctx: Context, what: str) -> list[Reply]:
    conv = ctx.conversation
    assert conv is not None
    log_data = dict(conv.data.get("log_data", {}))
    if what == "back":
        await ctx.set_flow("log", conv.data.get("log_step", "region"), log_data)
        return [Reply("Your log is kept as it was: answer its last question above, then send /triage again.")]
    if what == "save":
        fields = log_data.get("fields", {})
        if not fields.get("region"):
            return expired("/triage")
        occurred = datetime.fromisoformat(fields["occurred_at"]) if fields.get("occurred_at") else ctx.now
        entry = await ctx.store.add_entry(
            ctx.user.id,
            "twitch",
            min(occurred, ctx.now),
            ctx.user.timezone,
            region=fields["region"],
            side=fields.get("side"),
            duration_s=fields.get("duration_s"),
            triggers=fields.get("triggers") or fields.get("picked") or (),
            intensity=fields.get("intensity"),
            text=fields.get("text", ""),
            now=ctx.now,
        )
        return await _begin(ctx, f"Saved #{entry.id}: {_log_summary(fields)}.")
    return await _begin(ctx, "The unfinished log was discarded.")


# ---- answers --------------------------------------------------------------------------------------
async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    cid = ChoiceId.read(f"triage:{payload}")
    action = cid.action if isinstance(cid, Triage) else None
    if action == "start":
        if ctx.in_flow("log"):
            return await _unfinished_log(ctx)
        return await _begin(ctx)
    if action == "remind":
        return await _remind_in_a_week(ctx)
    if action == "done":
        return [Reply("Okay. Keep logging when it twitches; /triage is here whenever you want to answer again.")]
    if isinstance(cid, TriageSources) or payload == "sources":
        return await sources_replies(ctx, cid.result_id if isinstance(cid, TriageSources) else None)
    if action == "report":
        from handlers.summary import report

        ctx.args = ""
        return await report(ctx)
    conv = ctx.conversation
    if conv is None or conv.flow != FLOW:
        return expired("/triage")
    data = dict(conv.data)
    data["answers"] = dict(data.get("answers", {}))
    if action == "cancel":
        if conv.step == "log":
            return await _log_decision(ctx, "back")
        await ctx.end_flow()
        return [Reply("Stopped here; nothing was saved. /triage starts again whenever you like.")]
    if isinstance(cid, TriageLog) and conv.step == "log":
        return await _log_decision(ctx, cid.decision)
    if isinstance(cid, TriageEvidence) and conv.step == f"ev:{cid.index}":
        return await _evidence_answer(ctx, data, cid.said)
    if isinstance(cid, TriageReask) and conv.step.startswith("conflict:"):
        return await _reask(ctx, data, cid.question)
    qid = cid.question if isinstance(cid, TriageAnswer | TriageExplain) else None
    if qid is not None and conv.step == f"q:{qid}" and load_triage_rules().has_question(qid):
        q = load_triage_rules().question(qid)
        if isinstance(cid, TriageExplain):
            return [_ask(q, q.explain)]
        if isinstance(cid, TriageAnswer) and cid.answer in dict(q.options):
            return await _answer(ctx, data, q, cid.answer)
    return expired("/triage")


async def _answer(ctx: Context, data: dict[str, Any], q: Question, answer: str, lead: str = "") -> list[Reply]:
    data["answers"][q.id] = answer
    data.pop("hinted", None)
    if q.id == "who" and answer == "other":
        lead = (lead + " " if lead else "") + "Then please answer the next questions about them."
    return await _continue(ctx, data, lead)


async def _evidence_answer(ctx: Context, data: dict[str, Any], said: str) -> list[Reply]:
    items = data["evidence"]
    i = data["ev_i"]
    item = Item(**items[i])
    data.setdefault("journal", {})[item.question] = {"answer": item.answer, "text": item.text}
    data.setdefault("confirmed", {})[item.label] = said
    if said == "yes":
        data["answers"][item.question] = item.answer
    if i + 1 < len(items):
        data["ev_i"] = i + 1
        await ctx.set_flow(FLOW, f"ev:{i + 1}", data)
        return [_ask_item(data)]
    noted = ", ".join(f"{label}: {SAID[v]}" for label, v in data["confirmed"].items())
    return await _continue(ctx, data, f"Noted from your journal: {noted}.")


async def _reask(ctx: Context, data: dict[str, Any], qid: str) -> list[Reply]:
    rules = load_triage_rules()
    if not rules.has_question(qid):
        return expired("/triage")
    data["answers"].pop(qid, None)
    data.get("typed", {}).pop(qid, None)
    return await _continue(ctx, data, "Let's take that one again.")


async def on_text(ctx: Context) -> list[Reply] | None:
    """Typed answers work at every step: everyday yes / no / not sure, durations, areas by name."""
    conv = ctx.conversation
    assert conv is not None
    text = ctx.args
    step = conv.step
    data = dict(conv.data)
    data["answers"] = dict(data.get("answers", {}))
    if step == "log":
        said = yes_no(text)
        what = {"yes": "save", "no": "drop"}.get(said or "", "")
        if "discard" in normalise(text) or "delete" in normalise(text):
            what = "drop"
        if what and (what == "drop" or conv.data.get("log_data", {}).get("fields", {}).get("region")):
            return await _log_decision(ctx, what)
        return await _unfinished_log_again(ctx)
    if step.startswith("ev:") and data.get("evidence"):
        said = yes_no(text)
        if said is None:
            return [_ask_item(data, _hint(text, '"yes", "no" or "not sure"'))]
        return await _evidence_answer(ctx, data, said)
    if step.startswith("conflict:") and any(c.id == step[9:] for c in load_triage_rules().consistency):
        c = next(c for c in load_triage_rules().consistency if c.id == step[9:])
        t = normalise(text)
        for qid, label in c.reask:
            words = {qid, label.lower(), *RE_ASK_WORDS.get(qid, ())}
            if any(w in t for w in words):
                return await _reask(ctx, data, qid)
        return [_ask_conflict(c.id, _hint(text, f'"{c.reask[0][1].lower()}"'))]
    rules = load_triage_rules()
    if not step.startswith("q:") or not rules.has_question(step[2:]):  # state from an older version
        await ctx.end_flow()
        return [Reply("The questionnaire has changed since you started it; send /triage to start again.")]
    q = rules.question(step[2:])
    answer, extra = read_answer(q, text, ctx.local_now().date())
    if answer is None:
        if wants_explanation(text):
            return [_ask(q, q.explain)]
        return [_ask(q, _hint(text, q.example))]
    if extra:
        data.setdefault("typed", {})[q.id] = extra
    return await _answer(ctx, data, q, answer, f'Noted: "{q.label(answer)}".')


async def _unfinished_log_again(ctx: Context) -> list[Reply]:
    conv = ctx.conversation
    assert conv is not None
    fields = conv.data.get("log_data", {}).get("fields", {})
    opts: tuple[Choice, ...] = (
        TriageLog("drop").button("Discard it, then start"),
        TriageLog("back").button("Back to my log"),
    )
    if fields.get("region"):
        opts = (TriageLog("save").button("Save it, then start"), *opts)
    return [Reply('Please press a button, or answer "yes" to save the unfinished log or "no" to discard it.', opts)]


def _hint(text: str, example: str) -> str:
    shown = text.strip() if len(text.strip()) <= 40 else text.strip()[:37] + "..."
    return (
        f'I didn\'t catch "{shown}" here. You can type, for example, {example}, or press a button. '
        "Your earlier answers are kept."
    )


async def _remind_in_a_week(ctx: Context) -> list[Reply]:
    from handlers.reminder_times import schedule_followup

    when = (await schedule_followup(ctx, "triage", 7)).astimezone(ctx.tz)
    return [
        Reply(
            f"I'll check in on {when:%A} {when.day} {when:%b} at {when:%H:%M}, your evening reminder time. "
            "Keep logging in the meantime; that makes the check-in more useful."
        )
    ]


COMMANDS = [Command("triage", start, usage="/triage [history]")]
FLOWS = {FLOW: on_text}
CHOICES = {"triage": on_choice}
EVENTS = {"entry_saved": on_entry_saved}
EXPORT = {"triage": export_section}
FREE_TEXT = FAQ_FREE_TEXT
PRIVACY = [
    "your triage answers and results (level, reasons, who it was for and the age band, where your answers "
    "and your journal differed, the rules' version), so you can look back"
]
