"""The Discord adapter under SimCord, a third-party offline simulator of Discord for discord.py:
a harness we did not write checks the slash commands, buttons and DMs (skipped without it)."""

from __future__ import annotations

import pytest

from bot.adapters.discord import DiscordRunner
from bot.app import build_engine
from bot.clock import FrozenClock
from bot.config import Settings
from bot.store import Store
from tests.conftest import START

simcord = pytest.importorskip("simcord")


@pytest.fixture
async def flicker(tmp_path):
    store = await Store.open(tmp_path / "sim.db")
    engine = build_engine(store, clock=FrozenClock(START))
    runner = DiscordRunner(engine, Settings(db_path=str(tmp_path / "sim.db"), discord_token="x"))
    runner.client.tree = runner.tree  # where SimCord looks for the commands (as on commands.Bot)
    yield runner, store
    await store.close()


async def test_a_dm_is_logged_and_answered(flicker):
    runner, store = flicker
    async with simcord.run(runner.client, strict_sync=False) as env:
        alice = env.create_user("alice")
        await alice.send_dm("right calf 30s after the gym")
        await env.settle()
        assert "Saved #1: right calf twitch" in alice.dm_channel.history()[-2].content
    assert (await store.fetchone("SELECT count(*) FROM entries"))[0] == 1


async def test_a_guild_slash_command_answers_ephemerally_and_by_dm_and_buttons_work(flicker):
    runner, store = flicker
    async with simcord.run(runner.client, strict_sync=False) as env:
        guild = env.create_guild()
        channel = guild.create_text_channel("general")
        alice = guild.add_member(env.create_user("alice"))
        result = await alice.slash(channel, "log")
        await env.settle()
        assert result.ephemeral and "direct message" in result.response.content
        assert not [m for m in channel.history() if "twitch" in (m.content or "")]  # nothing health-related here
        question = next(m for m in reversed(alice.user.dm_channel.history()) if m.components)
        assert "Where was the twitch" in question.content
        await alice.user.click(question, label="Calf")  # in the DM, as the person, not the member
        await env.settle()
        assert any("Which side" in (m.content or "") for m in alice.user.dm_channel.history())
