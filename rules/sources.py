"""The facts Flicker's rules cite (rules/facts.toml): load them, check `source` ids, number them.

Every loader of rules/*.toml calls `check_cited(ids, where)` (the one validator of cited ids) so
that a rule citing a fact that does not exist fails at start with the file and the bad id named. Results and reports
cite facts with small numbers ([1], [2]) and list them with `references()`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FACTS_PATH = Path(__file__).with_name("facts.toml")
# A fact id as cited in rule texts: "(BG-2)", "(EY-1, EY-2)", "(SC-1..SC-4)".
CITED = re.compile(r"\b(?:BG|RF|CL|EY|SC|FQ|WC|RD|SF|GS)-(?:\d+|RULE)\b")
# Anything shaped like a fact id, known prefix or not: what a text's citations are checked with.
CITATION_LIKE = re.compile(r"\b[A-Z]{2}-(?:\d+|RULE)\b")


class SourceError(ValueError):
    """A rules file cites a fact id that rules/facts.toml does not hold (or facts.toml is wrong)."""


@dataclass(frozen=True)
class Fact:
    id: str
    title: str
    text: str
    origin: str  # in words: "the article on muscle twitches ..." or the public page named
    from_article: bool = True

    def line(self) -> str:
        """One readable line: title, text and where it comes from."""
        return f"{self.title}: {self.text} (Source: {self.origin}.)"


ARTICLE = "article"


@lru_cache(maxsize=2)
def load_facts(path: Path | str = FACTS_PATH) -> dict[str, Fact]:
    """Every fact id -> Fact, in the order of the file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"{Path(path).name}: {exc}") from exc
    origins = data.get("origins", {})
    facts: dict[str, Fact] = {}
    for fid, f in data.get("fact", {}).items():
        missing = [k for k in ("title", "text", "origin") if not f.get(k)]
        if missing:
            raise SourceError(f"{Path(path).name}: fact {fid} has no {', '.join(missing)}")
        facts[fid] = Fact(
            fid, f["title"], " ".join(f["text"].split()), origins.get(f["origin"], f["origin"]), f["origin"] == ARTICLE
        )
    if not facts:
        raise SourceError(f"{Path(path).name}: no [fact.<id>] tables")
    return facts


def check_cited(ids: Iterable[str], where: str, known: Collection[str] | None = None) -> None:
    """Raise SourceError naming `where` (a file, maybe a key or line) and every id facts.toml lacks.

    The one check of cited fact ids: every loader of rules/*.toml calls it, for `source(s)` lists
    and for the ids a text cites (`cited_ids`). `known` replaces facts.toml's ids (tests)."""
    facts: Collection[str] = load_facts() if known is None else known
    bad = [i for i in dict.fromkeys(ids) if not isinstance(i, str) or i not in facts]
    if bad:
        raise SourceError(f"{where}: source {', '.join(repr(b) for b in bad)} is not a fact id in rules/facts.toml")


check_sources = check_cited  # the earlier name, kept for callers outside rules/


def check_text_cites(text: str, where: str) -> list[str]:
    """The fact ids a text cites ("(SC-6)"), each checked with `check_cited` (an unknown prefix too)."""
    ids = list(dict.fromkeys(CITATION_LIKE.findall(text)))
    check_cited(ids, where)
    return ids


def cited_ids(text: str) -> list[str]:
    """The fact ids a text cites, in order of first appearance."""
    return list(dict.fromkeys(CITED.findall(text)))


class Numbering:
    """Numbers fact ids in order of first use: cite("RF-1") -> 1; list with references()."""

    def __init__(self) -> None:
        self._order: dict[str, int] = {}

    def cite(self, *ids: str) -> str:
        """'[1]' or '[1, 2]' for these ids, numbering new ones."""
        nums = []
        for i in ids:
            if i not in self._order:
                self._order[i] = len(self._order) + 1
            nums.append(self._order[i])
        return "[" + ", ".join(str(n) for n in sorted(set(nums))) + "]" if nums else ""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._order)


def references(ids: Iterable[str], *, full: bool = False) -> list[str]:
    """Numbered reference lines for these ids (in order): '[1] Title (the article ...)'.

    With `full`, each line carries the fact's text too (the /sources answer)."""
    facts = load_facts()
    lines = []
    for n, fid in enumerate(dict.fromkeys(ids), 1):
        f = facts.get(fid)
        if f is None:
            continue
        if full:
            lines.append(f"[{n}] {f.line()}")
        else:
            lines.append(f"[{n}] {f.title}" + ("" if f.from_article else f" ({f.origin})"))
    return lines


def sources_line(ids: Iterable[str]) -> str:
    """'Sources (the article on muscle twitches unless named): [1] ...; [2] ...' for a reply's end."""
    return "Sources (the article on muscle twitches unless named): " + "; ".join(references(ids)) + "."
