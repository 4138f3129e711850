"""The shared vocabulary (rules/vocabulary.toml): body regions, sides, triggers and the words
the free-text parser understands. Loaded once, checked at load, then read-only."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rules.sources import SourceError, check_cited

DEFAULT_PATH = Path(__file__).with_name("vocabulary.toml")

# "my" in a phrase also matches these words ("back of my neck" = "back of the neck").
DETERMINERS = ("my", "the", "your", "his", "her")
_DETERMINER = re.compile(r"\b(?:the|your|his|her)\b")
_SEPARATORS = str.maketrans("", "", " -'")


class VocabularyError(ValueError):
    """The vocabulary file is malformed or ambiguous; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Region:
    id: str
    label: str
    group: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Side:
    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Trigger:
    id: str
    label: str
    phrases: tuple[str, ...] = ()
    numbered: tuple[str, ...] = ()  # phrases with "#" for a number
    numbered_below: float = 0.0  # a numbered phrase counts only when its number is below this


@dataclass(frozen=True, slots=True)
class Vocabulary:
    regions: dict[str, Region]
    region_groups: dict[str, tuple[str, ...]]
    groups: dict[str, Group]
    triggers: dict[str, Trigger]
    sides: dict[str, Side]
    body_words: tuple[str, ...]
    negations: tuple[str, ...]
    ignore: tuple[str, ...]
    duration_units: dict[str, int]  # word -> seconds; allowed after a number word too
    duration_short_units: dict[str, int]  # "s", "m", "h": only right after digits
    duration_numbers: dict[str, float]
    duration_phrases: dict[str, int]
    duration_max_s: int
    intensity_words: dict[str, int]
    intensity_keywords: tuple[str, ...]
    intensity_scales: tuple[int, ...]
    when_days: dict[str, int]
    when_parts: dict[str, tuple[int, int]]
    when_day_parts: dict[str, tuple[int, tuple[int, int]]]
    when_now: tuple[str, ...]
    weekdays: dict[str, int]
    max_days_ago: int
    ago_units: dict[str, int]  # word -> seconds, for "2 days ago"; besides the duration units
    ago_words: tuple[str, ...]
    twitch_words: tuple[str, ...]
    cues: tuple[str, ...]
    question_words: tuple[str, ...]
    no_trigger: tuple[str, ...] = ()  # "no trigger", "out of nowhere": triggers answered, none
    plural_both: tuple[str, ...] = ()  # "calves": both sides when no side is named
    months: dict[str, int] | None = None  # "nov" -> 11
    month_first_zones: frozenset[str] = frozenset()  # zones where "11/20" is month/day
    ongoing_lead: tuple[str, ...] = ()  # "for", "past": before "3 weeks"
    ongoing_tail: tuple[str, ...] = ()  # "now", "straight": after "3 weeks"
    ongoing_units: dict[str, int] | None = None  # "weeks" -> seconds
    ongoing_phrases: dict[str, int] | None = None  # "all day" -> seconds

    def region_label(self, region_id: str) -> str:
        region = self.regions.get(region_id)
        return region.label if region else region_id

    def trigger_label(self, trigger_id: str) -> str:
        trigger = self.triggers.get(trigger_id)
        return trigger.label if trigger else trigger_id

    def group_of(self, region_id: str) -> str | None:
        region = self.regions.get(region_id)
        return region.group if region else None


def canonical(phrase: str) -> str:
    """The form two spellings of one phrase share: lower case, no spaces, hyphens or
    apostrophes, and "the/your/his/her" read as "my"."""
    phrase = phrase.lower()
    if " " not in phrase and "-" not in phrase and "'" not in phrase:
        return phrase  # the common case, kept cheap: the parser calls this for every word it reads
    return _DETERMINER.sub("my", phrase).translate(_SEPARATORS)


@lru_cache(maxsize=8)
def load_vocabulary(path: Path | str | None = None) -> Vocabulary:
    """Read and check the vocabulary; cached, so every caller shares one instance."""
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise VocabularyError(f"{path}: cannot read the vocabulary: {e}") from e
    try:
        return _build(data, path.name)
    except VocabularyError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise VocabularyError(f"{path.name}: malformed vocabulary ({type(e).__name__}: {e})") from e


def region_label(region_id: str) -> str:
    return load_vocabulary().region_label(region_id)


def trigger_label(trigger_id: str) -> str:
    return load_vocabulary().trigger_label(trigger_id)


def group_of(region_id: str) -> str | None:
    return load_vocabulary().group_of(region_id)


# ---- building and checking ----------------------------------------------------------------------
class _Claims:
    """Every phrase of one category belongs to exactly one id."""

    def __init__(self, where: str, category: str) -> None:
        self.where, self.category = where, category
        self.owner: dict[str, str] = {}  # canonical phrase -> the id it belongs to
        self.spelled: dict[str, str] = {}  # canonical phrase -> as first written

    def claim(self, phrase: Any, owner: str) -> str:
        if not isinstance(phrase, str) or not phrase.strip():
            raise VocabularyError(f"{self.where}: {self.category} {owner!r} has an empty or non-text phrase")
        phrase = clean = " ".join(phrase.lower().split())
        key = canonical(clean)
        other = self.owner.get(key)
        if other is not None and other != owner:
            raise VocabularyError(
                f"{self.where}: {self.category} phrase {phrase!r} is listed for both {other!r} and "
                f"{owner!r} (as {self.spelled[key]!r}); a phrase may belong to one only"
            )
        self.owner[key], self.spelled[key] = owner, clean
        return clean


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise VocabularyError(f"{where}: {key!r} must be a non-empty text (in {dict(item)!r:.80})")
    return value.strip()


def _clock(value: Any, where: str) -> tuple[int, int]:
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(value))
    if not m:
        raise VocabularyError(f"{where}: {value!r} is not a clock time like 08:00")
    return int(m.group(1)), int(m.group(2))


def _words(values: Any, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise VocabularyError(f"{where}: expected a list of non-empty texts")
    return tuple(dict.fromkeys(" ".join(v.lower().split()) for v in values))


def _check_sources(data: dict[str, Any], where: str) -> None:
    """Every `source` of a table (groups, regions, triggers, ...) is a fact of rules/facts.toml."""
    for kind, items in data.items():
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict) and "source" in item:
                owner = f"{kind} {item['id']!r}" if "id" in item else f"[{kind}]"
                try:
                    check_cited([item["source"]], f"{where}: {owner}")
                except SourceError as exc:
                    raise VocabularyError(str(exc)) from exc


def _build(data: dict[str, Any], where: str) -> Vocabulary:
    _check_sources(data, where)
    groups: dict[str, Group] = {}
    for item in data.get("group", []):
        gid = _text(item, "id", where)
        if gid in groups:
            raise VocabularyError(f"{where}: group {gid!r} is defined twice")
        groups[gid] = Group(gid, _text(item, "label", where))
    if not groups:
        raise VocabularyError(f"{where}: no [[group]] defined")

    region_claims = _Claims(where, "region")
    regions: dict[str, Region] = {}
    for item in data.get("region", []):
        rid = _text(item, "id", where)
        if rid in regions:
            raise VocabularyError(f"{where}: region {rid!r} is defined twice")
        group = _text(item, "group", where)
        if group not in groups:
            known = ", ".join(groups)
            raise VocabularyError(f"{where}: region {rid!r} names unknown group {group!r} (known: {known})")
        synonyms = tuple(dict.fromkeys(region_claims.claim(s, rid) for s in item.get("synonyms", [])))
        regions[rid] = Region(rid, _text(item, "label", where), group, synonyms)
    if not regions:
        raise VocabularyError(f"{where}: no [[region]] defined")
    region_groups = {g: tuple(r.id for r in regions.values() if r.group == g) for g in groups}
    for g, members in region_groups.items():
        if not members:
            raise VocabularyError(f"{where}: group {g!r} has no region")
    body_words = tuple(
        region_claims.claim(w, "(body word)") for w in _words(data.get("body", {}).get("generic", []), where)
    )

    side_claims = _Claims(where, "side")
    sides: dict[str, Side] = {}
    for item in data.get("side", []):
        sid = _text(item, "id", where)
        if sid in sides:
            raise VocabularyError(f"{where}: side {sid!r} is defined twice")
        synonyms = tuple(side_claims.claim(s, sid) for s in item.get("synonyms", []))
        abbreviations = tuple(side_claims.claim(s, sid) for s in item.get("abbreviations", []))
        sides[sid] = Side(sid, _text(item, "label", where), synonyms, abbreviations)

    trigger_claims = _Claims(where, "trigger")
    triggers: dict[str, Trigger] = {}
    for item in data.get("trigger", []):
        tid = _text(item, "id", where)
        if tid in triggers:
            raise VocabularyError(f"{where}: trigger {tid!r} is defined twice")
        phrases = tuple(dict.fromkeys(trigger_claims.claim(p, tid) for p in item.get("phrases", [])))
        numbered_spec = item.get("numbered", {})
        numbered = tuple(trigger_claims.claim(p, tid) for p in numbered_spec.get("phrases", []))
        for p in numbered:
            if p.count("#") != 1:
                raise VocabularyError(f"{where}: numbered phrase {p!r} of {tid!r} needs exactly one '#'")
        below = float(numbered_spec.get("below", 0))
        triggers[tid] = Trigger(tid, _text(item, "label", where), phrases, numbered, below)

    ignore = _words(data.get("ignore", {}).get("phrases", []), where)
    for p in ignore:
        if not re.fullmatch(r"[^\[\]]*\[[^\[\]]+\][^\[\]]*", p):
            raise VocabularyError(f"{where}: ignore phrase {p!r} needs exactly one [word] in brackets")

    duration = data.get("duration", {})
    unit_seconds = {"second": 1, "minute": 60, "hour": 3600}
    units: dict[str, int] = {}
    short_units: dict[str, int] = {}
    for name, words in duration.get("units", {}).items():
        base = name.removeprefix("short_")
        if base not in unit_seconds:
            raise VocabularyError(f"{where}: unknown duration unit {name!r} (use second, minute, hour)")
        target = short_units if name.startswith("short_") else units
        for w in _words(words, where):
            if w in units or w in short_units:
                raise VocabularyError(f"{where}: duration unit word {w!r} is listed twice")
            target[w] = unit_seconds[base]
    numbers = {" ".join(k.lower().split()): float(v) for k, v in duration.get("numbers", {}).items()}
    fixed_phrases = {" ".join(k.lower().split()): int(v) for k, v in duration.get("phrases", {}).items()}
    max_s = int(duration.get("max_seconds", 86400))
    if max_s <= 0 or not units:
        raise VocabularyError(f"{where}: [duration] needs units and a positive max_seconds")

    intensity = data.get("intensity", {})
    intensity_words = {}
    for k, v in intensity.get("words", {}).items():
        if not isinstance(v, int) or not 1 <= v <= 5:
            raise VocabularyError(f"{where}: intensity word {k!r} must map to 1..5, not {v!r}")
        intensity_words[" ".join(k.lower().split())] = v

    when = data.get("when", {})
    parts = {k.lower(): _clock(v, where) for k, v in when.get("parts", {}).items()}
    day_parts = {k.lower(): (int(v[0]), _clock(v[1], where)) for k, v in when.get("day_parts", {}).items()}
    weekdays = {k.lower(): int(v) for k, v in when.get("weekdays", {}).items()}
    if any(not 0 <= v <= 6 for v in weekdays.values()):
        raise VocabularyError(f"{where}: weekdays must map to 0 (Monday) .. 6 (Sunday)")

    report = data.get("report", {})
    ongoing = data.get("ongoing", {})
    if any(not 1 <= m <= 12 for m in when.get("months", {}).values()):
        raise VocabularyError(f"{where}: months must map to 1..12")
    return Vocabulary(
        regions=regions,
        region_groups=region_groups,
        groups=groups,
        triggers=triggers,
        sides=sides,
        body_words=body_words,
        negations=_words(data.get("negation", {}).get("before", []), where),
        ignore=ignore,
        duration_units=units,
        duration_short_units=short_units,
        duration_numbers=numbers,
        duration_phrases=fixed_phrases,
        duration_max_s=max_s,
        intensity_words=intensity_words,
        intensity_keywords=_words(intensity.get("keywords", []), where),
        intensity_scales=tuple(int(s) for s in intensity.get("scales", [5])),
        when_days={" ".join(k.lower().split()): int(v) for k, v in when.get("days", {}).items()},
        when_parts=parts,
        when_day_parts=day_parts,
        when_now=_words(when.get("now", {}).get("phrases", []), where),
        weekdays=weekdays,
        max_days_ago=int(when.get("max_days_ago", 366)),
        ago_units={
            **{w: 86400 for w in _words(when.get("day_units", []), where)},
            **{w: 7 * 86400 for w in _words(when.get("week_units", []), where)},
        },
        ago_words=_words(when.get("ago_words", ["ago"]), where),
        twitch_words=_words(report.get("twitch_words", []), where),
        cues=_words(report.get("cues", []), where),
        question_words=_words(report.get("question_words", []), where),
        no_trigger=_words(data.get("no_trigger", {}).get("phrases", []), where),
        plural_both=_words(data.get("plural_both", {}).get("words", []), where),
        months={k.lower(): int(v) for k, v in when.get("months", {}).items()},
        month_first_zones=frozenset(when.get("dates", {}).get("month_first_zones", [])),
        ongoing_lead=_words(ongoing.get("lead", []), where),
        ongoing_tail=_words(ongoing.get("tail", []), where),
        ongoing_units={k.lower(): int(v) for k, v in ongoing.get("units", {}).items()},
        ongoing_phrases={" ".join(k.lower().split()): int(v) for k, v in ongoing.get("phrases", {}).items()},
    )
