"""Several replicas on one PostgreSQL database: only the leader holds the Discord gateway connection,
the others ask again every few seconds and take over when the leader dies or loses its connection."""

from __future__ import annotations

import asyncio
from functools import partial

import psycopg

from bot.adapters.discord import serve_as_leader
from bot.store.postgres import PostgresStore
from tests.support.postgres import pg_cluster, pg_url  # noqa: F401

RETRY_S = 0.05


class Gateway:
    """A stand-in for the Discord connection: records who is connected, holds on until told to stop."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log
        self.connected = asyncio.Event()

    async def __call__(self, lost: asyncio.Event) -> None:
        self.log.append(f"{self.name} connects")
        self.connected.set()
        try:
            await lost.wait()
            self.log.append(f"{self.name} lost the lock")
        finally:
            self.connected.clear()
            self.log.append(f"{self.name} disconnects")


async def _until(condition, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_one_store_holds_the_lock_and_the_other_gets_it_once_released(pg_url):  # noqa: F811
    a, b = await PostgresStore.open(pg_url, size=1), await PostgresStore.open(pg_url, size=1)
    try:
        async with a.hold_leadership("discord") as first:
            assert first
            async with b.hold_leadership("discord") as second:
                assert not second
            async with b.hold_leadership("telegram") as other:  # another name is another lock
                assert other
        async with b.hold_leadership("discord") as second:
            assert second
    finally:
        await a.close()
        await b.close()


async def test_the_standby_connects_only_after_the_leader_dies(pg_url):  # noqa: F811
    a, b = await PostgresStore.open(pg_url, size=1), await PostgresStore.open(pg_url, size=1)
    log: list[str] = []
    gate_a, gate_b = Gateway("a", log), Gateway("b", log)
    leader = asyncio.create_task(serve_as_leader(a.hold_leadership, "discord", gate_a, retry_s=RETRY_S))
    await asyncio.wait_for(gate_a.connected.wait(), 10)
    standby = asyncio.create_task(serve_as_leader(b.hold_leadership, "discord", gate_b, retry_s=RETRY_S))
    try:
        await asyncio.sleep(20 * RETRY_S)  # the standby asked many times meanwhile
        assert log == ["a connects"] and not gate_b.connected.is_set()
        leader.cancel()  # the leader's process ends: its lock connection closes
        await asyncio.gather(leader, return_exceptions=True)
        await asyncio.wait_for(gate_b.connected.wait(), 10)
        assert log == ["a connects", "a disconnects", "b connects"]
    finally:
        for task in (leader, standby):
            task.cancel()
        await asyncio.gather(leader, standby, return_exceptions=True)
        await a.close()
        await b.close()


async def test_a_leader_whose_lock_connection_breaks_lets_go_and_the_standby_takes_over(pg_url):  # noqa: F811
    a, b = await PostgresStore.open(pg_url, size=1), await PostgresStore.open(pg_url, size=1)
    log: list[str] = []
    gate_a, gate_b = Gateway("a", log), Gateway("b", log)
    hold_a = partial(a.hold_leadership, check_s=RETRY_S)
    leader = asyncio.create_task(serve_as_leader(hold_a, "discord", gate_a, retry_s=5.0))  # a stays out a while
    await asyncio.wait_for(gate_a.connected.wait(), 10)
    standby = asyncio.create_task(serve_as_leader(b.hold_leadership, "discord", gate_b, retry_s=RETRY_S))
    try:
        await asyncio.sleep(5 * RETRY_S)
        assert not gate_b.connected.is_set()
        with psycopg.connect(pg_url, autocommit=True) as admin:  # a database restart, a network cut: the session ends
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = %s",
                (0x666C6B03,),
            ).fetchall()
        assert killed == [(True,)]
        await asyncio.wait_for(gate_b.connected.wait(), 10)
        await _until(lambda: "a disconnects" in log)
        # The old leader notices within its check interval (LEADER_CHECK_S in production) and lets go.
        assert "a lost the lock" in log and log.count("a connects") == 1
        assert not gate_a.connected.is_set() and gate_b.connected.is_set()
    finally:
        for task in (leader, standby):
            task.cancel()
        await asyncio.gather(leader, standby, return_exceptions=True)
        await a.close()
        await b.close()


async def test_on_sqlite_the_discord_runner_takes_no_lock(store):
    assert getattr(store, "hold_leadership", None) is None  # one process: DiscordRunner.start connects directly
