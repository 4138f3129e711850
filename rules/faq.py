"""Which answer of rules/faq.toml a question asks for: every group of an answer must match, the
answer with the most groups wins, ties go to the one listed first. None: not covered."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rules.sources import SourceError, check_cited, check_text_cites

FAQ_PATH = Path(__file__).with_name("faq.toml")
OFFERS = ("triage", "plan", "")


class FaqError(ValueError):
    """rules/faq.toml is malformed; the message says where."""


@dataclass(frozen=True, slots=True)
class Faq:
    id: str
    sources: tuple[str, ...]
    groups: tuple[re.Pattern[str], ...]
    text: str
    offer: str = ""
    weight: int = 0  # added to the groups matched: general answers (causes) rank below topics


@lru_cache(maxsize=4)
def _data(path: Path | str | None = None) -> dict[str, Any]:
    path = Path(path) if path is not None else FAQ_PATH
    return tomllib.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _not_covered() -> re.Pattern[str]:
    topics = _data().get("not_covered", {}).get("topics", [])
    return re.compile("|".join(f"(?:{p})" for p in topics) or "(?!)")


@lru_cache(maxsize=4)
def load_faq(path: Path | str | None = None) -> tuple[Faq, ...]:
    path = Path(path) if path is not None else FAQ_PATH
    data = _data(path)
    words = data.get("words", {})
    out = []
    for f in data.get("faq", []):
        fid = f.get("id", "?")
        if not f.get("sources"):
            raise FaqError(f"{path.name}: answer {fid!r} cites no fact")
        try:
            check_cited(f["sources"], f"rules/{path.name}: answer {fid!r}")
            check_text_cites(f.get("text", ""), f"rules/{path.name}: answer {fid!r} text")
        except SourceError as exc:
            raise FaqError(str(exc)) from exc
        if not f.get("all") or not f.get("text"):
            raise FaqError(f"{path.name}: answer {fid!r} needs `all` and `text`")
        if f.get("offer", "") not in OFFERS:
            raise FaqError(f"{path.name}: answer {fid!r} offers {f['offer']!r}; use one of {OFFERS}")
        groups = []
        for group in f["all"]:
            pats = [p.format(**words) if "{" in p and "}" in p and "{," not in p else p for p in group]
            groups.append(re.compile("|".join(f"(?:{p})" for p in pats)))
        text = " ".join(f["text"].split())
        out.append(Faq(fid, tuple(f["sources"]), tuple(groups), text, f.get("offer", ""), int(f.get("weight", 0))))
    return tuple(out)


def match_faq(text: str) -> Faq | None:
    """The answer a question asks for, or None when the article doesn't cover it."""
    t = text[:500].lower().replace("’", "'")
    if _not_covered().search(t):
        return None
    best, best_score = None, -99
    for f in load_faq():
        if all(g.search(t) for g in f.groups) and len(f.groups) + f.weight > best_score:
            best, best_score = f, len(f.groups) + f.weight
    return best


# A message that only names one of these is a question about it ("b12 deficiency", "lyme?").
TOPIC_ONLY = frozenset({"als", "ms", "thyroid", "b12", "lyme", "neuropathy", "bfs", "supplements"})


def has_topic(text: str) -> bool:
    """True when a short text names a condition or supplement an answer is about."""
    f = match_faq(text)
    return f is not None and f.id in TOPIC_ONLY


CONDITIONS = ("als", "ms", "thyroid", "b12", "lyme", "neuropathy", "bfs")


def match_condition(text: str) -> Faq | None:
    """The answer about a condition the text names ("worried this is MS"), if any."""
    t = text[:500].lower().replace("’", "'")
    for f in load_faq():
        if f.id in CONDITIONS and all(g.search(t) for g in f.groups):
            return f
    return None
