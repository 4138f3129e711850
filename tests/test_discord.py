"""The real discord.py client against a loopback fake of Discord's REST API and gateway."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import discord
import pytest
import yarl

from bot.adapters.discord import DiscordRunner
from bot.app import build_engine
from bot.clock import FrozenClock
from bot.config import Settings
from bot.scheduler import ReminderScheduler
from bot.store import Store, to_ts
from tests.conftest import START
from tests.fake_discord import CHANNEL_ID, GUILD_READY_S, FakeDiscord

TOKEN = "MTAxMDEwMTAxMDEw.FakeDiscordToken.ForTestsOnly_abcdefghij"
ALEX, SAM = 5551, 5552


@pytest.fixture
async def dc(tmp_path, monkeypatch):
    fake = FakeDiscord()
    await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{fake.url}/api/v10")
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway")
    )
    store = await Store.open(tmp_path / "dc.db")
    engine = build_engine(store, clock=FrozenClock(START))
    settings = Settings(db_path=str(tmp_path / "dc.db"), discord_token=TOKEN)
    runner = DiscordRunner(engine, settings, guild_ready_timeout=GUILD_READY_S)
    await asyncio.wait_for(runner.start(), 20)
    yield SimpleNamespace(fake=fake, runner=runner, engine=engine, store=store, settings=settings, tmp=tmp_path)
    await runner.stop()
    await store.close()
    await fake.stop()


async def test_slash_log_with_options_in_a_dm(dc):
    synced = [c for c in dc.fake.calls if c.method == "PUT" and c.path.endswith("commands")]
    assert synced and {"log", "triage", "journal"} <= {c["name"] for c in synced[0].body}
    before = len(dc.fake.calls)
    await dc.fake.dispatch(
        "INTERACTION_CREATE",
        dc.fake.interaction(
            ALEX,
            name="log",
            options=[
                {"name": "region", "type": 3, "value": "calf"},
                {"name": "side", "type": 3, "value": "left"},
                {"name": "duration", "type": 3, "value": "30s"},
                {"name": "details", "type": 3, "value": "after the gym"},
            ],
        ),
    )
    [saved] = await dc.fake.wait_for(lambda c: "Saved #" in content(c))
    assert "left calf twitch, 30 s" in saved.body["content"]
    assert any(c.path.startswith("interactions/") for c in dc.fake.calls[before:])  # acknowledged


def content(call) -> str:
    return str(call.body.get("content", "")) if isinstance(call.body, dict) else ""


def buttons(call) -> list[dict]:
    return [b for row in (call.body.get("components") or []) for b in row.get("components", [])]


async def press(dc, uid: int, label: str, *, as_user: int | None = None) -> None:
    """Press the newest button with this label in a message the bot sent to `uid`."""
    for call in reversed(dc.fake.sent()):
        for b in buttons(call):
            if b.get("label", "").lower().startswith(label.lower()) and f":{uid}:" in b["custom_id"]:
                message = {**dc.fake.messages[call.response_id], "channel_id": dc.fake._dm_id(uid)}
                await dc.fake.dispatch(
                    "INTERACTION_CREATE", dc.fake.interaction(as_user or uid, custom_id=b["custom_id"], message=message)
                )
                return
    raise AssertionError(f"no button {label!r}")


async def answered(dc, since: int, text: str) -> str:
    calls = await dc.fake.wait_for(lambda c: c in dc.fake.calls[since:] and text in content(c))
    return content(calls[-1])


async def test_full_triage_by_pressing_buttons_in_a_dm(dc):
    await dc.fake.dispatch("INTERACTION_CREATE", dc.fake.interaction(ALEX, name="triage"))
    await answered(dc, 0, "safety check")
    for label, expect in (
        ("No", "Who is this about"),
        ("Me", "How old"),
        ("18 or older", "pregnant"),
        ("No", "How long"),
        ("2 weeks or less", "Where does"),
        ("One spot", "eyelid"),
        ("Only an eyelid", "getting worse"),
        ("No", "disrupt"),
        ("No", "weakness"),
        ("No", "muscle bulk"),
        ("No", "numbness"),
        ("No", "slurred"),
        ("No", "family"),
        ("No", "self-care"),
        ("Not yet", "Result"),
    ):
        since = len(dc.fake.calls)
        await press(dc, ALEX, label)
        await answered(dc, since, expect)
    edits = [c for c in dc.fake.calls if c.method == "PATCH" and "✓" in content(c)]
    assert edits and edits[-1].body.get("components") == []  # the question shows the answer, buttons gone
    assert "Self-care first" in content(dc.fake.sent()[-2]) or any(
        "Self-care first" in content(c) for c in dc.fake.sent()
    )


async def test_free_text_in_a_dm_is_logged(dc):
    await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(ALEX, "right calf 30s after the gym"))
    text = await answered(dc, 0, "Saved #")
    assert "right calf" in text


async def test_a_guild_command_is_answered_ephemerally_and_in_dms_only(dc):
    await dc.fake.dispatch(
        "INTERACTION_CREATE",
        dc.fake.interaction(
            ALEX,
            name="log",
            options=[{"name": "details", "type": 3, "value": "left eyelid 2 min after coffee"}],
            in_guild=True,
        ),
    )
    await answered(dc, 0, "Saved #")
    await answered(dc, 0, "answered you in a direct message")
    public = [c for c in dc.fake.calls if c.method == "POST" and c.path == f"channels/{CHANNEL_ID}/messages"]
    assert not public
    deferred = [c for c in dc.fake.calls if c.path.startswith("interactions/")]
    assert deferred and deferred[0].body["data"]["flags"] & 64  # ephemeral
    dm = [c for c in dc.fake.sent() if "Saved #" in content(c)]
    assert dm[0].path == f"channels/{ALEX + 1}/messages"


async def test_closed_dms_get_an_ephemeral_how_to_and_switch_reminders_off(dc):
    dc.fake.closed_dms.add(SAM)
    await dc.fake.dispatch("INTERACTION_CREATE", dc.fake.interaction(SAM, name="journal", in_guild=True))
    text = await answered(dc, 0, "direct messages")
    assert "Privacy settings" in text and "calf" not in text
    user, _ = await dc.store.user_for("discord", str(SAM), "UTC", dc.engine.clock.now())
    await dc.store.execute(
        "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) VALUES (?, 'hydration', 0, 600, 1, ?)",
        (user.id, to_ts(dc.engine.clock.now())),
    )
    await ReminderScheduler(dc.engine, dc.settings).tick()
    row = await dc.store.fetchone("SELECT enabled, next_due FROM reminders WHERE user_id = ?", (user.id,))
    assert row[0] == 0 or row[1] is None


async def test_another_users_button_is_refused(dc):
    await dc.fake.dispatch("INTERACTION_CREATE", dc.fake.interaction(ALEX, name="log"))
    await answered(dc, 0, "Where was the twitch")
    since = len(dc.fake.calls)
    await press(dc, ALEX, "Calf", as_user=SAM)
    [refusal] = await dc.fake.wait_for(lambda c: c in dc.fake.calls[since:] and c.path.startswith("interactions/"))
    assert refusal.body["type"] == 4 and "someone else" in refusal.body["data"]["content"]
    assert refusal.body["data"]["flags"] & 64
    await asyncio.sleep(0.2)
    assert not [c for c in dc.fake.calls[since:] if "Which side" in content(c)]


async def test_a_reminder_dm_snoozes_after_a_restart(dc):
    await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(ALEX, "/journal"))
    await answered(dc, 0, "no entries")
    user, _ = await dc.store.user_for("discord", str(ALEX), "UTC", dc.engine.clock.now())
    due = to_ts(dc.engine.clock.now())
    await dc.store.execute(
        "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) VALUES (?, 'hydration', 0, 600, 1, ?)",
        (user.id, due),
    )
    assert await ReminderScheduler(dc.engine, dc.settings).tick() == 1
    await answered(dc, 0, "glass of water")
    await dc.runner.stop()  # a restart: a new client, the same database
    dc.runner = DiscordRunner(dc.engine, dc.settings, guild_ready_timeout=GUILD_READY_S)
    await asyncio.wait_for(dc.runner.start(), 20)
    since = len(dc.fake.calls)
    await press(dc, ALEX, "Snooze")
    await answered(dc, since, "Snoozed")
    row = await dc.store.fetchone("SELECT next_due FROM reminders WHERE user_id = ? AND once = 1", (user.id,))
    assert row is not None and row[0] == due + 3600


async def test_link_a_telegram_identity_with_a_discord_one(dc):
    from tests.conftest import Chat

    telegram = Chat(dc.engine, "4242", "telegram")
    await telegram.send("/note from telegram")
    await telegram.send("/link")
    code = telegram.text.split("/link ")[1].split()[0]
    await dc.fake.dispatch(
        "INTERACTION_CREATE",
        dc.fake.interaction(ALEX, name="link", options=[{"name": "details", "type": 3, "value": code}]),
    )
    await answered(dc, 0, "Linked")
    await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(ALEX, "/journal"))
    text = await answered(dc, 0, "from telegram")
    assert "Note" in text


async def test_user_text_cannot_ping_everyone_and_the_token_stays_out_of_logs(dc, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(ALEX, "/note @everyone look *here*"))
    await answered(dc, 0, "Noted")
    await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(ALEX, "/journal"))
    text = await answered(dc, 0, "look")
    assert "@everyone" not in text.replace("@\u200beveryone", "")
    sends = [c for c in dc.fake.sent() if "look" in content(c)]
    assert all(c.body.get("allowed_mentions", {}).get("parse") == [] for c in sends)
    assert TOKEN not in caplog.text and TOKEN.split(".")[1] not in caplog.text


async def test_a_gateway_reconnect_resumes_without_losing_or_repeating_replies(dc):
    await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(ALEX, "/note before the reconnect"))
    await answered(dc, 0, "Noted")
    sockets = len(dc.fake.sockets)
    await dc.fake.reconnect()
    for _ in range(200):
        if dc.fake.resumed and len(dc.fake.sockets) > sockets:
            break
        await asyncio.sleep(0.05)
    assert dc.fake.resumed and dc.fake.resumed[-1]["session_id"] == "session"
    since = len(dc.fake.calls)
    await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(ALEX, "/journal"))
    text = await answered(dc, since, "before the reconnect")
    assert text.count("before the reconnect") == 1
    await asyncio.sleep(0.3)
    noted = [c for c in dc.fake.sent() if "Noted" in content(c)]
    assert len(noted) == 1  # nothing answered twice


async def test_export_arrives_as_file_attachments(dc):
    await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(ALEX, "left calf 30s after the gym"))
    await answered(dc, 0, "Saved #")
    await dc.fake.dispatch("INTERACTION_CREATE", dc.fake.interaction(ALEX, name="export"))
    calls = await dc.fake.wait_for(lambda c: len([x for x in dc.fake.calls if x.files]) >= 2)
    files = {name: data for c in calls for name, data in c.files.items()} | {
        name: data for c in dc.fake.calls for name, data in c.files.items()
    }
    json_name = next(n for n in files if n.endswith(".json"))
    assert b'"region": "calf"' in files[json_name] and any(n.endswith(".csv") for n in files)


def test_long_replies_split_at_2000_characters():
    from bot.adapters.discord import split

    text = "\n".join(f"entry {i} " + "x" * 70 for i in range(100))
    parts = split(text)
    assert len(parts) > 1 and all(len(p) <= 2000 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


async def test_region_autocomplete_offers_the_vocabulary(dc):
    data = dc.fake.interaction(
        ALEX, name="log", options=[{"name": "region", "type": 3, "value": "ca", "focused": True}]
    )
    data["type"] = 4
    await dc.fake.dispatch("INTERACTION_CREATE", data)
    [answer] = await dc.fake.wait_for(lambda c: c.path.startswith("interactions/") and c.body.get("type") == 8)
    assert {"name": "Calf", "value": "calf"} in answer.body["data"]["choices"]


async def test_new_people_whose_first_dms_arrive_together_are_all_saved_and_answered(dc):
    people = [7000 + i for i in range(20)]
    for uid in people:  # dispatched back to back: discord.py handles each event in its own task
        await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(uid, f"/note one of {uid}"))
        await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(uid, f"/note two of {uid}"))

    def noted() -> int:
        return sum("Noted" in content(c) for c in dc.fake.sent())

    await dc.fake.wait_for(lambda c: noted() == 40, within=20)
    row = await dc.store.fetchone("SELECT count(*), count(DISTINCT user_id) FROM entries")
    assert tuple(row) == (40, 20)


async def test_commands_declare_where_they_work_never_group_dms_or_user_installs(dc):
    [synced] = [c for c in dc.fake.calls if c.method == "PUT" and c.path.endswith("commands")]
    for command in synced.body:
        assert command["contexts"] == [0, 1], command["name"]  # guild, bot DM; not 2 (group DMs)
        assert command["integration_types"] == [0], command["name"]  # installed on a server only


async def test_a_group_dm_is_never_treated_as_private(dc):
    from tests.fake_discord import GROUP_DM_ID

    await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(ALEX, "/note a private worry"))
    await answered(dc, 0, "Noted")
    since = len(dc.fake.calls)
    await dc.fake.dispatch("INTERACTION_CREATE", dc.fake.interaction(ALEX, name="journal", group_dm=True))
    await answered(dc, since, "a private worry")
    await answered(dc, since, "answered you in a direct message")
    new = dc.fake.calls[since:]
    dm = [c for c in new if c.path == f"channels/{ALEX + 1}/messages" and "a private worry" in content(c)]
    assert dm  # the journal went to the one-to-one DM ...
    in_group = [c for c in new if "a private worry" in content(c) and not c.path.startswith("channels/")]
    assert not in_group  # ... and never as a followup into the group DM
    assert not [c for c in new if str(GROUP_DM_ID) in c.path]
    [ack] = [c for c in new if c.path.startswith("interactions/")]
    assert ack.body["data"]["flags"] & 64  # even the "thinking" note is ephemeral


async def test_an_interaction_too_late_to_acknowledge_is_answered_by_dm(dc):
    since = len(dc.fake.calls)
    await dc.fake.dispatch("INTERACTION_CREATE", dc.fake.interaction(ALEX, name="journal", age=4))
    text = await answered(dc, since, "no entries")
    assert text
    refused = [c for c in dc.fake.calls[since:] if c.path.startswith("interactions/")]
    assert len(refused) == 1  # tried once (Discord said 404 Unknown interaction), not again


async def test_the_fake_refuses_a_second_acknowledgement_and_oversized_bodies(dc):
    import aiohttp

    data = dc.fake.interaction(ALEX, name="help")
    url = f"{dc.fake.url}/api/v10/interactions/{data['id']}/{data['token']}/callback"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"type": 5}) as first:
            assert first.status == 200
        async with http.post(url, json={"type": 5}) as second:
            assert second.status == 400 and (await second.json())["code"] == 40060
        late = dc.fake.interaction(ALEX, name="help", age=3.5)
        async with http.post(f"{dc.fake.url}/api/v10/interactions/{late['id']}/x/callback", json={"type": 5}) as r:
            assert r.status == 404 and (await r.json())["code"] == 10062
        async with http.post(f"{dc.fake.url}/api/v10/channels/1/messages", json={"content": "x" * 2001}) as r:
            assert r.status == 400 and (await r.json())["code"] == 50035
