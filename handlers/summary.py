"""/summary and /report: the journal turned into patterns, a chart, and a report for a doctor."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime

from bot.handler_api import Command, Context
from bot.insights.absent import AbsentAnswer, absent_answers, absent_lines
from bot.insights.charts import summary_chart, timeline_chart
from bot.insights.days import journal_days
from bot.insights.patterns import find_patterns
from bot.insights.report import ReportData, build_pdf
from bot.insights.stats import Period, Summary, entry_day, summarize, utc_window
from bot.insights.text import summary_text
from bot.insights.words import plural
from bot.messages import Attachment, Reply
from handlers.appointment import appointment_page
from handlers.privacy import build_export, journal_csv

_DAYS = re.compile(r"^(\d{1,3})\s*(d|days?|w|weeks?)?$")
MAX_DAYS = 365


def parse_days(arg: str, default: int) -> int | None:
    arg = arg.strip().lower()
    if not arg:
        return default
    m = _DAYS.match(arg)
    if not m:
        return None
    n = int(m.group(1)) * (7 if (m.group(2) or "d").startswith("w") else 1)
    return n if 1 <= n <= MAX_DAYS else None


async def _checkins(ctx: Context, period: Period) -> dict[date, dict[str, int]]:
    rows = await ctx.store.checkins(ctx.user.id, period.first, period.last)
    out: dict[date, dict[str, int]] = {}
    for c in rows:
        out.setdefault(c.day, {})[c.kind] = c.value
    return out


def _triggers_by_day(s: Summary) -> dict[date, set[str]]:
    out: dict[date, set[str]] = {}
    for e in s.twitches:
        out.setdefault(entry_day(e), set()).update(e.triggers)
    return out


async def _build(ctx: Context, days: int):
    now_local = ctx.local_now()
    period = Period.ending(now_local.date(), days)
    since, until = utc_window(period, now_local)
    entries = await ctx.store.entries(ctx.user.id, since=since, until=until, newest_first=False)
    journal = await journal_days(ctx.store, ctx.user, period.previous().first, period.last)
    s = summarize(entries, period, journal)
    counted = set(s.counted_days)  # no day before the journal began, no day off logging
    per_day = {d: n for d, n in s.per_day.items() if d in counted}
    patterns = find_patterns(per_day, await _checkins(ctx, period), _triggers_by_day(s))
    return s, patterns


async def _absent(ctx: Context, s) -> list[AbsentAnswer]:
    first = datetime.combine(s.period.first, datetime.min.time(), ctx.tz)
    return await absent_answers(ctx.store, ctx.user, since=first)


def ongoing_lines(twitches, now) -> list[str]:
    """What people said about how long it has been going on ("for 3 weeks"), newest per place."""
    from handlers.format import entry_ongoing_s, ongoing_words, region_words

    newest: dict[tuple, tuple] = {}
    for e in twitches:
        ongoing = entry_ongoing_s(e)
        key = (e.region, e.side)
        if ongoing and (key not in newest or newest[key][0].occurred_at < e.occurred_at):
            newest[key] = (e, ongoing)
    return [
        f"{region_words(e.region, e.side)} {ongoing_words(o)} (you wrote on {e.local_time:%a %d %b})"
        for e, o in sorted(newest.values(), key=lambda pair: pair[0].occurred_at)
    ]


async def summary(ctx: Context) -> list[Reply]:
    """See your twitches summed up with a chart, e.g. /summary 30d"""
    days = parse_days(ctx.args, 7)
    if days is None:
        return [Reply(f"I can sum up 1 to {MAX_DAYS} days. For example: /summary, /summary 30d or /summary 90d")]
    s, patterns = await _build(ctx, days)
    text = summary_text(s, patterns, absent_lines(await _absent(ctx, s)))
    going_on = ongoing_lines(s.twitches, ctx.local_now())
    if going_on:
        text += "\nGoing on, in your words: " + "; ".join(going_on) + "."
    replies = [Reply(text)]
    if s.count:
        await ctx.progress("Drawing your chart...")
        png = await asyncio.to_thread(summary_chart, s)  # rendering must not block other people
        stamp = ctx.local_now().strftime("%Y-%m-%d")
        replies.append(
            Reply(
                "Chart of the same numbers: twitches per day, where, and time of day.",
                attachment=Attachment(f"flicker-summary-{stamp}.png", png, "image/png"),
            )
        )
    return replies


async def _plan(ctx: Context) -> dict | None:
    plan = await ctx.store.current_plan(ctx.user.id)
    if plan is None:
        return None
    days = await ctx.store.checkin_days_since(ctx.user.id, plan.started_at.astimezone(ctx.tz).date())
    return {"status": plan.status, "started": f"{plan.started_at.astimezone(ctx.tz):%d %b %Y}", "checkin_days": days}


SAFETY_WORDS = {
    "emergency": "emergency advice given (call the emergency number)",
    "crisis": "crisis support offered",
    "urgent_gp": "advised an urgent GP visit",
    "pregnancy": "advised to contact the midwife or maternity unit",
    "red_flag": "advised to see a doctor",
}


def safety_lines(hits: list[dict], period) -> list[str]:
    """The safety screen's hits in the report's period, in plain words (never the person's words)."""
    from datetime import datetime

    lines = []
    for h in hits:
        at = datetime.fromisoformat(h["at"])
        if not period.first <= at.date() <= period.last:
            continue
        if h["category"] not in SAFETY_WORDS:
            continue  # gentle questions asked by the second opinion are not findings
        what = f": {h['what']}" if h.get("what") else ""
        lines.append(f"{at:%a %d %b %H:%M}, {SAFETY_WORDS[h['category']]}{what}")
    return lines


async def report(ctx: Context) -> list[Reply]:
    """Get a PDF report to bring to your doctor, e.g. /report 90d"""
    days = parse_days(ctx.args, 30)
    if days is None:
        return [Reply(f"A report can cover 1 to {MAX_DAYS} days. For example: /report or /report 90d")]
    await ctx.progress("Building your report... this takes a few seconds.")
    s, patterns = await _build(ctx, days)
    section = ctx.engine.registry.export.get("triage")
    triage = await section(ctx.store, ctx.user) if section else []
    plan = await _plan(ctx)
    absent = absent_lines(await _absent(ctx, s))
    front = await appointment_page(ctx)
    safety_section = ctx.engine.registry.export.get("safety")
    safety = safety_lines(await safety_section(ctx.store, ctx.user) if safety_section else [], s.period)

    def render() -> bytes:
        return build_pdf(
            ReportData(
                name=ctx.user.first_name,
                summary=s,
                patterns=patterns,
                generated=ctx.local_now(),
                summary_png=summary_chart(s) if s.count else None,  # no empty axes
                timeline_png=timeline_chart(s) if s.groups_by_week else None,
                triage=triage,
                plan=plan,
                absent=absent,
                appointment=front,
                safety=safety,
            )
        )

    pdf = await asyncio.to_thread(render)
    export = await build_export(ctx)
    period_entries = {e.id for e in s.twitches} | {e.id for e in s.notes}
    csv_rows = [e for e in export["entries"] if e["id"] in period_entries]
    stamp = ctx.local_now().strftime("%Y-%m-%d")
    name_hint = "" if ctx.user.first_name else " (/name adds your first name to it)"
    return [
        Reply(
            f"Your report for {s.period.label()}: {plural(s.count, 'twitch')} and {plural(len(s.notes), 'note')}"
            f"{name_hint}. "
            + (
                "It starts with your /appointment notes. "
                if front
                else "Seeing a doctor soon? /appointment adds a first page with your main worry and questions. "
            )
            + "It is your own record to show a clinician, not a diagnosis."
        ),
        Reply("Report (PDF)", attachment=Attachment(f"flicker-report-{stamp}.pdf", pdf, "application/pdf")),
        Reply(
            "The same period's journal (CSV)",
            attachment=Attachment(f"flicker-journal-{stamp}.csv", journal_csv(csv_rows), "text/csv"),
        ),
    ]


COMMANDS = [
    Command("summary", summary, usage="/summary [7d | 30d | 90d]"),
    Command("report", report, usage="/report [30d | 90d]"),
]
