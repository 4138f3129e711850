"""Replies cite facts as small numbered references with a "Sources:" line of titles."""

from __future__ import annotations

from rules.sources import load_facts


def cites(text: str, fact_id: str) -> bool:
    """Whether `text` cites the fact: by its title in a Sources line ([1] Most twitches are
    harmless), or by its code where a text is checked before it reaches a person."""
    title = load_facts()[fact_id].title
    return fact_id in text or f"] {title}" in text
