"""Small pieces of wording shared by handlers and insights."""

from __future__ import annotations

import re


def duration_words(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h" + (f" {rest // 60} min" if rest >= 60 else "")


# "(BG-2)", "(SC-1, SC-2)", "(CL-RULE)": a fact code in a reply, as written in rules texts.
_CITATION = re.compile(r" ?\(((?:[A-Z]{2}-(?:[0-9]+|RULE))(?:(?:, ?| and |/)[A-Z]{2}-(?:[0-9]+|RULE))*)\)")


def readable_citations(text: str) -> str:
    """Turn fact codes a person can't look up, "(BG-2)" or "(SC-1, SC-2)", into small numbered
    references and a closing "Sources:" line with the facts' titles ([1] Most twitches are
    harmless). Text without codes comes back unchanged."""
    from rules.sources import load_facts, sources_line

    if "-" not in text or _CITATION.search(text) is None:
        return text
    facts = load_facts()
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        ids = [i for i in re.split(r", ?| and |/", match.group(1)) if i in facts]
        if not ids:
            return match.group(0)
        for i in ids:
            if i not in order:
                order.append(i)
        return " [" + ", ".join(str(order.index(i) + 1) for i in ids) + "]"

    body = _CITATION.sub(number, text)
    if not order:
        return text
    return f"{body}\n{sources_line(order)}"
