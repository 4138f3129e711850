"""Load, check and evaluate rules/triage.toml. Evaluation is a pure function of the answers.

The file is checked at load: unknown question, answer or level ids, rules without sources,
sources that are not facts of rules/facts.toml. Errors name the line of the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rules.sources import SourceError, check_cited
from rules.triage_model import (
    NOT_SURE,
    YES_NO,
    ChecklistItem,
    Conditional,
    Consistency,
    Level,
    Plan,
    PlanStep,
    Question,
    Reason,
    Rule,
    TriageResult,
    TriageRules,
    TriageRulesError,
    When,
    matches,
)

__all__ = [
    "DEFAULT_PATH",
    "Level",
    "Question",
    "Reason",
    "Rule",
    "TriageResult",
    "TriageRules",
    "TriageRulesError",
    "Evidence",
    "evaluate",
    "level_words",
    "load_evidence",
    "load_triage_rules",
    "matches",
]

DEFAULT_PATH = Path(__file__).with_name("triage.toml")


@dataclass(frozen=True)
class Evidence:
    """How the journal is read as evidence for triage ([evidence] of rules/triage.toml), in days."""

    long_days: int  # more than this many days is "beyond two weeks" (RD-3, CL-1)
    break_days: int  # a gap longer than this ends an episode (RD-6)
    together_days: int  # areas going on at the same time within this many days (CL-4)
    sources: tuple[str, ...]


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


def _words(text: str) -> str:
    return " ".join(text.split())


def _sources(raw: str, item: dict[str, Any], what: str) -> tuple[str, ...]:
    ids = item.get("sources") or ([item["source"]] if item.get("source") else [])
    if not ids:
        raise _fail(raw, f'id = "{item.get("id", "")}"', f"{what} has no sources (fact ids of rules/facts.toml)")
    for i in ids:
        try:
            check_cited([i], f"{what}")
        except SourceError as exc:
            needle = f'"{i}"'
            raise _fail(raw, needle, str(exc)) from exc
    return tuple(ids)


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
            lv["id"],
            rank,
            lv["words"],
            _words(lv["action"]),
            _sources(raw, lv, f"level {lv['id']}"),
            lv.get("default_who", ""),
        )
        if "{who}" in levels[lv["id"]].action and not lv.get("default_who"):
            raise _fail(raw, f'id = "{lv["id"]}"', f"level {lv['id']}: an action with {{who}} needs default_who")
    if not levels:
        raise TriageRulesError("rules/triage.toml: no [[level]] defined")

    questions: list[Question] = []
    for q in data.get("question", []):
        if q.get("kind") not in ("yes_no", "choice"):
            raise _fail(raw, f'id = "{q.get("id")}"', f"question {q.get('id')}: kind must be yes_no or choice")
        opts: tuple[tuple[str, str], ...]
        if q["kind"] == "yes_no":
            opts = YES_NO
        else:
            opts = tuple((o["id"], o["label"]) for o in q.get("options", []))
            if q.get("not_sure", True):
                opts += (NOT_SURE,)
        if not opts:
            raise _fail(raw, f'id = "{q["id"]}"', f"question {q['id']} has no options")
        typed = {o["id"]: tuple(p.lower() for p in o.get("typed", ())) for o in q.get("options", [])}
        questions.append(
            Question(
                q["id"],
                q["kind"],
                _words(q["text"]),
                _words(q["explain"]),
                _sources(raw, q, f"question {q['id']}"),
                opts,
                {k: tuple(v) for k, v in q.get("ask_if", {}).items()},
                q.get("short", q["id"]),
                typed,
                q.get("example", '"yes", "no" or "not sure"'),
            )
        )
    answers_of = {q.id: {a for a, _ in q.options} for q in questions}

    def check_when(when: dict[str, Any], owner: str) -> When:
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
                _sources(raw, r, owner),
                check_level(r["level"], owner),
                check_when(r["when"], owner),
                _words(r["text"]),
                unsure,
                r.get("who", ""),
                _words(r.get("unsure_text", "")),
            )
        )
    cl = data["checklist"]
    items = tuple(
        ChecklistItem(i["id"], i["words"], check_when(i["when"], f"checklist item {i['id']}"))
        for i in cl.get("item", [])
    )
    for i in items:
        try:
            check_cited([i.id], "checklist item")
        except SourceError as exc:
            raise _fail(raw, f'id = "{i.id}"', f"checklist item {i.id!r} is not a fact id") from exc
    calm = tuple(
        Conditional(
            _sources(raw, c, "calm text"),
            check_when(c["when"], "calm text"),
            _words(c["text"]),
            _words(c.get("action", "")),
            _sources(raw, {"sources": c["action_sources"]}, "calm action") if c.get("action") else (),
        )
        for c in data.get("calm", [])
    )
    if not calm or calm[-1].when:
        raise TriageRulesError("rules/triage.toml: the last [[calm]] must have an empty `when` (the default)")
    consistency = []
    for c in data.get("consistency", []):
        owner = f"consistency {c.get('id')}"
        reask = tuple((x["question"], x["label"]) for x in c.get("reask", []))
        for qid, _ in reask:
            if qid not in answers_of:
                raise _fail(raw, f'question = "{qid}"', f"{owner}: unknown question id {qid!r}")
        consistency.append(
            Consistency(c["id"], _sources(raw, c, owner), check_when(c["when"], owner), _words(c["text"]), reask)
        )
    notes = tuple(
        Conditional(_sources(raw, data[k], k), check_when(data[k]["when"], k), _words(data[k]["text"]))
        for k in ("pregnancy_note", "child_note")
        if k in data
    )
    plan = None
    if "plan" in data:
        p = data["plan"]
        plan = Plan(
            _sources(raw, p, "plan"),
            _words(p["intro"]),
            _words(p["outro"]),
            tuple(
                PlanStep(_sources(raw, s, "plan step"), _words(s["text"]), _words(s.get("pregnancy", "")))
                for s in p.get("step", [])
            ),
            check_when(p.get("skip_when", {}), "plan"),
            _words(p.get("eyelid_outro", "")),
            _sources(raw, {"sources": p["eyelid_outro_sources"]}, "plan") if p.get("eyelid_outro") else (),
            check_when(p.get("eyelid_when", {}), "plan"),
        )
    return TriageRules(
        version=data["version"],
        disclaimer=_words(data["disclaimer"]),
        disclaimer_sources=_sources(raw, {"sources": data.get("disclaimer_sources", ["GS-2"])}, "disclaimer"),
        levels=levels,
        questions=tuple(questions),
        rules=tuple(rules),
        checklist_items=items,
        checklist_level=check_level(cl["level"], "checklist"),
        checklist_threshold=int(cl["threshold"]),
        checklist_text=cl["text"],
        checklist_sources=_sources(raw, cl, "checklist"),
        calm=calm,
        consistency=tuple(consistency),
        notes=notes,
        plan=plan,
    )


# ---- evaluating ---------------------------------------------------------------------------------
def _join(names: list[str]) -> str:
    names = list(dict.fromkeys(n for n in names if n))
    if len(names) <= 1:
        return names[0] if names else ""
    return ", ".join(names[:-1]) + " and " + names[-1]


def evaluate(answers: dict[str, Any], rules: TriageRules | None = None) -> TriageResult:
    """The result for a set of answers (question id -> answer id); the highest level wins."""
    rules = rules or load_triage_rules()
    fired: list[tuple[str, Reason, str]] = []  # (level, reason, who)
    for r in rules.rules:
        if matches(r.when, answers):
            fired.append((r.level, Reason(r.sources, r.text), r.who))
        elif r.unsure != "ignore" and matches(r.when, answers, unsure_as_yes=True):
            level = r.level if r.unsure == "fire" else r.unsure.split(":", 1)[1]
            doubts = " and ".join(rules.question(q).short for q in r.when if answers.get(q) == "unsure")
            if rules.levels[level].default_who:  # a level that books someone
                text = f"You weren't sure about {doubts}; that can't be ruled out here, so a doctor should check it."
            else:
                text = f"You weren't sure about {doubts}; watch for it, and book a doctor if it turns out to be so."
            if r.unsure_text:
                text = r.unsure_text
            elif r.unsure == "fire" and r.level == "emergency":
                text = f"You weren't sure about {doubts}. {r.text}"
            fired.append((level, Reason(r.sources, text), r.who if level == r.level else ""))
    items = [i for i in rules.checklist_items if matches(i.when, answers)]
    notes: list[Reason] = []
    if len(items) >= rules.checklist_threshold:
        listed = "; ".join(i.words for i in items)
        fired.append(
            (
                rules.checklist_level,
                Reason(rules.checklist_sources + tuple(i.id for i in items), rules.checklist_text.format(items=listed)),
                "",
            )
        )
    elif items and not any(set(items[0].when) & set(r.when) for r in rules.rules if matches(r.when, answers)):
        notes.append(
            Reason(
                (items[0].id, *rules.checklist_sources),
                f"Also noted: {items[0].words}. One checklist item alone doesn't change the advice; two or more would.",
            )
        )
    rank = {lv: x.rank for lv, x in rules.levels.items()}
    level = max((f[0] for f in fired), key=rank.__getitem__, default=min(rules.levels, key=rank.__getitem__))
    fired.sort(key=lambda f: -rank[f[0]])  # the reasons behind the level come first
    reasons = [reason for _, reason, _ in fired]
    action, behind = rules.levels[level].action, [s for f_level, r, _ in fired if f_level == level for s in r.sources]
    if not fired:
        calm = next(c for c in rules.calm if matches(c.when, answers))
        reasons.insert(0, Reason(calm.sources, calm.text))
        if calm.action:
            action, behind = calm.action, list(calm.action_sources)
    notes.extend(Reason(n.sources, n.text) for n in rules.notes if matches(n.when, answers))
    lv = rules.levels[level]
    who = _join([w for f_level, _, w in fired if f_level == level]) or lv.default_who
    unsure = tuple(q.short for q in rules.questions if answers.get(q.id) == "unsure")
    return TriageResult(
        level,
        lv.words,
        action.replace("{who}", who),
        tuple(dict.fromkeys(reasons)),
        unsure,
        rules.disclaimer,
        rules.version,
        tuple(dict.fromkeys(notes)),
        tuple(dict.fromkeys(behind)) or lv.sources,
        rules.disclaimer_sources,
    )


@lru_cache(maxsize=4)
def load_evidence(path: Path | str = DEFAULT_PATH) -> Evidence:
    """The [evidence] thresholds of rules/triage.toml, each a positive number of days, with sources."""
    raw = Path(path).read_text(encoding="utf-8")
    try:
        table = tomllib.loads(raw).get("evidence", {})
    except tomllib.TOMLDecodeError as exc:
        raise TriageRulesError(f"rules/triage.toml: {exc}") from exc
    days: dict[str, int] = {}
    for key in ("long_days", "break_days", "together_days"):
        value = table.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _fail(raw, f"{key} =", f"evidence.{key} must be a whole number of days (at least 1)")
        days[key] = value
    return Evidence(sources=_sources(raw, table, "evidence"), **days)


def level_words(level: str | None, default: str | None = None) -> str:
    """The words a person reads for a triage level ([[level]] `words`), never a second copy.

    An unknown level reads as `default`, or as the level id itself when no default is given."""
    levels = load_triage_rules().levels
    if level is not None and level in levels:
        return levels[level].words
    return default if default is not None else (level or "")
