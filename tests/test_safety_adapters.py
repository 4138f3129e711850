"""The safety screen through the real platform libraries, against the loopback fakes."""

from __future__ import annotations

from tests.fake_discord import CHANNEL_ID
from tests.test_discord import ALEX as D_ALEX
from tests.test_discord import content, dc  # noqa: F401  (the Discord fixture)
from tests.test_telegram import ALEX, SENDS, say, settle, tg  # noqa: F401  (the Telegram fixture)


async def test_telegram_private_emergency_is_answered_within_one_reply(tg):  # noqa: F811
    text = await say(tg, ALEX, "my dad's face is drooping on one side and he can't lift his arm")
    first = next(c for c in tg.fake.calls if c.method == "sendMessage")
    assert first.params["text"].startswith("Please call")
    assert "Don't drive yourself" in text and "Which side" not in text


async def test_telegram_group_emergency_is_said_in_the_group_without_the_persons_words(tg):  # noqa: F811
    group = -7000
    await say(tg, ALEX, "/start")
    since = len(tg.fake.calls)
    uid = await tg.fake.push(
        tg.fake.text_update(ALEX, "/log@FlickerTestBot my wife Ilse's face is drooping, speech slurred", group, "group")
    )
    new = await settle(tg, since, uid)
    in_group = [c for c in new if c.method in SENDS and str(c.params["chat_id"]) == str(group)]
    assert in_group and "call" in in_group[0].params["text"] and "now" in in_group[0].params["text"]
    assert not any("Ilse" in c.params["text"] or "slurred" in c.params["text"] for c in in_group)
    private = [c for c in new if c.method in SENDS and str(c.params["chat_id"]) == str(ALEX)]
    assert private and private[0].params["text"].startswith("Please call")


async def test_discord_dm_emergency_is_answered_within_one_reply(dc):  # noqa: F811
    await dc.fake.dispatch("MESSAGE_CREATE", dc.fake.dm_message(D_ALEX, "i cant breathe and my chest is twitching"))
    [first] = await dc.fake.wait_for(lambda c: content(c).startswith("Please call"))
    assert "Don't drive yourself" in content(first)


async def test_discord_guild_emergency_is_said_in_the_channel_without_the_persons_words(dc):  # noqa: F811
    await dc.fake.dispatch(
        "INTERACTION_CREATE",
        dc.fake.interaction(
            D_ALEX,
            name="note",
            options=[{"name": "details", "type": 3, "value": "my son Lukas suddenly can't move his left arm"}],
            in_guild=True,
        ),
    )
    [said] = await dc.fake.wait_for(lambda c: "call" in content(c) and "If someone here" in content(c))
    assert not (said.body.get("flags", 0) & 64), "the instruction is for everyone in the channel"
    assert "Lukas" not in content(said) and "arm" not in content(said)
    [full] = await dc.fake.wait_for(lambda c: content(c).startswith("Please call"))  # the full answer, in DMs
    assert full.path == f"channels/{D_ALEX + 1}/messages" and full.path != f"channels/{CHANNEL_ID}/messages"
