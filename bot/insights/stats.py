"""Statistics over a journal, in local time: each entry counts on the day and hour it had where
the person was when it happened (entries keep their own zone), so a time-zone change or a DST
change never moves an old twitch to another day."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import mean

from bot.insights.days import OFF, JournalDays
from bot.store import Entry
from rules.vocabulary import load_vocabulary

PARTS_OF_DAY = (("night", 0, 6), ("morning", 6, 12), ("afternoon", 12, 18), ("evening", 18, 24))


def part_of_day(hour: int) -> str:
    return next(name for name, start, end in PARTS_OF_DAY if start <= hour < end)


@dataclass(frozen=True)
class Period:
    first: date  # first local day, inclusive
    last: date  # last local day, inclusive

    @classmethod
    def ending(cls, last: date, days: int) -> Period:
        return cls(last - timedelta(days=days - 1), last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last

    def label(self) -> str:
        f, last = self.first, self.last
        if f.year != last.year:
            return f"{f.day} {f:%b %Y} – {last.day} {last:%b %Y}"
        if f.month != last.month:
            return f"{f.day} {f:%b} – {last.day} {last:%b %Y}"
        return f"{f.day}–{last.day} {last:%b %Y}"


@dataclass
class Summary:
    period: Period
    twitches: list[Entry]
    notes: list[Entry]
    per_day: dict[date, int]
    regions: Counter[str] = field(default_factory=Counter)
    sides: dict[str, Counter[str]] = field(default_factory=dict)  # region -> side counts
    triggers: Counter[str] = field(default_factory=Counter)
    hours: Counter[int] = field(default_factory=Counter)
    parts: Counter[str] = field(default_factory=Counter)
    avg_duration_s: float | None = None
    timed: int = 0
    avg_intensity: float | None = None
    rated: int = 0
    previous_count: int = 0
    groups_by_week: dict[date, set[str]] = field(default_factory=dict)
    journal: JournalDays | None = None  # None: the journal covers every day (unit tests, old data)

    @property
    def count(self) -> int:
        return len(self.twitches)

    @property
    def counted_days(self) -> list[date]:
        """Days a rate counts: those of the period since the journal began, minus days off logging."""
        if self.journal is None:
            return self.period.dates()
        return self.journal.counted(self.period.first, self.period.last)

    @property
    def counted_count(self) -> int:
        days = set(self.counted_days)
        return sum(n for d, n in self.per_day.items() if d in days)

    @property
    def per_day_rate(self) -> float | None:
        days = self.counted_days
        return self.counted_count / len(days) if days else None

    @property
    def began_in_period(self) -> bool:
        return self.journal is not None and self.journal.began > self.period.first

    @property
    def comparable(self) -> bool:
        """Only compare with the period before when the journal covers all of it."""
        return self.journal is None or self.journal.covers(self.period.previous().first)

    def marked(self, mark: str) -> list[date]:
        return [] if self.journal is None else self.journal.marked(self.period.first, self.period.last, mark)

    @property
    def off_days(self) -> list[date]:
        return self.marked(OFF)

    @property
    def trend(self) -> str:
        """'more', 'fewer' or 'about the same' twitches than the period before, or 'no data before'."""
        if not self.comparable:
            return "no data before"
        before = self.previous_count
        if before == 0:
            return "no data before" if self.count == 0 else "more"
        ratio = self.count / before
        if ratio >= 1.25:
            return "more"
        if ratio <= 0.8:
            return "fewer"
        return "about the same"


def entry_day(entry: Entry) -> date:
    return entry.local_time.date()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def summarize(entries: list[Entry], period: Period, journal: JournalDays | None = None) -> Summary:
    """Summarise entries of `period`; entries of the previous period of the same length set the trend
    (only when `journal` covers that whole period)."""
    previous = period.previous()
    twitches = [e for e in entries if e.kind == "twitch" and entry_day(e) in period]
    notes = [e for e in entries if e.kind == "note" and entry_day(e) in period]
    per_day = dict.fromkeys(period.dates(), 0)
    s = Summary(period, sorted(twitches, key=lambda e: e.occurred_at), notes, per_day, journal=journal)
    s.previous_count = sum(1 for e in entries if e.kind == "twitch" and entry_day(e) in previous)
    vocab = load_vocabulary()
    durations, strengths = [], []
    for e in s.twitches:
        local = e.local_time
        per_day[local.date()] += 1
        region = e.region or "unknown"
        s.regions[region] += 1
        s.sides.setdefault(region, Counter())[e.side or "no side"] += 1
        s.triggers.update(e.triggers)
        s.hours[local.hour] += 1
        s.parts[part_of_day(local.hour)] += 1
        if e.duration_s is not None:
            durations.append(e.duration_s)
        if e.intensity is not None:
            strengths.append(e.intensity)
        group = vocab.group_of(region) if e.region else None
        if group:
            s.groups_by_week.setdefault(week_start(local.date()), set()).add(group)
    s.timed, s.rated = len(durations), len(strengths)
    s.avg_duration_s = mean(durations) if durations else None
    s.avg_intensity = mean(strengths) if strengths else None
    return s


def utc_window(period: Period, now_local: datetime) -> tuple[datetime, datetime]:
    """A UTC window wide enough to hold every entry whose local day is in `period` or the one
    before, whatever zone it was logged in (zones differ by at most 26 hours)."""
    tz = now_local.tzinfo
    start = datetime.combine(period.previous().first, datetime.min.time(), tz) - timedelta(hours=27)
    end = datetime.combine(period.last, datetime.min.time(), tz) + timedelta(days=1, hours=27)
    return start, end
