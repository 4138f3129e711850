"""Counting words used by the summary, the plan and the report, so they agree everywhere."""

from __future__ import annotations

from datetime import date

_PLURALS = {"twitch": "twitches", "day": "days", "note": "notes", "time": "times", "area": "areas"}


def plural(n: int, one: str, many: str | None = None) -> str:
    """ "1 twitch", "2 twitches", "0 days"."""
    return f"{n} {one if n == 1 else (many or _PLURALS.get(one, one + 's'))}"


def rate(value: float | None) -> str:
    """A per-day rate that never reads "0.0 a day" for a few twitches."""
    if value is None:
        return "no days to count yet"
    if value == 0:
        return "0 a day"
    if value < 0.05:
        return "under 0.1 a day"
    return f"{value:.1f} a day"


def day_words(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"
