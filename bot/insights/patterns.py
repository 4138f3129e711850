"""Patterns, stated honestly: twitches a day on days with a factor against days without it.

A comparison is only made with at least MIN_DAYS days on each side; otherwise it says it
needs more data. It never claims that a factor causes anything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from statistics import median

from bot.insights.words import plural, rate

MIN_DAYS = 3


@dataclass(frozen=True)
class Pattern:
    factor: str  # what the days have in common, e.g. "more than 2 cups of coffee"
    with_days: int
    with_rate: float | None
    without_days: int
    without_rate: float | None
    enough: bool
    caveat: str = ""

    def sentence(self) -> str:
        if not self.enough:
            return (
                f"{self.factor[0].upper()}{self.factor[1:]}: not enough data yet "
                f"({plural(self.with_days, 'day')} with it, "
                f"{plural(self.without_days, 'day')} without; I need at least {MIN_DAYS} of each)."
            )
        return (
            f"On the {self.with_days} days with {self.factor} you logged "
            f"{rate(self.with_rate).replace(' a day', ' twitches a day')}; "
            f"on the {self.without_days} other days {rate(self.without_rate)}.{self.caveat}"
        )


def compare(
    factor: str, days_with: list[date], days_without: list[date], per_day: dict[date, int], caveat: str = ""
) -> Pattern:
    def per(days: list[date]) -> float | None:
        return sum(per_day.get(d, 0) for d in days) / len(days) if days else None

    enough = len(days_with) >= MIN_DAYS and len(days_without) >= MIN_DAYS
    return Pattern(factor, len(days_with), per(days_with), len(days_without), per(days_without), enough, caveat)


def find_patterns(
    per_day: dict[date, int],
    checkins: dict[date, dict[str, int]],
    triggers_by_day: dict[date, set[str]],
) -> list[Pattern]:
    """per_day: twitches per local day (every day of the period, zeros included);
    checkins: day -> {"cups", "glasses", "sleep_hours", "stress"} answers given that day;
    triggers_by_day: day -> trigger ids noted with that day's twitches."""
    days = sorted(per_day)
    out: list[Pattern] = []

    def from_checkin(kind: str, factor: str, test: Callable[[int], bool]) -> None:
        answered = [d for d in days if kind in checkins.get(d, {})]
        if not answered:
            return
        yes = [d for d in answered if test(checkins[d][kind])]
        no = [d for d in answered if not test(checkins[d][kind])]
        out.append(compare(factor, yes, no, per_day))

    cups = [checkins[d]["cups"] for d in days if "cups" in checkins.get(d, {})]
    if cups:
        usual = int(median(cups))
        from_checkin(
            "cups", f"more than {usual} cup{'s' if usual != 1 else ''} of coffee (your usual)", lambda v: v > usual
        )
    from_checkin("sleep_hours", "under 6 hours of sleep", lambda v: v < 6)
    from_checkin("glasses", "fewer than 4 glasses of water", lambda v: v < 4)
    from_checkin("stress", "stress at 4 or 5 out of 5", lambda v: v >= 4)

    workout = [d for d in days if "exercise" in triggers_by_day.get(d, set())]
    if workout:
        rest = [d for d in days if d not in workout]
        out.append(
            compare(
                "a workout noted",
                workout,
                rest,
                per_day,
                caveat=" (Workouts are only known from twitch logs, so this can overstate a link.)",
            )
        )
    return out
