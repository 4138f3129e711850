"""The values of rules/triage.toml once loaded: levels, questions, rules, and a result.

`rules/triage.py` loads and evaluates them; everything here is a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NOT_SURE = ("unsure", "Not sure")
YES_NO = (("yes", "Yes"), ("no", "No"), NOT_SURE)
When = dict[str, tuple[str, ...]]


def matches(when: When, answers: dict[str, Any], unsure_as_yes: bool = False) -> bool:
    """True when every condition holds; with `unsure_as_yes`, "Not sure" counts as any wanted answer."""
    for qid, wanted in when.items():
        a = answers.get(qid)
        if a in wanted or (unsure_as_yes and a == "unsure"):
            continue
        return False
    return True


class TriageRulesError(ValueError):
    """rules/triage.toml is wrong; the message says where (line) and why."""


@dataclass(frozen=True)
class Level:
    id: str
    rank: int
    words: str
    action: str  # may hold "{who}"
    sources: tuple[str, ...]
    default_who: str = ""


@dataclass(frozen=True)
class Question:
    id: str
    kind: str  # "yes_no" | "choice"
    text: str
    explain: str
    sources: tuple[str, ...]
    options: tuple[tuple[str, str], ...]  # (answer id, label), "Not sure" last unless not_sure = false
    ask_if: When = field(default_factory=dict)
    short: str = ""  # how the result names it: "you weren't sure about <short>"
    typed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # answer id -> everyday phrases
    example: str = '"yes", "no" or "not sure"'  # typed answers that work, for the one hint

    def label(self, answer: str) -> str:
        return dict(self.options).get(answer, answer)

    @property
    def source(self) -> str:
        return self.sources[0]


@dataclass(frozen=True)
class Rule:
    id: str
    sources: tuple[str, ...]
    level: str
    when: When
    text: str
    unsure: str = "ignore"  # "fire" | "level:<id>" | "ignore"
    who: str = ""
    unsure_text: str = ""  # what to say when it counts through a "Not sure" (else a general sentence)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    words: str
    when: When


@dataclass(frozen=True)
class Conditional:
    """A text shown when `when` matches: calm texts, the pregnancy and child notes."""

    sources: tuple[str, ...]
    when: When
    text: str
    action: str = ""  # a calm text's own action line, replacing the lowest level's
    action_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Consistency:
    """Answers that can't both be true: ask again (RD-4) instead of combining them."""

    id: str
    sources: tuple[str, ...]
    when: When
    text: str
    reask: tuple[tuple[str, str], ...]  # (question id, button label)


@dataclass(frozen=True)
class PlanStep:
    sources: tuple[str, ...]
    text: str
    pregnancy: str = ""


@dataclass(frozen=True)
class Plan:
    sources: tuple[str, ...]
    intro: str
    outro: str
    steps: tuple[PlanStep, ...]
    skip_when: When
    eyelid_outro: str = ""
    eyelid_outro_sources: tuple[str, ...] = ()
    eyelid_when: When = field(default_factory=dict)


@dataclass(frozen=True)
class TriageRules:
    version: str
    disclaimer: str
    disclaimer_sources: tuple[str, ...]
    levels: dict[str, Level]
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    checklist_items: tuple[ChecklistItem, ...]
    checklist_level: str
    checklist_threshold: int
    checklist_text: str
    checklist_sources: tuple[str, ...]
    calm: tuple[Conditional, ...]
    consistency: tuple[Consistency, ...] = ()
    notes: tuple[Conditional, ...] = ()
    plan: Plan | None = None

    def question(self, qid: str) -> Question:
        return next(q for q in self.questions if q.id == qid)

    def has_question(self, qid: str) -> bool:
        return any(q.id == qid for q in self.questions)

    def should_ask(self, q: Question, answers: dict[str, str]) -> bool:
        return all(answers.get(k) in v for k, v in q.ask_if.items())

    def conflict(self, answers: dict[str, str]) -> Consistency | None:
        """The first pair of answers that can't both be true, if any."""
        return next((c for c in self.consistency if matches(c.when, answers)), None)


@dataclass(frozen=True)
class Reason:
    sources: tuple[str, ...]
    text: str

    @property
    def source(self) -> str:
        return self.sources[0]


@dataclass(frozen=True)
class TriageResult:
    level: str
    words: str
    action: str
    reasons: tuple[Reason, ...]  # only the rules that fired (or the calm text when none did)
    unsure: tuple[str, ...]  # questions answered "Not sure", in the person's words
    disclaimer: str
    rules_version: str
    notes: tuple[Reason, ...] = ()  # said alongside, never changing the level
    action_sources: tuple[str, ...] = ()
    disclaimer_sources: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        """Every fact id behind this result, in the order a reader meets them."""
        ids: list[str] = list(self.action_sources)
        for r in (*self.reasons, *self.notes):
            ids.extend(r.sources)
        ids.extend(self.disclaimer_sources)
        return tuple(dict.fromkeys(ids))
