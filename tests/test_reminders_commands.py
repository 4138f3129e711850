"""/reminders, /wake, /bedtime, /pause, /resume and the buttons on reminders, as a person uses them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.scheduler import ReminderScheduler
from bot.store import from_ts
from tests.support.backends import backend  # noqa: F401


class RecordingSender:
    def __init__(self, clock) -> None:
        self.clock = clock
        self.sent: list[tuple[str, list]] = []
        self.times: list[datetime] = []

    async def send(self, external_id, chat_id, replies) -> None:
        self.sent.append((external_id, list(replies)))
        self.times.append(self.clock.now())

    def texts(self) -> list[str]:
        return [r.text for _, replies in self.sent for r in replies]


@pytest.fixture
def sender(engine) -> RecordingSender:
    s = RecordingSender(engine.clock)
    engine.add_sender("console", s)
    return s


@pytest.fixture
def scheduler(engine) -> ReminderScheduler:
    return ReminderScheduler(engine, Settings(reminder_grace_minutes=30))


async def run_to(scheduler, clock, end: datetime) -> None:
    """Jump from one due time to the next (no sleeping, no idle ticks) until `end`."""
    store = scheduler.store
    while True:
        row = await store.fetchone("SELECT min(next_due) FROM reminders WHERE next_due IS NOT NULL")
        if row[0] is None or from_ts(row[0]) > end:
            break
        clock.set(max(clock.now(), from_ts(row[0])))
        await scheduler.tick()
    clock.set(end)
    await scheduler.tick()


async def set_up(chat, wake="7:00", bed="23:00") -> None:
    await chat.send("/reminders")
    await chat.press("Switch on daily reminders")
    await chat.press(wake)
    await chat.send(bed)


def overview_lines(chat) -> dict[str, str]:
    return {
        line[2:].split(": ", 1)[0]: line.split(": ", 1)[1] for line in chat.text.splitlines() if line.startswith("- ")
    }


async def test_switching_on_reminders_asks_wake_and_bedtime_once(chat):
    await chat.send("/reminders")
    assert "no reminders yet" in chat.text
    await chat.press("Switch on daily reminders")
    assert "wake up" in chat.text and "7:30" in chat.labels
    await chat.press("7:30")
    assert "bed" in chat.text
    await chat.send("11:30pm")
    assert overview_lines(chat) == {
        "Caffeine check-in": "8:00",
        "Water": "9:00, 12:00, 15:00, 18:00",
        "10-minute calm": "18:30",
        "Evening journal": "22:00",
        "Sleep wind-down": "22:45",
    }
    # Switching them off and on again keeps the times and asks nothing
    await chat.press("Turn off water")
    assert overview_lines(chat)["Water"].endswith("(off)")
    await chat.press("Turn on water")
    assert overview_lines(chat)["Water"] == "9:00, 12:00, 15:00, 18:00"


@pytest.mark.parametrize("bad", ["25:99", "noonish", "7:75", "13pm"])
async def test_bad_times_get_a_clear_answer_and_lose_nothing(chat, bad):
    await chat.send("/reminders")
    await chat.press("Switch on daily reminders")
    await chat.press("6:30")
    await chat.send(bad)
    assert f'couldn\'t read "{bad}"' in chat.text and "23:00" in chat.text
    assert "bed" in chat.text  # still the bedtime question, the wake-up answer kept
    await chat.send("22:30")
    assert overview_lines(chat)["Caffeine check-in"] == "7:00"
    await chat.send(f"/bedtime {bad}")
    assert f'"{bad}"' in chat.text and "/bedtime 23:00" in chat.text
    await chat.send(f"/wake {bad}")
    assert "/wake 7:00" in chat.text


async def test_bedtime_moves_default_times_but_not_hand_picked_ones(chat):
    await set_up(chat)
    await chat.press("Times: evening journal")
    await chat.send("at some point")
    assert "couldn't read" in chat.text and "7:30" in chat.text
    await chat.send("20:15")
    assert overview_lines(chat)["Evening journal"] == "20:15"
    await chat.send("/bedtime 22:00")
    lines = overview_lines(chat)
    assert lines["Sleep wind-down"] == "21:15" and lines["Evening journal"] == "20:15"
    await chat.send("/wake 6:00")
    assert overview_lines(chat)["Caffeine check-in"] == "6:30"


async def test_water_takes_several_times_other_kinds_one(chat):
    await set_up(chat)
    await chat.press("Times: water")
    await chat.send("9:00, 12:30 and 16:00")
    assert overview_lines(chat)["Water"] == "9:00, 12:30, 16:00"
    await chat.press("Times: caffeine check-in")
    await chat.send("7:00, 8:00")
    assert "too many" in chat.text
    await chat.press("Cancel")
    assert "Nothing changed" in chat.text


async def test_quiet_hours(chat):
    await set_up(chat)
    await chat.press("Quiet hours")
    await chat.send("late")
    assert 'couldn\'t read "late"' in chat.text and "22:00-7:00" in chat.text
    await chat.send("21:30 - 7:00")
    assert "Quiet hours: 21:30-7:00" in chat.text
    await chat.press("Times: evening journal")
    await chat.send("22:15")
    assert "inside your quiet hours" in chat.text
    await chat.press("Quiet hours")
    await chat.press("No quiet hours")
    assert "Quiet hours:" not in chat.text


async def test_pause_and_resume(chat, clock, sender, scheduler):
    await set_up(chat)
    await chat.send("/pause sometime")
    assert "/pause 3d" in chat.text
    await chat.send("/pause 3d")
    assert "paused until" in chat.text
    await run_to(scheduler, clock, clock.now() + timedelta(days=2))
    assert sender.sent == []
    await chat.send("/resume")
    assert "back on" in chat.text
    await run_to(scheduler, clock, clock.now() + timedelta(days=1))
    assert len(sender.sent) == 8  # one day of reminders: coffee, 4 x water, calm, journal, sleep
    await chat.send("/resume")
    assert "aren't paused" in chat.text


async def test_paused_reminders_come_back_by_themselves(chat, clock, sender, scheduler):
    await set_up(chat)
    await chat.send("/pause")
    await chat.press("1 day")
    paused_at = clock.now()
    await run_to(scheduler, clock, clock.now() + timedelta(days=2))
    assert sender.times and min(sender.times) > paused_at + timedelta(days=1)
    assert len(sender.sent) == 8  # the day after the pause: sleep, then coffee, 4 x water, calm, journal


async def test_snooze_and_stop_buttons_on_a_reminder(chat, clock, sender, scheduler):
    await set_up(chat)
    await run_to(scheduler, clock, datetime(2026, 11, 25, 6, 31, tzinfo=UTC))  # 07:31 in Berlin
    _, replies = sender.sent[-1]
    assert "coffee" in replies[0].text and {"Snooze 1 h", "Stop these"} <= {c.label for c in replies[0].choices}
    chat.last = replies
    await chat.press("Snooze 1 h")
    assert "08:31" in chat.text
    await run_to(scheduler, clock, datetime(2026, 11, 25, 7, 40, tzinfo=UTC))
    texts = sender.texts()
    assert sum("coffee" in t for t in texts) == 2  # once on time, once snoozed
    chat.last = sender.sent[-1][1]
    await chat.press("Stop these")
    assert "Caffeine check-in reminders are off" in chat.text
    await run_to(scheduler, clock, datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    assert sum("coffee" in t for t in sender.texts()) == 2


async def test_answers_to_reminders_are_stored_and_exported(chat, clock, sender, scheduler):
    await set_up(chat)
    await run_to(scheduler, clock, datetime(2026, 11, 25, 22, 30, tzinfo=UTC))
    by_text = {r.text.split(".")[0]: r for _, rs in sender.sent for r in rs}
    coffee = next(r for t, r in by_text.items() if "coffee" in r.text)
    water = next(r for t, r in by_text.items() if "glass of water" in r.text)
    sleep = next(r for t, r in by_text.items() if "wind down" in r.text)
    calm = next(r for t, r in by_text.items() if "10 minutes" in r.text)
    chat.last = [coffee]
    await chat.press("3")
    assert "3 cups" in chat.text
    chat.last = [water]
    await chat.press("Drank a glass")
    chat.last = [water]
    await chat.press("Drank a glass")
    assert "2 glasses" in chat.text
    chat.last = [sleep]
    await chat.press("7 h")
    assert "within the 7-9 hour goal" in chat.text
    chat.last = [calm]
    await chat.press("4")
    await chat.send("/export")
    files = {r.attachment.name[-4:]: r.attachment.data for r in chat.last if r.attachment}
    data = json.loads(files["json"])
    assert {"day": "2026-11-24", "kind": "cups", "value": 3} in data["checkins"]  # cups are about yesterday
    assert {"day": "2026-11-25", "kind": "glasses", "value": 2} in data["checkins"]
    assert {"day": "2026-11-25", "kind": "sleep_hours", "value": 7} in data["checkins"]
    assert {"day": "2026-11-25", "kind": "stress", "value": 4} in data["checkins"]
    kinds = {r["kind"] for r in data["reminders"]["reminders"]}
    assert kinds == {"caffeine", "hydration", "stress", "journal", "sleep"}
    assert data["reminders"]["bedtime"] == "23:00"


async def test_evening_journal_buttons(chat, clock, sender, scheduler):
    await set_up(chat)
    await run_to(scheduler, clock, datetime(2026, 11, 25, 21, 5, tzinfo=UTC))  # 22:05 Berlin
    journal = next(r for _, rs in sender.sent for r in rs if "Any twitches today?" in r.text)
    assert [c.id for c in journal.choices][:3] == ["rem:none:20261125", "log:start", "rem:note"]
    chat.last = [journal]
    await chat.press("None today")
    assert "no twitches today" in chat.text
    chat.last = [journal]
    await chat.press("Log one")
    assert "Where was the twitch?" in chat.text
    await chat.send("/cancel")
    chat.last = [journal]
    await chat.press("Add a note")
    assert "What would you like to note?" in chat.text


async def test_old_answer_buttons_expire(chat, clock):
    await set_up(chat)
    await chat.press_id("rem:cups:20261101:2")
    assert "expired" in chat.text
    await chat.press_id("rem:snz:99999")
    assert "nothing to snooze" in chat.text


async def test_reminders_follow_a_time_zone_change(chat, clock, sender, scheduler):
    await set_up(chat)  # Berlin: coffee check-in at 7:30
    await chat.send("/timezone New York")
    assert "follow you" in chat.text
    await run_to(scheduler, clock, datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
    coffee_at = [t for (_, rs), t in zip(sender.sent, sender.times, strict=True) if "coffee" in rs[0].text]
    assert [t.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") for t in coffee_at] == ["07:30"]
    row = await scheduler.store.fetchone("SELECT next_due FROM reminders WHERE kind = 'caffeine'")
    assert from_ts(row[0]).astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "07:30"
