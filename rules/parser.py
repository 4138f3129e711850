"""Read a free-text twitch report ("left eyelid 2 min after my third coffee") into fields,
using the words in rules/vocabulary.toml.

Every category is one precompiled regular expression built from the vocabulary as a trie
(longest phrase first, whole words only). Phrases are claimed in a fixed order, so one word
is read once: ignored contexts ("it came [back]"), then triggers ("4 hours of sleep",
"dry eyes"), times ("2h ago"), strengths ("3/5"), durations ("90s"), and last the body
region and side. Nothing here raises on any text; see parse_twitch.

Dates are hand-written patterns, not a library: dateparser 1.5 (search_dates) took about
600 µs a message here (the budget is 200 µs), read "30s 2026-11-20 18:00 after" as 30 seconds
ago and "2 min after" as a time, and found nothing in "20.11.".
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from rules.patterns import BODY_WORD, _Patterns, _patterns
from rules.vocabulary import canonical, load_vocabulary

log = logging.getLogger(__name__)

MAX_CHARS = 4000  # a report is a line or two; longer text is read up to here (bounded cost)
# "in the evening" said at 18:30 (evening assumed to be 19:00) is this evening, under way: now
PART_UNDER_WAY_S = 3 * 3600


@dataclass(frozen=True, slots=True)
class ParsedTwitch:
    region: str | None = None
    side: str | None = None
    duration_s: int | None = None
    triggers: tuple[str, ...] = ()
    intensity: int | None = None
    occurred_at: datetime | None = None  # aware, in the zone of `now`; None: not stated
    is_twitch_report: bool = False
    # every place named, in order, each with its own side: "left calf and right arm"
    places: tuple[tuple[str, str | None], ...] = ()
    ongoing_s: int | None = None  # how long the twitching has been going on ("for 3 weeks")
    date_stated: bool = False  # an absolute date was named ("20 Nov"): a future one is asked about
    places_unclear: bool = False  # "calf or thigh, not sure": which place is asked


# ---- reading ------------------------------------------------------------------------------------
_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'", "–": "-", "—": "-", "−": "-"})
_SPACE = re.compile(r"\s+")
_DIGIT = re.compile("[0-9]")


def _normalise(text: str) -> str:
    text = text[:MAX_CHARS].lower()
    if not text.isascii():
        return _SPACE.sub(" ", text.translate(_TYPOGRAPHY))
    if "`" in text:
        text = text.replace("`", "'")
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or "\x0b" in text or "\x0c" in text:
        text = _SPACE.sub(" ", text)
    return text


def _free(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    for a, b in spans:
        if start < b and a < end:
            return False
    return True


def _ignored(t: str, m: re.Match[str], contexts: dict[str, list[tuple[str, str]]]) -> bool:
    start, end = m.span()
    for before, after in contexts.get(m.group(0), ()):
        b = start - len(before)
        if before and not (b >= 0 and t.startswith(before, b) and (b == 0 or not t[b - 1].isalnum())):
            continue
        e = end + len(after)
        if after and not (t.startswith(after, end) and (e == len(t) or not t[e].isalnum())):
            continue
        return True
    return False


def _number(p: _Patterns, token: str | None) -> float | None:
    if token is None:
        return None
    if token[0].isdigit():
        return float(token.replace(",", "."))
    return p.number_value.get(canonical(token))


def _amount_s(p: _Patterns, m: re.Match[str], units: dict[str, int]) -> float | None:
    """Seconds in one amount match of _amount_re; None when it is not a sensible amount."""
    if m.group("fx"):
        return float(p.fixed_s.get(canonical(m.group("fx")), 0)) or None
    n = _number(p, m.group("n") or m.group("w"))
    unit = units.get(canonical(m.group("u") or m.group("u2") or ""))
    if n is None or unit is None:
        return None
    if m.group("h1") or m.group("h2") or m.group("h3"):
        n += 0.5
    lo = _number(p, m.group("lo"))
    if lo is not None and lo < n:
        n = (lo + n) / 2
    return n * unit


def _duration(p: _Patterns, text: str, taken: list[tuple[int, int]]) -> int | None:
    for m in p.duration.finditer(text):
        if not _free(taken, m.start(), m.end()):
            continue
        seconds = _amount_s(p, m, p.unit_s)
        if seconds is None:
            continue
        end, unit = m.end(), p.unit_s.get(canonical(m.group("u") or m.group("u2") or ""), 0)
        while unit > 1:  # "1 min 30 s", "1 hour and 20 minutes", "1h30"
            nxt = p.duration_next.match(text, end)
            nxt_unit = nxt and p.unit_s.get(canonical(nxt.group("u") or nxt.group("u2") or ""), 0)
            if nxt and nxt_unit and nxt_unit < unit and _free(taken, nxt.start(), nxt.end()):
                seconds += (_number(p, nxt.group("n") or nxt.group("w")) or 0) * nxt_unit
                end, unit = nxt.end(), nxt_unit
                continue
            tail = p.duration_tail.match(text, end)
            if tail and int(tail.group(1)) < 60:
                seconds += int(tail.group(1)) * (unit // 60)
            break
        whole = math.floor(seconds + 0.5) if seconds >= 1 else (1 if seconds > 0 else 0)
        return whole if 0 < whole <= p.v.duration_max_s else None
    return None


def _intensity(
    p: _Patterns, text: str, taken: list[tuple[int, int]], digits: bool
) -> tuple[int | None, list[tuple[int, int]]]:
    number: int | None = None
    word: int | None = None
    spans: list[tuple[int, int]] = []
    for m in p.intensity_word.finditer(text):
        if _free(taken, m.start(), m.end()):
            spans.append(m.span())
            if word is None:
                word = p.intensity_value.get(canonical(m.group(0)))
    digits = digits and ("/" in text or " of" in text or p.intensity_hint.search(text) is not None)
    for m in p.intensity.finditer(text) if digits else ():
        if not _free(taken, m.start(), m.end()):
            continue
        spans.append(m.span())
        kind = m.lastgroup
        if kind == "frac" and number is None:
            n, scale = int(m.group("fn")), int(m.group("fd"))
            value = math.ceil(n * 5 / scale) if scale != 5 else n
            number = value if 1 <= n <= scale and 1 <= value <= 5 else 0
        elif kind == "kw" and number is None:
            n = int(m.group("kn"))
            number = n if 1 <= n <= 5 else 0
    if number is not None:
        return (number or None), spans
    return word, spans


def _local(tz: tzinfo | None, day: date, hour: int, minute: int) -> datetime:
    dt = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    # a wall time inside a DST gap is moved forward; the offset is the one in force that day
    return dt.astimezone(UTC).astimezone(tz) if tz is not None else dt


def _after(a: datetime, b: datetime) -> bool:
    # compare instants: two datetimes sharing a tzinfo compare by wall time, wrong in a DST fold
    return a.timestamp() > b.timestamp()


def _ago(now: datetime, seconds: float) -> datetime:
    if now.tzinfo is None:
        return now - timedelta(seconds=seconds)
    if seconds >= 86400 and seconds % 86400 == 0:  # "2 days ago": same wall-clock time
        day = now.date() - timedelta(days=int(seconds // 86400))
        return _local(now.tzinfo, day, now.hour, now.minute)
    return (now.astimezone(UTC) - timedelta(seconds=seconds)).astimezone(now.tzinfo)


def _unit(p: _Patterns, piece: re.Match[str]) -> int:
    if piece.group("fx"):
        return p.fixed_s.get(canonical(piece.group("fx")), 0)
    return p.ago_unit_s.get(canonical(piece.group("u") or piece.group("u2") or ""), 0)


def _month_first(now: datetime | None) -> bool:
    return getattr(now and now.tzinfo, "key", "") in _patterns().month_first_zones


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    return int(raw) + 2000 if len(raw) == 2 else int(raw)


# (year or None, month, day, (hour, minute) or None): a date as written
DateParts = tuple[int | None, int, int, tuple[int, int] | None]


def _date(p: _Patterns, m: re.Match[str], now: datetime | None) -> DateParts | None:
    """(year or None, month, day, clock or None) of one date match; None when it is not a date."""
    kind = m.lastgroup
    clock: tuple[int, int] | None = None
    y: int | None
    mo: int | None
    d: int
    if kind == "iso":
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
        if m.group("ih"):
            clock = (int(m.group("ih")), int(m.group("imin")))
    elif kind == "dm":
        y, mo, d = _year(m.group("dy")), p.month_value.get(m.group("dmm").rstrip(".")), int(m.group("dd"))
    elif kind == "md":
        y, mo, d = _year(m.group("mdy")), p.month_value.get(m.group("mdm").rstrip(".")), int(m.group("mdd"))
    elif kind == "dot":
        y, mo, d = _year(m.group("ty")), int(m.group("tm")), int(m.group("td"))
    elif kind == "ondot":
        y, mo, d = None, int(m.group("om")), int(m.group("od"))
    elif kind == "sl":
        a, b, y = int(m.group("sa")), int(m.group("sb")), _year(m.group("sy"))
        if not m.group("on") and y is None and b in p.v.intensity_scales and a <= b:
            return None  # "3/5" is a strength
        mo, d = (a, b) if _month_first(now) else (b, a)
        if mo > 12 and d <= 12:
            mo, d = d, mo
    elif kind == "th":
        y, mo, d = None, 0, int(m.group("thd"))  # month 0: this month, or the last one
    else:
        return None
    if mo is None or not 0 <= mo <= 12 or not 1 <= d <= 31:
        return None
    if clock is not None and (clock[0] > 23 or clock[1] > 59):
        clock = None
    return y, mo, d, clock


def _resolve_date(y: int | None, mo: int, d: int, today: date) -> date | None:
    """The day meant: the stated year, else this year (or last year when far ahead)."""
    try:
        if mo == 0:  # "the 20th": this month, or last month when the 20th is still to come
            day = date(today.year, today.month, d)
            if day > today:
                prev = today.replace(day=1) - timedelta(days=1)
                day = date(prev.year, prev.month, d)
            return day
        day = date(y or today.year, mo, d)
        if y is None and (day - today).days > 31:
            day = date(today.year - 1, mo, d)
        return day
    except ValueError:  # 31 Feb, 31 Nov
        return None


def _when(
    p: _Patterns, text: str, now: datetime | None, taken: list[tuple[int, int]]
) -> tuple[datetime | None, list[tuple[int, int]], bool]:
    """(occurred_at or None, spans read, absolute date named). With now=None the spans are
    still found."""
    spans: list[tuple[int, int]] = []
    # kind -> what was read: "date" DateParts, "ago" seconds, "dp" (day offset, part, name), "day" offset,
    # "part" (part, name), "wd" (weekday, last), "clock" a match: values of several types, by kind
    found: dict[str, Any] = {}
    if _DIGIT.search(text):
        for m in p.date.finditer(text):
            if _free(taken, m.start(), m.end()) and (parts := _date(p, m, now)) is not None:
                spans.append(m.span())
                found.setdefault("date", parts)
    for m in p.when_words.finditer(text):
        if not _free(taken, m.start(), m.end()):
            continue
        kind, value = p.when_kind.get(canonical(m.group(0)), ("", None))
        if kind == "ago":
            amount = p.ago_amount.search(text, max(0, m.start() - 48), m.start())
            if amount is None:
                continue
            pieces = list(p.ago_piece.finditer(text, amount.start(), m.start()))
            keep = len(pieces) - 1
            while keep > 0 and _unit(p, pieces[keep - 1]) > _unit(p, pieces[keep]):
                keep -= 1  # "1 hour 30 min ago" adds up; in "30s 3 days ago" the 30s is a duration
            seconds = 0.0
            for piece in pieces[keep:]:
                seconds += _amount_s(p, piece, p.ago_unit_s) or 0
            spans.append((pieces[keep].start() if pieces else amount.start(), m.end()))
            value = seconds
        else:
            spans.append(m.span())
        if kind:
            found.setdefault(kind, value)
    if _DIGIT.search(text) and (
        ":" in text or "@" in text or "~" in text or p.clock_ampm.search(text) or p.clock_hint.search(text)
    ):
        for m in p.clock.finditer(text):
            if _free(taken, m.start(), m.end()) and _free(spans, m.start(), m.end()):
                spans.append(m.span())
                found.setdefault("clock", m)
    if now is None or not found:
        return None, spans, False
    if "ago" in found and "date" not in found:
        seconds = found["ago"]
        if not 0 < seconds <= p.v.max_days_ago * 86400:
            return None, spans, False
        return _ago(now, seconds), spans, False

    tz, today = now.tzinfo, now.date()
    day_off: int | None = None
    part: tuple[int, int] | None = None
    part_name = ""
    if "dp" in found:
        day_off, part, part_name = found["dp"]
    if "day" in found and day_off is None:
        day_off = found["day"]
    if "part" in found and part is None:
        part, part_name = found["part"]
    absolute = None
    weekday: int | None
    if "date" in found:
        y, mo, d, iso_clock = found["date"]
        absolute = _resolve_date(y, mo, d, today)
        if absolute is not None:
            day_off, weekday = (absolute - today).days, None
            if iso_clock is not None and "clock" not in found:
                part, part_name = iso_clock, "clock"
    weekday = None
    if "wd" in found and day_off is None:
        weekday, last = found["wd"]
        day_off = -((today.weekday() - weekday) % 7)
        if day_off == 0 and last:
            day_off = -7

    clock = found.get("clock")
    if clock is not None:
        g = clock.lastgroup
        hour, minute = int(clock.group(g + "h")), int(clock.group(g + "m") or 0)
        ap = (clock.group("c1ap") or "") if g == "c1" else ""
        if hour > 23 or minute > 59 or (ap[:1] in ("a", "p") and not 1 <= hour <= 12):
            clock = None
    if clock is not None:
        if ap.startswith("p"):
            hour = hour % 12 + 12
        elif ap.startswith("a"):
            hour %= 12
        elif 1 <= hour <= 12:
            if "night" in part_name:  # "last night at 2" is early today; "at 11" is the evening
                if hour == 12 or hour <= 5:
                    hour %= 12
                    if day_off == -1 and part_name.startswith("last"):
                        day_off = 0
                else:
                    hour += 12
            elif part is not None and part[0] >= 12:  # afternoon, evening
                hour = hour % 12 + 12
            elif part is not None:  # morning
                hour %= 12
            elif day_off is not None and day_off < 0:  # a past day: 1-6 pm, 7-11 am
                hour = hour % 12 + 12 if hour <= 6 else hour
            else:  # the most recent such clock time
                later = hour % 12 + 12
                if not _after(_local(tz, today, later, minute), now):
                    hour = later
                elif not _after(_local(tz, today, hour % 12, minute), now):
                    hour %= 12
                else:
                    hour = later
        hm = (hour, minute)
    elif part is not None:
        hm = part
    elif absolute is not None and day_off != 0:
        hm = (12, 0)  # a date with no time: midday of that day
    elif day_off is not None and day_off < 0:
        hm = (now.hour, now.minute)  # "yesterday": a day ago
    elif absolute is not None or "now" in found:
        return now, spans, absolute is not None
    else:
        return None, spans, False

    stated_day = day_off is not None
    at = _local(tz, today + timedelta(days=day_off or 0), *hm)
    if absolute is not None:
        return at, spans, True  # a future date is kept: the logger asks about it
    if _after(at, now):
        if weekday is not None:
            at = _local(tz, today + timedelta(days=(day_off or 0) - 7), *hm)
        elif not stated_day and (clock is not None or at.timestamp() - now.timestamp() > PART_UNDER_WAY_S):
            at = _local(tz, today - timedelta(days=1), *hm)
        else:
            at = now  # "tonight" said before the night began: now
    return at, spans, False


def _scan(text: str, now: datetime | None) -> ParsedTwitch:
    p = _patterns()
    t = _normalise(text)
    ignored = [m.span() for m in p.ignore.finditer(t) if _ignored(t, m, p.ignore_contexts)]

    # triggers first: "dry eyes" is eye strain (not the eyelid), "4 hours of sleep" not a duration
    found: set[str] = set()
    taken: list[tuple[int, int]] = []
    for tid, below, pattern in p.numbered if p.numbered_hint.search(t) else ():
        for m in pattern.finditer(t):
            if _free(ignored, *m.span()):
                taken.append(m.span())
                num = p.number_word.search(m.group(0))
                digits = re.search(r"[0-9]{1,2}(?:[.,][0-9])?", m.group(0))
                n = float(digits.group(0).replace(",", ".")) if digits else _number(p, num and num.group(0))
                if n is not None and n < below and not p.negation.search(t, max(0, m.start() - 24), m.start()):
                    found.add(tid)
    for m in p.trigger.finditer(t):
        if _free(ignored, *m.span()) and _free(taken, *m.span()):
            taken.append(m.span())
            if not p.negation.search(t, max(0, m.start() - 24), m.start()):
                found.add(p.trigger_ids.get(canonical(m.group(0)), ""))
    found.discard("")
    triggers = tuple(sorted(found, key=p.trigger_order.__getitem__))

    ongoing_s, spans = _ongoing_phrase(p, t, taken, now)  # "since yesterday", "all evening": not a time
    taken += spans
    occurred_at, spans, date_stated = _when(p, t, now, taken)
    taken += spans
    if ongoing_s is None:
        ongoing_s, spans = _ongoing(p, t, taken)
        taken += spans
    intensity, spans = _intensity(p, t, taken, _DIGIT.search(t) is not None)
    taken += spans
    duration_s = _duration(p, t, taken)

    blocked = ignored + taken
    body = False
    found_regions: list[tuple[str, re.Match[str]]] = []
    for m in p.region.finditer(t):
        if _free(blocked, *m.span()):
            rid = p.region_ids.get(canonical(m.group(0)))
            if rid == BODY_WORD:
                body = True
            elif rid is not None:
                found_regions.append((rid, m))
    sides = [
        (m.start(), m.end(), p.side_ids.get(canonical(m.group(0))))
        for m in p.side.finditer(t)
        if _free(blocked, *m.span())
    ]
    places = _places(p, t, found_regions, sides)
    region, side = places[0] if places else (None, None)
    if len(places) <= 1:
        seen = {s for _, _, s in sides if s}
        if seen:  # one place: any side word counts, wherever it stands ("calf, left side")
            side = "both" if ("both" in seen or len(seen) > 1) else seen.pop()
        places = ((region, side),) if region else ()

    detail = bool(side or duration_s or occurred_at or intensity or triggers or body or ongoing_s)
    ends_with_question = t.rstrip().endswith("?")
    question = bool(p.question.match(t)) or (
        ends_with_question and not (duration_s or intensity or occurred_at or triggers)
    )
    report = False
    if not question:
        if region is not None:
            report = True
        elif any(_free(blocked, *m.span()) for m in p.twitch.finditer(t)):
            report = detail or p.cue.search(t) is not None
    return ParsedTwitch(
        region,
        side,
        duration_s,
        triggers,
        intensity,
        occurred_at,
        report,
        places,
        ongoing_s,
        date_stated,
        len(places) > 1 and _UNCLEAR.search(t, found_regions[0][1].start(), found_regions[-1][1].end()) is not None,
    )


_COUNTED = re.compile(r"(?:\b(?:times|twice|once|per|every|each)|[0-9]x) (?:a |an |the )?$")


_AFTER_TWITCH = re.compile(r"(?:twitch|jump|spasm|flicker|flutter|go)\w* $")


_SINCE_DAY = re.compile(
    r"(?<!\w)since (?:last |this past )?(mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)day(?!\w)"
)
_WEEKDAY = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "wednes": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4,
            "sat": 5, "satur": 5, "sun": 6}  # fmt: skip


def _ongoing_phrase(
    p: _Patterns, text: str, taken: list[tuple[int, int]], now: datetime | None = None
) -> tuple[int | None, list[tuple[int, int]]]:
    """Phrases that say how long it has gone on: "all day", "since yesterday", "since friday"."""
    for m in p.ongoing_phrase.finditer(text):
        if _free(taken, *m.span()):
            return p.ongoing_phrase_s.get(canonical(m.group(0))), [m.span()]
    if "since" in text and (since := _SINCE_DAY.search(text)) and _free(taken, *since.span()):
        today = now.weekday() if now is not None else 0
        days = (today - _WEEKDAY[since.group(1)]) % 7 or 7  # "since friday" said on a Tuesday: 4 days
        return days * 86400, [since.span()]
    return None, []


def _ongoing(p: _Patterns, text: str, taken: list[tuple[int, int]]) -> tuple[int | None, list[tuple[int, int]]]:
    """Seconds the twitching has gone on ("for 3 weeks", "2 months now"), and the spans read."""
    hint = p.ongoing_hint.search(text)
    for m in p.ongoing.finditer(text, max(0, hint.start() - 40)) if hint else ():
        if not _free(taken, *m.span()):
            continue
        lead, tail, amount = m.group("lead"), m.group("tail"), m.group("on")
        if lead is None and tail is None:
            if amount is None or _COUNTED.search(text, max(0, m.start() - 24), m.start()):
                continue  # "twice a day", "3 times a week": how often, not how long
            if amount in ("a", "an") and not _AFTER_TWITCH.search(text, max(0, m.start() - 24), m.start()):
                continue  # "3 coffees a day"; but "twitching a month" is how long
        if lead in ("last", "past", "over") and amount is None:
            continue  # "last week" is when it happened
        n = _number(p, amount) if amount else 1.0
        seconds = (n or 0) * p.ongoing_unit_s.get(canonical(m.group("ou")), 0)
        if 0 < seconds <= 20 * 365 * 86400:
            return int(seconds), [m.span()]
    return None, []


_UNCLEAR = re.compile(r"(?<!\w)(?:or|either|not sure (?:if|whether|which)|can'?t tell)(?!\w)")


def _places(
    p: _Patterns, t: str, regions: list[tuple[str, re.Match[str]]], sides: list[tuple[int, int, str | None]]
) -> tuple[tuple[str, str | None], ...]:
    """Each region named with the side written in front of it ("left calf, right arm"); one
    place per region and side; "all over" stands for every place named with it."""
    out: list[tuple[str, str | None]] = []
    prev_end, prev_side = 0, None
    for rid, m in regions:
        if rid == "widespread":
            return (("widespread", None),)
        before = [s for a, b, s in sides if prev_end <= a and b <= m.start() and s]
        abbrev = p.abbrev.search(t, max(prev_end, m.start() - 5), m.start())
        side = before[-1] if before else (p.abbrev_ids.get(abbrev.group(1)) if abbrev else None)
        gap = t[prev_end : m.start()].strip(" ,&+/")
        if side is None and out and gap in ("and", "", "or", "and my", "my"):
            side = prev_side  # "left calf and thigh": the thigh is on the left too
        if side is None and canonical(m.group(0)) in p.plural_both:
            side = "both"
        place = (rid, side)
        same = [i for i, (r, s) in enumerate(out) if r == rid and (s == side or s is None or side is None)]
        if same:
            if out[same[0]][1] is None:
                out[same[0]] = place
        else:
            out.append(place)
        prev_end, prev_side = m.end(), side
    return tuple(out)


# ---- the API ------------------------------------------------------------------------------------
_NOTHING = ParsedTwitch()


def _safe(text: object, now: datetime | None) -> ParsedTwitch:
    if not isinstance(text, str) or not text:
        return _NOTHING
    try:
        return _scan(text, now)
    except Exception:  # a bug must not cost the person their message; logged without the text
        log.exception("twitch parser failed on a %d-character text", len(text))
        return _NOTHING


def parse_twitch(text: str, now: datetime) -> ParsedTwitch:
    """Read a twitch report. `now` is aware, in the person's zone; occurred_at comes back in
    that zone, or None when the text names no time. Never raises."""
    return _safe(text, now)


def parse_duration(text: str) -> int | None:
    """Whole seconds in "90s", "2 min", "half a minute", "1.5 hours"; None if none or absurd."""
    return _safe(text, None).duration_s


def parse_when(text: str, now: datetime) -> datetime | None:
    return _safe(text, now).occurred_at


_BARE_STRENGTH = re.compile(r"\s*([1-5])\s*[.!]?\s*")


def parse_intensity(text: str) -> int | None:
    """1..5 from "3/5", "intensity 4", "mild"; a bare "3" counts here (an answer to "how strong")."""
    if isinstance(text, str) and (m := _BARE_STRENGTH.fullmatch(text[:20])):
        return int(m.group(1))
    return _safe(text, None).intensity


def match_region(text: str) -> str | None:
    return _safe(text, None).region


def match_side(text: str) -> str | None:
    """left/right/both; a lone "l" or "R" counts here (an answer to "which side")."""
    side = _safe(text, None).side
    if side is None and isinstance(text, str) and len(text) <= 8:
        side = _patterns().abbrev_ids.get(text.strip().strip(".").lower())
    return side


def match_triggers(text: str) -> tuple[str, ...]:
    return _safe(text, None).triggers


@lru_cache(maxsize=1)
def _no_trigger_re() -> re.Pattern[str]:
    phrases = sorted(load_vocabulary().no_trigger, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b") if phrases else re.compile("(?!)")


def says_no_trigger(text: str) -> bool:
    """True when the person says there was no trigger: the trigger question is answered."""
    try:
        return _no_trigger_re().search(_normalise(str(text)[:MAX_CHARS])) is not None
    except Exception:  # never let a parser bug reach the person
        return False
