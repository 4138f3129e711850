"""The safety screen: reads every piece of text a person sends, before any flow or parser.

A pure function of the text (plus the person's country for the emergency number). The
phrases, negation cues, time cues, categories and reply texts are data in rules/safety.toml;
this module normalises the text, matches it, and decides the category. It never logs the text.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from rules.sources import SourceError, check_cited, load_facts

DEFAULT_PATH = Path(__file__).with_name("safety.toml")

CATEGORIES = ("emergency", "crisis", "urgent_gp", "pregnancy", "red_flag", "check_emergency", "check_crisis")
SEVERITY = {c: i for i, c in enumerate(CATEGORIES)}  # lower is more serious
LEVELS = ("immediate", "urgent", "prompt")
PREFIX = 3  # how many letters of a word index the patterns that can start there
UNLESS_REACH = 60  # characters around a match in which an `unless` pattern can excuse it
INTERRUPTING = frozenset({"emergency", "crisis"})  # answered first, everywhere, nothing else competes


class SafetyRulesError(ValueError):
    """rules/safety.toml is wrong; the message says which rule and why."""


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    own_negation: bool  # the pattern itself says "not" ("could not speak"): a "not" inside it is no negation
    starts: tuple[str, ...] | None  # literal word starts one of which the text must contain; None: always try


@dataclass(frozen=True)
class SafetyRule:
    id: str
    category: str
    kind: str
    source: str
    what: str
    patterns: tuple[Pattern, ...]
    unless: re.Pattern[str] | None
    requires: re.Pattern[str] | None = None
    negatable: bool = True
    stroke: bool = False
    slow_rule: str = ""
    level: str = ""
    also: tuple[str, ...] = ()
    triage: dict[str, str] = field(default_factory=dict)
    # A concept rule: a body part or function and a deficit within `window` words, in one
    # sentence ("my mum's face looks off"), when `needs` (e.g. a sign it started recently) holds.
    parts: re.Pattern[str] | None = None
    deficits: re.Pattern[str] | None = None
    needs: re.Pattern[str] | None = None
    window: int = 0
    twitch_near_part: bool = False  # a twitch word beside the part means it's about the twitch


@dataclass(frozen=True)
class Finding:
    """What the screen found in one message."""

    category: str  # one of CATEGORIES
    rule: str  # the rule id that decided it
    kind: str  # stroke | breathing | crisis | pregnancy | wasting | weakness | ...
    what: str  # what was found, in Flicker's words (never the person's)
    source: str
    level: str = ""  # red flags: immediate | urgent | prompt
    passed: bool = False  # stroke-like signs that came and went today
    twitch: bool = False  # the message also describes a twitch
    triage: dict[str, str] = field(default_factory=dict)  # answers the message already gives
    also: tuple[Finding, ...] = ()  # lesser findings in the same message (red flags beside a crisis)

    @property
    def interrupts(self) -> bool:
        return self.category in INTERRUPTING


@dataclass(frozen=True)
class ScreenResult:
    finding: Finding | None
    language: str  # "en", or the detected other language ("de", "es", ...)


@dataclass(frozen=True)
class Language:
    code: str
    words: frozenset[str]
    line: str = ""
    emergency: str = ""
    crisis: str = ""


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
_KEEP = re.compile(r"[^a-z0-9' .,;!?&-]+")
_PUNCT = re.compile(r"\s*([.,;!?])\s*")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9']+")
_TWITCH = re.compile(
    r"\b(twitch\w*|twiching|twtich\w*|fascicul\w*|spasm\w*|flicker\w*|jumping|jumpy|tic|tics|myokymia)\b"
)


class SafetyScreen:
    """Loaded once from rules/safety.toml; `screen(text)` is pure and cheap (tens of µs)."""

    def __init__(self, data: dict[str, Any], facts: frozenset[str] | None = None) -> None:
        self.data = data
        norm = data.get("normalize", {})
        self._words: dict[str, str] = {k.lower(): v for k, v in norm.get("words", {}).items()}
        neg = data.get("negation", {})
        self._cues = frozenset(neg.get("cues", ()))
        self._ignore = _alternation([rf"\b{p}\b" for p in neg.get("ignore", ())])
        self._window = int(neg.get("window", 4))
        self._breaks = frozenset(neg.get("clause_breaks", ()))
        time = data.get("time", {})
        self._resolved = _alternation(time.get("resolved", ()))
        self._past = _alternation(time.get("past", ()))
        self._slow = _alternation(time.get("slow", ()))
        self.rules: list[SafetyRule] = []
        for raw in data.get("rule", ()):
            self.rules.append(_rule(raw, facts))
        self.concepts = [_concept(raw, facts) for raw in data.get("concept", ())]
        self._recent = _alternation(time.get("recent", ()))
        self._reported = _alternation(time.get("reported", ()))
        by_id = {r.id: r for r in self.rules}
        if len(by_id) != len(self.rules):
            raise SafetyRulesError("rules/safety.toml: two rules share an id")
        for r in (*self.rules, *self.concepts):
            if r.slow_rule and r.slow_rule not in by_id:
                raise SafetyRulesError(f"rules/safety.toml: rule {r.id!r} names unknown slow_rule {r.slow_rule!r}")
        self.by_id = by_id
        second = data.get("second_opinion", {})
        self._model_min_words = int(second.get("min_words", 4))
        self._model_topics = {
            "crisis": _alternation(second.get("crisis_words", ())),
            "emergency": _alternation(second.get("emergency_words", ())),
        }
        self.model: SecondOpinion | None = None  # set by load_safety_screen (rules/safety_model.json)
        # Most serious category first, so the first decisive hit wins.
        self.rules.sort(key=lambda r: SEVERITY[r.category])
        # word start -> (rule position, pattern); patterns without a literal start are always tried
        self._index: dict[str, list[tuple[int, Pattern]]] = {}
        self._always: dict[int, list[Pattern]] = {}
        self._by_word: dict[str, tuple[tuple[int, Pattern], ...]] = {}  # a cache of the index per word
        for pos, r in enumerate(self.rules):
            for p in r.patterns:
                if p.starts is None:
                    self._always.setdefault(pos, []).append(p)
                for start in p.starts or ():
                    self._index.setdefault(start[:PREFIX], []).append((pos, p))
        self.replies: dict[str, str] = dict(data.get("reply", {}))
        self.levels: dict[str, str] = dict(data.get("levels", {}))
        self.after: dict[str, Any] = dict(data.get("after", {}))
        self.after_patterns = {
            key[: -len("_patterns")]: _alternation(v) for key, v in self.after.items() if key.endswith("_patterns")
        }
        self.languages: dict[str, Language] = {}
        for code, lang in data.get("languages", {}).items():
            self.languages[code] = Language(
                code,
                frozenset(lang.get("words", ())),
                lang.get("line", ""),
                lang.get("emergency", ""),
                lang.get("crisis", ""),
            )
        self._langs_of: dict[str, tuple[str, ...]] = {}
        for code, lang in self.languages.items():
            for w in lang.words:
                self._langs_of[w] = (*self._langs_of.get(w, ()), code)
        nums = data.get("emergency_numbers", {})
        self._numbers: dict[str, str] = dict(nums.get("numbers", {}))
        for code in nums.get("eu", ()):
            self._numbers.setdefault(code, nums.get("default", "112"))
        for key in ("emergency_stroke", "emergency_breathing", "crisis", "red_flag", "english_only"):
            if key not in self.replies:
                raise SafetyRulesError(f"rules/safety.toml: [reply] lacks {key!r}")
        for level in LEVELS:
            if level not in self.levels:
                raise SafetyRulesError(f"rules/safety.toml: [levels] lacks {level!r}")

    # ---- text -------------------------------------------------------------------------------------
    def normalise(self, text: str) -> str:
        """Lowercase, accents and emoji gone, contractions and common typos made plain."""
        t = text.translate(_APOSTROPHES).casefold()
        if not t.isascii():  # accents off ("plötzlich" -> "plotzlich"); most messages skip this
            t = unicodedata.normalize("NFKD", t.replace("\u00df", "ss"))
            t = "".join(ch for ch in t if not unicodedata.combining(ch))
        t = _KEEP.sub(" ", t)
        t = _PUNCT.sub(r" \1 ", t)
        words = self._words
        out = []
        for w in t.split():
            rep = words.get(w)
            if rep is None and "'" in w:
                rep = words.get(w.replace("'", ""))
                if rep is None:
                    w = w.replace("'", " ")
            out.append(rep if rep is not None else w)
        return " ".join(out)

    def language(self, norm: str) -> str:
        """The message's language by its common words; "en" when unsure or when English wins."""
        tokens = _WORD.findall(norm)
        if len(tokens) < 2:
            return "en"
        hits: dict[str, int] = {}
        langs_of = self._langs_of
        for tok in tokens:
            for code in langs_of.get(tok, ()):
                hits[code] = hits.get(code, 0) + 1
        en_hits = hits.pop("en", 0)
        if not hits:
            return "en"
        best = max(hits, key=lambda c: hits[c])
        best_hits = hits[best]
        if best_hits >= 2 and best_hits > en_hits and best_hits >= len(tokens) * 0.25:
            return best
        return "en"

    # ---- matching -------------------------------------------------------------------------------
    def screen(self, text: str) -> ScreenResult:
        norm = self.normalise(text)
        lang = self.language(norm)
        hits: list[Finding] = []
        candidates = self._candidates(norm)
        excused: list[str] = []  # rules that matched but were excused (a negation, another meaning)
        for pos in sorted(candidates):
            rule, patterns = self.rules[pos], candidates[pos]
            if rule.requires is not None and not rule.requires.search(norm):
                continue
            if not self._fires(rule, patterns, norm, excused):
                continue
            hits.append(self._decide(rule, norm))
        if not any(h.category == "emergency" for h in hits):
            for concept in self.concepts:
                if self._concept_fires(concept, norm):
                    hits.append(self._decide(concept, norm))
        if not hits:
            # The second opinion asks only about what no rule looked at: when a rule matched and
            # was excused ("no trouble swallowing", "laughed so hard I couldn't breathe"), that stands.
            check = None if excused else self._second_opinion(norm)
            return ScreenResult(check, lang)
        hits.sort(key=lambda f: (SEVERITY[f.category], LEVELS.index(f.level) if f.level in LEVELS else 9))
        first, rest = hits[0], tuple(h for h in hits[1:] if h.category != hits[0].category or h.rule != hits[0].rule)
        triage: dict[str, str] = {}
        for h in hits:
            triage.update(h.triage)
        twitch = bool(_TWITCH.search(norm))
        return ScreenResult(
            Finding(
                first.category,
                first.rule,
                first.kind,
                first.what,
                first.source,
                first.level,
                first.passed,
                twitch,
                triage,
                rest,
            ),
            lang,
        )

    def model_would_ask(self, norm: str, target: str) -> bool:
        """Whether the second opinion may ask about `target` for this (normalised) text at all."""
        pattern = self._model_topics.get(target)
        return len(norm.split()) >= self._model_min_words and (pattern is None or bool(pattern.search(norm)))

    def _second_opinion(self, norm: str) -> Finding | None:
        """When no rule fired: ask gently if the words look like a crisis or an emergency."""
        model = self.model
        if model is None or len(norm.split()) < self._model_min_words:
            return None
        topics = [k for k, pattern in self._model_topics.items() if pattern is None or pattern.search(norm)]
        if not topics:
            return None
        scores = model.scores(norm)
        over = {k: scores[k] / model.thresholds[k] for k in topics if scores[k] >= model.thresholds[k]}
        if not over:
            return None
        best = max(over, key=lambda k: over[k])
        what = {"crisis": "thoughts of ending your life or hurting yourself", "emergency": "an emergency"}[best]
        source = {"crisis": "SF-3", "emergency": "GS-1"}[best]
        return Finding(f"check_{best}", "second_opinion", best, what, source, twitch=bool(_TWITCH.search(norm)))

    def _candidates(self, norm: str) -> dict[int, list[Pattern]]:
        """Patterns worth trying, by rule position: those whose literal start begins one of the
        text's words, plus those that can start anywhere. (Trying all ~290 patterns at every
        position costs about 1 ms a message; this keeps it in tens of µs.)"""
        found: dict[int, list[Pattern]] = {pos: list(ps) for pos, ps in self._always.items()}
        seen: set[int] = set()
        for word in set(norm.split()):
            for pos, p in self._word_candidates(word):
                if id(p) not in seen:
                    seen.add(id(p))
                    found.setdefault(pos, []).append(p)
        return found

    def _word_candidates(self, word: str) -> tuple[tuple[int, Pattern], ...]:
        got = self._by_word.get(word)
        if got is None:
            index = self._index
            got = tuple(pair for k in range(1, min(len(word), PREFIX) + 1) for pair in index.get(word[:k], ()))
            if len(self._by_word) > 100_000:  # people write a lot of different words; memory stays flat
                self._by_word.clear()
            self._by_word[word] = got
        return got

    def _fires(self, rule: SafetyRule, patterns: list[Pattern], norm: str, excused: list[str] | None = None) -> bool:
        for p in patterns:
            for m in p.regex.finditer(norm):
                # `unless` looks only near the match: "choking on my laughter", not the whole message.
                near = (max(0, m.start() - UNLESS_REACH), m.end() + UNLESS_REACH)
                if rule.unless is not None and rule.unless.search(norm, *near):
                    if excused is not None:
                        excused.append(rule.id)
                    continue
                if rule.negatable and self._negated(norm, m.start(), m.end(), p.own_negation):
                    if excused is not None:
                        excused.append(rule.id)
                    continue
                return True
        return False

    def _concept_fires(self, rule: SafetyRule, norm: str) -> bool:
        assert rule.parts is not None and rule.deficits is not None
        if rule.needs is not None and not rule.needs.search(norm):
            return False
        parts = [m for m in rule.parts.finditer(norm)]
        if not parts:
            return False
        for d in rule.deficits.finditer(norm):
            if rule.unless is not None and rule.unless.search(
                norm, max(0, d.start() - UNLESS_REACH), d.end() + UNLESS_REACH
            ):
                continue
            if rule.negatable and self._negated(norm, d.start(), d.end(), own_negation=True):
                continue
            for p in parts:
                lo, hi = sorted((p.start(), d.start()))
                between = norm[lo:hi]
                if between.count(" ") > rule.window or any(b in between for b in (" . ", " ! ", " ? ")):
                    continue
                if rule.twitch_near_part and _TWITCH.search(norm, max(0, p.start() - 25), p.end() + 25):
                    continue
                return True
        return False

    def _negated(self, norm: str, start: int, end: int, own_negation: bool = False) -> bool:
        """A negation cue in the same clause just before the match, or inside it (unless the
        pattern itself says "not", as in "could not speak")."""
        before = self._ignore.sub(" ", norm[:start]) if self._ignore else norm[:start]
        if not own_negation:
            inside = self._ignore.sub(" ", norm[start:end]) if self._ignore else norm[start:end]
            if any(tok in self._cues for tok in inside.split()):
                return True
        count = 0
        for tok in reversed(before.split()):
            if tok in self._breaks:
                return False
            if tok in self._cues:
                return True
            count += 1
            if count >= self._window:
                return False
        return False

    def _decide(self, rule: SafetyRule, norm: str) -> Finding:
        """Time decides stroke-like signs: passed today, days ago, or built up over weeks."""
        base = _finding(rule)
        if not rule.stroke:
            return base
        resolved = bool(self._resolved and self._resolved.search(norm))
        told = self._reported.sub(" ", norm) if self._reported else norm
        if self._recent and self._recent.search(told):
            return replace(base, passed=resolved)  # today, minutes ago: whatever else is said, it is now
        past = bool(self._past and self._past.search(norm))
        slow = bool(self._slow and self._slow.search(norm))
        gp = Finding("urgent_gp", rule.id, rule.kind, rule.what, rule.source)
        if resolved and past:
            return gp
        if slow and not resolved and rule.slow_rule:
            slow_rule = self.by_id[rule.slow_rule]
            return replace(_finding(slow_rule), what=slow_rule.what or rule.what)
        if past and not resolved and not slow and not _STILL.search(norm):
            return gp  # "last week my face drooped" with no sign it's still there: a past episode
        return replace(base, passed=resolved)

    # ---- where the person is ------------------------------------------------------------------------
    def emergency_number(self, timezone: str | None) -> str | None:
        """The emergency number of the country the person's time zone belongs to, if known."""
        country = country_of(timezone or "")
        if country is None:
            return None
        return self._numbers.get(country)


_STILL = re.compile(r"\b(still|now|right now|again|keeps|since)\b")


def _finding(rule: SafetyRule) -> Finding:
    return Finding(rule.category, rule.id, rule.kind, rule.what, rule.source, rule.level, triage=rule.triage)


def _alternation(patterns: Any, literal: bool = False) -> re.Pattern[str] | None:
    items = [re.escape(p) if literal else p for p in patterns]
    if not items:
        return None
    if literal:
        return re.compile(r"\b(?:" + "|".join(items) + r")\b")
    return re.compile("|".join(f"(?:{p})" for p in items))


_NEGATION_IN_PATTERN = re.compile(r"\b(not|no|never|without|nothing)\b")


def _pattern(source: str) -> Pattern:
    starts = _literal_starts(source[2:] if source.startswith("\\b") else source)
    return Pattern(re.compile(source), bool(_NEGATION_IN_PATTERN.search(source)), starts)


_WORDCHARS = set("abcdefghijklmnopqrstuvwxyz0123456789'")


def _literal_starts(src: str) -> tuple[str, ...] | None:
    """The literal letters a match must start with, one per alternative: "(kann|konnte) nicht"
    -> ("kann", "konnte"). None when the pattern can start anywhere (optional first part, a class,
    an assertion): such patterns are always tried, so this only ever saves time, never a match."""
    if not src:
        return None
    if src[0] in _WORDCHARS:
        word = ""
        for ch in src:
            if ch not in _WORDCHARS:
                break
            word += ch
        # a quantifier right after the word makes its last letter optional
        rest = src[len(word) :]
        if rest[:1] in ("?", "*", "{"):
            word = word[:-1]
        return (word,) if word else None
    if src[0] != "(" or src.startswith("(?<") or src.startswith("(?="):
        return None
    depth, end = 0, -1
    for i, ch in enumerate(src):
        if ch == "\\":
            continue
        if ch == "(" and (i == 0 or src[i - 1] != "\\"):
            depth += 1
        elif ch == ")" and src[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                end = i
                break
    if end < 0 or src[end + 1 : end + 2] in ("?", "*", "{"):
        return None
    inner = src[1:end]
    if inner.startswith("?:"):
        inner = inner[2:]
    elif inner.startswith("?"):
        return None
    branches, depth, cur = [], 0, ""
    for i, ch in enumerate(inner):
        if ch == "(" and (i == 0 or inner[i - 1] != "\\"):
            depth += 1
        elif ch == ")" and inner[i - 1] != "\\":
            depth -= 1
        if ch == "|" and depth == 0:
            branches.append(cur)
            cur = ""
        else:
            cur += ch
    branches.append(cur)
    starts: list[str] = []
    for b in branches:
        got = _literal_starts(b[2:] if b.startswith("\\b") else b)
        if not got:
            return None
        starts.extend(got)
    return tuple(starts)


def _rule(raw: dict[str, Any], facts: frozenset[str] | None) -> SafetyRule:
    rid = raw.get("id", "?")
    where = f"rules/safety.toml: rule {rid!r}"
    for key in ("id", "category", "kind", "source"):
        if not raw.get(key):
            raise SafetyRulesError(f"{where} lacks {key!r}")
    if raw["category"] not in CATEGORIES:
        raise SafetyRulesError(f"{where}: unknown category {raw['category']!r} (one of {', '.join(CATEGORIES)})")
    if raw["category"] == "red_flag" and raw.get("level") not in LEVELS:
        raise SafetyRulesError(f"{where}: a red flag needs a level ({', '.join(LEVELS)})")
    if facts is not None:
        try:
            check_cited([raw["source"], *raw.get("also", ())], where, facts)
        except SourceError as exc:
            raise SafetyRulesError(str(exc)) from exc
    try:
        patterns = tuple(_pattern(p) for p in raw.get("patterns", ()))
        unless = _alternation(raw.get("unless", ()))
        requires = _alternation(raw.get("requires", ()))
    except re.error as e:
        raise SafetyRulesError(f"{where}: a pattern is not a valid regular expression ({e})") from e
    return SafetyRule(
        id=rid,
        category=raw["category"],
        kind=raw["kind"],
        source=raw["source"],
        what=raw.get("what", ""),
        patterns=patterns,
        unless=unless,
        requires=requires,
        negatable=bool(raw.get("negatable", True)),
        stroke=bool(raw.get("stroke", False)),
        slow_rule=raw.get("slow_rule", ""),
        level=raw.get("level", ""),
        also=tuple(raw.get("also", ())),
        triage=dict(raw.get("triage", {})),
    )


def _concept(raw: dict[str, Any], facts: frozenset[str] | None) -> SafetyRule:
    base = _rule({**raw, "patterns": []}, facts)
    where = f"rules/safety.toml: concept {base.id!r}"
    try:
        parts = _alternation(raw.get("parts", ()))
        deficits = _alternation(raw.get("deficits", ()))
        needs = _alternation(raw.get("needs", ()))
    except re.error as e:
        raise SafetyRulesError(f"{where}: a pattern is not a valid regular expression ({e})") from e
    if parts is None or deficits is None:
        raise SafetyRulesError(f"{where} needs both `parts` and `deficits`")
    return SafetyRule(
        **{
            **base.__dict__,
            "parts": parts,
            "deficits": deficits,
            "needs": needs,
            "window": int(raw.get("window", 6)),
            "twitch_near_part": bool(raw.get("twitch_near_part", True)),
        }
    )


def _known_facts() -> frozenset[str]:
    """Fact ids from rules/facts.toml (the text and origin of every fact ship with Flicker)."""
    return frozenset(load_facts())


class SecondOpinion:
    """A small logistic regression (rules/safety_model.json, trained by tools/train_safety_model.py)
    that asks gently when the rules found nothing but the words look like a crisis or an emergency.
    It never overrules a rule; it only adds a question."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.thresholds = {name: float(v) for name, v in data["thresholds"].items()}
        self.pattern = re.compile(data["token_pattern"])
        low, high = data["ngram_range"]
        self.sizes = range(int(low), int(high) + 1)
        self.features: dict[str, list[float]] = data["features"]
        self.models = {name: (float(m["intercept"]), int(m["index"]) + 1) for name, m in data["models"].items()}

    def scores(self, norm: str) -> dict[str, float]:
        tokens = self.pattern.findall(norm)
        counts: dict[str, int] = {}
        for n in self.sizes:
            for i in range(len(tokens) - n + 1):
                gram = " ".join(tokens[i : i + n])
                if gram in self.features:
                    counts[gram] = counts.get(gram, 0) + 1
        if not counts:
            return {name: _sigmoid(b) for name, (b, _) in self.models.items()}
        weights = {g: (1.0 + math.log(c)) * self.features[g][0] for g, c in counts.items()}
        length = math.sqrt(sum(w * w for w in weights.values()))
        return {
            name: _sigmoid(b + sum(self.features[g][k] * w for g, w in weights.items()) / length)
            for name, (b, k) in self.models.items()
        }


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -60 else 0.0


@lru_cache(maxsize=2)
def load_second_opinion(path: Path | str | None = None) -> SecondOpinion | None:
    try:
        source = Path(path) if path is not None else DEFAULT_PATH.with_name("safety_model.json")
        return SecondOpinion(json.loads(source.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


@lru_cache(maxsize=4)
def load_safety_screen(path: Path | str = DEFAULT_PATH) -> SafetyScreen:
    with Path(path).open("rb") as f:
        data = tomllib.load(f)
    screen = SafetyScreen(data, _known_facts())
    screen.model = load_second_opinion()
    return screen


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """IANA zone -> ISO country code, from the tz database's zone.tab (shipped with tzdata)."""
    out: dict[str, str] = {}
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return out
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            out[parts[2]] = parts[0]
    return out


# Zones people set that zone.tab doesn't list under that name.
_ALIASES = {
    "US/Eastern": "US",
    "US/Central": "US",
    "US/Mountain": "US",
    "US/Pacific": "US",
    "US/Alaska": "US",
    "US/Hawaii": "US",
    "Canada/Eastern": "CA",
    "Canada/Pacific": "CA",
    "GB": "GB",
    "Europe/Belfast": "GB",
    "Eire": "IE",
    "Australia/ACT": "AU",
    "Australia/NSW": "AU",
    "Asia/Calcutta": "IN",
    "NZ": "NZ",
    "Japan": "JP",
    "Europe/Kiev": "UA",
}


def country_of(timezone: str) -> str | None:
    if not timezone or timezone in ("UTC", "Etc/UTC", "GMT"):
        return None
    return _zone_countries().get(timezone) or _ALIASES.get(timezone)
