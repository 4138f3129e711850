"""The parser's compiled patterns, built once from rules/vocabulary.toml.

Every category is one regular expression built from the vocabulary as a trie (longest
phrase first, whole words only); see rules/parser.py for how they are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rules.vocabulary import DETERMINERS, Vocabulary, canonical, load_vocabulary

BODY_WORD = "(body word)"


# ---- building the patterns ---------------------------------------------------------------------
_END = ""
_TOKEN_RE = {" ": "[ -]?", "-": "[ -]?", "'": "'?", "#": None}
_DET = "(?:" + "|".join(DETERMINERS) + ")"
_DIGITS = r"[0-9]{1,7}(?:[.,][0-9]{1,2}(?![0-9]))?"
_NOT_LETTER = r"(?![^\W\d_])"


def _tokens(phrase: str) -> list[str]:
    out: list[str] = []
    for word in re.split(r"([ -])", phrase):
        if word in (" ", "-"):
            out.append("[ -]?")
        elif word == "my":
            out.append(_DET)
        else:
            out.extend("'?" if c == "'" else ("#" if c == "#" else re.escape(c)) for c in word)
    return out


def _trie(phrases: Iterable[str], number: str = "", bounded: bool = False) -> str:
    """One regex matching any of the phrases; a longer phrase is tried before its prefix."""
    root: dict[str, Any] = {}  # token -> the rest of the trie (nested alike)
    for p in phrases:
        node = root
        for tok in _tokens(p):
            node = node.setdefault(number if tok == "#" else tok, {})
        node[_END] = {}

    def emit(node: dict[str, Any], root: bool = False) -> str:
        # letters before optional separators, so "foobar baz" is not cut short by "foo bar"
        keys = sorted((k for k in node if k != _END), key=lambda k: (k.startswith(("[", "(", "'?")), k))
        if root and bounded:
            # "word start" checked after the first letter: the pattern then starts with a plain
            # letter, which lets the regex engine skip ahead to candidate letters (much faster)
            branches = [(k + r"(?<!\w.)" if len(k.lstrip("\\")) == 1 else r"(?<!\w)" + k) + emit(node[k]) for k in keys]
        else:
            branches = [k + emit(node[k]) for k in keys]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if _END in node:
            return "(?:" + body + ")?"
        return body

    return emit(root, root=True) or "(?!)"


def _words_re(phrases: Iterable[str], number: str = "") -> str:
    return "(?:" + _trie(phrases, number, bounded=True) + r")(?!\w)"


class _Patterns:
    def __init__(self, v: Vocabulary) -> None:
        self.v = v
        self.region_ids = {canonical(s): r.id for r in v.regions.values() for s in r.synonyms}
        self.region_ids.update({canonical(w): BODY_WORD for w in v.body_words})
        self.region = re.compile(_words_re(self.region_phrases()))
        self.side_ids = {canonical(s): side.id for side in v.sides.values() for s in side.synonyms}
        self.side = re.compile(_words_re([s for side in v.sides.values() for s in side.synonyms]))
        self.abbrev_ids = {a: side.id for side in v.sides.values() for a in side.abbreviations}
        self.abbrev = re.compile(r"(?<![\w'])(" + _trie(self.abbrev_ids) + r")\.? ?$")
        self.trigger_ids = {canonical(p): t.id for t in v.triggers.values() for p in t.phrases}
        self.trigger_order = {tid: i for i, tid in enumerate(v.triggers)}
        self.trigger = re.compile(_words_re([p for t in v.triggers.values() for p in t.phrases]))
        number_words = _trie(v.duration_numbers)
        self.number_word = re.compile(r"(?<!\w)(?:" + number_words + r")(?!\w)")
        counted = "(?:[0-9]{1,2}(?:[.,][0-9])?|" + number_words + ")"
        numbered_words = {w for t in v.triggers.values() for p in t.numbered for w in p.split() if "#" not in w}
        self.numbered_hint = re.compile(_words_re(numbered_words))
        self.numbered = [
            (t.id, t.numbered_below, re.compile(_words_re(t.numbered, counted)))
            for t in v.triggers.values()
            if t.numbered
        ]
        self.negation = re.compile(r"(?<!\w)(?:" + _trie(v.negations) + r")(?: any| more| much| a| the| my)? $")
        # "came [back]": the bracketed word, and the contexts in which it does not count
        self.ignore_contexts: dict[str, list[tuple[str, str]]] = {}
        for phrase in v.ignore:
            before, rest = phrase.split("[", 1)
            word, after = rest.split("]", 1)
            self.ignore_contexts.setdefault(word, []).append((before, after))
        self.ignore = re.compile(_words_re(self.ignore_contexts))
        self.twitch = re.compile(_words_re(v.twitch_words))
        self.cue = re.compile(_words_re(v.cues))
        self.question = re.compile(r"^[\W_]*(?:" + _trie(v.question_words) + r")(?!\w)")

        # durations: "2 min", "90s", "1.5 minutes", "10-20 seconds", "a couple of minutes"
        long_units = _trie(v.duration_units)
        all_units = _trie({**v.duration_units, **v.duration_short_units})
        self.unit_s = {canonical(k): s for k, s in {**v.duration_units, **v.duration_short_units}.items()}
        self.number_value = {canonical(k): n for k, n in v.duration_numbers.items()}
        self.fixed_s = {canonical(k): s for k, s in v.duration_phrases.items()}
        self.duration = re.compile(_amount_re(number_words, long_units, all_units, _trie(v.duration_phrases)))
        self.duration_next = re.compile(
            r"(?:,? (?:and )?|)(?:(?P<n>"
            + _DIGITS
            + r") ?(?P<u>"
            + all_units
            + r")|(?P<w>"
            + number_words
            + r") (?P<u2>"
            + long_units
            + r"))"
            + _NOT_LETTER
        )
        self.duration_tail = re.compile(r"([0-9]{2})(?!\w|[.,:/][0-9])")

        # times: "2h ago", "yesterday at 9pm", "this morning", "last night", "at 7:30"
        ago_units = {**v.ago_units, **v.duration_units, **v.duration_short_units}
        self.ago_unit_s = {canonical(k): s for k, s in ago_units.items()}
        ago_long = _trie({k: s for k, s in ago_units.items() if len(k) > 1})
        ago_all = _trie(ago_units)
        ago_piece = _amount_re(number_words, ago_long, ago_all, _trie(v.duration_phrases))
        self.ago_piece = re.compile(ago_piece)
        ago_piece = re.sub(r"\(\?P<\w+>", "(?:", ago_piece)  # repeated below: no group names
        # the amount right before "ago": searched backwards from that word only
        self.ago_amount = re.compile("(?:" + ago_piece + ")(?:(?:,? (?:and )?)(?:" + ago_piece + "))*(?: or so)? ?$")
        # every time word in one trie; what each phrase means is looked up after a match
        self.when_kind: dict[str, tuple[str, Any]] = {}  # phrase -> (kind, value), read by rules/parser.py
        when_phrases: list[str] = []

        def add(phrase: str, meaning: tuple[str, Any]) -> None:
            when_phrases.append(phrase)
            self.when_kind.setdefault(canonical(phrase), meaning)

        for w in v.when_now:
            add(w, ("now", True))
        for w, (off, hm) in v.when_day_parts.items():
            add(w, ("dp", (off, hm, canonical(w))))
        for w, off in v.when_days.items():
            add(w, ("day", off))
        for w, day in v.weekdays.items():
            for before in ("", "on ", "last ", "this past ", "past "):
                for after in ("", "s"):
                    add(before + w + after, ("wd", (day, before == "last ")))
        for w, hm in v.when_parts.items():
            for before in ("", "in the ", "at ", "during the ", "this ", "by "):
                add(before + w, ("part", (hm, canonical(w))))
        for w in v.ago_words:
            add(w, ("ago", True))
        self.when_words = re.compile(_words_re(when_phrases))
        ampm = r"(?:a\.?m\.?|p\.?m\.?|o'?clock)"
        at = r"(?:(?:at|around|about|by|@|~) ?)"
        self.clock = re.compile(
            r"(?P<c1>(?<![\w.,:/])" + at + r"?(?P<c1h>[0-9]{1,2})(?:[:.](?P<c1m>[0-9]{2}))? ?"
            r"(?P<c1ap>" + ampm + r")(?!\w))"
            r"|(?P<c2>(?<![\w.,:/])" + at + r"?(?P<c2h>[0-9]{1,2}):(?P<c2m>[0-9]{2})(?![0-9:]))"
            r"|(?P<c3>(?<!\w)(?:at|around|@) ?(?P<c3h>[0-9]{1,2})(?:[.h](?P<c3m>[0-9]{2}))?"
            r"(?!\w|[.,:/][0-9]| ?(?:" + ago_all + r"|of|out of|/)(?!\w)))"
        )
        # a cheap first look: a clock time needs one of these
        clock_hints = ["am", "pm", "a.m", "p.m", "o'clock", "oclock", "at", "around", "about", "by"]
        self.clock_hint = re.compile(_words_re(clock_hints))
        self.clock_ampm = re.compile(r"[0-9] ?[ap]\.?m")

        # absolute dates: "2026-11-20", "20 nov", "nov 20th", "20.11.", "20/11", "on the 20th"
        months = v.months or {}
        self.month_value = dict(months)
        month = "(?:" + _trie(months) + r")\.?"
        month_first = "(?:" + _trie({m for m in months if m != "may"}) + r"|(?<=on )may)\.?"
        sfx = r"(?:st|nd|rd|th)?"
        year = r"(?:,? (?P<{}>20[0-9]{{2}}))?"
        self.date = re.compile(
            r"(?P<iso>(?<![\w.\-/])(?P<iy>20[0-9]{2})-(?P<im>[0-9]{1,2})-(?P<id>[0-9]{1,2})"
            r"(?:[ t](?P<ih>[0-9]{1,2}):(?P<imin>[0-9]{2}))?(?![0-9]))"
            r"|(?P<dm>(?<![\w.,:/])(?:on )?(?:the )?(?P<dd>[0-9]{1,2})"
            + sfx
            + r"(?: of)? (?P<dmm>"
            + month
            + r")"
            + year.format("dy")
            + r"(?!\w))"
            r"|(?P<md>(?<!\w)(?:on )?(?P<mdm>"
            + month_first
            + r") (?:the )?(?P<mdd>[0-9]{1,2})"
            + sfx
            + year.format("mdy")
            + r"(?![\w:]))"
            r"|(?P<dot>(?<![\w.,:/])(?:on )?(?P<td>[0-9]{1,2})\.(?P<tm>[0-9]{1,2})\."
            r"(?P<ty>(?:20)?[0-9]{2})?(?![0-9]|\.[0-9]))"
            r"|(?P<ondot>(?<!\w)on (?P<od>[0-9]{1,2})\.(?P<om>[0-9]{1,2})(?![0-9.]))"
            r"|(?P<sl>(?<![\w.,:/])(?P<on>on |since )?(?P<sa>[0-9]{1,2})/(?P<sb>[0-9]{1,2})"
            r"(?:/(?P<sy>(?:20)?[0-9]{2}))?(?![\w/]|[.,][0-9]))"
            r"|(?P<th>(?<!\w)(?:on )?the (?P<thd>[0-9]{1,2})(?:st|nd|rd|th)(?!\w))"
        )
        self.month_first_zones = v.month_first_zones

        # how long it has been going on: "for 3 weeks", "past 2 days", "3 weeks now", "all day"
        o_units = v.ongoing_units or {}
        self.ongoing_unit_s = dict(o_units)
        o_amount = r"(?P<on>[0-9]{1,3}|" + number_words + r")? ?(?P<ou>" + _trie(o_units) + r")" + _NOT_LETTER
        self.ongoing = re.compile(
            r"(?<!\w)(?:(?P<lead>"
            + _trie(v.ongoing_lead)
            + r") (?:a |an |the )?)?"
            + o_amount
            + r"(?: (?P<tail>"
            + _trie(v.ongoing_tail)
            + r")(?!\w))?"
        )
        self.ongoing_hint = re.compile(_words_re(o_units))
        self.ongoing_phrase_s = {canonical(k): s for k, s in (v.ongoing_phrases or {}).items()}
        self.ongoing_phrase = re.compile(_words_re(v.ongoing_phrases or {"(?!)"}))
        self.plural_both = frozenset(canonical(w) for w in v.plural_both)

        # strength: "3/5", "7/10", "intensity 4", "mild"
        scales = "|".join(str(s) for s in sorted(v.intensity_scales, reverse=True))
        self.intensity_word = re.compile(_words_re(v.intensity_words))
        self.intensity = re.compile(
            r"(?P<frac>(?<![\w.,/:])(?P<fn>[0-9]{1,2}) ?(?:/|out of|of) ?(?P<fd>" + scales + r")(?!\w|[.,/][0-9]))"
            r"|(?P<kw>(?<!\w)(?:" + _trie(v.intensity_keywords) + r")(?: of| is| was| at| =|:|#)? ?"
            r"(?P<kn>[0-9]{1,2})(?!\w|[.,][0-9]| ?(?:/|out of|of) ?[0-9]))"
        )
        self.intensity_hint = re.compile(_words_re(v.intensity_keywords))
        self.intensity_value = {canonical(k): n for k, n in v.intensity_words.items()}

    def region_phrases(self) -> list[str]:
        v = self.v
        return [s for r in v.regions.values() for s in r.synonyms] + list(v.body_words)


def _amount_re(number_words: str, long_units: str, all_units: str, fixed: str) -> str:
    """One amount of time: "2 min", "1.5 hours", "10-20 s", "a couple of minutes", "half an hour"."""
    num = "(?:" + _DIGITS + "|" + number_words + ")"
    return (
        r"(?<![\w.,+\-−/:])(?:(?:(?P<lo>" + num + r") ?(?:-|to|or) ?)?"
        r"(?:(?P<n>" + _DIGITS + r")(?P<h1> and a half)? ?(?P<u>" + all_units + r")"
        r"|(?P<w>" + number_words + r")(?P<h2> and a half)? (?P<u2>" + long_units + r"))"
        r"(?P<h3> and a half)?" + _NOT_LETTER + r"|(?P<fx>" + fixed + r")(?!\w))"
    )


@lru_cache(maxsize=4)
def _patterns(vocab: Vocabulary | None = None) -> _Patterns:
    return _Patterns(vocab or load_vocabulary())
