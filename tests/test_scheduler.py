"""The durable reminder scheduler: time zones and DST, restarts, downtime, snooze, blocked people.

Time only moves when a test moves the FrozenClock; `await scheduler.tick()` is one tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.engine import RecipientUnavailable
from bot.reminders import apply, get_settings, snooze, upsert_kind, write_settings
from bot.scheduler import ReminderScheduler, claim_due, on_the_wire
from bot.store import to_ts
from tests.support.backends import backend  # noqa: F401


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list]] = []
        self.blocked: set[str] = set()
        self.attempts = 0

    async def send(self, external_id, chat_id, replies) -> None:
        self.attempts += 1
        if external_id in self.blocked:
            raise RecipientUnavailable(external_id)
        self.sent.append((external_id, list(replies)))


@pytest.fixture
def sender(engine) -> RecordingSender:
    s = RecordingSender()
    engine.add_sender("console", s)
    return s


def make_scheduler(engine, grace: int = 30, batch: int = 2000) -> ReminderScheduler:
    return ReminderScheduler(engine, Settings(reminder_grace_minutes=grace, tick_seconds=5), batch_size=batch)


async def add_user(engine, name: str, tz: str):
    user, _ = await engine.store.user_for("console", name, tz, engine.clock.now())
    return user


async def add_reminder(engine, user, kind: str, hhmm: str, slot: int = 0, weekday=None):
    h, m = (int(x) for x in hhmm.split(":"))
    await apply(
        engine.store,
        user,
        engine.clock.now(),
        lambda conn: upsert_kind(conn, user.id, kind, [(slot, h * 60 + m, weekday)]),
    )
    row = await engine.store.fetchone("SELECT id FROM reminders WHERE user_id = ? AND kind = ?", (user.id, kind))
    return row[0]


async def run_until(scheduler, clock, end: datetime, step=timedelta(minutes=5)) -> None:
    while clock.now() < end:
        clock.advance(step)
        await scheduler.tick()


@pytest.fixture
def timed(engine, sender):
    """Record the clock's time of every send (the sender itself cannot see the FrozenClock)."""
    sender.times = []
    original = sender.send

    async def send(external_id, chat_id, replies):
        await original(external_id, chat_id, replies)
        sender.times.append(engine.clock.now())

    sender.send = send
    return sender


# ---- daylight saving ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tz", "hhmm", "start", "day", "expected_local"),
    [
        # spring forward: 02:30 does not exist that night; it fires once, at 03:30
        ("Europe/Berlin", "02:30", datetime(2026, 3, 28, 12, tzinfo=UTC), "2026-03-29", ["03:30"]),
        # fall back: 02:30 happens twice that night; it fires once, the first time
        ("Europe/Berlin", "02:30", datetime(2026, 10, 24, 12, tzinfo=UTC), "2026-10-25", ["02:30"]),
        ("America/New_York", "02:30", datetime(2026, 3, 7, 12, tzinfo=UTC), "2026-03-08", ["03:30"]),
        ("America/New_York", "01:30", datetime(2026, 10, 31, 12, tzinfo=UTC), "2026-11-01", ["01:30"]),
    ],
)
async def test_dst_transition_fires_exactly_once(engine, clock, timed, tz, hhmm, start, day, expected_local):
    clock.set(start)
    user = await add_user(engine, "dst", tz)
    await add_reminder(engine, user, "sleep", hhmm)
    scheduler = make_scheduler(engine)
    await run_until(scheduler, clock, start + timedelta(days=3), step=timedelta(minutes=10))
    fired = list(timed.times)
    on_day = [t.astimezone(ZoneInfo(tz)) for t in fired if t.astimezone(ZoneInfo(tz)).date().isoformat() == day]
    assert [t.strftime("%H:%M") for t in on_day] == expected_local
    # one a day before and after the change, at the usual wall time
    assert len(fired) == 3
    others = [t.astimezone(ZoneInfo(tz)) for t in fired if t not in [o.astimezone(UTC) for o in on_day]]
    assert all(t.strftime("%H:%M") == hhmm for t in others)


async def test_reminder_follows_a_time_zone_change(engine, clock, timed):
    clock.set(datetime(2026, 6, 1, 4, 0, tzinfo=UTC))  # 06:00 in Berlin
    user = await add_user(engine, "traveller", "Europe/Berlin")
    await add_reminder(engine, user, "caffeine", "07:30")
    scheduler = make_scheduler(engine)
    await run_until(scheduler, clock, datetime(2026, 6, 1, 6, 0, tzinfo=UTC))
    assert [t.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") for t in timed.times] == ["07:30"]
    # They fly to New York; the 07:30 check-in is now 07:30 New York time (11:30 UTC).
    await engine.store.set_timezone(user, "America/New_York")
    await apply(engine.store, user, clock.now(), lambda conn: None)
    await run_until(scheduler, clock, datetime(2026, 6, 2, 12, 0, tzinfo=UTC))
    assert [t.isoformat() for t in timed.times[1:]] == ["2026-06-01T11:30:00+00:00", "2026-06-02T11:30:00+00:00"]


# ---- restarts, crashes and downtime -----------------------------------------------------------
async def test_crash_after_claim_before_send_hands_over_once_after_restart(engine, clock, sender):
    clock.set(datetime(2026, 6, 1, 5, 0, tzinfo=UTC))
    users = [await add_user(engine, f"u{i}", "Europe/Berlin") for i in range(10)]
    for u in users:
        await add_reminder(engine, u, "hydration", "07:05")
    clock.set(datetime(2026, 6, 1, 5, 5, 2, tzinfo=UTC))
    # The first process claims one batch of 4 and dies before handing any of it over.
    now_ts = to_ts(clock.now())
    claimed, looked, _ = await claim_due(engine.store, now_ts, 1800, 4)
    assert len(claimed) == 4 and looked == 4 and sender.sent == []
    clock.advance(minutes=3)  # restart takes a few minutes, well inside the grace period
    restarted = make_scheduler(engine, batch=4)
    assert await restarted.tick() == 10
    assert sorted(who for who, _ in sender.sent) == sorted(f"u{i}" for i in range(10))
    # Nothing comes twice, neither now nor after another restart.
    clock.advance(minutes=1)
    assert await restarted.tick() == 0
    assert await make_scheduler(engine).tick() == 0
    assert len(sender.sent) == 10


async def test_claims_older_than_the_grace_period_expire_after_restart(engine, clock, sender):
    clock.set(datetime(2026, 6, 1, 5, 0, tzinfo=UTC))
    user = await add_user(engine, "late", "Europe/Berlin")
    await add_reminder(engine, user, "hydration", "07:05")
    clock.set(datetime(2026, 6, 1, 5, 5, 2, tzinfo=UTC))
    now_ts = to_ts(clock.now())
    await claim_due(engine.store, now_ts, 1800, 100)
    clock.advance(hours=2)
    assert await make_scheduler(engine).tick() == 0
    assert sender.sent == []
    row = await engine.store.fetchone("SELECT status FROM deliveries")
    assert row[0] == "expired"


async def test_crash_during_the_send_is_not_repeated(engine, clock, sender):
    clock.set(datetime(2026, 6, 1, 5, 0, tzinfo=UTC))
    user = await add_user(engine, "once", "Europe/Berlin")
    await add_reminder(engine, user, "hydration", "07:05")
    clock.set(datetime(2026, 6, 1, 5, 5, 2, tzinfo=UTC))
    now_ts = to_ts(clock.now())
    claimed, _, _ = await claim_due(engine.store, now_ts, 1800, 100)
    # handed to the platform (status 'sending'), then the process died mid-send
    await engine.store.execute("UPDATE deliveries SET status = 'sending' WHERE id = ?", (claimed[0].delivery_id,))
    clock.advance(minutes=1)
    assert await make_scheduler(engine).tick() == 0
    assert sender.sent == []


@pytest.mark.parametrize(("down_minutes", "sent"), [(29, 1), (31, 0)])
async def test_grace_period_boundary(engine, clock, sender, down_minutes, sent):
    clock.set(datetime(2026, 6, 1, 5, 0, tzinfo=UTC))
    user = await add_user(engine, "g", "Europe/Berlin")
    await add_reminder(engine, user, "hydration", "07:30")
    clock.set(datetime(2026, 6, 1, 5, 30, tzinfo=UTC) + timedelta(minutes=down_minutes))
    assert await make_scheduler(engine).tick() == sent
    assert len(sender.sent) == sent
    # either way the next one is tomorrow, on time
    row = await engine.store.fetchone("SELECT next_due FROM reminders")
    assert row[0] == to_ts(datetime(2026, 6, 2, 5, 30, tzinfo=UTC))


async def test_long_downtime_sends_no_burst(engine, clock, sender):
    clock.set(datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
    users = [await add_user(engine, f"p{i}", "Europe/Berlin") for i in range(20)]
    for u in users:
        await add_reminder(engine, u, "caffeine", "07:30")
        await add_reminder(engine, u, "journal", "21:30")
    # Down for three and a half days; back at 07:40 local: only this morning's check-in is fresh.
    clock.set(datetime(2026, 6, 4, 5, 40, tzinfo=UTC))
    scheduler = make_scheduler(engine)
    assert await scheduler.tick() == 20
    assert all("cups" in r[0].text or "coffee" in r[0].text for _, r in sender.sent)
    assert len(sender.sent) == 20
    clock.advance(minutes=5)
    assert await scheduler.tick() == 0
    # and the evening journal comes tonight as usual
    await run_until(scheduler, clock, datetime(2026, 6, 4, 19, 35, tzinfo=UTC), step=timedelta(minutes=30))
    assert len(sender.sent) == 40


async def test_a_tick_with_nothing_due_sends_nothing_and_beats(engine, clock, sender):
    scheduler = make_scheduler(engine)
    assert await scheduler.tick() == 0
    assert scheduler.last_tick == clock.now()
    row = await engine.store.fetchone("SELECT at FROM heartbeat WHERE name = 'scheduler'")
    assert row[0] == to_ts(clock.now())


# ---- snooze, pause, quiet hours -------------------------------------------------------------
async def test_snooze_sends_again_an_hour_later_and_keeps_the_daily_time(engine, clock, timed):
    clock.set(datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
    user = await add_user(engine, "s", "Europe/Berlin")
    rid = await add_reminder(engine, user, "stress", "18:00")
    scheduler = make_scheduler(engine)
    await run_until(scheduler, clock, datetime(2026, 6, 1, 16, 0, tzinfo=UTC))
    assert len(timed.times) == 1
    assert await snooze(engine.store, user.id, rid, clock.now() + timedelta(hours=1))
    await run_until(scheduler, clock, datetime(2026, 6, 2, 17, 0, tzinfo=UTC))
    local = [t.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d %H:%M") for t in timed.times]
    assert local == ["01 18:00", "01 19:00", "02 18:00"]
    assert "Snooze 1 h" in [c.label for c in timed.sent[1][1][0].choices]


async def test_pause_holds_reminders_until_it_ends(engine, clock, timed):
    clock.set(datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
    user = await add_user(engine, "p", "Europe/Berlin")
    await add_reminder(engine, user, "caffeine", "07:30")
    settings = replace(await get_settings(engine.store, user.id), paused_until=to_ts(clock.now() + timedelta(days=3)))

    await apply(engine.store, user, clock.now(), lambda conn: write_settings(conn, user.id, settings))
    scheduler = make_scheduler(engine)
    await run_until(scheduler, clock, datetime(2026, 6, 5, 4, 0, tzinfo=UTC), step=timedelta(minutes=30))
    local = [t.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d %H:%M") for t in timed.times]
    assert local == ["04 07:30"]  # paused until the 4th 06:00 local; nothing on the 1st to 3rd


async def test_quiet_hours_hold_a_reminder_back(engine, clock, sender):
    clock.set(datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
    user = await add_user(engine, "q", "Europe/Berlin")
    await add_reminder(engine, user, "journal", "22:30")
    settings = replace(await get_settings(engine.store, user.id), quiet_start=22 * 60, quiet_end=7 * 60)
    await apply(engine.store, user, clock.now(), lambda conn: write_settings(conn, user.id, settings))
    scheduler = make_scheduler(engine)
    await run_until(scheduler, clock, datetime(2026, 6, 2, 4, 0, tzinfo=UTC), step=timedelta(minutes=30))
    assert sender.sent == []


# ---- people who cannot be reached -------------------------------------------------------------
async def test_blocked_person_gets_reminders_switched_off(engine, clock, sender, caplog):
    clock.set(datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
    blocker = await add_user(engine, "blocker", "Europe/Berlin")
    friend = await add_user(engine, "friend", "Europe/Berlin")
    for u in (blocker, friend):
        await add_reminder(engine, u, "caffeine", "07:30")
        await add_reminder(engine, u, "journal", "21:30")
    sender.blocked.add("blocker")
    scheduler = make_scheduler(engine)
    with caplog.at_level(logging.INFO):
        await run_until(scheduler, clock, datetime(2026, 6, 3, 4, 0, tzinfo=UTC), step=timedelta(minutes=30))
    assert [who for who, _ in sender.sent] == ["friend"] * 4
    assert sender.attempts == 5  # the blocker was tried once, then never again
    rows = await engine.store.fetchall("SELECT enabled, next_due FROM reminders WHERE user_id = ?", (blocker.id,))
    assert [tuple(r) for r in rows] == [(0, None), (0, None)]
    warning = [r.getMessage() for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert warning and "coffee" not in warning[0] and "caffeine" not in warning[0]


async def test_start_registers_one_interval_job_and_stops(engine, sender):
    scheduler = make_scheduler(engine)
    scheduler.start()
    try:
        jobs = {j.id: j for j in scheduler._aps.get_jobs()}
        # one tick job; replicas on a shared database also say every few seconds that they live
        assert set(jobs) == ({"reminders-tick", "replica-heartbeat"} if engine.store.shared else {"reminders-tick"})
        assert jobs["reminders-tick"].trigger.interval == timedelta(seconds=5)
    finally:
        await scheduler.stop()
    assert scheduler._aps is None


class PacedSender:
    """Sends one at a time at a fixed pace (like a platform's rate limiter); can hang forever."""

    def __init__(self, pace_s: float = 0.0, hang_after: int | None = None) -> None:
        self.pace_s = pace_s
        self.hang_after = hang_after
        self.sent: list[str] = []
        self._lock = asyncio.Lock()
        self.started = 0

    async def send(self, external_id, chat_id, replies) -> None:
        async with self._lock:  # one request on the wire at a time; the others wait here
            await on_the_wire()
            self.started += 1
            if self.hang_after is not None and len(self.sent) >= self.hang_after:
                await asyncio.Event().wait()  # the process dies during this send
            await asyncio.sleep(self.pace_s)
            self.sent.append(external_id)


async def _many_due(engine, clock, n: int) -> None:
    clock.set(datetime(2026, 6, 1, 5, 0, tzinfo=UTC))
    for i in range(n):
        user = await add_user(engine, f"burst{i}", "UTC")
        await add_reminder(engine, user, "hydration", "05:10")
    clock.set(datetime(2026, 6, 1, 5, 10, 1, tzinfo=UTC))


async def _until(condition, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():  # noqa: ASYNC110 - polling a plain condition, with a deadline
        assert time.monotonic() < deadline
        await asyncio.sleep(0.005)


async def _statuses(engine) -> dict[str, int]:
    rows = await engine.store.fetchall("SELECT status, count(*) FROM deliveries GROUP BY status")
    return {r[0]: r[1] for r in rows}


async def test_a_kill_during_a_burst_loses_at_most_the_sends_in_flight(engine, clock):
    await _many_due(engine, clock, 120)
    dying = PacedSender(hang_after=40)
    engine.add_sender("console", dying)
    task = asyncio.create_task(make_scheduler(engine).tick())
    await _until(lambda: dying.started > 40)
    await asyncio.sleep(0.05)
    seen = await _statuses(engine)  # what is on disk at the moment of the kill
    assert seen.get("sent") == 40  # each delivery recorded as it went, not after the whole batch
    assert seen.get("sending", 0) == 1  # only the one on the wire; those queued behind it are 'claimed'
    task.cancel()  # kill -9: nothing after this point runs
    with contextlib.suppress(asyncio.CancelledError):
        await task
    if engine.store.shared:  # replicas: a killed one's claims pass on once its heartbeat is old
        from bot.scheduler import REPLICA_STALE_S

        clock.set(clock.now() + timedelta(seconds=REPLICA_STALE_S + 1))
    # the restart: recorded deliveries are not repeated, the unknown ones are said to be unknown
    fresh = PacedSender()
    engine.add_sender("console", fresh)
    await make_scheduler(engine).tick()
    after = await _statuses(engine)
    unknown = after.get("unknown", 0)
    assert unknown == 1
    assert after.get("sent") == 120 - unknown
    assert not set(dying.sent) & set(fresh.sent) and len(set(fresh.sent)) == len(fresh.sent)


async def test_stop_during_a_burst_returns_at_once_and_the_rest_is_sent_after_the_restart(engine, clock):
    await _many_due(engine, clock, 200)
    slow = PacedSender(pace_s=0.01)  # 100 a second: the whole burst would take 2 s
    engine.add_sender("console", slow)
    scheduler = make_scheduler(engine)
    task = asyncio.create_task(scheduler.tick())
    await _until(lambda: len(slow.sent) >= 10)
    t0 = time.perf_counter()
    await scheduler.stop()
    await task
    assert time.perf_counter() - t0 < 1.0  # the whole burst would take 2 s
    first = list(slow.sent)
    assert len(first) < 100
    assert (await _statuses(engine)).get("sending", 0) == 0  # nothing left half-done
    again = PacedSender()
    engine.add_sender("console", again)
    await make_scheduler(engine).tick()
    assert sorted(first + again.sent) == sorted(f"burst{i}" for i in range(200))


async def test_a_console_delivers_only_its_own_persons_reminders_and_touches_no_one_elses(engine, clock, sender):
    from bot.scheduler import Scope

    clock.set(datetime(2026, 6, 1, 5, 0, tzinfo=UTC))
    me = await add_user(engine, "me", "UTC")
    other = await add_user(engine, "someone-else", "UTC")
    bot_user, _ = await engine.store.user_for("telegram", "4242", "UTC", clock.now())
    for u in (me, other, bot_user):
        await add_reminder(engine, u, "hydration", "05:10")
    before = {r[0]: r[1] for r in await engine.store.fetchall("SELECT user_id, next_due FROM reminders")}
    clock.set(datetime(2026, 6, 1, 5, 10, 1, tzinfo=UTC))
    console = ReminderScheduler(engine, Settings(tick_seconds=5), scope=Scope(identity=("console", "me")))
    assert await console.tick() == 1
    assert [ext for ext, _ in sender.sent] == ["me"]
    after = {r[0]: r[1] for r in await engine.store.fetchall("SELECT user_id, next_due FROM reminders")}
    assert after[other.id] == before[other.id] and after[bot_user.id] == before[bot_user.id]
    assert [r[0] for r in await engine.store.fetchall("SELECT user_id FROM deliveries")] == [me.id]
    assert await engine.store.fetchone("SELECT at FROM heartbeat WHERE name = 'scheduler'") is None
    # the bot's own scheduler leaves console people alone too
    bot = ReminderScheduler(engine, Settings(tick_seconds=5), scope=Scope(platforms=frozenset({"telegram"})))
    await bot.tick()
    after = {r[0]: r[1] for r in await engine.store.fetchall("SELECT user_id, next_due FROM reminders")}
    assert after[other.id] == before[other.id] and after[bot_user.id] != before[bot_user.id]


async def test_the_claim_select_ends_where_a_backend_adds_its_row_lock(engine, clock, sender):
    """PostgreSQL appends " FOR UPDATE SKIP LOCKED" to the claim's SELECT; it must go at its very end."""
    clock.set(datetime(2026, 6, 1, 5, 0, tzinfo=UTC))
    user = await add_user(engine, "lock", "UTC")
    await add_reminder(engine, user, "hydration", "05:10")
    clock.set(datetime(2026, 6, 1, 5, 10, 1, tzinfo=UTC))
    engine.store._LOCK_CLAUSE = " -- a backend's row lock goes here"
    try:
        claimed, looked, _ = await claim_due(engine.store, to_ts(clock.now()), 1800, 10)
    finally:
        del engine.store._LOCK_CLAUSE
    assert looked == 1 and [d.user_id for d in claimed] == [user.id]


async def test_kind_writers_for_the_plan(engine, clock):
    clock.set(datetime(2026, 6, 1, 5, 0, tzinfo=UTC))
    user = await add_user(engine, "plan", "UTC")
    await add_reminder(engine, user, "checkin", "20:00", weekday=0)
    store = engine.store
    await apply(store, user, clock.now(), store.kind_minute_writer(user.id, "checkin", 20 * 60))
    assert tuple(await store.fetchone("SELECT minute, custom FROM reminders")) == (1200, 0)  # same time: not by hand
    await apply(store, user, clock.now(), store.kind_minute_writer(user.id, "checkin", 21 * 60))
    assert tuple(await store.fetchone("SELECT minute, custom FROM reminders")) == (1260, 1)
    await store.write(store.kind_off_writer(user.id, "checkin"))
    assert tuple(await store.fetchone("SELECT enabled, next_due FROM reminders")) == (0, None)
