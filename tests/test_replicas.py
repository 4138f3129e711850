"""Two and three `flicker run` processes on one PostgreSQL database, Telegram in webhook mode:
each person's messages land on replicas at random, and each is handled exactly once, in order.
Then a replica is killed with SIGKILL in the middle of a reminder burst: nothing is lost and
nothing is sent twice.

The sizes are small enough for the suite; FLICKER_SCALE=full runs what the issue asked for
(1,000 people x 20 messages; 5,000 reminders), as `.ci/run` and bench/scale.py do."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import time
from collections import Counter, defaultdict

import psycopg
import pytest

from bot.scheduler import SEND_CONCURRENCY
from tests.fake_telegram import FakeTelegram
from tests.support.postgres import pg_cluster, pg_url  # noqa: F401 - fixtures
from tests.support.replicas import TOKEN, Replicas, seed_due_reminders

FULL = os.environ.get("FLICKER_SCALE") == "full"
PEOPLE = 1000 if FULL else 30
MESSAGES = 20 if FULL else 10
BURST = 5000 if FULL else 600
NOTED = re.compile(r"Noted as #(\d+)")


async def send_all(reps: Replicas, fake: FakeTelegram, people: int, messages: int, seed: int) -> None:
    """Each person sends their messages one after another (as Telegram delivers one chat's updates),
    every message to a replica picked at random; all people at once."""
    rng = random.Random(seed)
    update_ids = itertools.count(1)
    gate = asyncio.Semaphore(200)

    async def person(p: int) -> None:
        uid = 500_000 + p
        async with gate:
            for k in range(messages):
                update = {"update_id": next(update_ids), **fake.text_update(uid, f"/note m{k}")}
                for _attempt in range(50):  # Telegram retries a delivery that didn't get a 200
                    replica = rng.choice([r for r in reps.replicas if r.alive])
                    try:
                        if await reps.post(replica, update) == 200:
                            break
                    except Exception:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError(f"update {update['update_id']} was never accepted")

    await asyncio.gather(*(person(p) for p in range(people)))


async def wait_until(predicate, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("count", [2, 3])
async def test_each_message_is_handled_once_and_in_order_across_replicas(count, pg_url, tmp_path):  # noqa: F811
    fake = FakeTelegram(TOKEN)
    await fake.start()
    reps = Replicas(pg_url, fake, tmp_path, count=count)
    try:
        await reps.start()
        await send_all(reps, fake, PEOPLE, MESSAGES, seed=count)

        def noted() -> dict[int, list[int]]:
            by_chat: dict[int, list[int]] = defaultdict(list)
            for c in list(fake.calls):
                if c.method == "sendMessage" and (m := NOTED.search(c.params.get("text", ""))):
                    by_chat[int(c.params["chat_id"])].append(int(m.group(1)))
            return by_chat

        await wait_until(
            lambda: sum(map(len, noted().values())) >= PEOPLE * MESSAGES, 1200 if FULL else 300, "every reply"
        )
        await asyncio.sleep(1.0)  # anything sent twice would arrive now
    finally:
        await reps.stop()
        await fake.stop()

    replies = noted()
    assert len(replies) == PEOPLE
    for chat, ids in replies.items():
        assert len(ids) == MESSAGES, f"{chat}: {len(ids)} replies"  # none lost, none twice
        assert ids == sorted(ids), f"{chat}: replies out of order"
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT i.external_id, e.text FROM entries e JOIN identities i ON i.user_id = e.user_id ORDER BY e.id"
        ).fetchall()
    notes: dict[str, list[str]] = defaultdict(list)
    for person, text in rows:
        notes[person].append(text)
    assert len(notes) == PEOPLE
    for person, texts in notes.items():
        assert texts == [f"m{k}" for k in range(MESSAGES)], f"{person}: {texts}"  # once each, in order


async def test_a_replica_killed_mid_burst_loses_no_reminder_and_sends_none_twice(pg_url, tmp_path):  # noqa: F811
    from bot.store.postgres import PostgresStore

    store = await PostgresStore.open(pg_url, size=2)
    try:
        await store.write(lambda tx: seed_due_reminders(tx, BURST, 700_000, int(time.time()) - 5))
    finally:
        await store.close()

    fake = FakeTelegram(TOKEN)
    await fake.start()
    # a dead replica's claims pass on after 10 s here (30 s by default)
    env = {"FLICKER_TELEGRAM_RATE": "1000", "FLICKER_REPLICA_STALE_SECONDS": "10"}
    reps = Replicas(pg_url, fake, tmp_path, count=2, extra_env=env)
    try:
        await reps.start()

        def delivered() -> Counter[int]:
            return Counter(
                int(c.params["chat_id"])
                for c in list(fake.calls)
                if c.method == "sendMessage" and "water" in c.params.get("text", "")
            )

        await wait_until(lambda: sum(delivered().values()) >= BURST // 5, 120, "the burst to start")
        reps.kill(reps.replicas[0])  # SIGKILL in the middle of handing reminders over

        def ledger() -> Counter[str]:
            with psycopg.connect(pg_url) as conn:
                return Counter(dict(conn.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall()))

        # The survivor takes over the dead one's claims once its heartbeat is old.
        await wait_until(
            lambda: sum(ledger().values()) >= BURST and not ({"claimed", "sending"} & set(ledger())),
            300,
            "every delivery to be settled",
        )
        await asyncio.sleep(2.0)
    finally:
        await reps.stop()
        await fake.stop()

    counts = delivered()
    with psycopg.connect(pg_url) as conn:
        unknown = {
            r[0]
            for r in conn.execute(
                "SELECT i.external_id FROM deliveries d JOIN identities i ON i.user_id = d.user_id "
                "WHERE d.status = 'unknown'"
            ).fetchall()
        }
    missing = {str(700_000 + i) for i in range(BURST)} - {str(c) for c in counts}
    # Every reminder was handed over, except those on the wire at the moment of the kill: the ledger
    # says 'unknown' for exactly those (maybe delivered, maybe not) and never sends them again.
    assert missing <= unknown, f"lost without a trace: {len(missing - unknown)}"
    assert len(unknown) <= SEND_CONCURRENCY, f"{len(unknown)} unknown, more than the sends in flight"
    print(f"burst {BURST}: delivered {len(counts)}, unknown {len(unknown)} (of which not delivered {len(missing)})")
    twice = {chat: n for chat, n in counts.items() if n > 1}
    assert not twice, f"sent twice: {len(twice)}"
