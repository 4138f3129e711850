"""Whole questionnaires as a person answers them, through the engine and the console."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from bot.app import build_engine
from tests.conftest import Chat
from tests.support.backends import backend  # noqa: F401
from tests.support.citations import cites
from tests.test_console import run_console

ALARM_WORDS = ("als", "emergency", "urgent", "immediately", "neurologist", "wasting")
CODES = re.compile(r"\b(BG|RF|CL|EY|SC|FQ|RD|SF|GS|WC)-(\d|RULE)")
# the safety check, who it is for, the age band, pregnancy
ADULT_SELF = ("No", "Me", "18 or older", "No")
# worse, disrupts, weakness, wasting, sensory, bulbar, family (no weakness: no "worsening" question)
ALL_NO = ("No", "No", "No", "No", "No", "No", "No")


async def answer(chat: Chat, *labels: str) -> None:
    """Press each label in turn, a person's few seconds apart (the engine slows down floods)."""
    for label in labels:
        chat.engine.clock.advance(seconds=3)
        await chat.press(label)


async def test_three_day_eyelid_twitch_after_late_nights_is_self_care_without_alarm(chat):
    await chat.send("/triage")
    assert "safety check" in chat.text
    await answer(chat, *ADULT_SELF, "2 weeks or less", "One spot", "Only an eyelid", *ALL_NO, "Not yet")
    assert "Self-care first" in chat.text and "eyelid twitch" in chat.text
    result = chat.last[0].text
    assert not any(word in result.lower().split() for word in ALARM_WORDS), result
    assert "beyond two weeks" in result and "eye doctor" in result  # RD-3, not "wait 3-4 weeks"
    assert "not a diagnosis" in chat.text and "[1]" in result and not CODES.search(chat.text)
    assert "Start the plan with reminders" in chat.labels and "Sources" in chat.labels


async def test_eyelid_twitch_of_three_weeks_says_book_an_eye_doctor(chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "3 weeks to 3 months", "One spot", "Only an eyelid", *ALL_NO, "Not yet")
    result = chat.last[0].text
    assert "Result: Book an appointment." in result
    assert "What to do: Book a routine appointment with an eye doctor (ophthalmologist)" in result
    assert "Keep an eye on it" not in result
    assert "Make the report" in chat.labels


async def test_worked_case_wc1_with_the_journal_as_evidence(chat, clock):
    # Forearm twitching from three months ago and still going; the shoulder and the thigh joined (WC-1).
    logs = [(90, "left forearm 20s"), (80, "left forearm 30s"), (60, "left forearm 20s"), (45, "left shoulder 30s")]
    logs += [(40, "left forearm 10s"), (20, "right thigh 1 min"), (10, "left forearm 20s"), (2, "right thigh 30s")]
    for days_ago, line in logs:
        clock.set(clock.now() - timedelta(days=days_ago))
        await chat.send(f"/log {line}, no trigger")
        clock.set(clock.now() + timedelta(days=days_ago))
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF)  # the safety check and who it is for always come first
    assert "From your journal (1 of 2)" in chat.text and "separate episodes" in chat.text
    await chat.press("Yes, that's right")
    assert "From your journal (2 of 2)" in chat.text and "new areas joined while earlier ones went on" in chat.text
    await chat.press("Yes, that's right")
    assert "Noted from your journal:" in chat.text and "spreading: yes" in chat.text
    assert "Where does it twitch" not in chat.text
    await answer(chat, "No, not the face", "No", "No", "Yes", "Yes", "No", "No", "No", "No", "Not yet")
    assert "See a doctor soon" in chat.text and "neurologist" in chat.text
    assert "spreading" in chat.text.lower() and "getting worse" in chat.text
    assert "Make the report" in chat.labels
    await chat.send("/export")
    data = json.loads(next(r.attachment.data for r in chat.last if r.attachment and r.attachment.name.endswith("json")))
    [t] = data["triage"]
    assert t["level"] == "prompt" and t["answers"]["spread"] == "spreading"
    assert t["for"] == "self" and t["age"] == "adult"
    assert {"RF-1", "RF-3"} <= {s["id"] for s in t["sources"]}
    assert all(s["text"] and s["origin"] for s in t["sources"])
    assert "spread" in t["journal"] and t["mismatches"] == []


async def test_emergency_yes_ends_at_once_with_the_emergency_number(chat):
    await chat.send("/triage")
    await chat.press("Yes")
    assert "emergency number" in chat.text and "How long" not in chat.text
    await chat.send("no")
    assert "How long" not in chat.text and "Who is this" not in chat.text  # the questionnaire is over


async def test_not_sure_at_the_safety_check_asks_the_fast_signs_one_by_one(chat):
    await chat.send("/triage")
    await chat.press("Not sure")
    assert "Emergency" not in chat.text and "Face" in chat.text and "dropped" in chat.text
    await chat.press("No")
    assert "Arms" in chat.text
    await chat.press("No")
    assert "Speech" in chat.text
    await chat.press("No")
    assert "Breathing" in chat.text
    await chat.press("No")
    assert "Who is this about" in chat.text  # no sign: the questionnaire goes on


async def test_a_fast_sign_answered_yes_or_not_sure_gives_the_emergency_instruction(chat, make_chat):
    await chat.send("/triage")
    await answer(chat, "Not sure", "No", "Yes")
    assert "Emergency: call now" in chat.text and "even if the signs pass" in chat.text
    other = make_chat("carol")
    await other.send("/triage")
    await answer(other, "Not sure", "Not sure")  # SF-1: call even if unsure
    assert "Emergency: call now" in other.text and "weren't sure about a drooping face" in other.text


async def test_what_does_this_mean_explains_and_keeps_the_question(chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF)
    await chat.press("What does this mean?")
    assert "Separate episodes" in chat.text and "How long" in chat.text
    await chat.send("banana")
    assert "didn't catch" in chat.text and '"10 days"' in chat.text and "2 weeks or less" in chat.labels
    await chat.send("10 days")
    assert "Where does it twitch" in chat.text


async def test_not_now_ends_the_questionnaire_and_does_not_restart_it(chat):
    await chat.send("/triage")
    await answer(chat, "No", "Me")
    await chat.press("Not now")
    assert "Stopped here; nothing was saved" in chat.text
    await chat.send("no")
    assert "How old" not in chat.text and "safety check" not in chat.text
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "More than 3 months", "One spot", "No, not the face", *ALL_NO, "Not yet")
    assert "Keep an eye on it" in chat.text
    await chat.press("Not now")
    assert "safety check" not in chat.text and "Okay" in chat.text


async def test_half_answered_questionnaire_survives_a_restart_and_old_buttons_expire(chat, store, clock):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "2 weeks or less")
    question = chat.last
    engine2 = build_engine(store, clock=clock)
    store.evict((await store.user_for("console", "alice", "UTC", clock.now()))[0].id)
    again = Chat(engine2, "alice")
    again.last = question
    await again.press("One spot")
    assert "eyelid or face" in again.text
    again.last = question
    await again.press("One spot")  # pressed twice: the question was already answered
    assert "expired" in again.text


async def test_faq_answers_still_offer_triage(chat):
    await chat.send("is this ALS?")
    assert cites(chat.text, "FQ-3") and "Start /triage" in chat.labels
    await chat.send("can dehydration cause twitching?")
    assert cites(chat.text, "FQ-1")
    await chat.send("my eyelid has twitched for days")
    assert cites(chat.text, "EY-1") and "Saved #" in chat.text  # issue 13: saved first, then the advice
    await chat.send("left eyelid 2 min after coffee")
    assert "Saved #" in chat.text
    await chat.press_id("triage:start")
    assert "safety check" in chat.text


async def test_a_log_that_crosses_a_line_suggests_triage_once(chat, clock):
    await chat.send("/log left calf 30s, no trigger")
    clock.advance(days=2)
    await chat.send("/log right forearm 10s, no trigger")
    assert "Start /triage" not in chat.labels  # one twitch in a new area is not spreading (RD-6)
    suggestions = []
    for _ in range(3):  # now both areas go on, on several days each: several areas at once
        clock.advance(days=2)
        for line in ("left calf 20s", "right forearm 10s"):
            await chat.send(f"/log {line}, no trigger")
            if "Start /triage" in chat.labels:
                suggestions.append(chat.text)
    assert len(suggestions) == 1  # said once, no nagging
    assert "unrelated areas at the same time: calf, forearm" in suggestions[0]


async def test_history_lists_past_results_in_words(chat):
    await chat.send("/triage history")
    assert "No triage results yet" in chat.text
    await chat.send("/triage")
    await chat.press("Yes")
    await chat.send("/triage history")
    assert "Emergency" in chat.text and not CODES.search(chat.text) and "/sources" in chat.text


def test_a_whole_questionnaire_through_the_console(tmp_path):
    lines = ["/triage", *ADULT_SELF, "10 days", "one spot", "yes, only the eyelid", *ALL_NO, "not yet"]
    proc = run_console(tmp_path / "t.db", lines, "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == len(lines)
    assert "Self-care first" in rows[-1]["replies"][0]["text"]


async def test_the_one_week_check_in_arrives_a_week_later(chat, engine, clock):
    from bot.config import Settings
    from bot.scheduler import ReminderScheduler

    got = []

    class Sender:
        async def send(self, external_id, chat_id, replies):
            got.extend(replies)

    engine.add_sender("console", Sender())
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "3 weeks to 3 months", "One spot", "No, not the face", *ALL_NO, "Not yet")
    await chat.press("Remind me in a week")
    scheduler = ReminderScheduler(engine, Settings())
    clock.advance(days=6, hours=23)
    await scheduler.tick()
    assert not got
    clock.advance(hours=1)
    await scheduler.tick()
    assert got and "A week ago" in got[0].text and "Answer again" in [c.label for c in got[0].choices]


async def test_a_questionnaire_left_by_an_older_version_restarts_cleanly(chat, store, clock):
    from bot.store import Conversation

    user, _ = await store.user_for("console", "alice", "UTC", clock.now())
    await store.save_conversation(user.id, Conversation("triage", "evidence", {"answers": {}}, clock.now()))
    await chat.send("yes")
    assert "changed since you started" in chat.text
    await chat.send("/triage")
    assert "safety check" in chat.text
