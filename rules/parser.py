"""Read a free-text twitch report ("left eyelid 2 min after my third coffee") into fields,
using the words in rules/vocabulary.toml.

Every category is one precompiled regular expression built from the vocabulary as a trie
(longest phrase first, whole words only). Phrases are claimed in a fixed order, so one word
is read once: ignored contexts ("it came [back]"), then triggers ("4 hours of sleep",
"dry eyes"), times ("2h ago"), strengths ("3/5"), durations ("90s"), and last the body
region and side. Nothing here raises on any text; see parse_twitch.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

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


def _ignored(t: str, m: re.Match, contexts: dict[str, list[tuple[str, str]]]) -> bool:
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


def _amount_s(p: _Patterns, m: re.Match, units: dict[str, int]) -> float | None:
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


def _intensity(p: _Patterns, text: str, taken: list[tuple[int, int]], digits: bool) -> tuple[int | None, list]:
    number: int | None = None
    word: int | None = None
    spans = []
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


def _when(p: _Patterns, text: str, now: datetime | None, taken: list[tuple[int, int]]) -> tuple:
    """(occurred_at or None, spans read). With now=None the spans are still found."""
    spans: list[tuple[int, int]] = []
    found: dict[str, object] = {}
    for m in p.when_words.finditer(text):
        if not _free(taken, m.start(), m.end()):
            continue
        kind, value = p.when_kind.get(canonical(m.group(0)), ("", None))
        if kind == "ago":
            amount = p.ago_amount.search(text, max(0, m.start() - 48), m.start())
            if amount is None:
                continue
            seconds = 0.0
            for piece in p.ago_piece.finditer(text, amount.start(), m.start()):
                seconds += _amount_s(p, piece, p.ago_unit_s) or 0
            spans.append((amount.start(), m.end()))
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
        return None, spans
    if "ago" in found:
        seconds = found["ago"]
        if not 0 < seconds <= p.v.max_days_ago * 86400:
            return None, spans
        return _ago(now, seconds), spans

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
    elif day_off is not None and day_off < 0:
        hm = (now.hour, now.minute)  # "yesterday": a day ago
    elif "now" in found:
        return now, spans
    else:
        return None, spans

    stated_day = day_off is not None
    at = _local(tz, today + timedelta(days=day_off or 0), *hm)
    if _after(at, now):
        if weekday is not None:
            at = _local(tz, today + timedelta(days=(day_off or 0) - 7), *hm)
        elif not stated_day and (clock is not None or at.timestamp() - now.timestamp() > PART_UNDER_WAY_S):
            at = _local(tz, today - timedelta(days=1), *hm)
        else:
            at = now  # "tonight" said before the night began: now
    return at, spans


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

    occurred_at, spans = _when(p, t, now, taken)
    taken += spans
    intensity, spans = _intensity(p, t, taken, _DIGIT.search(t) is not None)
    taken += spans
    duration_s = _duration(p, t, taken)

    blocked = ignored + taken
    region = None
    body = False
    for m in p.region.finditer(t):
        if _free(blocked, *m.span()):
            rid = p.region_ids.get(canonical(m.group(0)))
            if rid == BODY_WORD:
                body = True
            elif rid is not None:
                region = rid
                side = p.abbrev.search(t, max(0, m.start() - 5), m.start())
                break
    else:
        side = None
    side = p.abbrev_ids.get(side.group(1)) if side else None

    seen = set()
    for m in p.side.finditer(t):
        if _free(blocked, *m.span()):
            seen.add(p.side_ids.get(canonical(m.group(0))))
    seen.discard(None)
    if seen:
        side = "both" if ("both" in seen or len(seen) > 1) else seen.pop()

    detail = bool(side or duration_s or occurred_at or intensity or triggers or body)
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
    return ParsedTwitch(region, side, duration_s, triggers, intensity, occurred_at, report)


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
