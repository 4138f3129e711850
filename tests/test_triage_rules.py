"""The triage rules: each fires when it should and not on a near miss; more "yes" never lowers
the level; levels never contradict their reasons; every result explains itself; a broken rules
file is refused with its line."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.triage_result import next_steps, plan_text, result_text
from rules.sources import load_facts
from rules.triage import DEFAULT_PATH, TriageRulesError, evaluate, load_triage_rules

RULES = load_triage_rules()
RANK = {lv: x.rank for lv, x in RULES.levels.items()}
BENIGN = {
    "emergency": "no",
    "who": "self",
    "age": "adult",
    "pregnant": "no",
    "duration": "short",
    "spread": "one",
    "face": "not_face",
    "twitch_worse": "no",
    "disrupts": "no",
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


def test_levels_run_from_self_care_to_emergency_with_see_doctor_between_monitor_and_prompt():
    assert list(RULES.levels) == ["self_care", "monitor", "see_doctor", "prompt", "urgent", "immediate", "emergency"]


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.id)
def test_each_rule_fires_and_a_near_miss_does_not(rule):
    answers = with_answers(**{q: wanted[0] for q, wanted in rule.when.items()})
    result = evaluate(answers)
    assert RANK[result.level] >= RANK[rule.level]
    assert any(r.text == rule.text for r in result.reasons)
    for qid, wanted in rule.when.items():  # change any one condition: this rule no longer fires
        miss = dict(answers, **{qid: other_answer(qid, wanted)})
        assert not any(r.text == rule.text for r in evaluate(miss).reasons), (rule.id, qid)


def test_two_checklist_items_mean_prompt_and_one_is_only_noted():
    one = evaluate(with_answers(family="yes"))
    assert one.level == "self_care" and any("CL-6" in n.sources for n in one.notes)
    assert all("CL-6" not in r.sources for r in one.reasons)  # reasons list only rules that fired
    two = evaluate(with_answers(family="yes", duration="weeks", selfcare="no_change"))
    assert two.level == "prompt" and any("CL-RULE" in r.sources for r in two.reasons)


def test_worked_case_wc1_is_prompt_or_higher_naming_spreading_and_weakness():
    r = evaluate(
        with_answers(duration="months", spread="spreading", weakness="yes", worsening="yes", selfcare="no_change")
    )
    assert RANK[r.level] >= RANK["prompt"]
    sources = {s for x in r.reasons for s in x.sources}
    assert {"RF-1", "RF-3", "RD-1"} <= sources


def test_levels_follow_the_table_and_the_readings():
    assert evaluate(with_answers(emergency="yes")).level == "emergency"
    assert evaluate(with_answers(wasting="yes")).level == "immediate"
    assert evaluate(with_answers(sensory="yes")).level == "urgent"
    assert evaluate(with_answers(bulbar="yes")).level == "urgent"
    assert evaluate(with_answers(spread="several")).level == "prompt"
    assert evaluate(with_answers(weakness="yes")).level == "prompt"  # RD-1: stable weakness, one side
    assert evaluate(with_answers(weakness="yes", spread="both_sides")).level == "see_doctor"
    assert evaluate(with_answers(face="eyelid_only", duration="two_weeks")).level == "see_doctor"  # RD-3
    assert evaluate(with_answers(face="eyelid_only", duration="short")).level == "self_care"
    assert evaluate(with_answers(duration="weeks", selfcare="no_change")).level == "see_doctor"  # RD-4
    assert evaluate(with_answers(duration="weeks", twitch_worse="yes")).level == "see_doctor"  # RD-5
    assert evaluate(with_answers(twitch_worse="yes")).level == "monitor"
    assert evaluate(with_answers(disrupts="yes")).level == "see_doctor"  # RD-2
    assert evaluate(with_answers(duration="weeks", selfcare="not_yet")).level == "monitor"  # RF-4
    assert evaluate(with_answers(spread="here_and_there")).level == "self_care"  # RD-6
    assert evaluate(with_answers(age="child")).level == "see_doctor"  # SF-5
    assert evaluate(with_answers(pregnant="yes", pregnancy_signs="yes")).level == "immediate"  # SF-4


def test_the_action_names_who_and_never_says_keep_watching_when_a_rule_says_book():
    eye = evaluate(with_answers(face="eyelid_only", duration="two_weeks"))
    assert "eye doctor" in eye.action and "Book" in eye.action
    gp = evaluate(with_answers(duration="weeks", selfcare="no_change"))
    assert "your GP" in gp.action and "Book" in gp.action
    child = evaluate(with_answers(age="child"))
    assert "child's doctor" in child.action
    midwife = evaluate(with_answers(pregnant="yes", pregnancy_signs="yes"))
    assert "midwife" in midwife.action
    for r in (eye, gp, child, midwife):
        assert "keep an eye" not in r.action.lower() and "watch" not in r.action.lower()


def test_not_sure_never_counts_as_no_and_is_named():
    r = evaluate(with_answers(wasting="unsure"))
    assert r.level == "prompt" and "loss of muscle bulk" in r.unsure
    assert any("weren't sure about loss of muscle bulk" in x.text for x in r.reasons)
    fast = evaluate(with_answers(emergency="unsure", fast_face="no", fast_arm="no", fast_speech="no"))
    assert fast.level != "emergency"  # "Not sure" alone asks the signs; it is not an emergency by itself
    assert evaluate(with_answers(emergency="unsure", fast_arm="unsure")).level == "emergency"  # SF-1
    family = evaluate(with_answers(family="unsure"))
    assert "family history" in family.unsure


def test_exactly_fourteen_days_is_not_beyond_two_weeks():
    from rules.triage_typed import duration_answer

    assert duration_answer(14) == "short" and duration_answer(15) == "two_weeks"
    assert evaluate(with_answers(face="eyelid_only", duration=duration_answer(14))).level == "self_care"


def test_the_rd4_conflict_is_detected_not_combined():
    assert RULES.conflict(with_answers(duration="short", selfcare="no_change")) is not None
    assert RULES.conflict(with_answers(duration="weeks", selfcare="no_change")) is None
    assert RULES.conflict(with_answers(duration="short", selfcare="partly")) is None


def test_a_result_noting_weakness_never_calls_it_harmless_or_without_warning_signs():
    for spread in ("one", "both_sides", "here_and_there"):
        r = evaluate(with_answers(weakness="yes", spread=spread))
        text = result_text(r).lower()
        assert "none of the warning signs" not in text and "usually harmless" not in text
        assert r.level != "self_care"


yes_no = [q.id for q in RULES.questions if q.kind == "yes_no"]
answer_sets = st.fixed_dictionaries({q.id: st.sampled_from([a for a, _ in q.options]) for q in RULES.questions})


@settings(max_examples=400, deadline=None)
@given(answers=answer_sets, flip=st.sampled_from(yes_no))
def test_turning_an_answer_from_no_to_yes_never_lowers_the_level(answers, flip):
    before = dict(answers, **{flip: "no"})
    after = dict(answers, **{flip: "yes"})
    assert RANK[evaluate(after).level] >= RANK[evaluate(before).level]


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets, flip=st.sampled_from(yes_no))
def test_turning_an_answer_from_no_to_not_sure_never_lowers_the_level(answers, flip):
    before = dict(answers, **{flip: "no"})
    after = dict(answers, **{flip: "unsure"})
    assert RANK[evaluate(after).level] >= RANK[evaluate(before).level]


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets)
def test_every_result_has_a_reason_a_disclaimer_a_next_step_and_readable_sources(answers):
    r = evaluate(answers)
    facts = load_facts()
    assert r.reasons and all(x.sources for x in r.reasons)
    assert "not a diagnosis" in r.disclaimer
    assert r.action and "{who}" not in r.action
    assert next_steps(r.level, answers) or r.level == "emergency"
    assert set(r.sources) <= set(facts)
    text = result_text(r)
    assert not re.search(r"\b(BG|RF|CL|EY|SC|FQ|RD|SF|GS)-(\d|RULE)", text)  # numbers, not codes
    assert "[1]" in text and "Sources" in text
    if answers["age"] in ("child", "unsure"):
        assert plan_text(answers) is None  # SF-5: no adult self-care plan for a child


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets)
def test_a_level_never_contradicts_its_reasons(answers):
    r = evaluate(answers)
    top = [x.text for x in r.reasons]
    if r.level in ("see_doctor", "prompt", "urgent", "immediate"):
        assert not any("usually harmless and fades" in t for t in top)
    if any("eye doctor" in t for t in top) and r.level == "see_doctor":
        assert "eye doctor" in r.action
    if r.level == "self_care":
        assert not any("should be" in t or "calls for" in t for t in top)


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


def test_a_rule_without_a_real_source_is_refused_against_facts_toml(tmp_path):
    msg = broken(tmp_path, 'sources = ["RF-5"]\nlevel = "urgent"', 'sources = ["XX-9"]\nlevel = "urgent"')
    assert "line" in msg and "XX-9" in msg and "facts.toml" in msg


def test_not_sure_at_a_choice_question_counts_where_the_rule_says():
    eyelid = evaluate(with_answers(face="eyelid_only", duration="unsure"))
    assert eyelid.level == "monitor" and any("beyond two weeks, book an eye doctor" in x.text for x in eyelid.reasons)
    age = evaluate(with_answers(age="unsure"))
    assert age.level == "see_doctor" and "GP" in age.action and plan_text(with_answers(age="unsure")) is None
