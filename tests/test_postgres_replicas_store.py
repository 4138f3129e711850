"""Several replicas on one PostgreSQL database (against the throwaway test cluster).

Each replica is a `PostgresStore` of its own: they share nothing but the database. They must start
together (migrations applied once, under an advisory lock), claim due reminders together (each
exactly once, neither waiting on the other's rows), order one person's messages together (the
person lock) and see each other's changes at once (nothing cached in the process).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator

import pytest

from bot.app import build_engine
from bot.store import Conversation, migration_files
from bot.store.postgres import PostgresStore
from bot.store.reminders import EVERYONE
from tests.conftest import START, Chat
from tests.support.postgres import pg_cluster, pg_url  # noqa: F401

DAY = 86_400
DUE_FROM = 1_800_000_000


def next_day(minute: int, weekday: int | None, tz: str, after: int) -> int:
    return after + DAY


@pytest.fixture
async def replicas(pg_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:  # noqa: F811
    a, b = await asyncio.gather(PostgresStore.open(pg_url, size=4), PostgresStore.open(pg_url, size=4))
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


async def test_replicas_starting_together_on_a_new_database_migrate_it_once(pg_url, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger="bot.store.postgres")
    opened = await asyncio.gather(*(PostgresStore.open(pg_url, size=2) for _ in range(2)), return_exceptions=True)
    stores = [s for s in opened if isinstance(s, PostgresStore)]
    try:
        assert len(stores) == 2, opened
        versions = [r[0] for r in await stores[1].fetchall("SELECT version FROM schema_migrations ORDER BY version")]
        assert [await s.schema_version() for s in stores] == [max(versions)] * 2
    finally:
        for s in stores:
            await s.close()
    assert versions == sorted(migration_files("postgresql"))
    applied = [r.getMessage() for r in caplog.records if r.getMessage().startswith("applied migration")]
    assert len(applied) == len(versions)  # by one replica or the other, never by both
    assert len(set(applied)) == len(applied)


async def test_two_replicas_claim_each_due_reminder_exactly_once(replicas):
    a, b = replicas
    assert await a.seed_due_reminders(1000, 1, ["hydration"], "UTC", "telegram", DUE_FROM) == 1000
    now = DUE_FROM + 60

    async def drain(store: PostgresStore) -> list[int]:
        mine: list[int] = []
        while True:
            claimed, looked, skipped = await store.claim_due_reminders(now, 3600, 50, next_due=next_day)
            assert skipped == 0
            mine += [d.reminder_id for d in claimed]
            if looked < 50:
                return mine

    by_a, by_b = await asyncio.gather(drain(a), drain(b))
    assert len(by_a) + len(by_b) == 1000
    assert len(set(by_a) | set(by_b)) == 1000  # none claimed twice, by one replica or by both
    assert await a.count_due_reminders(now) == 0
    assert tuple(await b.fetchone("SELECT count(*), count(DISTINCT reminder_id) FROM deliveries")) == (1000, 1000)


async def test_a_claim_in_progress_does_not_hold_up_another_replica(replicas):
    """The second replica skips the rows the first has locked: it neither waits for them nor claims them."""
    a, b = replicas
    await a.seed_due_reminders(100, 1, ["hydration"], "UTC", "telegram", DUE_FROM)
    now = DUE_FROM + 60
    holding, release = threading.Event(), threading.Event()
    claim = a.claim_writer(now, 3600, 50, EVERYONE, next_day)

    def claim_and_hold(tx):
        result = claim(tx)
        holding.set()
        assert release.wait(30)
        return result

    first = asyncio.ensure_future(a.write(claim_and_hold))
    try:
        assert await asyncio.to_thread(holding.wait, 30)
        second, looked, _ = await asyncio.wait_for(b.claim_due_reminders(now, 3600, 50, next_due=next_day), 10)
    finally:
        release.set()
    by_a, _, _ = await first
    assert looked == 50 and len(second) == 50 and len(by_a) == 50
    assert not {d.reminder_id for d in by_a} & {d.reminder_id for d in second}


async def test_the_person_lock_orders_one_persons_messages_across_replicas(replicas):
    a, b = replicas
    order: list[str] = []
    b_has_it = asyncio.Event()

    async def second() -> None:
        async with b.person_lock(7):
            order.append("b")
            b_has_it.set()

    async with a.person_lock(7):
        order.append("a in")
        waiting = asyncio.ensure_future(second())
        await asyncio.sleep(0.3)
        assert not b_has_it.is_set()  # the other replica waits for this one
        async with asyncio.timeout(5), b.person_lock(8):  # another person is not held up
            order.append("b other person")
        order.append("a out")
    await asyncio.wait_for(waiting, 5)
    assert order == ["a in", "b other person", "a out", "b"]


async def test_the_person_lock_of_a_large_platform_id_also_holds_across_replicas(replicas):
    a, b = replicas
    big = 2**40 + 3
    async with a.person_lock(big):
        waiting = asyncio.ensure_future(asyncio.wait_for(_hold(b, big), 0.3))
        with pytest.raises(TimeoutError):
            await waiting


async def _hold(store: PostgresStore, user_id: int) -> None:
    async with store.person_lock(user_id):
        pass


async def test_a_change_made_through_one_replica_is_seen_by_the_other_at_once(replicas):
    a, b = replicas
    user_a, new = await a.user_for("telegram", "42", "UTC", START)
    user_b, new_b = await b.user_for("telegram", "42", "UTC", START)
    assert new and not new_b and user_b.id == user_a.id
    await a.set_timezone(user_a, "Asia/Tokyo")
    assert (await b.user_for("telegram", "42", "UTC", START))[0].timezone == "Asia/Tokyo"
    assert (await b.get_user(user_a.id)).timezone == "Asia/Tokyo"
    await b.update_settings(user_b, units="metric")
    assert (await a.get_user(user_a.id)).settings == {"units": "metric"}

    conv = Conversation("log", "region", {"text": "left calf"}, START)
    assert await b.conversation(user_a.id) is None
    await a.save_conversation(user_a.id, conv)
    assert await b.conversation(user_a.id) == conv
    await b.save_conversation(user_a.id, None)
    assert await a.conversation(user_a.id) is None


async def test_two_replicas_serve_one_person_without_stale_state(replicas, clock):
    a, b = replicas
    here, there = Chat(build_engine(a, clock=clock), "pat"), Chat(build_engine(b, clock=clock), "pat")
    await here.send("/note in a")
    await there.send("/note in b")
    await here.send("/forget")
    await here.press("Yes, erase everything")
    replies = await there.send("/note after the other replica erased everything")
    assert any("Noted" in r.text for r in replies)  # not "something went wrong"
    assert (await b.fetchone("SELECT count(*) FROM entries"))[0] == 1
