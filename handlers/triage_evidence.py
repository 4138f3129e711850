"""The journal as evidence for triage: lines a person is shown and asked to confirm, and a
one-time suggestion to run /triage when a new log makes the journal cross one of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.messages import Choice, Reply
from bot.store import Entry, Store, from_ts, to_ts
from handlers.base import Context
from rules.vocabulary import load_vocabulary

LONG_DAYS = 14  # CL-1: more than 2 weeks
GROUP_WINDOW_DAYS = 30  # CL-4: unrelated groups within a month
LOOKBACK_DAYS = 180
NEW_AREA_AFTER_DAYS = 7  # an area counts as new when it first appears a week after the first twitch
ALL_FLAGS = frozenset({"long", "groups", "spreading"})


@dataclass
class Evidence:
    flags: set[str] = field(default_factory=set)  # "long", "groups", "spreading"
    lines: list[str] = field(default_factory=list)
    prefill: dict[str, str] = field(default_factory=dict)  # answers the lines stand for


async def journal_evidence(store: Store, user_id: int, now: datetime, tz) -> Evidence:
    """One grouped query: first and last time each region twitched in the last months."""
    rows = await store.fetchall(
        "SELECT region, min(occurred_at), max(occurred_at), count(*) FROM entries "
        "WHERE user_id = ? AND kind = 'twitch' AND occurred_at >= ? AND region IS NOT NULL GROUP BY region",
        (user_id, to_ts(now - timedelta(days=LOOKBACK_DAYS))),
    )
    ev = Evidence()
    if not rows:
        return ev
    vocab = load_vocabulary()
    first = min(r[1] for r in rows)
    last = max(r[2] for r in rows)
    span_days = (last - first) / 86400

    def day(ts: int) -> str:
        d = from_ts(ts).astimezone(tz)
        return f"{d.day} {d:%b}"

    if span_days > LONG_DAYS:
        ev.flags.add("long")
        ev.lines.append(f"you have logged twitches over {int(span_days)} days (since {day(first)})")
        ev.prefill["duration"] = "months" if span_days > 90 else "weeks"
    recent_groups = sorted(
        {vocab.group_of(r[0]) for r in rows if r[2] >= to_ts(now) - GROUP_WINDOW_DAYS * 86400} - {None}
    )
    if len(recent_groups) >= 2:
        ev.flags.add("groups")
        ev.lines.append(
            f"in the last {GROUP_WINDOW_DAYS} days they were in unrelated areas: {', '.join(recent_groups)}"
        )
        ev.prefill["spread"] = "several"
    ordered = sorted(rows, key=lambda r: r[1])
    first_group = vocab.group_of(ordered[0][0])
    newer = [r for r in ordered if r[1] - first >= NEW_AREA_AFTER_DAYS * 86400]
    if newer and any(vocab.group_of(r[0]) != first_group for r in newer):
        ev.flags.add("spreading")
        steps = ", then ".join(f"{vocab.region_label(r[0]).lower()} ({day(r[1])})" for r in ordered[:5])
        ev.lines.append(f"new areas joined over time: {steps}")
        ev.prefill["spread"] = "spreading"
    return ev


async def on_entry_saved(ctx: Context, entry: Entry) -> list[Reply]:
    """Suggest /triage once when this log makes the journal newly cross a line."""
    if entry.kind != "twitch":
        return []
    known = {r[0] for r in await ctx.store.fetchall("SELECT flag FROM triage_flags WHERE user_id = ?", (ctx.user.id,))}
    if known >= ALL_FLAGS:
        return []  # every line was already pointed out once: nothing left to say, no need to look
    ev = await journal_evidence(ctx.store, ctx.user.id, ctx.now, ctx.tz)
    new = ev.flags - known
    if not new:
        return []
    ts = to_ts(ctx.now)
    await ctx.store.write(
        lambda conn: conn.executemany(
            "INSERT OR IGNORE INTO triage_flags(user_id, flag, at) VALUES (?, ?, ?)",
            [(ctx.user.id, f, ts) for f in new],
        )
    )
    return [
        Reply(
            "Looking at your journal: " + "; ".join(ev.lines) + ". That's worth a closer look, calmly: "
            "/triage asks a few questions and says how soon to see a doctor, and why.",
            (Choice("triage:start", "Start /triage"),),
        )
    ]
