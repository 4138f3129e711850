"""Load, check and evaluate rules/triage.toml. Evaluation is a pure function of the answers.

The file is checked at load: unknown question, answer or level ids, rules without a source,
sources that are not facts of medical-basis.md. Errors name the line of the file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).with_name("triage.toml")
YES_NO = (("yes", "Yes"), ("no", "No"), ("unsure", "Not sure"))
# The fact ids of medical-basis.md: BG-1..5, RF-1..5, CL-1..6 and CL-RULE, EY-1..3, SC-1..6, FQ-1..3, WC-1, GS-1..2.
FACT_ID = re.compile(r"^(BG-[1-5]|RF-[1-5]|CL-[1-6]|CL-RULE|EY-[1-3]|SC-[1-6]|FQ-[1-3]|WC-1|GS-[12])$")


class TriageRulesError(ValueError):
    """rules/triage.toml is wrong; the message says where (line) and why."""


@dataclass(frozen=True)
class Level:
    id: str
    rank: int
    words: str
    action: str
    source: str


@dataclass(frozen=True)
class Question:
    id: str
    kind: str  # "yes_no" | "choice"
    text: str
    explain: str
    source: str
    options: tuple[tuple[str, str], ...]  # (answer id, label)
    ask_if: dict[str, tuple[str, ...]] = field(default_factory=dict)
    short: str = ""  # how the result names it: "you weren't sure about <short>"

    def label(self, answer: str) -> str:
        return dict(self.options).get(answer, answer)


@dataclass(frozen=True)
class Rule:
    id: str
    source: str
    level: str
    when: dict[str, tuple[str, ...]]
    text: str
    unsure: str = "ignore"  # "fire" | "level:<id>" | "ignore"


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    words: str
    when: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Calm:
    source: str
    when: dict[str, tuple[str, ...]]
    text: str


@dataclass(frozen=True)
class TriageRules:
    version: str
    disclaimer: str
    levels: dict[str, Level]
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    checklist_items: tuple[ChecklistItem, ...]
    checklist_level: str
    checklist_threshold: int
    checklist_text: str
    checklist_source: str
    calm: tuple[Calm, ...]

    def question(self, qid: str) -> Question:
        return next(q for q in self.questions if q.id == qid)

    def should_ask(self, q: Question, answers: dict[str, str]) -> bool:
        return all(answers.get(k) in v for k, v in q.ask_if.items())


@dataclass(frozen=True)
class Reason:
    source: str
    text: str


@dataclass(frozen=True)
class TriageResult:
    level: str
    words: str
    action: str
    reasons: tuple[Reason, ...]
    unsure: tuple[str, ...]  # questions answered "Not sure", in the person's words
    disclaimer: str
    rules_version: str


# ---- loading ------------------------------------------------------------------------------------
def _line_of(text: str, needle: str) -> int:
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return n
    return 0


def _fail(raw: str, needle: str, message: str) -> TriageRulesError:
    line = _line_of(raw, needle)
    where = f"rules/triage.toml line {line}" if line else "rules/triage.toml"
    return TriageRulesError(f"{where}: {message}")


def _source(raw: str, item: dict, what: str) -> str:
    src = item.get("source")
    if not src:
        raise _fail(raw, f'id = "{item.get("id", "")}"', f"{what} has no source (a fact id of medical-basis.md)")
    if not FACT_ID.match(src):
        raise _fail(raw, f'source = "{src}"', f"{what}: source {src!r} is not a fact id of medical-basis.md")
    return src


@lru_cache(maxsize=4)
def load_triage_rules(path: Path | str = DEFAULT_PATH) -> TriageRules:
    raw = Path(path).read_text(encoding="utf-8")
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise TriageRulesError(f"rules/triage.toml: {exc}") from exc

    levels: dict[str, Level] = {}
    for rank, lv in enumerate(data.get("level", [])):
        levels[lv["id"]] = Level(
            lv["id"], rank, lv["words"], " ".join(lv["action"].split()), _source(raw, lv, f"level {lv['id']}")
        )
    if not levels:
        raise TriageRulesError("rules/triage.toml: no [[level]] defined")

    questions: list[Question] = []
    for q in data.get("question", []):
        if q.get("kind") not in ("yes_no", "choice"):
            raise _fail(raw, f'id = "{q.get("id")}"', f"question {q.get('id')}: kind must be yes_no or choice")
        opts = YES_NO if q["kind"] == "yes_no" else tuple((o["id"], o["label"]) for o in q.get("options", []))
        if not opts:
            raise _fail(raw, f'id = "{q["id"]}"', f"question {q['id']} has no options")
        ask_if = {k: tuple(v) for k, v in q.get("ask_if", {}).items()}
        questions.append(
            Question(
                q["id"],
                q["kind"],
                " ".join(q["text"].split()),
                " ".join(q["explain"].split()),
                _source(raw, q, f"question {q['id']}"),
                opts,
                ask_if,
                q.get("short", q["id"]),
            )
        )
    answers_of = {q.id: {a for a, _ in q.options} for q in questions}

    def check_when(when: dict, owner: str) -> dict[str, tuple[str, ...]]:
        for qid, answers in when.items():
            if qid not in answers_of:
                raise _fail(raw, f"{qid} = ", f"{owner}: unknown question id {qid!r}")
            for a in answers:
                if a not in answers_of[qid]:
                    raise _fail(raw, f'"{a}"', f"{owner}: question {qid!r} has no answer {a!r}")
        return {k: tuple(v) for k, v in when.items()}

    def check_level(level: str, owner: str) -> str:
        if level not in levels:
            raise _fail(raw, f'level = "{level}"', f"{owner}: level {level!r} does not exist")
        return level

    for q in questions:
        check_when(q.ask_if, f"question {q.id}")
    rules = []
    for r in data.get("rule", []):
        owner = f"rule {r.get('id')}"
        unsure = r.get("unsure", "ignore")
        if unsure.startswith("level:"):
            check_level(unsure.split(":", 1)[1], owner)
        elif unsure not in ("fire", "ignore"):
            raise _fail(raw, f'unsure = "{unsure}"', f"{owner}: unsure must be fire, ignore or level:<id>")
        rules.append(
            Rule(
                r["id"],
                _source(raw, r, owner),
                check_level(r["level"], owner),
                check_when(r["when"], owner),
                r["text"],
                unsure,
            )
        )
    cl = data["checklist"]
    items = tuple(
        ChecklistItem(i["id"], i["words"], check_when(i["when"], f"checklist item {i['id']}"))
        for i in cl.get("item", [])
    )
    for i in items:
        if not FACT_ID.match(i.id):
            raise _fail(raw, f'id = "{i.id}"', f"checklist item {i.id!r} is not a fact id")
    calm = tuple(
        Calm(_source(raw, c, "calm text"), check_when(c["when"], "calm text"), " ".join(c["text"].split()))
        for c in data.get("calm", [])
    )
    if not calm or calm[-1].when:
        raise TriageRulesError("rules/triage.toml: the last [[calm]] must have an empty `when` (the default)")
    return TriageRules(
        version=data["version"],
        disclaimer=" ".join(data["disclaimer"].split()),
        levels=levels,
        questions=tuple(questions),
        rules=tuple(rules),
        checklist_items=items,
        checklist_level=check_level(cl["level"], "checklist"),
        checklist_threshold=int(cl["threshold"]),
        checklist_text=cl["text"],
        checklist_source=_source(raw, cl, "checklist"),
        calm=calm,
    )


# ---- evaluating ---------------------------------------------------------------------------------
def _matches(when: dict[str, tuple[str, ...]], answers: dict[str, str], unsure_as_yes: bool = False) -> bool:
    for qid, wanted in when.items():
        a = answers.get(qid)
        if a in wanted or (unsure_as_yes and a == "unsure" and "yes" in wanted):
            continue
        return False
    return True


def evaluate(answers: dict[str, Any], rules: TriageRules | None = None) -> TriageResult:
    """The result for a set of answers (question id -> answer id); the highest level wins."""
    rules = rules or load_triage_rules()
    fired: list[tuple[str, Reason]] = []
    for r in rules.rules:
        if _matches(r.when, answers):
            fired.append((r.level, Reason(r.source, r.text)))
        elif r.unsure != "ignore" and _matches(r.when, answers, unsure_as_yes=True):
            level = r.level if r.unsure == "fire" else r.unsure.split(":", 1)[1]
            doubts = " and ".join(rules.question(q).short for q in r.when if answers.get(q) == "unsure")
            fired.append(
                (
                    level,
                    Reason(
                        r.source,
                        f"You weren't sure about {doubts}; that can't be ruled out here, so a doctor should check it.",
                    ),
                )
            )
    items = [i for i in rules.checklist_items if _matches(i.when, answers)]
    if len(items) >= rules.checklist_threshold:
        listed = "; ".join(f"{i.words} ({i.id})" for i in items)
        fired.append((rules.checklist_level, Reason(rules.checklist_source, rules.checklist_text.format(items=listed))))
    elif items and not any(set(items[0].when) & set(r.when) for r in rules.rules if _matches(r.when, answers)):
        fired.append(
            (
                "",
                Reason(
                    items[0].id,
                    f"Noted: {items[0].words}. One checklist item alone doesn't change "
                    f"the advice; two or more would ({rules.checklist_source}).",
                ),
            )
        )
    ranked = [lv for lv, _ in fired if lv]
    level = (
        max(ranked, key=lambda lv: rules.levels[lv].rank)
        if ranked
        else min(rules.levels.values(), key=lambda lv: lv.rank).id
    )
    rank = {lv: x.rank for lv, x in rules.levels.items()}
    fired.sort(key=lambda f: -rank.get(f[0], -1))  # the reasons behind the level come first
    reasons = [reason for lv, reason in fired]
    if not ranked:
        calm = next(c for c in rules.calm if _matches(c.when, answers))
        reasons.insert(0, Reason(calm.source, calm.text))
    unsure = tuple(q.short for q in rules.questions if answers.get(q.id) == "unsure")
    lv = rules.levels[level]
    return TriageResult(
        level, lv.words, lv.action, tuple(dict.fromkeys(reasons)), unsure, rules.disclaimer, rules.version
    )
