"""/plan: the 4-week self-care plan, its weekly check-in, the caffeine taper and /plan stop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.scheduler import ReminderScheduler
from bot.store import from_ts
from handlers.reminder_messages import taper_target
from rules.reminders import RulesError, parse_clock, validate
from tests.support.backends import backend  # noqa: F401
from tests.support.citations import cites


class RecordingSender:
    def __init__(self) -> None:
        self.replies: list = []

    async def send(self, external_id, chat_id, replies) -> None:
        self.replies.extend(replies)

    def checkins(self) -> list:
        return [r for r in self.replies if "self-care plan [1]: how did it go?" in r.text]


@pytest.fixture
def sender(engine) -> RecordingSender:
    s = RecordingSender()
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


async def start_plan(chat) -> None:
    await chat.send("/plan")
    await chat.press("7:00")
    await chat.send("23:00")


async def twitches(engine, chat, day: datetime, n: int, region: str = "calf", intensity: int = 2) -> None:
    user, _ = await engine.store.user_for("console", chat.user, "Europe/Berlin", engine.clock.now())
    for i in range(n):
        at = day + timedelta(minutes=10 * i)
        await engine.store.add_entry(user.id, "twitch", at, "Europe/Berlin", region=region, intensity=intensity, now=at)


async def test_plan_explains_asks_times_once_and_switches_reminders_on(chat):
    await chat.send("/plan")
    for fact in ("SC-1", "SC-2", "SC-3", "SC-4", "SC-5", "SC-6"):
        assert cites(chat.text, fact)
    assert "wake up" in chat.text and "7:00" in chat.labels
    await chat.send("noonish")
    assert 'couldn\'t read "noonish"' in chat.text and "wake up" in chat.text
    await chat.send("6:30am")
    await chat.press("22:30")
    assert "Your plan has started" in chat.text
    assert "Weekly plan check-in: Tuesdays 21:00 (next Tue 1 Dec)" in chat.text  # the evening journal time, day 7
    assert "Caffeine check-in: 7:00" in chat.text
    await chat.send("/plan")
    assert "day 1 of 28" in chat.text and "Stop the plan" in chat.labels


async def test_plan_does_not_ask_known_times_again(chat):
    await chat.send("/wake 8:00")
    await chat.send("/bedtime 0:00")
    await chat.send("/plan")
    assert "wake up" not in chat.text
    assert "Your plan has started" in chat.text and "Caffeine check-in: 8:30" in chat.text


async def test_weekly_checkin_compares_weeks_and_advises_when_worse(chat, engine, clock, sender, scheduler):
    start = clock.now()  # Tue 24 Nov, 21:30 in Berlin
    await twitches(engine, chat, start - timedelta(days=7), 4)  # the week before the plan (the journal covers it)
    await start_plan(chat)
    await twitches(engine, chat, start + timedelta(days=2), 3)
    await run_to(scheduler, clock, start + timedelta(days=7, hours=1))
    [week1] = sender.checkins()
    assert "Week 1" in week1.text and "This week: 3 twitches in 1 area (calf)" in week1.text
    assert "The week before: 4 twitches" in week1.text and "Keep going: 3 weeks to go" in week1.text
    assert week1.choices == ()
    # Week 2: many more twitches, in a new place as well
    await twitches(engine, chat, start + timedelta(days=9), 8, region="thumb", intensity=4)
    await run_to(scheduler, clock, start + timedelta(days=14, hours=1))
    week2 = sender.checkins()[1]
    assert "Week 2" in week2.text and "worse" in week2.text and "professional evaluation" in week2.text
    assert cites(week2.text, "SC-6")
    assert [c.id for c in week2.choices] == ["triage:start"]


async def test_week_four_without_improvement_advises_evaluation_and_ends(chat, engine, clock, sender, scheduler):
    start = clock.now()
    await start_plan(chat)
    for week in range(4):
        await twitches(engine, chat, start + timedelta(days=7 * week + 2), 5)
    await run_to(scheduler, clock, start + timedelta(days=35))
    checks = sender.checkins()
    assert [c.text.split(" of")[0] for c in checks] == ["Week 1", "Week 2", "Week 3", "Week 4"]  # none in week 5
    final = checks[-1]
    assert "have not improved" in final.text and cites(final.text, "SC-6")
    assert [c.id for c in final.choices] == ["triage:start"]
    await chat.send("/plan")
    assert "Your 4-week self-care plan" in chat.text  # the plan is over: /plan offers a new one


async def test_week_four_with_improvement_says_well_done(chat, engine, clock, sender, scheduler):
    start = clock.now()
    await start_plan(chat)
    for week, n in enumerate((6, 4, 3, 1)):
        await twitches(engine, chat, start + timedelta(days=7 * week + 2), n)
    await run_to(scheduler, clock, start + timedelta(days=29))
    final = sender.checkins()[-1]
    assert "Week 4" in final.text and "eased" in final.text and final.choices == ()


async def test_caffeine_target_steps_down_from_the_first_answer(chat, clock, sender, scheduler):
    await start_plan(chat)
    await run_to(scheduler, clock, datetime(2026, 11, 25, 6, 40, tzinfo=UTC))  # first morning check-in
    coffee = next(r for r in sender.replies if "coffee" in r.text)
    assert "target" not in coffee.text
    chat.last = [coffee]
    await chat.press("5")
    assert "steps down gradually" in chat.text
    targets = []
    for day in range(26, 26 + 12):
        sender.replies.clear()
        await run_to(
            scheduler,
            clock,
            datetime(2026, 11, day, 6, 40, tzinfo=UTC)
            if day <= 30
            else datetime(2026, 12, day - 30, 6, 40, tzinfo=UTC),
        )
        text = next(r.text for r in sender.replies if "coffee" in r.text)
        targets.append(int(text.split("at most ")[1].split(" cup")[0]))
    assert targets[0] <= 5 and targets[-1] == 1
    assert all(b <= a and a - b <= 1 for a, b in zip(targets, targets[1:], strict=False))  # gradual: SC-1


def test_taper_reaches_the_floor_within_the_taper_days():
    assert [taper_target(5, d) for d in range(0, 12)] == [5, 5, 5, 4, 4, 3, 3, 3, 2, 2, 1, 1]
    assert taper_target(1, 3) == 1 and taper_target(0, 3) == 0


async def test_plan_stop(chat, clock, sender, scheduler):
    await chat.send("/plan stop")
    assert "don't have a self-care plan running" in chat.text
    await start_plan(chat)
    await chat.send("/plan stop")
    assert "stopped" in chat.text and chat.labels == ["Keep them", "Switch them off"]
    await chat.press("Switch them off")
    assert "Daily reminders are off" in chat.text
    await run_to(scheduler, clock, clock.now() + timedelta(days=8))
    assert sender.replies == []
    await chat.press_id("plan:off")
    await chat.send("/plan nonsense")
    assert "/plan stop" in chat.text


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("7", 420),
        ("07:30", 450),
        ("7.30", 450),
        ("7:30 pm", 1170),
        ("11pm", 1380),
        ("12am", 0),
        ("23h", 1380),
        ("noon", 720),
        ("24:00", 0),
        ("25:99", None),
        ("noonish", None),
        ("13pm", None),
        ("7:60", None),
        ("", None),
    ],
)
def test_clock_times(text, minutes):
    assert parse_clock(text) == minutes


def test_rules_refuse_a_text_without_its_source():
    import tomllib

    from rules.reminders import RULES_FILE

    data = tomllib.loads(RULES_FILE.read_text())
    validate(data)
    data["kinds"]["hydration"]["text"] = "Drink water, it cures everything."
    with pytest.raises(RulesError, match="cite its source"):
        validate(data)
    data = tomllib.loads(RULES_FILE.read_text())
    data["plan"]["taper_days"] = 3
    with pytest.raises(RulesError, match="7-10"):
        validate(data)
