"""Read a typed answer to a triage question: "yeah", "not really", "10 days", "since March",
"both calves", "partly". Pure functions; the questions' own everyday words live in
rules/triage.toml (`typed`), the yes / no / not-sure words and the duration reading here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rules.parser import match_region, match_side
from rules.triage import Question
from rules.vocabulary import load_vocabulary

YES = (
    "yes", "y", "yeah", "yea", "yep", "yup", "ya", "sure", "definitely", "correct", "right", "true",
    "i do", "i have", "it is", "it does", "they do", "they have", "absolutely", "indeed", "of course", "affirmative",
    "that's right", "thats right", "exactly", "certainly", "yes it is", "yes i do", "yes i have", "ok", "okay",
)  # fmt: skip
NO = (
    "no", "n", "nope", "nah", "not really", "none", "never", "i don't", "i dont", "i do not", "haven't",
    "have not", "not at all", "no way", "negative", "it isn't", "it is not", "it doesn't", "it does not",
    "they don't", "wrong", "not that i know", "not that i know of", "not that i noticed", "no it isn't",
    "not", "i'm not", "im not", "i am not", "she isn't", "he isn't", "she's not", "he's not",
)  # fmt: skip
UNSURE = (
    "not sure", "unsure", "don't know", "dont know", "do not know", "dunno", "no idea", "maybe", "idk",
    "can't tell", "cant tell", "cannot tell", "hard to say", "kind of", "kinda", "sort of", "sorta", "partly",
    "a bit", "a little", "somewhat", "perhaps", "possibly", "i think so", "not certain", "unclear", "?",
    "i'm not sure", "im not sure", "might be", "could be",
)  # fmt: skip
DOUBT = ("not sure", "don't know", "dont know", "do not know", "no idea", "dunno", "can't tell", "hard to say")
EXPLAIN = ("what does this mean", "what do you mean", "explain", "help", "what", "huh", "meaning")

_PUNCT = re.compile(r"[.!,;:()\"]+")
_SPACE = re.compile(r"\s+")
_TYPO = str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-"})


def normalise(text: str) -> str:
    t = (text or "")[:300].lower().translate(_TYPO)
    t = _PUNCT.sub(" ", t)
    return _SPACE.sub(" ", t).strip()


def _has(text: str, phrase: str) -> bool:
    return re.search(r"(?<![\w'])" + re.escape(phrase) + r"(?![\w'])", text) is not None


def _first_of(text: str, phrases: tuple[str, ...]) -> bool:
    """True when the text is, or starts with, one of the phrases ("yes, only the eyelid")."""
    return any(text == p or text.startswith(p + " ") for p in phrases)


def yes_no(text: str) -> str | None:
    """'yes' / 'no' / 'unsure' for everyday forms, or None."""
    t = normalise(text)
    if not t:
        return None
    if _first_of(t, UNSURE) or any(_has(t, p) for p in DOUBT):
        return "unsure"
    if _first_of(t, NO):
        return "no"
    if _first_of(t, YES):
        return "yes"
    if any(_has(t, p) for p in UNSURE if len(p) > 3):
        return "unsure"
    return None


# ---- durations: how long it has gone on, in days ------------------------------------------------
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a couple": 2, "couple of": 2,
    "a few": 3, "few": 3, "several": 4, "half a": 0.5, "a half": 0.5,
}  # fmt: skip
UNIT_DAYS = {"day": 1, "night": 1, "week": 7, "fortnight": 14, "month": 30, "year": 365}
MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
         ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
         ("november", "nov"), ("december", "dec"))
    )
    for m in names
}  # fmt: skip
_NUM = r"(\d+(?:\.\d+)?|" + "|".join(sorted((re.escape(k) for k in NUMBERS), key=len, reverse=True)) + ")"
_AMOUNT = re.compile(_NUM + r"\s*(?:and a half\s+)?(day|night|week|fortnight|month|year)s?\b")
_BARE_UNIT = re.compile(r"\b(?:a|an|one)?\s*(day|week|fortnight|month|year)\b")
_SINCE_MONTH = re.compile(
    r"\bsince (?:early |mid |late |the start of |the end of )?(?:(\d{1,2}) )?([a-z]+)(?: (\d{1,2}))?\b"
)
_MORE = re.compile(r"\b(over|more than|longer than|at least|beyond|past)\b")
_LESS = re.compile(r"\b(under|less than|almost|nearly|not quite|up to|within)\b")


def duration_days(text: str, today: date) -> int | None:
    """Days the twitching has gone on, from "10 days", "about a month", "since March", "2 weeks"."""
    t = normalise(text)
    if not t:
        return None
    days: float | None = None
    if _has(t, "today") or _has(t, "this morning") or _has(t, "since yesterday") or t == "yesterday":
        days = 1
    elif m := re.search(r"\bsince last (week|month|year)\b", t):
        days = UNIT_DAYS[m.group(1)] + (3 if m.group(1) == "week" else 0)
    elif (m := _SINCE_MONTH.search(t)) and m.group(2) in MONTHS:
        month = MONTHS[m.group(2)]
        day = int(m.group(1) or m.group(3) or 1)
        year = today.year if month <= today.month else today.year - 1
        try:
            start = date(year, month, min(day, 28) if day > 28 else day)
        except ValueError:
            return None
        if start > today:
            start = date(year - 1, month, start.day)
        days = (today - start).days
    elif m := _AMOUNT.search(t):
        n = m.group(1)
        value = float(n) if n[0].isdigit() else NUMBERS[n]
        if "and a half" in m.group(0):
            value += 0.5
        days = value * UNIT_DAYS[m.group(2)]
    elif m := _BARE_UNIT.search(t):
        days = UNIT_DAYS[m.group(1)]
    if days is None or days < 0 or days > 365 * 80:
        return None
    if _MORE.search(t):
        days += 1
    elif _LESS.search(t):
        days -= 1
    return max(0, round(days))


def duration_answer(days: int) -> str:
    """The duration option for a number of days: "beyond two weeks" is more than 14 (RD-3)."""
    if days <= 14:
        return "short"
    if days < 21:
        return "two_weeks"
    if days <= 90:
        return "weeks"
    return "months"


# ---- areas ---------------------------------------------------------------------------------------
_PARTS = re.compile(r"\s*(?:,|\band\b|\bplus\b|\+|&|/|\balso\b|\bthen\b)\s*")


def regions_in(text: str) -> list[str]:
    """Body regions named in the text, in order: "eyelid and calf" -> ["eyelid", "calf"]."""
    found = []
    for part in _PARTS.split(normalise(text)):
        if part and (r := match_region(part)):
            found.append(r)
    return list(dict.fromkeys(found))


def _spread_from_regions(text: str) -> str | None:
    regions = regions_in(text)
    if not regions:
        return None
    if len(regions) == 1:
        both = match_side(text) == "both" or _has(normalise(text), "both")
        return "both_sides" if both else "one"
    groups = {load_vocabulary().group_of(r) for r in regions}
    return "several" if len(groups) >= 2 else "one"


def _face_from_regions(text: str) -> str | None:
    regions = regions_in(text)
    if not regions:
        return None
    vocab = load_vocabulary()
    eyelid = "eyelid" in regions
    others = [r for r in regions if r != "eyelid"]
    face_others = [r for r in others if vocab.group_of(r) == "face"]
    if eyelid and not others:
        return "eyelid_only"
    if eyelid and face_others and len(face_others) == len(others):
        return "eyelid_face"
    if eyelid:
        return "eyelid_elsewhere"
    if face_others and len(face_others) == len(others):
        return "face_not_eyelid"
    return "not_face"


_AGE = re.compile(r"\b(\d{1,3})\b")

# "not my face", "no face", "not the rest of my face": a face part named only to say it isn't there.
_NEGATED_FACE = re.compile(
    r"\b(?:not|no|never|isn't|isnt|aren't|arent)\s+(?:\w+\s+){0,3}?"
    r"(?:face|eyelids?|eyes?|lids?|cheeks?|lips?|mouth|jaw|chin|forehead|eyebrows?|brows?|nose)\b"
)


def _face_negated(t: str) -> str | None:
    """The face question's answer when the text denies a face part ("no not my face"), else None."""
    kept = _NEGATED_FACE.sub(" ", t)
    if kept == t:
        return None
    return _face_from_regions(kept) or "not_face"


def read_answer(q: Question, text: str, today: date) -> tuple[str | None, dict[str, Any]]:
    """(answer id, extra facts such as {"duration_days": 10}) for a typed answer, or (None, {})."""
    t = normalise(text)
    if not t:
        return None, {}
    labels = {label.lower(): a for a, label in q.options}
    if t in labels:
        return labels[t], {}
    # the question's own everyday words, longest first, as whole words
    phrases = sorted(((p, a) for a, ps in q.typed.items() for p in ps), key=lambda x: -len(x[0]))
    exact = next((a for p, a in phrases if t == p), None)
    if exact:
        return exact, {}
    if q.id == "duration":
        days = duration_days(t, today)
        if days is not None:
            return duration_answer(days), {"duration_days": days}
    if q.id == "age" and (m := _AGE.search(t)) and 0 <= int(m.group(1)) <= 120:
        return ("child" if int(m.group(1)) < 18 else "adult"), {}
    if q.id == "face" and (a := _face_negated(t) or _face_from_regions(t)):
        return a, {}
    contained = next((a for p, a in phrases if len(p) > 2 and _has(t, p)), None)
    if contained:
        return contained, {}
    if q.id == "spread" and (a := _spread_from_regions(t)):
        return a, {}
    yn = yes_no(t)
    if q.kind == "yes_no":
        return yn, {}
    if yn == "unsure" and any(a == "unsure" for a, _ in q.options):
        return "unsure", {}
    if yn == "no" and q.id in ("face", "selfcare"):
        return ("not_face" if q.id == "face" else "not_yet"), {}
    return None, {}


def wants_explanation(text: str) -> bool:
    return normalise(text) in EXPLAIN
