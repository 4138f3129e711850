"""Typed answers at every triage question: everyday words reach the same result as the buttons,
and what isn't understood gets one hint with an example that works, then the buttons again."""

from __future__ import annotations

from datetime import date

import pytest

from rules.triage import load_triage_rules
from rules.triage_typed import duration_days, read_answer
from tests.conftest import Chat
from tests.support.backends import backend  # noqa: F401
from tests.test_triage_flow import ADULT_SELF, ALL_NO, answer

RULES = load_triage_rules()
TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("qid", "typed", "expected"),
    [
        ("duration", "10 days", "short"),
        ("duration", "4 days", "short"),
        ("duration", "about a month", "weeks"),
        ("duration", "since March", "months"),
        ("duration", "two weeks", "short"),  # exactly 14 days is not "beyond two weeks" (RD-3)
        ("duration", "15 days", "two_weeks"),
        ("duration", "for 3 weeks", "weeks"),
        ("duration", "since 2 November", "weeks"),
        ("duration", "no idea", "unsure"),
        ("spread", "both calves", "both_sides"),
        ("spread", "both", "both_sides"),
        ("spread", "just my left calf", "one"),
        ("spread", "eyelid and calf", "several"),
        ("spread", "it moves around", "here_and_there"),
        ("face", "yes, only the eyelid", "eyelid_only"),
        ("face", "my cheek", "face_not_eyelid"),
        ("face", "eyelid and cheek", "eyelid_face"),
        ("face", "eyelid and my calf", "eyelid_elsewhere"),
        ("face", "no", "not_face"),
        ("selfcare", "partly", "partly"),
        ("selfcare", "kind of", "partly"),
        ("selfcare", "yes but nothing changed", "no_change"),
        ("selfcare", "nope", "not_yet"),
        ("weakness", "yeah", "yes"),
        ("weakness", "not really", "no"),
        ("weakness", "kind of", "unsure"),
        ("weakness", "partly", "unsure"),
        ("weakness", "I don't know", "unsure"),
        ("pregnant", "not pregnant", "no"),
        ("who", "for my son", "other"),
        ("age", "she is 9", "child"),
        ("age", "I'm 42", "adult"),
    ],
)
def test_everyday_answers_are_understood(qid, typed, expected):
    assert read_answer(RULES.question(qid), typed, TODAY)[0] == expected


def test_durations_in_days():
    assert duration_days("10 days", TODAY) == 10
    assert duration_days("about a month", TODAY) == 30
    assert duration_days("since March", TODAY) == (TODAY - date(2026, 3, 1)).days
    assert duration_days("since December", TODAY) == (TODAY - date(2025, 12, 1)).days  # last year
    assert duration_days("banana", TODAY) is None


async def typed(chat: Chat, *lines: str) -> None:
    for line in lines:
        chat.engine.clock.advance(seconds=3)
        await chat.send(line)
        assert "didn't catch" not in chat.text, (line, chat.text)


def level_line(chat: Chat) -> str:
    return next(r.text for r in chat.last if r.text.startswith("Result:")).splitlines()[0]


PROFILES = [
    (
        ("nope", "myself", "I'm 34", "not pregnant", "10 days", "just the left eyelid", "yes, only the eyelid"),
        ("no", "nah", "not really", "no", "nope", "no", "no", "not yet"),
        (*ADULT_SELF, "2 weeks or less", "One spot", "Only an eyelid", *ALL_NO, "Not yet"),
    ),
    (
        ("no", "me", "42", "no", "11 days", "my right hand", "no, it's my hand", "no", "no"),
        ("yes, my grip is weaker", "no, it's stable", "no", "no", "no", "no idea", "not yet"),
        (*ADULT_SELF, "2 weeks or less", "One spot", "No, not the face", "No", "No", "Yes", "No"),
        ("No", "No", "No", "Not sure", "Not yet"),
    ),
    (
        ("no", "for me", "adult", "no", "since March", "it has been spreading", "no"),
        ("yes", "kind of", "no", "no", "yes", "no", "no", "partly"),
        (*ADULT_SELF, "More than 3 months", "It has been spreading", "No, not the face", "Yes", "Not sure"),
        ("No", "No", "Yes", "No", "No", "Some, for less time"),
    ),
    (
        ("no", "my daughter", "she is 9", "no", "about a month", "both calves", "no"),
        ("no", "no", "no", "no", "no", "no", "no", "a bit"),
        ("No", "Someone else", "Under 18", "No", "3 weeks to 3 months", "Same muscle, both sides"),
        ("No, not the face", *ALL_NO, "Some, for less time"),
    ),
]


@pytest.mark.parametrize("profile", PROFILES, ids=["eyelid", "rd1_hand", "spreading", "child_calves"])
async def test_a_questionnaire_typed_in_everyday_words_reaches_the_button_result(make_chat, profile):
    words = [w for part in profile[:2] for w in part]
    presses = [p for part in profile[2:] for p in part]
    by_typing = make_chat("typist")
    await by_typing.send("/triage")
    await typed(by_typing, *words)
    by_buttons = make_chat("presser")
    await by_buttons.send("/triage")
    await answer(by_buttons, *presses)
    assert level_line(by_typing) == level_line(by_buttons)


async def test_not_understood_gets_one_hint_with_a_working_example_then_the_buttons(chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF)
    await chat.send("purple")
    assert 'I didn\'t catch "purple"' in chat.text and '"10 days"' in chat.text
    assert "2 weeks or less" in chat.labels and "Not sure" in chat.labels
    await chat.send("10 days")  # the example given works
    assert "Where does it twitch" in chat.text
    await chat.send("blah")
    assert '"both calves"' in chat.text and "Same muscle, both sides" in chat.labels
    await chat.send("both calves")
    assert "eyelid or face" in chat.text


@pytest.mark.parametrize("q", [q for q in RULES.questions if q.id != "who"], ids=lambda q: q.id)
def test_every_question_offers_not_sure(q):
    assert "Not sure" in [label for _, label in q.options]


async def test_typed_answers_work_at_the_journal_and_the_safety_steps(chat, clock):
    await chat.send("/triage")
    await chat.send("not sure")
    assert "Face" in chat.text and "dropped" in chat.text
    await typed(chat, "no", "nope", "no", "no")
    assert "Who is this about" in chat.text


def test_a_face_part_named_only_to_deny_it_is_not_taken_as_the_answer():
    from datetime import date

    from rules.triage import load_triage_rules
    from rules.triage_typed import read_answer

    face = next(q for q in load_triage_rules().questions if q.id == "face")
    today = date(2026, 11, 26)
    # a tester typed "no not my face" and was told 'Noted: "Face, not the eyelid"'
    assert read_answer(face, "no not my face", today)[0] == "not_face"
    assert read_answer(face, "no, not my face, just my calf", today)[0] == "not_face"
    assert read_answer(face, "my eyelid, not the rest of my face", today)[0] == "eyelid_only"
    assert read_answer(face, "not the eyelid, my cheek", today)[0] == "face_not_eyelid"
    assert read_answer(face, "my face", today)[0] == "face_not_eyelid"  # a plain answer still counts
