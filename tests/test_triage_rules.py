"""The triage rules: each fires when it should and not on a near miss; more "yes" never lowers
the level; every result explains itself; a broken rules file is refused with its line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.triage import next_steps
from rules.triage import DEFAULT_PATH, TriageRulesError, evaluate, load_triage_rules

RULES = load_triage_rules()
RANK = {lv: x.rank for lv, x in RULES.levels.items()}
BENIGN = {
    "emergency": "no",
    "duration": "short",
    "spread": "one",
    "face": "not_eyelid",
    "weakness": "no",
    "wasting": "no",
    "sensory": "no",
    "bulbar": "no",
    "family": "no",
    "selfcare": "helped",
}


def with_answers(**changes) -> dict[str, str]:
    answers = {**BENIGN, **changes}
    if answers["weakness"] != "no":
        answers.setdefault("worsening", "no")
    return answers


def other_answer(qid: str, avoid: tuple[str, ...]) -> str:
    """A benign answer to `qid` that the rule does not accept."""
    q = RULES.question(qid)
    prefer = [BENIGN.get(qid), "no", *[a for a, _ in q.options]]
    return next(a for a in prefer if a is not None and a not in avoid and a != "unsure")


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.id)
def test_each_rule_fires_and_a_near_miss_does_not(rule):
    answers = with_answers(**{q: wanted[0] for q, wanted in rule.when.items()})
    result = evaluate(answers)
    assert RANK[result.level] >= RANK[rule.level]
    assert any(r.text == rule.text for r in result.reasons)
    for qid, wanted in rule.when.items():  # change any one condition: this rule no longer fires
        miss = dict(answers, **{qid: other_answer(qid, wanted)})
        assert not any(r.text == rule.text for r in evaluate(miss).reasons), (rule.id, qid)


def test_two_checklist_items_mean_prompt_and_one_does_not():
    one = evaluate(with_answers(family="yes"))
    assert one.level == "self_care" and any(r.source == "CL-6" for r in one.reasons)
    two = evaluate(with_answers(family="yes", weakness="yes"))
    assert two.level == "prompt" and any(r.source == "CL-RULE" for r in two.reasons)


def test_worked_case_wc1_is_prompt_or_higher_naming_spreading_and_weakness():
    r = evaluate(
        with_answers(duration="months", spread="spreading", weakness="yes", worsening="yes", selfcare="no_change")
    )
    assert RANK[r.level] >= RANK["prompt"]
    sources = {x.source for x in r.reasons}
    assert {"RF-1", "RF-3"} <= sources


def test_levels_follow_the_table():
    assert evaluate(with_answers(emergency="yes")).level == "emergency"
    assert evaluate(with_answers(wasting="yes")).level == "immediate"
    assert evaluate(with_answers(sensory="yes")).level == "urgent"
    assert evaluate(with_answers(bulbar="yes")).level == "urgent"
    assert evaluate(with_answers(spread="several")).level == "prompt"
    assert evaluate(with_answers(face="eyelid_only", duration="weeks")).level == "monitor"
    assert evaluate(with_answers(face="eyelid_only", duration="short")).level == "self_care"


def test_not_sure_never_counts_as_no_and_is_named():
    r = evaluate(with_answers(wasting="unsure"))
    assert r.level == "prompt" and "loss of muscle bulk" in r.unsure
    assert any("weren't sure about loss of muscle bulk" in x.text for x in r.reasons)
    assert evaluate(with_answers(emergency="unsure")).level == "emergency"
    family = evaluate(with_answers(family="unsure"))
    assert "family history" in family.unsure


yes_no = [q.id for q in RULES.questions if q.kind == "yes_no"]
answer_sets = st.fixed_dictionaries({q.id: st.sampled_from([a for a, _ in q.options]) for q in RULES.questions})


@settings(max_examples=400, deadline=None)
@given(answers=answer_sets, flip=st.sampled_from(yes_no))
def test_turning_an_answer_from_no_to_yes_never_lowers_the_level(answers, flip):
    before = dict(answers, **{flip: "no"})
    after = dict(answers, **{flip: "yes"})
    assert RANK[evaluate(after).level] >= RANK[evaluate(before).level]


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets)
def test_every_result_has_a_reason_a_disclaimer_and_a_next_step(answers):
    r = evaluate(answers)
    assert r.reasons and all(x.source for x in r.reasons)
    assert "not a diagnosis" in r.disclaimer
    assert r.action
    assert next_steps(r.level) or r.level == "emergency"


def broken(tmp_path, old: str, new: str):
    text = DEFAULT_PATH.read_text().replace(old, new, 1)
    path = tmp_path / "triage.toml"
    path.write_text(text)
    with pytest.raises(TriageRulesError) as err:
        load_triage_rules(path)
    return str(err.value)


def test_a_rule_with_an_unknown_level_is_refused_naming_its_line(tmp_path):
    msg = broken(tmp_path, 'level = "immediate"\nwhen = { wasting', 'level = "soonish"\nwhen = { wasting')
    assert "line" in msg and "soonish" in msg


def test_a_rule_about_an_unknown_question_is_refused(tmp_path):
    msg = broken(tmp_path, 'when = { sensory = ["yes"] }', 'when = { tingles = ["yes"] }')
    assert "line" in msg and "tingles" in msg


def test_a_rule_without_a_real_source_is_refused(tmp_path):
    msg = broken(tmp_path, 'source = "RF-5"\nlevel = "urgent"', 'source = "XX-9"\nlevel = "urgent"')
    assert "line" in msg and "XX-9" in msg
