"""/link: two platform identities become one person; nothing is lost or duplicated."""

from __future__ import annotations

import json
import re

from bot.messages import Reply


class Recording:
    def __init__(self) -> None:
        self.got: list[tuple[str, str]] = []

    async def send(self, external_id, chat_id, replies: list[Reply]) -> None:
        self.got += [(external_id, r.text) for r in replies]


async def test_link_joins_journals_settings_and_reminders_across_platforms(make_chat, engine, store, clock):
    console, telegram = make_chat("ana", "console"), make_chat("4242", "telegram")
    await console.send("/log left eyelid 2 min after coffee")
    await console.send("/name Ana")
    await telegram.send("/note slept badly")
    await telegram.send("/link")
    code = re.search(r"/link ([A-Z0-9]{6})", telegram.text).group(1)
    await console.send(f"/link {code}")
    assert "Linked" in console.text and {"The console", "Telegram"} <= set(console.labels)
    await console.press("Telegram")
    assert "Reminders will come to Telegram" in console.text

    await telegram.send("/journal")
    assert "Left eyelid twitch" in telegram.text and "slept badly" in telegram.text
    await console.send("/export")
    data = json.loads(
        next(r.attachment.data for r in console.last if r.attachment and r.attachment.name.endswith("json"))
    )
    assert len(data["entries"]) == 2 and data["user"]["first_name"] == "Ana"
    assert {i["platform"] for i in data["user"]["identities"]} == {"console", "telegram"}
    assert (await store.fetchone("SELECT count(*) FROM users"))[0] == 1

    tg, cons = Recording(), Recording()
    engine.add_sender("telegram", tg)
    engine.add_sender("console", cons)
    user, _ = await store.user_for("console", "ana", "UTC", clock.now())
    await engine.deliver(user.id, [Reply("Time for a glass of water (SC-2).")])
    assert tg.got == [("4242", "Time for a glass of water (SC-2).")] and cons.got == []


async def test_codes_expire_work_once_and_explain_bad_input(make_chat, clock):
    a, b = make_chat("a", "console"), make_chat("99", "telegram")
    await a.send("/link")
    code = re.search(r"/link ([A-Z0-9]{6})", a.text).group(1)
    await a.send(f"/link {code}")
    assert "same account" in a.text
    await b.send("/link hello")
    assert "6 letters and digits" in b.text
    clock.advance(minutes=11)
    await b.send(f"/link {code}")
    assert "expired" in b.text
    await a.send("/link")
    code = re.search(r"/link ([A-Z0-9]{6})", a.text).group(1)
    await b.send(f"/link {code}")
    assert "Linked" in b.text
    c = make_chat("100", "telegram")
    await c.send(f"/link {code}")
    assert "unknown or has expired" in c.text  # a code works once


async def test_another_persons_link_button_does_nothing(make_chat):
    mallory = make_chat("m", "console")
    await mallory.press_id("link:deliver:telegram")
    assert "expired" in mallory.text
