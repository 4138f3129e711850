"""The real discord.py client against a loopback fake of Discord's REST API and gateway."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import discord
import pytest
import yarl

from bot.adapters.discord import DiscordRunner
from bot.clock import FrozenClock
from bot.config import Settings
from bot.engine import Engine
from bot.store import Store
from tests.conftest import START
from tests.fake_discord import FakeDiscord

TOKEN = "MTAxMDEwMTAxMDEw.FakeDiscordToken.ForTestsOnly_abcdefghij"
ALEX, SAM = 5551, 5552


@pytest.fixture
async def dc(tmp_path, monkeypatch):
    fake = FakeDiscord()
    await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{fake.url}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))
    store = await Store.open(tmp_path / "dc.db")
    engine = Engine(store, clock=FrozenClock(START))
    settings = Settings(db_path=str(tmp_path / "dc.db"), discord_token=TOKEN)
    runner = DiscordRunner(engine, settings)
    await asyncio.wait_for(runner.start(), 20)
    yield SimpleNamespace(fake=fake, runner=runner, engine=engine, store=store, settings=settings, tmp=tmp_path)
    await runner.stop()
    await store.close()
    await fake.stop()


async def test_slash_log_with_options_in_a_dm(dc):
    synced = [c for c in dc.fake.calls if c.method == "PUT" and c.path.endswith("commands")]
    assert synced and {"log", "triage", "journal"} <= {c["name"] for c in synced[0].body}
    before = len(dc.fake.calls)
    await dc.fake.dispatch("INTERACTION_CREATE", dc.fake.interaction(ALEX, name="log", options=[
        {"name": "region", "type": 3, "value": "calf"}, {"name": "side", "type": 3, "value": "left"},
        {"name": "duration", "type": 3, "value": "30s"}, {"name": "details", "type": 3, "value": "after the gym"}]))
    [saved] = await dc.fake.wait_for(lambda c: "Saved #" in content(c))
    assert "left calf twitch, 30 s" in saved.body["content"]
    assert any(c.path.startswith("interactions/") for c in dc.fake.calls[before:])  # acknowledged


def content(call) -> str:
    return str(call.body.get("content", "")) if isinstance(call.body, dict) else ""
