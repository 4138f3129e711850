"""rules/safety.toml is checked at load, and the screen's reading of time and negation."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from rules.safety import DEFAULT_PATH, SafetyRulesError, SafetyScreen, load_safety_screen


def data() -> dict:
    with Path(DEFAULT_PATH).open("rb") as f:
        return tomllib.load(f)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["rule"][0].update(category="panic"), "unknown category"),
        (lambda d: d["rule"][0].pop("source"), "lacks 'source'"),
        (lambda d: d["rule"][0].update(patterns=["(unclosed"]), "not a valid regular expression"),
        (lambda d: next(r for r in d["rule"] if r["category"] == "red_flag").pop("level"), "needs a level"),
        (lambda d: d["rule"][0].update(slow_rule="nowhere"), "unknown slow_rule"),
        (lambda d: d["reply"].pop("crisis"), "lacks 'crisis'"),
    ],
)
def test_a_broken_rules_file_is_refused_with_a_reason(change, message):
    d = data()
    change(d)
    with pytest.raises(SafetyRulesError, match=message):
        SafetyScreen(d)


def test_a_source_that_is_not_a_fact_is_refused():
    d = data()
    d["rule"][0]["source"] = "XX-9"
    with pytest.raises(SafetyRulesError, match="XX-9"):
        SafetyScreen(d, facts=frozenset({"SF-1", "SF-2", "SF-3", "SF-4", "RF-1", "RF-2", "RF-3", "RF-5"}))


def test_every_rule_cites_a_known_fact_id():
    screen = load_safety_screen()
    ids = {r.source for r in screen.rules} | {a for r in screen.rules for a in r.also}
    assert ids <= {
        "SF-1",
        "SF-2",
        "SF-3",
        "SF-4",
        "SF-5",
        "RF-1",
        "RF-2",
        "RF-3",
        "RF-4",
        "RF-5",
        "CL-3",
        "CL-4",
        "CL-5",
        "RD-1",
        "RD-2",
        "GS-1",
    }


@pytest.mark.parametrize(
    "text, category, passed",
    [
        ("my speech is slurred since this morning", "emergency", False),
        ("my speech has been slurred for a few weeks and getting worse", "red_flag", False),
        ("my arm went numb for 10 minutes earlier, fine now", "emergency", True),
        ("two weeks ago my arm went numb for 10 minutes, it went away", "urgent_gp", False),
        ("I can't swallow properly", "emergency", False),
        ("swallowing has been getting harder over the past few months", "red_flag", False),
    ],
)
def test_time_decides_between_now_came_and_went_and_built_up(text, category, passed):
    finding = load_safety_screen().screen(text).finding
    assert finding is not None and finding.category == category and finding.passed == passed


@pytest.mark.parametrize(
    "text",
    ["no trouble swallowing at all", "i dont have any weakness", "my face is not drooping", "never had slurred speech"],
)
def test_negations_turn_a_phrase_off(text):
    assert load_safety_screen().screen(text).finding is None


def test_normalising_handles_case_accents_emoji_and_contractions():
    screen = load_safety_screen()
    assert screen.normalise("I CAN’T breathe 😱") == "i cannot breathe"
    assert screen.normalise("Plötzlich") == "plotzlich"


def test_language_is_read_from_common_words():
    screen = load_safety_screen()
    assert screen.language(screen.normalise("mein Augenlid zuckt seit gestern")) == "de"
    assert screen.language(screen.normalise("mi párpado tiembla desde ayer")) == "es"
    assert screen.language(screen.normalise("my eyelid twitches since yesterday")) == "en"
