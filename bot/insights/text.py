"""The summary in words: it stands on its own for anyone who cannot see the chart."""

from __future__ import annotations

from bot.insights.patterns import Pattern
from bot.insights.stats import PARTS_OF_DAY, Summary
from bot.insights.words import day_words, plural, rate
from bot.wording import duration_words
from rules.texts import texts
from rules.vocabulary import load_vocabulary

GROUP_ORDER = ("face", "arms", "trunk", "legs")


def regions_line(s: Summary) -> str:
    vocab = load_vocabulary()
    parts = []
    for region, n in s.regions.most_common(6):
        name = vocab.region_label(region).lower() if region != "unknown" else "place not given"
        sides = ", ".join(f"{side} {k}" for side, k in s.sides[region].most_common() if side != "no side")
        parts.append(f"{name} {n}" + (f" ({sides})" if sides else ""))
    return "Where: " + "; ".join(parts) + "."


def timeline_lines(s: Summary) -> list[str]:
    """Region groups week by week, so spreading (or staying put) is visible in words."""
    if not s.groups_by_week:
        return []
    weeks = sorted(s.groups_by_week)
    lines = [
        f"  week of {w.day} {w:%b}: {', '.join(g for g in GROUP_ORDER if g in s.groups_by_week[w])}" for w in weeks
    ]
    seen: set[str] = set()
    grew = False
    for w in weeks:
        if seen and not s.groups_by_week[w] <= seen:
            grew = True
        seen |= s.groups_by_week[w]
    if len(seen) == 1:
        head = f"Body areas over time: always the same area ({next(iter(seen))})."
        return [head] if len(weeks) == 1 else [head, *lines]
    note = " " + texts("insights")["spreading_note"] if grew else ""
    return [f"Body areas over time:{note}", *lines]


def counting_words(s: Summary, whose: str = "your") -> str:
    """How the rate was counted, said plainly: "over the 7 days since your journal began (Wed 18 Nov)"."""
    days = s.counted_days
    off = s.off_days
    text = ""
    if s.began_in_period and s.journal is not None:
        text = f"over the {plural(len(days), 'day')} since {whose} journal began ({day_words(s.journal.began)})"
    elif off:
        text = f"over {plural(len(days), 'day')}"
    if off:
        text += f", leaving out {plural(len(off), 'day')} off logging"
    return text


def count_line(s: Summary, whose: str = "your") -> str:
    """ "20 twitches, 2.9 a day over the 7 days since your journal began (Wed 18 Nov)"."""
    counting = counting_words(s, whose)
    return f"{plural(s.count, 'twitch')}, {rate(s.per_day_rate)}" + (f" {counting}" if counting else "")


def compare_words(s: Summary) -> str:
    """The comparison with the period before, only when the journal covers all of it."""
    days = s.period.days
    if not s.comparable:
        return ""
    if s.previous_count == 0:
        return f"none logged in the {days} days before"
    trend = {"more": "more than", "fewer": "fewer than", "about the same": "about the same as"}[s.trend]
    return f"{trend} the {days} days before ({s.previous_count})"


def marks_line(s: Summary) -> str | None:
    quiet = s.marked("none")
    if not quiet:
        return None
    return f'You marked {plural(len(quiet), "day")} "no twitches today" (a quiet day, not a day without logging).'


def summary_text(s: Summary, patterns: list[Pattern], absent: list[str] | None = None) -> str:
    vocab = load_vocabulary()
    days = s.period.days
    head = f"Your last {days} days ({s.period.label()}): "
    absent_block = ["What stayed absent (your weekly answers):", *(f"  {line}" for line in absent)] if absent else []
    if s.count == 0:
        before = f" (the {days} days before: {s.previous_count})" if s.previous_count and s.comparable else ""
        lines = [head + f"no twitches logged{before}." + (f" {plural(len(s.notes), 'note')}." if s.notes else "")]
        if s.began_in_period and s.journal is not None:
            lines.append(f"Your journal began on {day_words(s.journal.began)}.")
        lines += [x for x in (marks_line(s),) if x] + absent_block
        return "\n".join(lines + ["Describe a twitch in one line whenever one happens; the summary fills in."])
    compare = compare_words(s)
    lines = [head + count_line(s) + (f"; {compare}" if compare else "") + "."]
    lines.append(regions_line(s))
    if s.triggers:
        noted = ", ".join(f"{vocab.trigger_label(t).lower()} {n}" for t, n in s.triggers.most_common(5))
        lines.append(f"Possible triggers you noted: {noted}.")
    else:
        lines.append("No possible triggers noted.")
    part, n = s.parts.most_common(1)[0]
    others = ", ".join(f"{name} {s.parts[name]}" for name, _, _ in PARTS_OF_DAY if name != part and s.parts[name])
    lines.append(f"When: mostly in the {part} ({n} of {s.count})" + (f"; {others}." if others else "."))
    if s.avg_duration_s is not None:
        lines.append(f"Average length: {duration_words(round(s.avg_duration_s))} ({s.timed} timed).")
    if s.avg_intensity is not None:
        lines.append(f"Average strength: {s.avg_intensity:.1f} of 5 ({s.rated} rated).")
    busiest = max(s.per_day, key=lambda d: s.per_day[d])
    lines.append(f"Busiest day: {busiest:%a} {busiest.day} {busiest:%b} ({s.per_day[busiest]}).")
    if quiet := marks_line(s):
        lines.append(quiet)
    lines += timeline_lines(s)
    lines += absent_block
    if patterns:
        lines.append("Patterns (days compared, not causes):")
        lines += [f"- {p.sentence()}" for p in patterns]
    if s.notes:
        lines.append(f"You also wrote {plural(len(s.notes), 'note')}; /report includes them.")
    return "\n".join(lines)
