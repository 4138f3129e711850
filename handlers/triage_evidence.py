"""The journal as evidence for triage, read the way the article means it (RD-6).

Separate episodes are not persistence: a twitch "lasts weeks" only when it was logged with no
break longer than a week for more than two weeks. A new area is not spreading: spreading means
new areas joining while the earlier ones go on (WC-1). Each finding is an `Item` the person
confirms on its own; a one-time suggestion to run /triage comes only for real findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.choice_ids import Triage
from bot.handler_api import Context
from bot.messages import Reply
from bot.store import Entry, from_ts
from bot.store.interface import StoreAPI
from handlers.format import said_ongoing_s
from rules.triage import load_evidence
from rules.triage_typed import duration_answer
from rules.vocabulary import load_vocabulary

_EVIDENCE = load_evidence()  # [evidence] of rules/triage.toml: the thresholds, with their sources
LONG_DAYS = _EVIDENCE.long_days  # RD-3 / CL-1: "beyond two weeks"
BREAK_DAYS = _EVIDENCE.break_days  # a gap longer than this ends an episode (RD-6)
TOGETHER_DAYS = _EVIDENCE.together_days  # CL-4: areas going on at the same time
LOOKBACK_DAYS = 180
ALL_FLAGS = frozenset({"long", "groups", "spreading"})


@dataclass(frozen=True)
class Item:
    """One finding of the journal, shown and confirmed on its own."""

    key: str  # "long" | "episodes" | "spreading" | "groups" | "separate"
    label: str  # short, for "spreading: yes, lasted weeks: no"
    text: str  # what the journal shows, in plain words
    question: str  # the triage question it answers
    answer: str  # the answer it stands for


@dataclass
class Evidence:
    items: list[Item] = field(default_factory=list)

    @property
    def flags(self) -> set[str]:
        """Findings worth suggesting /triage for (never episodes or areas at different times)."""
        return {i.key for i in self.items} & ALL_FLAGS

    @property
    def lines(self) -> list[str]:
        return [i.text for i in self.items]

    @property
    def prefill(self) -> dict[str, str]:
        return {i.question: i.answer for i in self.items}


def _episodes(days: list[date]) -> list[tuple[date, date]]:
    """Runs of days with no break longer than BREAK_DAYS."""
    runs: list[tuple[date, date]] = []
    for d in days:
        if runs and (d - runs[-1][1]).days <= BREAK_DAYS:
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


def _day(d: date) -> str:
    return f"{d.day} {d:%b}"


def _said_ongoing(rows, tz, since) -> Any:
    """The earliest start a recent entry's own words give ("left calf twitching for 3 weeks")."""
    earliest = None
    for row in rows:
        at = from_ts(row[1]).astimezone(tz)
        if at.date() < since:
            continue
        ongoing_s = said_ongoing_s(row[2], at)
        if ongoing_s:
            began = (at - timedelta(seconds=ongoing_s)).date()
            earliest = began if earliest is None or began < earliest else earliest
    return earliest


async def journal_evidence(store: StoreAPI, user_id: int, now: datetime, tz) -> Evidence:
    since = now - timedelta(days=LOOKBACK_DAYS)
    rows = await store.placed_twitches_since(user_id, since)
    ev = Evidence()
    if not rows:
        return ev
    vocab = load_vocabulary()
    today = now.astimezone(tz).date()
    logged = [(r[0], from_ts(r[1]).astimezone(tz).date()) for r in rows]
    days = sorted({d for _, d in logged})
    runs = _episodes(days)
    start, end = runs[-1]
    ongoing = (today - end).days <= BREAK_DAYS
    said = _said_ongoing(rows, tz, start)
    if ongoing and said is not None and said < start:
        start = said  # "going on for 3 weeks" in a recent entry: it began before the journal shows
    length = (today - start).days + 1 if ongoing else (end - start).days + 1

    # ---- how long: persistence versus episodes (RD-6) ----
    if ongoing and length > LONG_DAYS:
        ev.items.append(
            Item(
                "long",
                "lasted weeks",
                (
                    f"you wrote it had been going on since about {_day(start)}: about {length} days"
                    if said is not None and said == start
                    else f"twitching logged on {len([d for d in days if d >= start])} days since {_day(start)}, "
                    f"with no break longer than a week: about {length} days"
                ),
                "duration",
                duration_answer(length),
            )
        )
    elif len(runs) >= 2 and (days[-1] - days[0]).days > LONG_DAYS:
        shown = ", ".join(_day(a) if a == b else f"{_day(a)}-{_day(b)}" for a, b in runs[-4:])
        current = f"the latest began {_day(start)}" if ongoing else "none is going on now"
        ev.items.append(
            Item(
                "episodes",
                "separate episodes",
                f"{len(runs)} separate episodes with breaks of more than a week ({shown}); {current}. "
                "Separate episodes are not one twitch lasting weeks",
                "duration",
                duration_answer(length if ongoing else 0),
            )
        )

    # ---- where: spreading versus a new area (RD-6, WC-1) ----
    groups: dict[str, list[date]] = {}
    first_region: dict[str, str] = {}
    for region, d in logged:
        g = vocab.group_of(region)
        if g is None:
            continue
        groups.setdefault(g, []).append(d)
        first_region.setdefault(g, region)
    if len(groups) < 2:
        return ev
    order = sorted(groups, key=lambda g: groups[g][0])
    joined = []
    for i, g in enumerate(order[1:], 1):
        begun = groups[g][0]
        if (begun - groups[order[0]][0]).days < BREAK_DAYS or len(set(groups[g])) < 2:
            continue  # a new area seen once (a calf after a run) has not joined anything
        # an earlier area went on: logged on 2+ days, the last of them no earlier than a week before
        if any(len(set(groups[e])) >= 2 and (groups[e][-1] - begun).days >= -BREAK_DAYS for e in order[:i]):
            joined.append(g)
    recent = today - timedelta(days=TOGETHER_DAYS)
    together = [g for g in order if len({d for d in groups[g] if d >= recent}) >= 2]

    def name(g: str) -> str:
        return vocab.region_label(first_region[g]).lower()

    if joined:
        steps = ", then ".join(f"{name(g)} (from {_day(groups[g][0])})" for g in order if g == order[0] or g in joined)
        ev.items.append(
            Item(
                "spreading",
                "spreading",
                f"new areas joined while earlier ones went on: {steps}",
                "spread",
                "spreading",
            )
        )
    elif len(together) >= 2:
        ev.items.append(
            Item(
                "groups",
                "several areas at once",
                f"in the last {TOGETHER_DAYS} days twitching went on in unrelated areas at the same time: "
                + ", ".join(name(g) for g in together),
                "spread",
                "several",
            )
        )
    else:
        ev.items.append(
            Item(
                "separate",
                "different areas at different times",
                "twitches in different areas at different times (" + ", ".join(name(g) for g in order) + "); "
                "a twitch in a new area now and then is not spreading",
                "spread",
                "here_and_there",
            )
        )
    return ev


async def on_entry_saved(ctx: Context, entry: Entry) -> list[Reply]:
    """Suggest /triage once when this log makes the journal newly cross a line."""
    if entry.kind != "twitch":
        return []
    known = await ctx.store.triage_flags(ctx.user.id)
    if known >= ALL_FLAGS:
        return []  # every line was already pointed out once: nothing left to say, no need to look
    ev = await journal_evidence(ctx.store, ctx.user.id, ctx.now, ctx.tz)
    new = ev.flags - known
    if not new:
        return []
    await ctx.store.add_triage_flags(ctx.user.id, new, ctx.now)
    lines = [i.text for i in ev.items if i.key in new]
    return [
        Reply(
            "Looking at your journal: " + "; ".join(lines) + ". That's worth a closer look, calmly: "
            "/triage asks a few questions and says how soon to see a doctor, and why.",
            (Triage("start").button("Start /triage"),),
        )
    ]
