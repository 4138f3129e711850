"""The shared helpers do what they promise: run_to ticks through time both ways, and the
recording sender records, times and refuses like a platform would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.engine import RecipientUnavailable
from bot.messages import Reply
from bot.reminders import list_reminders
from bot.scheduler import ReminderScheduler
from tests.support.driver import NoSuchButton, pick_label
from tests.support.scheduling import run_to
from tests.support.sending import RecordingSender


async def switch_on_reminders(chat) -> None:
    await chat.send("/reminders")
    await chat.press("Switch on daily reminders")
    await chat.press("7:00")
    await chat.send("23:00")


@pytest.mark.parametrize("jump", [False, True])
async def test_run_to_delivers_each_reminder_at_its_time(engine, clock, chat, jump) -> None:
    sender = RecordingSender(clock)
    engine.add_sender("console", sender)
    await switch_on_reminders(chat)
    user, _ = await engine.store.user_for("console", chat.user, "Europe/Berlin", clock.now())

    async def next_due() -> datetime | None:
        due = [r.next_due for r in await list_reminders(engine.store, user.id) if r.enabled and r.next_due]
        return datetime.fromtimestamp(min(due), UTC) if due else None

    end = clock.now() + timedelta(days=1)
    scheduler = ReminderScheduler(engine, Settings(reminder_grace_minutes=30))
    if jump:
        handed = await run_to(scheduler, clock, end, step=None, next_due=next_due)
    else:
        handed = await run_to(scheduler, clock, end, step=timedelta(minutes=5))
    assert clock.now() == end
    local = [t.astimezone(user.tz).strftime("%H:%M") for t in sender.times if t is not None]
    # the 22:15 wind-down tonight, then tomorrow's from 7:30 up to the 21:30 journal at `end`
    expected = ["22:15", "07:30", "08:30", "11:30", "14:30", "17:30", "18:00", "21:30"]
    if jump:
        assert local == expected  # each at its minute
    else:
        late = [_minutes(got) - _minutes(want) for got, want in zip(local, expected, strict=True)]
        assert all(0 <= m < 5 for m in late), local  # each within one step of its minute
    assert handed == len(sender.sent) and "wind down" in sender.texts()[0]


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


async def test_run_to_needs_a_way_to_move() -> None:
    with pytest.raises(ValueError):
        await run_to(None, None, None, step=None)  # type: ignore[arg-type]


async def test_the_recording_sender_records_and_refuses() -> None:
    sender = RecordingSender()
    await sender.send("ana", None, [Reply("one"), Reply("two")])
    sender.blocked.add("bo")
    with pytest.raises(RecipientUnavailable):
        await sender.send("bo", None, [Reply("three")])
    assert sender.attempts == 2 and sender.texts() == ["one", "two"] and sender.texts("bo") == []
    assert [r.text for r in sender.containing("tw")] == ["two"] and sender.times == [None]


def test_labels_match_exactly_first_then_by_their_start() -> None:
    assert pick_label(["No, somewhere else", "No"], "no") == "No"
    assert pick_label(["Snooze 1 h", "Stop these"], "snooze") == "Snooze 1 h"
    with pytest.raises(NoSuchButton):
        pick_label(["Yes"], "No")
