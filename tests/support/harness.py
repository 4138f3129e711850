"""One Flicker per test on a chosen platform: store on a temporary file, frozen clock, engine,
reminder scheduler (ticked by hand), the platform's adapter against its loopback fake, and a
`person(n)` that returns a driver for the n-th person there.

    async with open_harness("telegram", tmp_path) as h:
        alex = await h.person(0)
        step = await alex.send("left calf 30s after the gym")
"""

from __future__ import annotations

import asyncio
import dataclasses
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build_engine
from bot.clock import FrozenClock
from bot.config import Settings
from bot.engine import Engine
from bot.scheduler import ReminderScheduler
from bot.store import Store
from tests.support.driver import BaseDriver, EngineCalls

PLATFORMS = ("console", "telegram", "discord")
# A Tuesday evening in late November, as in tests/conftest.py.
START = datetime(2026, 11, 24, 20, 30, tzinfo=UTC)
STOP_TIMEOUT_S = 5.0
TIMEZONE = "Europe/Berlin"  # the same default everywhere, so times and emergency numbers read alike


@dataclass
class Harness:
    platform: str
    engine: Engine
    store: Store
    clock: FrozenClock
    scheduler: ReminderScheduler
    settings: Settings
    make_person: Callable[[int], Awaitable[BaseDriver]]
    people: list[BaseDriver] = field(default_factory=list)

    async def person(self, n: int = 0) -> BaseDriver:
        driver = await self.make_person(n)
        self.people.append(driver)
        return driver


@asynccontextmanager
async def open_harness(platform: str, tmp_path: Path) -> AsyncIterator[Harness]:
    db = tmp_path / f"{platform}.db"
    clock = FrozenClock(START)
    async with AsyncExitStack() as stack:
        store = await Store.open(db)
        stack.push_async_callback(store.close)
        engine = build_engine(store, clock=clock, default_timezone=dict.fromkeys(PLATFORMS, TIMEZONE))
        base = Settings(db_path=str(db), reminder_grace_minutes=30, tick_seconds=5, out_dir=str(tmp_path / "out"))
        scheduler = ReminderScheduler(engine, base)
        if platform == "console":
            harness = await _console(engine, store, clock, scheduler, base, tmp_path)
        elif platform == "telegram":
            harness = await _telegram(stack, engine, store, clock, scheduler, base)
        elif platform == "discord":
            harness = await _discord(stack, engine, store, clock, scheduler, base)
        else:
            raise ValueError(f"unknown platform {platform!r}")
        try:
            yield harness
        finally:
            for driver in reversed(harness.people):
                await driver.aclose()


async def _bounded(stopping: Awaitable[None], what: str, within: float = STOP_TIMEOUT_S) -> None:
    """Stop, but don't let an update still in flight (e.g. a send being retried) hold the suite."""
    try:
        await asyncio.wait_for(stopping, within)
    except TimeoutError:
        warnings.warn(f"{what} did not stop within {within} s; an update was still being handled", stacklevel=1)


async def _console(engine, store, clock, scheduler, settings, tmp_path: Path) -> Harness:
    from tests.support.console_driver import ConsoleDriver

    async def person(n: int) -> BaseDriver:
        return await ConsoleDriver(engine, clock, scheduler, f"person{n}", tmp_path / "out" / str(n)).start()

    return Harness("console", engine, store, clock, scheduler, settings, person)


async def _telegram(stack: AsyncExitStack, engine, store, clock, scheduler, base: Settings) -> Harness:
    from bot.adapters.telegram import TelegramRunner
    from tests.fake_telegram import FakeTelegram
    from tests.support.telegram_driver import TOKEN, TelegramDriver

    fake = FakeTelegram(TOKEN)
    await fake.start()
    stack.push_async_callback(fake.stop)
    settings = dataclasses.replace(base, telegram_token=TOKEN, telegram_api_url=fake.url)
    runner = TelegramRunner(engine, settings, retry_base_delay=0.01, poll_timeout=1)
    calls = EngineCalls(engine)
    await runner.start()

    async def stop() -> None:
        # An update of a kind nobody handles ends the long poll at once, so stopping needn't wait it out.
        await fake.push({"contract_suite_wake_up": {}})
        await _bounded(runner.stop(), "the Telegram runner")

    stack.push_async_callback(stop)

    async def person(n: int) -> BaseDriver:
        return TelegramDriver(fake, calls, clock, scheduler, 1001 + n)

    return Harness("telegram", engine, store, clock, scheduler, settings, person)


async def _discord(stack: AsyncExitStack, engine, store, clock, scheduler, base: Settings) -> Harness:
    import discord
    import yarl

    from bot.adapters.discord import DiscordRunner
    from tests.fake_discord import GUILD_READY_S, FakeDiscord
    from tests.support.discord_driver import TOKEN, DiscordDriver

    fake = FakeDiscord()
    await fake.start()
    stack.push_async_callback(fake.stop)
    patch = stack.enter_context(pytest.MonkeyPatch.context())
    patch.setattr(discord.http.Route, "BASE", f"{fake.url}/api/v10")
    patch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))
    settings = dataclasses.replace(base, discord_token=TOKEN)
    runner = DiscordRunner(engine, settings, guild_ready_timeout=GUILD_READY_S)
    calls = EngineCalls(engine)
    await asyncio.wait_for(runner.start(), 20)
    stack.push_async_callback(lambda: _bounded(runner.stop(), "the Discord runner"))
    synced = [c for c in fake.calls if c.method == "PUT" and c.path.endswith("commands")]
    slash = {c["name"] for c in synced[-1].body} if synced else set()

    async def person(n: int) -> BaseDriver:
        return DiscordDriver(fake, calls, clock, scheduler, 5551 + 10 * n, slash)

    return Harness("discord", engine, store, clock, scheduler, settings, person)
