"""Issue 14, the companion for anxious people, driven through the engine with a frozen clock:
the reassurance-loop guard, "none today", the weekly "what stayed absent" questions, honest
time in the plan and the summary, quiet hours, follow-ups and /appointment."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.handler_api import Context
from bot.messages import Incoming
from bot.scheduler import ReminderScheduler
from bot.store import from_ts
from handlers.reassurance import after_triage
from tests.support.backends import backend  # noqa: F401
from tests.support.citations import cites
from tests.support.sending import RecordingSender

ALS = "is this ALS?"
CODES = re.compile(r"\b(BG|RF|CL|EY|SC|FQ|RD|SF|GS|WC)-(\d|RULE)")


@pytest.fixture
def sender(engine, clock) -> RecordingSender:
    s = RecordingSender(clock)
    engine.add_sender("console", s)
    return s


@pytest.fixture
def scheduler(engine) -> ReminderScheduler:
    return ReminderScheduler(engine, Settings(reminder_grace_minutes=30))


async def run_to(scheduler, clock, end: datetime) -> None:
    while True:
        row = await scheduler.store.fetchone("SELECT min(next_due) FROM reminders WHERE next_due IS NOT NULL")
        if row[0] is None or from_ts(row[0]) > end:
            break
        clock.set(max(clock.now(), from_ts(row[0])))
        await scheduler.tick()
    clock.set(end)


async def context(engine, who: str = "alice") -> Context:
    user, _ = await engine.store.user_for("console", who, "Europe/Berlin", engine.clock.now())
    return Context(engine, engine.store, user, Incoming("console", who, text=""), engine.clock.now())


# ---- the reassurance-loop guard ---------------------------------------------------------------
async def test_als_asked_five_times_in_three_days(chat, clock):
    texts = []
    for _i in range(5):
        await chat.send(ALS)
        texts.append(chat.text)
        assert "triage:start" in [c.id for r in chat.last for c in r.choices]  # never refuses /triage
        clock.advance(hours=15)
    assert all("rarely ALS" in t for t in texts[:2]) and "keeps coming back" not in texts[1]
    third = texts[2]
    assert "keeps coming back" in third and "asked me this 3 times" in third
    assert "What would change the advice" in third and "weakness" in third and "swallowing" in third
    assert "day off logging" in third or "worry time" in third
    assert len(third) < 1100  # brief
    for later in texts[3:]:
        assert later.startswith("Same as earlier") and "swallowing" in later
    assert not CODES.search("\n".join(texts[2:]))  # plain words for an anxious reader
    # the same question three days later, after a quiet spell, gets the full answer again
    clock.advance(days=4)
    await chat.send(ALS)
    assert "rarely ALS" in chat.text and "keeps coming back" not in chat.text


async def test_a_red_flag_in_a_guarded_period_escalates_at_once(chat, clock):
    for _ in range(3):
        await chat.send(ALS)
        clock.advance(hours=2)
    assert "keeps coming back" in chat.text
    # sudden weakness: the safety screen answers first, nothing else competes with it
    await chat.send("is this ALS? my left hand suddenly feels weak and I drop things")
    assert "keeps coming back" not in chat.text and "Same as earlier" not in chat.text
    assert "call 112" in chat.text.lower()
    # a slower red flag: the full answer, and /triage at once
    clock.advance(hours=1)
    await chat.send("is this ALS? my left calf looks thinner than the right one")
    assert "keeps coming back" not in chat.text and "Same as earlier" not in chat.text
    start = [c.id for r in chat.last for c in r.choices if "triage" in c.id]
    assert "/triage" in chat.text and start
    await chat.press_id(start[0])
    assert "What does this mean?" in chat.labels  # the questionnaire has started


async def test_a_new_area_in_the_journal_means_something_changed(chat, clock):
    await chat.send("/log left calf 10 seconds, no trigger")
    for _ in range(3):
        await chat.send(ALS)
        clock.advance(hours=1)
    assert "keeps coming back" in chat.text
    await chat.send("/log right thumb 20 seconds, after coffee")
    await chat.send(ALS)
    assert "rarely ALS" in chat.text and "Same as earlier" not in chat.text


async def test_guard_off_answers_in_full_every_time(chat, clock):
    await chat.send("/guard off")
    assert "in full" in chat.text
    for _ in range(5):
        await chat.send(ALS)
        assert "rarely ALS" in chat.text and "keeps coming back" not in chat.text
    await chat.send("/guard")
    assert "guard is off" in chat.text
    await chat.press("Turn it on")
    for _ in range(3):
        await chat.send(ALS)
    assert "keeps coming back" in chat.text


async def test_repeated_unchanged_triage(engine, chat):
    await chat.send("/start")
    ctx = await context(engine)
    answers = {"emergency": "no", "duration": "short", "spread": "one", "weakness": "no"}
    assert await after_triage(ctx, answers, "self_care") is None
    again = await after_triage(ctx, dict(reversed(answers.items())), "self_care")
    assert again and "answers are the same" in again[0].text
    assert "triage:start" in [c.id for c in again[0].choices]
    # a result above "monitor" is never guarded, however often it repeats
    worse = {**answers, "weakness": "yes"}
    for _ in range(3):
        assert await after_triage(ctx, worse, "prompt") is None


async def test_many_logs_of_the_same_twitch_in_one_evening(chat, clock):
    saw, guarded = [], []
    for _ in range(7):
        await chat.send("/log left calf 5 seconds, no trigger")
        saw.append("keeps coming back" in chat.text)
        if saw[-1]:
            guarded = chat.last
        assert "Undo" in chat.labels  # every log is kept
        clock.advance(minutes=20)
    assert saw == [False, False, False, False, True, False, False]  # said once, then quiet
    chat.last = guarded
    await chat.press("Day off logging tomorrow")
    assert "day off logging" in chat.text
    rows = await chat.engine.store.fetchall("SELECT day, mark FROM day_marks")
    assert [tuple(r) for r in rows] == [("2026-11-25", "off")]


# ---- "none today" --------------------------------------------------------------------------
async def test_none_today_for_a_week_then_a_twitch(chat, clock, sender, scheduler):
    await chat.send("/reminders")
    await chat.press("Switch on daily reminders")
    await chat.press("7:00")
    await chat.send("23:00")
    start = clock.now()
    for day in range(1, 8):
        await run_to(scheduler, clock, start + timedelta(days=day, hours=1))  # past 21:30 Berlin
        _, journal = sender.containing_at("Any twitches today?")[-1]
        chat.last = [journal]
        await chat.press("None today")
        assert "quiet day" in chat.text
    marks = await chat.engine.store.fetchall("SELECT day, mark FROM day_marks ORDER BY day")
    assert [r[0] for r in marks] == [f"2026-11-{d}" for d in range(25, 32)][:6] + ["2026-12-01"]
    clock.advance(hours=12)  # Wed 2 Dec
    await chat.send("/log right calf 30 seconds, no trigger")
    await chat.send("/none")
    assert "You logged 1 twitch today" in chat.text
    await chat.send("/summary 14d")
    assert "1 twitch, 0.1 a day over the 9 days since your journal began (Tue 24 Nov)" in chat.text
    assert 'You marked 7 days "no twitches today"' in chat.text


async def test_a_twitch_on_a_day_marked_quiet_takes_the_mark_off(chat):
    await chat.send("/none")
    assert "quiet day" in chat.text
    await chat.send("/log left eyelid 10 seconds, no trigger")
    assert 'took the "no twitches" mark off' in chat.text
    assert await chat.engine.store.fetchall("SELECT * FROM day_marks") == []


# ---- the plan from day 0 to day 28 -----------------------------------------------------------------
async def test_plan_day_0_to_28_checkins_on_days_7_14_21_28_only(chat, clock, sender, scheduler):
    await chat.send("/log left calf 10 seconds, no trigger")  # the journal begins today, Tue 24 Nov
    clock.set(datetime(2026, 11, 24, 19, 58, tzinfo=UTC))  # 20:58 Berlin: the evening time is still ahead
    await chat.send("/plan")
    await chat.press("7:00")
    await chat.send("23:00")
    assert "Weekly plan check-in: Tuesdays 21:30 (next Tue 1 Dec)" in chat.text
    await chat.press("Yes, add them")
    start = clock.now()
    for day in range(0, 29):
        if day in (3, 10, 12, 17, 25):
            user, _ = await chat.engine.store.user_for("console", "alice", "UTC", clock.now())
            at = start + timedelta(days=day)
            await chat.engine.store.add_entry(user.id, "twitch", at, "Europe/Berlin", region="calf", now=at)
    await run_to(scheduler, clock, start + timedelta(days=29))
    checks = sender.containing_at("of your self-care plan [1]: how did it go")
    local = [t.astimezone(ZoneInfo("Europe/Berlin")) for t, _ in checks]
    plan_days = [(d.date() - start.astimezone(ZoneInfo("Europe/Berlin")).date()).days for d in local]
    assert plan_days == [7, 14, 21, 28]  # none before day 7, none after the plan ended
    assert {(d.hour, d.minute) for d in local} == {(21, 30)}  # the evening journal time
    week1, week2, week3, week4 = (r.text for _, r in checks)
    assert "No comparison with the week before: your journal began on Tue 24 Nov" in week1
    assert "This week: 2 twitches" in week1  # days 0-6: the one at 20:58 and day 3
    assert "The week before: 2 twitches" in week2 and "This week: 2 twitches" in week2
    assert "The week before" in week3 and "Week 4" in week4
    # every check-in ends with the three questions (opted in)
    asks = sender.containing_at("1 of 3. Any new weakness")
    assert len(asks) == 4


async def test_what_stayed_absent_no_is_kept_yes_goes_to_triage(chat, clock):
    await chat.send("/plan")
    await chat.press("7:00")
    await chat.send("23:00")
    await chat.press("Yes, add them")
    for _week in range(3):
        await chat.press_id("absent:now")
        for _ in range(3):
            await chat.press("No")
        clock.advance(days=7)
    assert "That's all three" in chat.text
    await chat.send("/summary 30d")
    assert "New weakness: asked 3 times, never present" in chat.text
    assert "A muscle looking thinner: asked 3 times, never present" in chat.text
    await chat.press_id("absent:now")
    await chat.press("Yes")
    assert "Let's go through /triage now" in chat.text and "safety check" in chat.text
    await chat.send("/summary 30d")
    assert "New weakness: asked 4 times, present on" in chat.text


# ---- honest time ------------------------------------------------------------------------------
async def test_rates_count_days_since_the_journal_began(chat, clock):
    await chat.send("/log left calf 10 seconds, no trigger")
    for _day in range(6):
        clock.advance(days=1)
        for _ in range(3):
            await chat.send("/log right thumb 5 seconds, no trigger")
    await chat.send("/summary 30d")
    text = chat.text
    assert "19 twitches, 2.7 a day over the 7 days since your journal began (Tue 24 Nov)" in text
    assert "days before" not in text  # nothing to compare with before the journal began


async def test_triage_follow_up_at_a_sensible_hour_and_listed(engine, chat, clock):
    from handlers.reminder_times import schedule_followup

    clock.set(datetime(2026, 11, 25, 1, 13, tzinfo=UTC))  # 02:13 in Berlin
    await chat.send("/bedtime 23:00")
    ctx = await context(engine)
    due = await schedule_followup(ctx, "triage", 7)
    local = due.astimezone(ctx.tz)
    assert (local.day, local.hour, local.minute) == (2, 21, 30)
    await chat.send("/reminders")
    assert "Triage follow-up: once, Wed 2 Dec 21:30" in chat.text


async def test_quiet_hours_warn_when_they_mute_reminders_with_a_one_tap_fix(chat):
    await chat.send("/plan")
    await chat.press("8:00")
    await chat.press("0:00")  # bedtime midnight: journal 22:30, sleep 23:15, check-in 22:30
    await chat.send("/reminders")
    await chat.press("Quiet hours")
    await chat.press("22:00-7:00")
    assert "Warning: quiet hours would mute 3 of your reminders" in chat.text
    assert "sleep wind-down 23:15" in chat.text
    await chat.press("Move them before 22:00")
    assert "Warning" not in chat.text
    assert "Moved:" in chat.text
    lines = [line for line in chat.text.splitlines() if line.startswith("- ")]
    assert any("Sleep wind-down: 21:45" in line for line in lines)


# ---- /appointment -------------------------------------------------------------------------------------
async def test_appointment_adds_a_first_page_to_the_report(chat, clock):
    import io

    from pypdf import PdfReader

    await chat.send("/log left calf 30 seconds after coffee")
    clock.advance(days=3)
    await chat.send("/log left thigh 10 seconds, no trigger")
    await answer_triage_calmly(chat)
    await chat.send("/appointment")
    assert "1 of 3" in chat.text
    await chat.send("that it could be ALS")
    await chat.press("Skip this one")
    await chat.send("Could an EMG rule it out?")
    assert "Saved" in chat.text and "Could an EMG" in chat.text
    await chat.press("Make the report")
    pdf = next(r.attachment.data for r in chat.last if r.attachment and r.attachment.name.endswith(".pdf"))
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert pages[0].startswith("For the appointment")
    assert "that it could be ALS" in pages[0] and "Could an EMG rule it out?" in pages[0]
    assert "First twitch logged 24 Nov 2026" in pages[0] and "calf" in pages[0] and "thigh" in pages[0]
    assert "Red flags asked about" in pages[0]
    assert "First noticed: 2 weeks or less before 27 Nov 2026 (first /triage)." in pages[0]
    assert "In /triage, weakness: asked once, never present." in pages[0]
    assert "Triage results" in pages[0] and "Self-care first" in pages[0]
    assert "Less than a full week of journal so far" in pages[0]
    assert pages[1].startswith("Twitch journal")
    await chat.send("/export")
    exported = next(r.attachment.data for r in chat.last if r.attachment and r.attachment.name.endswith(".json"))
    assert json.loads(exported)["appointment"]["questions"] == "Could an EMG rule it out?"


async def answer_triage_calmly(chat) -> None:
    """/triage with "No" to every yes/no question and the first option of every choice."""
    calm = ("No", "Me", "18 or older", "2 weeks or less", "One spot", "No, somewhere else", "Not yet")
    await chat.send("/triage")
    while "What does this mean?" in chat.labels:
        chat.engine.clock.advance(seconds=3)  # a person reads each question (and stays under the flood limit)
        await chat.press(next((label for label in calm if label in chat.labels), chat.labels[0]))


async def test_a_repeated_unchanged_triage_through_the_engine(chat, clock, monkeypatch):
    import inspect

    import handlers.triage as triage
    import handlers.triage_result as triage_result
    from rules.triage import evaluate

    if "after_triage" not in inspect.getsource(triage_result.finish):  # until the call is wired in
        original = triage.finish

        async def finish_with_guard(ctx, answers, data):  # the same call, from outside
            replies = await original(ctx, answers, data)
            guarded = await after_triage(ctx, answers, evaluate(answers).level)
            return [replies[0], *guarded] if guarded else replies

        monkeypatch.setattr(triage, "finish", finish_with_guard)
    await answer_triage_calmly(chat)
    assert "Result: Self-care first" in chat.text and "keeps coming back" not in chat.text
    clock.advance(hours=5)
    await answer_triage_calmly(chat)
    assert "Result: Self-care first" in chat.text  # the result itself is always shown
    assert "keeps coming back" in chat.text and "answers are the same" in chat.text
    # something new in the journal: the next unchanged questionnaire is answered in full again
    await chat.send("/log right thumb 20 seconds, no trigger")
    clock.advance(hours=5)
    await answer_triage_calmly(chat)
    assert "Result: Self-care first" in chat.text and "keeps coming back" not in chat.text


async def test_patterns_count_only_days_since_the_journal_began(chat, clock):
    for day in range(7):
        if day in (0, 2, 4):
            await chat.send("/log right calf 30 seconds after the gym")
        else:
            await chat.send("/log left eyelid 10 seconds, no trigger")
        clock.advance(days=1)
    clock.advance(days=-1)
    await chat.send("/summary 30d")
    assert "On the 3 days with a workout noted" in chat.text
    assert "on the 4 other days 1.0 a day" in chat.text  # not "the 27 other days"


async def test_curiosity_is_not_a_loop_and_an_open_finding_keeps_the_full_answer(chat, clock):
    for _ in range(4):
        await chat.send("can dehydration cause twitching?")
        assert cites(chat.text, "FQ-1") and "keeps coming back" not in chat.text
    await chat.send("/plan")
    await chat.press("7:00")
    await chat.send("23:00")
    await chat.press_id("absent:now")
    await chat.press("Not sure")  # weakness: not sure -> open for 30 days
    for _ in range(4):
        await chat.send(ALS)
        assert "rarely ALS" in chat.text and "keeps coming back" not in chat.text


async def test_a_broken_guard_fails_open(chat, monkeypatch):
    import handlers.reassurance as reassurance

    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reassurance, "guard", broken)
    for _ in range(4):
        await chat.send(ALS)
        assert "rarely ALS" in chat.text


def test_guard_rules_load_and_every_short_answer_cites_a_fact():
    from handlers.reassurance import load_guard_rules

    rules = load_guard_rules()
    assert rules.kinds["faq"].times >= 2 and rules.kinds["faq"].topics == ("als", "harmless")
    assert not any(CODES.search(g) for g in rules.gist.values())
    assert rules.sources["als"] == ("FQ-3", "BG-5") and "SC-4" in rules.sources["worry_time"]
    assert rules.red_flags.search("my hand feels weak") and not rules.red_flags.search("is this als?")


async def test_the_triage_follow_up_arrives_in_the_evening_and_can_be_snoozed(engine, chat, clock, sender, scheduler):
    from handlers.reminder_times import schedule_followup

    clock.set(datetime(2026, 11, 25, 1, 13, tzinfo=UTC))  # 02:13 in Berlin
    await chat.send("/bedtime 23:00")
    await schedule_followup(await context(engine), "triage", 7)
    await run_to(scheduler, clock, datetime(2026, 12, 3, 0, 0, tzinfo=UTC))
    [(at, followup)] = sender.containing_at("A week ago")
    assert at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %H:%M") == "Wed 21:30"
    chat.last = [followup]
    await chat.press("Snooze 1 h")
    assert "Snoozed" in chat.text
    await run_to(scheduler, clock, datetime(2026, 12, 3, 0, 0, tzinfo=UTC) + timedelta(hours=2))
    assert len(sender.containing_at("A week ago")) == 2


async def test_the_weekly_questions_take_typed_answers(chat, clock, sender, scheduler):
    await chat.send("/plan")
    await chat.press("7:00")
    await chat.send("23:00")
    await chat.press("Yes, add them")
    await run_to(scheduler, clock, clock.now() + timedelta(days=7, hours=1))
    assert len(sender.containing_at("1 of 3. Any new weakness")) == 1
    await chat.send("no")
    assert "2 of 3" in chat.text
    await chat.send("No.")
    assert "3 of 3" in chat.text
    await chat.send("not sure")
    assert "That's all three" in chat.text
    rows = await chat.engine.store.fetchall("SELECT question, answer FROM absent_answers ORDER BY id")
    assert [tuple(r) for r in rows] == [("weakness", "no"), ("wasting", "no"), ("bulbar", "unsure")]
    await chat.send("no")  # nothing pending any more: not taken as an answer
    assert "That's all three" not in chat.text
    assert len(await chat.engine.store.fetchall("SELECT * FROM absent_answers")) == 3
