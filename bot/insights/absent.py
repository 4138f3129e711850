"""The "what stayed absent" timeline: pertinent negatives a neurologist asks about, in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.store import User
from bot.store.interface import StoreAPI
from rules.reminders import load_reminder_rules


@dataclass(frozen=True)
class AbsentAnswer:
    day: date  # local
    question: str
    answer: str  # no | yes | unsure


async def absent_answers(store: StoreAPI, user: User, since: datetime | None = None) -> list[AbsentAnswer]:
    rows = await store.absent_answers(user.id, since)
    return [AbsentAnswer(r.at.astimezone(user.tz).date(), r.question, r.answer) for r in rows]


def times_words(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _day(d: date) -> str:
    return f"{d.day} {d:%b}"


def absent_lines(answers: list[AbsentAnswer]) -> list[str]:
    """One line per question: "New weakness: asked 4 times, never present (16 Nov - 7 Dec)"."""
    rules = load_reminder_rules()
    lines = []
    for q in rules.absent:
        mine = [a for a in answers if a.question == q.id]
        if not mine:
            continue
        span = _day(mine[0].day) if mine[0].day == mine[-1].day else f"{_day(mine[0].day)} – {_day(mine[-1].day)}"
        present = [a.day for a in mine if a.answer == "yes"]
        unsure = [a.day for a in mine if a.answer == "unsure"]
        if present:
            said = "present on " + ", ".join(_day(d) for d in present)
        elif unsure:
            said = "not sure on " + ", ".join(_day(d) for d in unsure) + ", otherwise absent"
        else:
            said = "never present"
        lines.append(f"{q.label}: asked {times_words(len(mine))}, {said} ({span}).")
    return lines
