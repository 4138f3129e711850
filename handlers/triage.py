"""/triage: the safety screen, the questionnaire from rules/triage.toml, and the result."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.messages import Choice, Reply
from bot.store import Store, User, from_ts, to_ts
from handlers.base import Command, Context, expired
from handlers.triage_evidence import journal_evidence, on_entry_saved
from handlers.triage_faq import FREE_TEXT as FAQ_FREE_TEXT
from rules.triage import Question, TriageResult, evaluate, load_triage_rules

FLOW = "triage"
CANCEL = Choice("triage:cancel", "Stop here")
SELF_CARE_PLAN = (
    "A short self-care plan for the next 3-4 weeks (SC-6):\n"
    "- Caffeine: note your daily cups and cut down gradually over 7-10 days (SC-1).\n"
    "- Water: at least 2 litres a day; bananas, spinach, nuts, seeds and dairy for minerals (SC-2).\n"
    "- Sleep: 7-9 hours, a steady bedtime, screens away before bed (SC-3).\n"
    "- Stress: about 10 minutes a day of slow breathing, mindfulness or yoga (SC-4).\n"
    "- Journal: where, how long, when and possible triggers; it shows patterns (SC-5).\n"
    "If nothing changes in 3-4 weeks, or it gets worse, get a professional opinion (SC-6)."
)


# ---- asking ---------------------------------------------------------------------------------
def _next_question(answers: dict[str, str]) -> Question | None:
    rules = load_triage_rules()
    for q in rules.questions:
        if q.id not in answers and rules.should_ask(q, answers):
            return q
    return None


def _ask(q: Question, lead: str = "") -> Reply:
    opts = tuple(Choice(f"triage:a:{q.id}:{a}", label) for a, label in q.options)
    return Reply(
        (lead + "\n\n" if lead else "") + q.text,
        opts + (Choice(f"triage:x:{q.id}", "What does this mean?"), CANCEL),
    )


async def _continue(ctx: Context, answers: dict[str, str], lead: str = "") -> list[Reply]:
    q = _next_question(answers)
    if q is None:
        return await _finish(ctx, answers)
    await ctx.set_flow(FLOW, f"q:{q.id}", {"answers": answers})
    return [_ask(q, lead)]


async def start(ctx: Context) -> list[Reply]:
    """Answer a few questions to learn how soon to see a doctor, and why (/triage history lists results)"""
    if ctx.args.strip().lower() == "history":
        return await history(ctx)
    if ctx.args.strip():
        return [Reply("Send /triage to start the questionnaire, or /triage history for your past results.")]
    return await _begin(ctx)


async def _begin(ctx: Context) -> list[Reply]:
    lead = (
        'A few questions, about 2 minutes. Answer with the buttons; "What does this mean?" explains each '
        "question. This is not a diagnosis (GS-2)."
    )
    return await _continue(ctx, {}, lead)


async def _after_emergency_screen(ctx: Context, answers: dict[str, str]) -> list[Reply]:
    ev = await journal_evidence(ctx.store, ctx.user.id, ctx.now, ctx.tz)
    if not ev.lines:
        return await _continue(ctx, answers)
    await ctx.set_flow(FLOW, "evidence", {"answers": answers, "prefill": ev.prefill})
    return [
        Reply(
            "Before I ask, your journal already shows that " + "; and ".join(ev.lines) + ". Is that right?",
            (Choice("triage:ev:yes", "Yes, that's right"), Choice("triage:ev:no", "No, I'll answer myself"), CANCEL),
        )
    ]


async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    parts = payload.split(":")
    if parts[0] == "start":
        return await _begin(ctx)
    if parts[0] == "remind":
        return await _remind_in_a_week(ctx)
    if parts[0] == "report":
        from handlers.summary import report

        ctx.args = ""
        return await report(ctx)
    conv = ctx.conversation
    if conv is None or conv.flow != FLOW:
        return expired("/triage")
    answers = dict(conv.data.get("answers", {}))
    if parts[0] == "cancel":
        await ctx.end_flow()
        return [Reply("Stopped; nothing was saved. /triage starts again whenever you like.")]
    if parts[0] == "ev" and conv.step == "evidence" and len(parts) == 2:
        if parts[1] == "yes":
            answers.update(conv.data.get("prefill", {}))
        return await _continue(ctx, answers)
    if len(parts) >= 2 and conv.step == f"q:{parts[1]}":
        q = load_triage_rules().question(parts[1])
        if parts[0] == "x":
            return [_ask(q, q.explain)]
        if parts[0] == "a" and len(parts) == 3 and parts[2] in dict(q.options):
            return await _answer(ctx, answers, q, parts[2])
    return expired("/triage")


async def _answer(ctx: Context, answers: dict[str, str], q: Question, answer: str) -> list[Reply]:
    answers[q.id] = answer
    if q.id == "emergency":
        if answer in ("yes", "unsure"):  # GS-1: no more questions first
            return await _finish(ctx, answers)
        return await _after_emergency_screen(ctx, answers)
    return await _continue(ctx, answers)


TYPED = {
    "yes": "yes",
    "y": "yes",
    "yeah": "yes",
    "no": "no",
    "n": "no",
    "nope": "no",
    "not sure": "unsure",
    "unsure": "unsure",
    "don't know": "unsure",
    "dont know": "unsure",
    "maybe": "unsure",
    "?": "unsure",
}


async def on_text(ctx: Context) -> list[Reply] | None:
    """Typed answers work too: yes / no / not sure, or an option's words."""
    conv = ctx.conversation
    text = ctx.args.strip().lower().rstrip(".!")
    if conv.step == "evidence":
        if text in ("yes", "y", "right", "correct"):
            return await on_choice(ctx, "ev:yes")
        if text in ("no", "n"):
            return await on_choice(ctx, "ev:no")
        return [
            Reply(
                "Please press one of the buttons, or answer yes or no.",
                (Choice("triage:ev:yes", "Yes, that's right"), Choice("triage:ev:no", "No, I'll answer myself")),
            )
        ]
    q = load_triage_rules().question(conv.step.removeprefix("q:"))
    answers = dict(conv.data.get("answers", {}))
    options = {label.lower(): a for a, label in q.options}
    answer = options.get(text) or (TYPED.get(text) if q.kind == "yes_no" else None)
    if answer is None:
        if text in ("what does this mean", "explain", "help", "?"):
            return [_ask(q, q.explain)]
        labels = ", ".join(f'"{label}"' for _, label in q.options)
        return [
            _ask(
                q, f"I didn't catch that. Please press a button or answer with {labels}. Your earlier answers are kept."
            )
        ]
    return await _answer(ctx, answers, q, answer)


# ---- the result -------------------------------------------------------------------------------
def result_text(r: TriageResult) -> str:
    lines = [f"Result: {r.words}.", f"What to do: {r.action}", "Why:"]
    lines += [f"- {reason.text} ({reason.source})" for reason in r.reasons]
    if r.unsure:
        lines.append(f"You weren't sure about: {', '.join(r.unsure)}. A doctor can check these with you.")
    lines.append(r.disclaimer)
    return "\n".join(lines)


def next_steps(level: str) -> list[Reply]:
    if level == "emergency":
        return []
    if level == "self_care":
        return [Reply(SELF_CARE_PLAN, (Choice("plan:start", "Start the plan with reminders"),))]
    if level == "monitor":
        return [
            Reply(
                "Shall I check in with you in a week to see how it is going?",
                (Choice("triage:remind", "Remind me in a week"), Choice("triage:start", "Not now")),
            )
        ]
    return [
        Reply(
            "For your appointment: /export gives you your whole journal now, and /report makes a PDF "
            "a doctor can read in two minutes.",
            (Choice("triage:report", "Make the report"),),
        )
    ]


async def _finish(ctx: Context, answers: dict[str, str]) -> list[Reply]:
    r = evaluate(answers)
    values = (
        ctx.user.id,
        to_ts(ctx.now),
        r.level,
        json.dumps([{"source": x.source, "text": x.text} for x in r.reasons]),
        json.dumps(answers),
        json.dumps(list(r.unsure)),
        r.rules_version,
    )
    clear = ctx.store.conversation_writer(ctx.user.id, None)

    def save(conn) -> None:
        conn.execute(
            "INSERT INTO triage_results(user_id, at, level, reasons, answers, unsure, rules_version) "
            "VALUES (?,?,?,?,?,?,?)",
            values,
        )
        clear(conn)

    await ctx.store.write(save)
    ctx.store.remember_conversation(ctx.user.id, None)
    ctx.conversation = None
    return [Reply(result_text(r)), *next_steps(r.level)]


async def _remind_in_a_week(ctx: Context) -> list[Reply]:
    due = to_ts(ctx.now + timedelta(days=7))
    local = ctx.local_now()
    minute = local.hour * 60 + local.minute
    await ctx.store.write(
        lambda conn: conn.execute(
            "INSERT INTO reminders(user_id, kind, slot, minute, enabled, once, next_due) "
            "VALUES (?, 'triage', 0, ?, 1, 1, ?)",
            (ctx.user.id, minute, due),
        )
    )
    when = (ctx.now + timedelta(days=7)).astimezone(ctx.tz)
    return [
        Reply(
            f"I'll check in on {when:%A} {when.day} {when:%b} around {when:%H:%M}. "
            "Keep logging in the meantime; that makes the check-in more useful (SC-5)."
        )
    ]


async def history(ctx: Context) -> list[Reply]:
    rows = await ctx.store.fetchall(
        "SELECT at, level, reasons FROM triage_results WHERE user_id = ? ORDER BY at DESC LIMIT 10", (ctx.user.id,)
    )
    if not rows:
        return [Reply("No triage results yet. /triage takes about 2 minutes.")]
    rules = load_triage_rules()
    lines = ["Your triage results, newest first:"]
    for at, level, reasons in rows:
        when = from_ts(at).astimezone(ctx.tz)
        sources = ", ".join(dict.fromkeys(r["source"] for r in json.loads(reasons)))
        lines.append(f"- {when:%a} {when.day} {when:%b %Y}: {rules.levels[level].words} ({sources})")
    return [Reply("\n".join(lines))]


async def export_section(store: Store, user: User) -> list[dict]:
    rows = await store.fetchall(
        "SELECT at, level, reasons, answers, unsure, rules_version FROM triage_results WHERE user_id = ? ORDER BY at",
        (user.id,),
    )
    return [
        {
            "at": from_ts(r[0]).astimezone(user.tz).isoformat(),
            "level": r[1],
            "reasons": json.loads(r[2]),
            "answers": json.loads(r[3]),
            "unsure": json.loads(r[4]),
            "rules_version": r[5],
        }
        for r in rows
    ]


COMMANDS = [Command("triage", start, usage="/triage [history]")]
FLOWS = {FLOW: on_text}
CHOICES = {"triage": on_choice}
EVENTS = {"entry_saved": on_entry_saved}
EXPORT = {"triage": export_section}
FREE_TEXT = FAQ_FREE_TEXT
PRIVACY = ["your triage answers and results (level, reasons, the rules' version), so you can look back"]
