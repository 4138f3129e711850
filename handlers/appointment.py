"""/appointment: three short questions before seeing a doctor, and the report's first page.

The person's main worry, what changed, and their questions for the doctor, in their words;
with them, the journal's facts a clinician asks first: when it was first noticed, where and
how it changed, which red flags were asked about and stayed absent, triage results, and what
was tried in the self-care plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.choice_ids import Appointment, AppointmentSkip, ChoiceId
from bot.handler_api import Command, Context, expired
from bot.insights.absent import absent_answers, absent_lines, times_words
from bot.insights.days import journal_began
from bot.insights.words import plural
from bot.messages import Reply
from bot.store import User
from bot.store.interface import StoreAPI
from rules.texts import texts
from rules.triage import load_triage_rules
from rules.vocabulary import load_vocabulary

FLOW = "appt"
LIMIT = 600
STEPS = (
    ("worry", 'What worries you most, in a sentence or two? (e.g. "that the calf twitching could be ALS")'),
    ("changed", 'What has changed since it started, if anything? (e.g. "moved from calf to thigh", "nothing")'),
    ("questions", "What would you like to ask the doctor? One or more questions in one message."),
)
SKIP = "Skip this one"
# triage answers that are red-flag findings, with how the page names them
ASKED = (
    ("weakness", "weakness"),
    ("wasting", "visible loss of muscle bulk"),
    ("bulbar", "speech or swallowing changes"),
    ("sensory", "numbness, tingling or clumsiness"),
)


@dataclass
class AppointmentPage:
    worry: str
    changed: str
    questions: str
    facts: list[tuple[str, list[str]]] = field(default_factory=list)  # (heading, lines)


def _ask(step: int, lead: str = "") -> Reply:
    key, text = STEPS[step]
    return Reply(
        (lead + "\n" if lead else "") + f"{step + 1} of 3. {text}",
        (AppointmentSkip(key).button(SKIP), Appointment("cancel").button("Cancel")),
    )


async def appointment(ctx: Context) -> list[Reply]:
    """Prepare for a doctor's appointment: three questions, then a first page for /report"""
    arg = ctx.args.strip().lower()
    notes = await _notes(ctx.store, ctx.user)
    if arg in ("clear", "delete"):
        await ctx.store.delete_appointment_notes(ctx.user.id)
        return [Reply("Your appointment notes are deleted; the report no longer has a first page for them.")]
    if notes is not None and arg != "new":
        return [
            Reply(
                "Your notes for the appointment:\n" + _notes_text(notes) + "\n/report puts them on its first page.",
                (
                    Appointment("report").button("Make the report"),
                    Appointment("new").button("Answer again"),
                    Appointment("clear").button("Delete them"),
                ),
            )
        ]
    await ctx.set_flow(FLOW, "0", {})
    lead = (
        "Three short questions for your appointment. Your answers go on the first page of /report, with "
        "what your journal shows; type each answer in one message."
    )
    return [_ask(0, lead)]


def _notes_text(notes: dict[str, str]) -> str:
    labels = {"worry": "Main worry", "changed": "What changed", "questions": "Questions for the doctor"}
    return "\n".join(f"- {labels[k]}: {notes.get(k) or '(skipped)'}" for k, _ in STEPS)


async def _notes(store: StoreAPI, user: User) -> dict[str, str] | None:
    row = await store.appointment_notes(user.id)
    return None if row is None else {"worry": row.worry, "changed": row.changed, "questions": row.questions}


async def _answer(ctx: Context, text: str) -> list[Reply]:
    step = int(ctx.conversation.step)
    data = dict(ctx.conversation.data)
    data[STEPS[step][0]] = text
    if step + 1 < len(STEPS):
        await ctx.set_flow(FLOW, str(step + 1), data)
        return [_ask(step + 1, "Noted." if text else "Skipped.")]
    keep = ctx.store.appointment_notes_writer(
        ctx.user.id, data.get("worry", ""), data.get("changed", ""), data.get("questions", ""), ctx.now
    )
    clear = ctx.store.conversation_writer(ctx.user.id, None)

    def save(conn) -> None:
        keep(conn)
        clear(conn)

    await ctx.store.write(save)
    ctx.store.remember_conversation(ctx.user.id, None)
    ctx.conversation = None
    return [
        Reply(
            "Saved. Your notes:\n"
            + _notes_text(data)
            + "\n/report now starts with a one-page summary for the doctor: your words, and what the journal shows.",
            (Appointment("report").button("Make the report"),),
        )
    ]


async def on_text(ctx: Context) -> list[Reply] | None:
    text = ctx.args.strip()
    if len(text) > LIMIT:
        step = int(ctx.conversation.step)
        return [_ask(step, f"That's {len(text)} characters; please keep it under {LIMIT}. Nothing is lost so far.")]
    return await _answer(ctx, text)


async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    cid = ChoiceId.read(f"appt:{payload}")
    action = cid.action if isinstance(cid, Appointment) else None
    if action == "report":
        from handlers.summary import report

        ctx.args = ""
        return await report(ctx)
    if action in ("new", "clear"):
        ctx.args = action
        return await appointment(ctx)
    if not ctx.in_flow(FLOW):
        return expired("/appointment")
    if action == "cancel":
        await ctx.end_flow()
        return [Reply("Stopped; nothing new was saved. /appointment starts again.")]
    if isinstance(cid, AppointmentSkip) and cid.step == STEPS[int(ctx.conversation.step)][0]:
        return await _answer(ctx, "")
    return expired("/appointment")


# ---- the report's first page -------------------------------------------------------------------
async def appointment_page(ctx: Context) -> AppointmentPage | None:
    """The facts for the report's first page, or None when /appointment was never answered."""
    notes = await _notes(ctx.store, ctx.user)
    if notes is None:
        return None
    page = AppointmentPage(notes["worry"], notes["changed"], notes["questions"])
    uid, tz = ctx.user.id, ctx.tz
    vocab = load_vocabulary()

    rows = await ctx.store.twitch_regions(uid)

    def day(at: datetime) -> str:
        d = at.astimezone(tz)
        return f"{d.day} {d:%b %Y}"

    triage = [(t.at, t.level, t.answers) for t in await ctx.store.triage_results(uid)]
    began: list[str] = []
    for at, _, answers in triage[:1]:  # how long it had been going on, as first told
        duration = answers.get("duration")
        if duration:
            label = load_triage_rules().question("duration").label(duration).lower()
            began.append(f"First noticed: {label} before {day(at)} (first /triage).")
    if rows:
        began.append(
            f"First twitch logged {day(rows[0].first_at)}"
            + (f"; {plural(len(rows), 'area')}, in the order they began:" if len(rows) > 1 else ".")
        )
        for span in rows[:6]:
            region, lo, hi, n = span.region, span.first_at, span.last_at, span.count
            name = vocab.region_label(region).lower() if region else "place not given"
            began.append(f"{name}: {plural(n, 'twitch')}, first {day(lo)}, last {day(hi)}")
        began.append(await _per_week(ctx))
    else:
        began.append("No twitches logged yet.")
    page.facts.append(("When it began and where", began))

    asked: list[str] = absent_lines(await absent_answers(ctx.store, ctx.user))
    for qid, words in ASKED:
        said = [a.get(qid) for _, _, a in triage]
        said = [s for s in said if s]
        if said:
            yes = said.count("yes")
            state = (
                "never present"
                if not yes and "unsure" not in said
                else (f"present {times_words(yes)}" if yes else "not sure at least once")
            )
            asked.append(f"In /triage, {words}: asked {times_words(len(said))}, {state}.")
    page.facts.append(("Red flags asked about", asked or ["Not asked yet (/triage or the weekly plan questions)."]))

    levels = load_triage_rules().levels
    if triage:
        lines = [f"{day(at)}: {levels[level].words if level in levels else level}" for at, level, _ in triage[-4:]]
        if len(triage) > 4:
            lines.insert(0, f"{len(triage)} results; the latest 4:")
        page.facts.append(("Triage results", lines))

    plan = await ctx.store.current_plan(uid)
    if plan is not None:
        status = {"active": "under way", "stopped": "stopped early", "done": "completed"}.get(plan.status, plan.status)
        started = plan.started_at.astimezone(tz).date()
        avg = [(a.kind, a.average, a.count) for a in await ctx.store.checkin_averages(uid, started)]
        words = {
            "cups": "cups of coffee a day",
            "sleep_hours": "hours of sleep",
            "glasses": "glasses of water a day",
            "stress": "stress (1-5)",
        }
        lines = [texts("appointment")["plan_line"].format(status=status, started=day(plan.started_at))]
        if (cups := plan.caffeine_start) is not None:
            lines.append(texts("appointment")["caffeine_line"].format(cups=plural(cups, "cup")))
        lines += [f"Average {words[k]}: {v:.1f} ({plural(n, 'answer')})" for k, v, n in avg if k in words]
        page.facts.append(("What was tried", lines))
    else:
        page.facts.append(("What was tried", ["No self-care plan started in Flicker."]))
    return page


async def _per_week(ctx: Context) -> str:
    """Twitches per full week since the journal began (the latest 8), so a change shows."""
    began = await journal_began(ctx.store, ctx.user)
    today = ctx.local_now().date()
    weeks = min((today - began).days // 7, 8)
    if weeks < 1:
        return f"Less than a full week of journal so far (since {began.day} {began:%b})."
    first = today - timedelta(days=7 * weeks)
    rows = await ctx.store.entries(
        ctx.user.id,
        since=datetime.combine(first, datetime.min.time(), ctx.tz),
        until=datetime.combine(today, datetime.min.time(), ctx.tz),
        kind="twitch",
    )
    counts = [0] * weeks
    for e in rows:
        counts[(e.occurred_at.astimezone(ctx.tz).date() - first).days // 7] += 1
    return (
        f"Twitches per full week, oldest first (the last {plural(weeks, 'week')}): " + ", ".join(map(str, counts)) + "."
    )


async def appointment_section(store: StoreAPI, user: User) -> dict | None:
    notes = await _notes(store, user)
    return notes


COMMANDS = [Command("appointment", appointment, usage="/appointment [new | clear]")]
FLOWS = {FLOW: on_text}
CHOICES = {"appt": on_choice}
EXPORT = {"appointment": appointment_section}
PRIVACY = ["your notes for a doctor's appointment (main worry, what changed, your questions), until you delete them"]
