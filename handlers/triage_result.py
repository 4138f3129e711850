"""The triage result: its text with small numbered references, the next step, and what is kept
(saved row, /triage history, /export section, the facts behind it for /sources)."""

from __future__ import annotations

from typing import Any

from bot.choice_ids import Plan, Triage, TriageSources
from bot.handler_api import Context
from bot.messages import Reply
from bot.store import User
from bot.store.interface import StoreAPI
from handlers.safety import enter_after_emergency
from rules.sources import Numbering, load_facts, references, sources_line
from rules.triage import TriageResult, evaluate, load_triage_rules, matches


def result_text(r: TriageResult, mismatches: list[str] = ()) -> str:
    """The result a person reads: level, action, reasons, notes; facts as [1], [2] and a short list."""
    n = Numbering()
    lines = [f"Result: {r.words}.", f"What to do: {r.action} {n.cite(*r.action_sources)}", "Why:"]
    lines += [f"- {reason.text} {n.cite(*reason.sources)}" for reason in r.reasons]
    lines += [f"{note.text} {n.cite(*note.sources)}" for note in r.notes]
    if r.unsure:
        lines.append(f"You weren't sure about: {', '.join(r.unsure)}. A doctor can check these with you.")
    lines += mismatches
    lines.append(f"{r.disclaimer} {n.cite(*r.disclaimer_sources)}")
    lines.append(sources_line(n.ids) + ' "Sources" (or /sources) shows what they say.')
    return "\n".join(lines)


def plan_text(answers: dict[str, str]) -> str | None:
    """The self-care plan, or None where it must not be given (a child: SF-5)."""
    plan = load_triage_rules().plan
    if plan is None or (plan.skip_when and matches(plan.skip_when, answers)):
        return None
    n = Numbering()
    pregnant = answers.get("pregnant") in ("yes", "unsure")
    lines = [f"{plan.intro} {n.cite(*plan.sources)}"]
    for step in plan.steps:
        text = step.pregnancy if pregnant and step.pregnancy else step.text
        lines.append(f"- {text} {n.cite(*step.sources)}")
    if plan.eyelid_outro and plan.eyelid_when and matches(plan.eyelid_when, answers):
        lines.append(f"{plan.eyelid_outro} {n.cite(*plan.eyelid_outro_sources)}")
    else:
        lines.append(f"{plan.outro} {n.cite(*plan.sources)}")
    lines.append(sources_line(n.ids))
    return "\n".join(lines)


def next_steps(level: str, answers: dict[str, str] | None = None) -> list[Reply]:
    """What to do next, as a reply with buttons; the emergency result has nothing else to add."""
    answers = answers or {}
    if level == "emergency":
        return []
    if level == "self_care" and (plan := plan_text(answers)):
        return [Reply(plan, (Plan("start").button("Start the plan with reminders"),))]
    if level in ("self_care", "monitor"):
        return [
            Reply(
                "Shall I check in with you in a week to see how it is going?",
                (Triage("remind").button("Remind me in a week"), Triage("done").button("Not now")),
            )
        ]
    return [
        Reply(
            "For your appointment: /export gives you your whole journal now, and /report makes a PDF "
            "a doctor can read in two minutes.",
            (Triage("report").button("Make the report"),),
        )
    ]


def compare_with_journal(answers: dict[str, str], journal: dict[str, Any], r: TriageResult) -> list[str]:
    """Name every answer that differs from what the journal showed, and which one was used."""
    rules = load_triage_rules()
    lines = []
    for qid, item in journal.items():
        given = answers.get(qid)
        if given is None or given == item["answer"]:
            continue
        q = rules.question(qid)
        lines.append(
            f"Your journal and your answer differ on {q.short}: the journal shows {item['text']}, "
            f'you answered "{q.label(given)}". This result uses your answer.'
        )
    if lines:
        other = evaluate({**answers, **{q: i["answer"] for q, i in journal.items()}})
        if other.level != r.level:
            lines.append(
                f'Read from your journal instead, the result would be "{other.words}": show the journal to a doctor.'
            )
        else:
            lines.append("Read from your journal instead, the result would be the same.")
    return lines


async def finish(ctx: Context, answers: dict[str, str], data: dict[str, Any]) -> list[Reply]:
    """Evaluate, save and show the result; the questionnaire is over."""
    r = evaluate(answers)
    journal = data.get("journal", {})
    mismatches = compare_with_journal(answers, journal, r)
    details = {
        "for": answers.get("who"),
        "age": answers.get("age"),
        "words": r.words,
        "action": r.action,
        "notes": [{"sources": list(x.sources), "text": x.text} for x in r.notes],
        "sources": list(r.sources),
        "journal": {q: {"answer": i["answer"], "text": i["text"]} for q, i in journal.items()},
        "confirmed": data.get("confirmed", {}),
        "mismatches": mismatches,
        "typed": data.get("typed", {}),
    }
    clear = ctx.store.conversation_writer(ctx.user.id, None)
    result_id = await ctx.store.save_triage_result(
        ctx.user.id,
        ctx.now,
        r.level,
        reasons=[{"source": x.source, "sources": list(x.sources), "text": x.text} for x in r.reasons],
        answers=answers,
        unsure=list(r.unsure),
        rules_version=r.rules_version,
        details=details,
        also=clear,
    )
    ctx.store.remember_conversation(ctx.user.id, None)
    ctx.conversation = None
    sources = TriageSources(result_id).button("Sources")  # this result's, even after newer ones
    if r.level == "emergency":
        # The next messages ("can I drive?", "I'm scared") get answers in line with the instruction.
        number, choices = await enter_after_emergency(ctx)
        text = f"Call {number} now.\n\n" + result_text(r, mismatches)
        return [Reply(text, choices + (sources,))]
    from handlers.reassurance import after_triage

    guarded = await after_triage(ctx, answers, r.level)
    return [Reply(result_text(r, mismatches), (sources,)), *(guarded or next_steps(r.level, answers))]


# ---- what is kept -------------------------------------------------------------------------------
async def result_sources(store: StoreAPI, user_id: int, result_id: int | None = None) -> tuple[str, list[str]] | None:
    """(level, fact ids) of one saved result of this person, or of their latest."""
    found = await store.triage_result(user_id, result_id)
    if found is None:
        return None
    ids = found.details.get("sources") or [s for r in found.reasons for s in r.get("sources", [r["source"]])]
    return found.level, list(dict.fromkeys(ids))


async def sources_replies(ctx: Context, result_id: int | None = None) -> list[Reply]:
    """The facts behind a triage result (the latest by default), numbered as in the result, in full."""
    latest = await result_sources(ctx.store, ctx.user.id, result_id)
    if latest is None:
        facts = load_facts()
        return [
            Reply(
                "No triage result yet, so here is what Flicker's advice rests on: the article on muscle "
                f"twitches ({sum(1 for f in facts.values() if 'article' in f.origin)} facts) and public "
                "health pages for emergencies, pregnancy and children. /triage shows which ones apply to you, "
                "with the sources of each reason."
            )
        ]
    level, ids = latest
    words = load_triage_rules().levels[level].words if level in load_triage_rules().levels else level
    which = "your latest triage result" if result_id is None else "this triage result"
    return [Reply(f'The facts behind {which} ("{words}"):\n' + "\n".join(references(ids, full=True)))]


async def history(ctx: Context) -> list[Reply]:
    rows = await ctx.store.triage_results(ctx.user.id, newest_first=True, limit=10)
    if not rows:
        return [Reply("No triage results yet. /triage takes about 3 minutes.")]
    rules = load_triage_rules()
    lines = ["Your triage results, newest first:"]
    for result in rows:
        when, level = result.at.astimezone(ctx.tz), result.level
        why = [r["text"] for r in result.reasons][:2]
        words = rules.levels[level].words if level in rules.levels else level
        lines.append(f"- {when:%a} {when.day} {when:%b %Y}: {words}. " + " ".join(why))
    lines.append("/sources shows the facts behind the latest one.")
    return [Reply("\n".join(lines))]


async def export_section(store: StoreAPI, user: User) -> list[dict]:
    rows = await store.triage_results(user.id)
    rules = load_triage_rules()
    facts = load_facts()
    out = []
    for r in rows:
        details = r.details
        ids = details.get("sources") or []
        out.append(
            {
                "at": r.at.astimezone(user.tz).isoformat(),
                "level": r.level,
                "words": details.get("words") or (rules.levels[r.level].words if r.level in rules.levels else r.level),
                "action": details.get("action", ""),
                "reasons": r.reasons,
                "notes": details.get("notes", []),
                "answers": r.answers,
                "unsure": r.unsure,
                "for": details.get("for"),
                "age": details.get("age"),
                "journal": details.get("journal", {}),
                "mismatches": details.get("mismatches", []),
                "sources": [
                    {"id": i, "title": facts[i].title, "text": facts[i].text, "origin": facts[i].origin}
                    for i in ids
                    if i in facts
                ],
                "rules_version": r.rules_version,
            }
        )
    return out
