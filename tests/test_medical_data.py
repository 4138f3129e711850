"""Medical text is data: no fact citation in Python strings of handlers/ or bot/, and every loader
of rules/*.toml refuses a fact id that rules/facts.toml does not hold."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from rules.sources import CITATION_LIKE, SourceError, check_cited

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
# "(BG-2)", "(EY-1, FQ-2)", "goal, SC-2)": a fact id inside a sentence (a bare id such as "SF-1"
# passed as a `source` is a reference, not medical text)
BARE_ID = re.compile(rf"^(?:{CITATION_LIKE.pattern})$")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _leaks(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    docs = _docstrings(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            text = node.value.strip()
            if CITATION_LIKE.search(text) and not BARE_ID.match(text):
                out.append(f"{path.relative_to(root)}:{node.lineno}: {text[:70]!r}")
    return out


def test_no_cited_medical_text_in_python_strings():
    files = sorted([*ROOT.joinpath("handlers").rglob("*.py"), *ROOT.joinpath("bot").rglob("*.py")])
    assert files
    leaks = [leak for f in files for leak in _leaks(f)]
    assert not leaks, "medical text belongs in rules/*.toml:\n" + "\n".join(leaks)


def test_the_leak_check_sees_plain_and_f_strings(tmp_path):
    (tmp_path / "x.py").write_text(
        '"""Docs may cite (BG-2)."""\nA = "harmless (BG-2)"\nB = f"{1} glasses (about 2 l, SC-2)."\nC = "SF-1"\n'
    )
    leaks = _leaks(tmp_path / "x.py", tmp_path)
    assert [x.split(":")[1] for x in leaks] == ["2", "3"]


def test_check_cited_names_where_and_the_unknown_id():
    check_cited(["BG-2", "SC-6"], "rules/x.toml [a].b")
    with pytest.raises(SourceError, match=r"rules/x.toml \[a\].b: source 'XX-9' is not a fact id"):
        check_cited(["BG-2", "XX-9"], "rules/x.toml [a].b")


# ---- every loader refuses an unknown fact id ---------------------------------------------------
def _copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (RULES / name).read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in rules/{name}"
    out = tmp_path / name
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


def _data(name: str) -> dict:
    return tomllib.loads((RULES / name).read_text(encoding="utf-8"))


def test_triage_loader_refuses_an_unknown_fact(tmp_path):
    from rules.triage import TriageRulesError, load_evidence, load_triage_rules

    with pytest.raises(TriageRulesError, match="XX-9"):
        load_triage_rules(_copy(tmp_path, "triage.toml", 'sources = ["RF-5"]', 'sources = ["XX-9"]'))
    path = _copy(tmp_path, "triage.toml", 'sources = ["RD-3", "CL-1", "RD-6", "CL-4"]', 'sources = ["XX-9"]')
    with pytest.raises(TriageRulesError, match="XX-9"):
        load_evidence(path)


def test_safety_loader_refuses_an_unknown_fact():
    from rules.safety import SafetyRulesError, SafetyScreen, _known_facts

    data = _data("safety.toml")
    data["rule"][0]["also"] = ["XX-9"]
    with pytest.raises(SafetyRulesError, match="XX-9"):
        SafetyScreen(data, _known_facts())


def test_reminders_loader_refuses_an_unknown_fact():
    from rules.reminders import RulesError, validate

    for change in (
        lambda d: d["kinds"]["hydration"].update(source="XX-9", text="Drink water (XX-9)."),
        lambda d: d["plan"].update(keep_going="Keep going (XX-9)."),
        lambda d: d["absent"].update(sources=["XX-9"]),
        lambda d: d["absent"]["question"][0].update(source="XX-9"),
    ):
        data = _data("reminders.toml")
        change(data)
        with pytest.raises(RulesError, match="XX-9"):
            validate(data)


def test_faq_loader_refuses_an_unknown_fact(tmp_path):
    from rules.faq import FaqError, load_faq

    with pytest.raises(FaqError, match="XX-9"):
        load_faq(_copy(tmp_path, "faq.toml", 'sources = ["FQ-3", "BG-5", "BG-2"]', 'sources = ["XX-9"]'))


def test_vocabulary_loader_refuses_an_unknown_fact(tmp_path):
    from rules.vocabulary import VocabularyError, load_vocabulary

    with pytest.raises(VocabularyError, match="XX-9"):
        load_vocabulary(_copy(tmp_path, "vocabulary.toml", 'source = "CL-4"', 'source = "XX-9"'))


def test_texts_loader_refuses_an_unknown_fact(tmp_path):
    from rules.texts import TextsError, load_texts

    with pytest.raises(TextsError, match=r"\[insights\].spreading_note: source 'XX-9'"):
        load_texts(_copy(tmp_path, "texts.toml", "spreading (RF-1)", "spreading (XX-9)"))


def test_reassurance_loader_refuses_an_unknown_fact(tmp_path, monkeypatch):
    import handlers.reassurance as reassurance

    assert reassurance.check_sources is check_cited  # the one validator, by its earlier name
    path = _copy(tmp_path, "reassurance.toml", 'sources = ["', 'sources = ["XX-9", "')
    monkeypatch.setattr(reassurance, "RULES_FILE", path)
    reassurance.load_guard_rules.cache_clear()
    try:
        with pytest.raises(SourceError, match="rules/reassurance.toml: source 'XX-9'"):
            reassurance.load_guard_rules()
    finally:
        reassurance.load_guard_rules.cache_clear()


def test_every_text_of_texts_toml_loads_and_cites_known_facts():
    from rules.texts import load_texts

    texts = load_texts()
    assert {"log_advice", "faq", "chat", "start", "log", "insights", "reminders", "appointment"} <= set(texts)
