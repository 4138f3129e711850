"""What a free-text message is: a twitch report, a note, a question, a feeling, a greeting or
thanks, or unknown; with a confidence from 0 to 1. Data in rules/intent.toml.

The safety screen runs before this (bot/safety.py), so only text it let through arrives here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from rules.faq import has_topic, match_faq
from rules.parser import ParsedTwitch, _normalise, parse_twitch, says_no_trigger

INTENT_PATH = Path(__file__).with_name("intent.toml")

REPORT, NOTE, QUESTION, FEELING, GREETING, THANKS, UNKNOWN = (
    "report",
    "note",
    "question",
    "feeling",
    "greeting",
    "thanks",
    "unknown",
)


@dataclass(frozen=True, slots=True)
class Intent:
    kind: str
    confidence: float
    parsed: ParsedTwitch
    feeling: str | None = None  # "fear" | "relief" | "mood": carried along with any kind


@dataclass(frozen=True, slots=True)
class _Rules:
    greeting: re.Pattern[str]
    thanks: re.Pattern[str]
    fear: re.Pattern[str]
    relief: re.Pattern[str]
    mood: re.Pattern[str]
    question: re.Pattern[str]
    note: re.Pattern[str]
    hints: tuple[str, ...]


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)")


@lru_cache(maxsize=1)
def rules() -> _Rules:
    data = tomllib.loads(INTENT_PATH.read_text(encoding="utf-8"))
    return _Rules(
        _any(data["greeting"]),
        _any(data["thanks"]),
        _any(data["fear"]),
        _any(data["relief"]),
        _any(data["mood"]),
        _any(data["question"]),
        _any(data.get("note", [])),
        tuple(data["hints"]),
    )


def hints() -> tuple[str, ...]:
    return rules().hints


_WORD = re.compile(r"[a-z0-9']+")


def classify(text: str, now: datetime, parsed: ParsedTwitch | None = None) -> Intent:
    """One reading of a message. Never raises; unknown when nothing fits."""
    r = rules()
    t = _normalise(text or "").strip()
    parsed = parsed or parse_twitch(text or "", now)
    if not t:
        return Intent(UNKNOWN, 1.0, parsed)
    words = _WORD.findall(t)
    feeling = None
    if r.fear.search(t):
        feeling = "fear"
    elif r.relief.search(t):
        feeling = "relief"
    elif r.mood.search(t):
        feeling = "mood"

    if len(words) <= 6 and r.greeting.search(t):
        return Intent(GREETING, 0.95, parsed)
    if len(words) <= 8 and r.thanks.search(t):
        return Intent(THANKS, 0.9, parsed)
    asks = bool(words) and (
        (t.endswith("?") and any(c.isalpha() for c in t))
        or r.question.search(t) is not None
        or (len(words) > 1 and _starts_like_question(t))
    )
    if parsed.is_twitch_report and parsed.region and not asks:
        return Intent(REPORT, 0.95 if len(parsed.places) == 1 else 0.85, parsed, feeling)
    if parsed.is_twitch_report and not asks and feeling in ("relief", "mood"):
        return Intent(FEELING, 0.7, parsed, feeling)  # "the twitching stopped today"
    if parsed.is_twitch_report and not asks:
        return Intent(REPORT, 0.7, parsed, feeling)  # a twitch with no place: the place is asked
    if asks:
        if feeling == "fear" and ((faq := match_faq(t)) is None or faq.id == "harmless"):
            return Intent(FEELING, 0.8, parsed, feeling)  # "am I dying?": the fear is the question
        return Intent(QUESTION, 0.9 if t.endswith("?") else 0.75, parsed, feeling)
    if feeling == "fear" and set(parsed.triggers) - {"stress"}:
        return Intent(NOTE, 0.6, parsed, feeling)  # "slept badly, anxious about work"
    if feeling is not None:
        return Intent(FEELING, 0.85, parsed, feeling)
    if parsed.triggers or says_no_trigger(t) or parsed.occurred_at is not None or r.note.search(t):
        return Intent(NOTE, 0.6, parsed)  # "slept badly, 3 coffees": journal material, no twitch
    if len(words) <= 4 and _topic_only(t):
        return Intent(QUESTION, 0.6, parsed)  # "b12 deficiency", "lyme"
    return Intent(UNKNOWN, 0.5, parsed)


_QUESTION_START = re.compile(
    r"^[\W_]*(?:what|what's|whats|why|how|is|are|can|could|does|do|did|should|shall|would|will|when|where|which|who"
    r"|am i|isn't|aren't|may|might|has|have|any chance|is it|could it)(?!\w)"
)


def _starts_like_question(t: str) -> bool:
    return _QUESTION_START.match(t) is not None


def _topic_only(t: str) -> bool:
    return has_topic(t)
