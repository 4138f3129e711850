"""Whole questionnaires as a person answers them, through the engine and the console."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.engine import Engine
from tests.conftest import Chat
from tests.test_console import run_console

ALARM_WORDS = ("als", "emergency", "urgent", "immediately", "neurologist", "wasting")


async def answer(chat: Chat, *labels: str) -> None:
    for label in labels:
        await chat.press(label)


async def test_three_day_eyelid_twitch_after_late_nights_is_self_care_without_alarm(chat):
    await chat.send("/triage")
    assert "safety check" in chat.text
    await answer(chat, "No", "Less than 2 weeks", "One area", "Only an eyelid", "No", "No", "No", "No", "No", "Not yet")
    assert "Self-care first" in chat.text and "EY-1" in chat.text
    result = chat.last[0].text.lower()
    assert not any(word in result.split() for word in ALARM_WORDS), result
    assert "not a diagnosis" in chat.text
    assert "Start the plan with reminders" in chat.labels


async def test_eyelid_twitch_of_three_weeks_is_monitor_and_names_the_eye_doctor(chat):
    await chat.send("/triage")
    await answer(
        chat, "No", "2 weeks to 3 months", "One area", "Only an eyelid", "No", "No", "No", "No", "No", "Not yet"
    )
    assert "Keep an eye on it" in chat.text and "eye doctor" in chat.text and "EY-3" in chat.text
    await chat.press("Remind me in a week")
    assert "check in on" in chat.text


async def test_worked_case_wc1_with_the_journal_as_evidence(chat, clock, store):
    # Forearm twitching three months ago, the shoulder later, the thigh recently (WC-1).
    for days_ago, line in ((90, "left forearm 20s"), (45, "left shoulder 30s"), (10, "right thigh 1 min")):
        clock.set(clock.now() - timedelta(days=days_ago))
        await chat.send(f"/log {line}, no trigger")
        clock.set(clock.now() + timedelta(days=days_ago))
    await chat.send("/triage")
    await chat.press("No")  # the emergency screen always comes first
    assert "your journal already shows" in chat.text and "new areas joined over time" in chat.text
    await chat.press("Yes, that's right")  # duration and spreading are not asked again
    assert "How long" not in chat.text and "Where does it twitch" not in chat.text
    await answer(chat, "No, somewhere else", "Yes", "Yes", "No", "No", "No", "No", "Yes, but nothing changed")
    assert "See a doctor soon" in chat.text or "Get" in chat.text
    assert "RF-1" in chat.text and "RF-3" in chat.text and "spreading" in chat.text.lower()
    assert "Make the report" in chat.labels
    await chat.send("/export")
    data = json.loads(next(r.attachment.data for r in chat.last if r.attachment and r.attachment.name.endswith("json")))
    [t] = data["triage"]
    assert t["level"] == "prompt" and {"source": "RF-1"}.items() <= t["reasons"][0].items()
    assert t["answers"]["spread"] == "spreading"


async def test_emergency_yes_ends_at_once_with_the_emergency_number(chat):
    await chat.send("/triage")
    await chat.press("Yes")
    assert "emergency number" in chat.text and "GS-1" in chat.text
    assert "How long" not in chat.text
    await chat.send("no")
    assert "How long" not in chat.text  # the questionnaire is over


async def test_what_does_this_mean_explains_and_keeps_the_question(chat):
    await chat.send("/triage")
    await chat.press("No")
    await chat.press("What does this mean?")
    assert "Count from when you first noticed" in chat.text and "How long" in chat.text
    await chat.send("banana")
    assert "didn't catch that" in chat.text
    await chat.send("less than 2 weeks")
    assert "Where does it twitch" in chat.text


async def test_half_answered_questionnaire_survives_a_restart_and_old_buttons_expire(chat, store, clock):
    await chat.send("/triage")
    await answer(chat, "No", "Less than 2 weeks")
    question = chat.last
    engine2 = Engine(store, clock=clock)
    store.evict((await store.user_for("console", "alice", "UTC", clock.now()))[0].id)
    again = Chat(engine2, "alice")
    again.last = question
    await again.press("One area")
    assert "Is it your eyelid" in again.text
    again.last = question
    await again.press("One area")  # pressed twice: the question was already answered
    assert "expired" in again.text


async def test_faq_answers_cite_facts_and_offer_triage(chat):
    await chat.send("is this ALS?")
    assert "FQ-3" in chat.text and "Start /triage" in chat.labels
    await chat.send("can dehydration cause twitching?")
    assert "FQ-1" in chat.text
    await chat.send("my eyelid has twitched for days")
    assert "EY-1" in chat.text and "Saved #" in chat.text  # issue 13: saved first, then the advice
    await chat.send("left eyelid 2 min after coffee")
    assert "Saved #" in chat.text  # a report is still logged, not answered
    await chat.press_id("triage:start")
    assert "safety check" in chat.text


async def test_a_log_that_crosses_a_line_suggests_triage_once(chat, clock):
    await chat.send("/log left calf 30s, no trigger")
    assert "triage" not in chat.text.lower()
    clock.advance(days=2)
    await chat.send("/log right forearm 10s, no trigger")  # now two unrelated groups in 30 days
    assert "unrelated areas" in chat.text and "Start /triage" in chat.labels
    clock.advance(days=1)
    await chat.send("/log left thigh 10s, no trigger")
    assert "Start /triage" not in chat.labels  # said once, no nagging


async def test_history_lists_past_results(chat):
    await chat.send("/triage history")
    assert "No triage results yet" in chat.text
    await chat.send("/triage")
    await chat.press("Yes")
    await chat.send("/triage history")
    assert "Emergency" in chat.text and "GS-1" in chat.text


def test_a_whole_questionnaire_through_the_console(tmp_path):
    lines = [
        "/triage",
        "No",
        "Less than 2 weeks",
        "One area",
        "Only an eyelid",
        "No",
        "No",
        "No",
        "No",
        "No",
        "Not yet",
    ]
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
    await answer(
        chat, "No", "2 weeks to 3 months", "One area", "Only an eyelid", "No", "No", "No", "No", "No", "Not yet"
    )
    await chat.press("Remind me in a week")
    scheduler = ReminderScheduler(engine, Settings())
    clock.advance(days=6, hours=23)
    await scheduler.tick()
    assert not got
    clock.advance(hours=1)
    await scheduler.tick()
    assert got and "A week ago" in got[0].text and "Answer again" in [c.label for c in got[0].choices]
