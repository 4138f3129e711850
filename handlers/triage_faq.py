"""Short answers (FQ, EY, BG facts) to free-text questions, each offering /triage."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.messages import Choice, Reply
from handlers.base import Context

FAQ_PATH = Path(__file__).resolve().parent.parent / "rules" / "faq.toml"


@dataclass(frozen=True)
class Faq:
    id: str
    sources: tuple[str, ...]
    topics: re.Pattern[str]
    needs: re.Pattern[str] | None
    text: str
    asking_not_needed: bool


@lru_cache(maxsize=1)
def load_faq() -> tuple[re.Pattern[str], tuple[Faq, ...]]:
    data = tomllib.loads(FAQ_PATH.read_text(encoding="utf-8"))
    asking = re.compile("|".join(f"(?:{p})" for p in data["asking"]))
    faqs = []
    for f in data["faq"]:
        if not f.get("sources"):
            raise ValueError(f"rules/faq.toml: answer {f['id']!r} cites no fact")
        faqs.append(
            Faq(
                f["id"],
                tuple(f["sources"]),
                re.compile("|".join(f"(?:{p})" for p in f["topics"])),
                re.compile("|".join(f"(?:{p})" for p in f["needs"])) if f.get("needs") else None,
                " ".join(f["text"].split()),
                bool(f.get("asking_not_needed")),
            )
        )
    return asking, tuple(faqs)


def answer_for(text: str) -> Faq | None:
    asking, faqs = load_faq()
    t = text[:500].lower()
    is_asking = asking.search(t) is not None
    for f in faqs:
        if not (is_asking or f.asking_not_needed):
            continue
        if f.topics.search(t) and (f.needs is None or f.needs.search(t)):
            return f
    return None


async def faq(ctx: Context) -> list[Reply] | None:
    if not ctx.incoming.private:
        return None
    f = answer_for(ctx.args)
    if f is None:
        return None
    return [
        Reply(
            f"{f.text}\n\nI can't examine you; /triage asks a few questions and says how soon to see a doctor, "
            "and why.",
            (Choice("triage:start", "Start /triage"),),
        )
    ]


FREE_TEXT = [(10, faq)]
