"""The real python-telegram-bot Application against a loopback fake of the Bot API."""

from __future__ import annotations

import asyncio
import logging
import time
from types import SimpleNamespace

import pytest

from bot.adapters.telegram import OTHER_PERSON, TelegramRunner
from bot.adapters.telegram_send import split_text
from bot.app import build_engine
from bot.clock import FrozenClock
from bot.config import Settings
from bot.scheduler import ReminderScheduler
from bot.store import Store, to_ts
from tests.conftest import START
from tests.fake_telegram import FakeTelegram

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmn"
SENDS = ("sendMessage", "sendPhoto", "sendDocument")
ALEX, SAM = 1001, 1002


@pytest.fixture
async def tg(tmp_path):
    fake = FakeTelegram(TOKEN)
    await fake.start()
    store = await Store.open(tmp_path / "tg.db")
    clock = FrozenClock(START)
    engine = build_engine(store, clock=clock)
    settings = Settings(db_path=str(tmp_path / "tg.db"), telegram_token=TOKEN, telegram_api_url=fake.url)
    runner = TelegramRunner(engine, settings, retry_base_delay=0.01, poll_timeout=1)
    await runner.start()
    t = SimpleNamespace(fake=fake, runner=runner, engine=engine, store=store, clock=clock, settings=settings)
    yield t
    await runner.stop()
    await store.close()
    await fake.stop()


async def finished(t, *update_ids: int, within: float = 10) -> None:
    """Wait until the runner has finished these updates: it marks an update done in its inbox
    after every handler ran, and a handler sends its answer before it returns."""
    wanted = set(update_ids)
    marks = ",".join("?" * len(wanted))
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        rows = await t.store.fetchall(
            f"SELECT update_id FROM telegram_inbox WHERE status = 'done' AND update_id IN ({marks})", tuple(wanted)
        )
        if len(rows) == len(wanted):
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"updates not finished within {within} s; calls: {[c.method for c in t.fake.calls][-20:]}")


async def settle(t, since: int, update_id: int) -> list:
    """Wait until the bot has finished the update, and check that it answered (at least one send)."""
    await finished(t, update_id)
    new = t.fake.calls[since:]
    if not any(c.method in SENDS for c in new):
        raise AssertionError(f"no answer; calls: {[c.method for c in new]}")
    return new


async def say(t, user: int, text: str, chat_id: int | None = None, chat_type: str = "private") -> str:
    since = len(t.fake.calls)
    uid = await t.fake.push(t.fake.text_update(user, text, chat_id, chat_type))
    new = await settle(t, since, uid)
    return "\n".join(str(c.params.get("text") or c.params.get("caption") or "") for c in new if c.method in SENDS)


async def press(t, user: int, label: str, chat_id: int | None = None) -> str:
    chat_id = chat_id or user
    message = next(m for m in reversed(t.fake.messages) if m["chat"]["id"] == chat_id and m.get("reply_markup"))
    button = next(
        b
        for row in message["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"].lower().startswith(label.lower())
    )
    since = len(t.fake.calls)
    uid = await t.fake.push(t.fake.press_update(user, message, button["callback_data"]))
    new = await settle(t, since, uid)
    return "\n".join(str(c.params.get("text") or "") for c in new if c.method in SENDS)


async def test_start_sets_the_command_menu_and_introduces(tg):
    [menu] = tg.fake.sent("setMyCommands")
    assert {"log", "triage", "journal", "export", "help"} <= {c["command"] for c in eval_json(menu.params["commands"])}
    text = await say(tg, ALEX, "/start from_group")
    assert "not a diagnosis" in text and "Keep" in str(tg.fake.messages[-1]["reply_markup"])


def eval_json(raw):
    import json

    return json.loads(raw)


async def test_one_line_log_in_private_chat(tg):
    text = await say(tg, ALEX, "left calf 30s after the gym")
    assert "Saved #1: left calf twitch, 30 s" in text


async def test_guided_log_by_buttons_acknowledges_and_edits_the_question(tg):
    await say(tg, ALEX, "/log")
    await press(tg, ALEX, "Calf")
    assert tg.fake.sent("answerCallbackQuery")
    edits = tg.fake.sent("editMessageText")
    assert edits and edits[-1].params["text"].endswith("✓ Calf")
    await press(tg, ALEX, "Left")
    await press(tg, ALEX, "A few seconds")
    await press(tg, ALEX, "Caffeine")
    await press(tg, ALEX, "Done")
    text = await press(tg, ALEX, "Skip")
    assert "Saved #" in text and "left calf" in text and "caffeine" in text


async def test_full_triage_by_pressing_buttons(tg):
    await say(tg, ALEX, "/triage")
    for label in (
        *("No", "Me", "18 or older", "No", "2 weeks or less", "One spot", "Only an eyelid"),
        *("No", "No", "No", "No", "No", "No", "No"),
    ):
        await press(tg, ALEX, label)
    text = await press(tg, ALEX, "Not yet")
    assert "Self-care first" in text and "not a diagnosis" in text


async def test_journal_and_export_as_documents(tg):
    await say(tg, ALEX, "/note <b>not bold</b> *x* _y_ [z](w) & more")
    assert not [c for c in tg.fake.calls if c.method == "sendMessage" and "Bad Request" in str(c.params)]
    text = await say(tg, ALEX, "/journal")
    assert "&lt;b&gt;not bold&lt;/b&gt; *x* _y_ [z](w) &amp; more" in text  # escaped for HTML, sent intact
    await say(tg, ALEX, "/export")
    docs = await tg.fake.wait_for(lambda c: c.method == "sendDocument" and len(tg.fake.sent("sendDocument")) == 2)
    assert b'"entries"' in docs[0].params["document"] and b"kind" in docs[1].params["document"]


async def test_summary_chart_arrives_as_a_photo(tg):
    await say(tg, ALEX, "left calf 30s after the gym")
    text = await say(tg, ALEX, "/summary")
    assert "Drawing your chart" in text  # progress shows at once, before the chart is ready
    [photo] = await tg.fake.wait_for(lambda c: c.method == "sendPhoto")
    assert photo.params["photo"][:8] == b"\x89PNG\r\n\x1a\n"


async def test_group_message_is_answered_in_private_and_never_in_the_group(tg):
    group = -5000
    await say(tg, ALEX, "/start")  # Alex has a private chat
    since = len(tg.fake.calls)
    uid = await tg.fake.push(
        tg.fake.text_update(ALEX, "/log@FlickerTestBot left calf 2 min after coffee", group, "group")
    )
    new = await settle(tg, since, uid)
    private = [c for c in new if c.method in SENDS and str(c.params["chat_id"]) == str(ALEX)]
    public = [c for c in new if c.method in SENDS and str(c.params["chat_id"]) == str(group)]
    assert any("Saved #" in c.params["text"] for c in private)
    assert not any("calf" in str(c.params.get("text", "")) for c in public)
    # someone who never opened a private chat gets only a deep link in the group
    tg.fake.never_started.add(SAM)
    since = len(tg.fake.calls)
    uid = await tg.fake.push(tg.fake.text_update(SAM, "/log right thumb 10s", group, "group"))
    new = await settle(tg, since, uid)
    public = [c for c in new if c.method == "sendMessage" and str(c.params["chat_id"]) == str(group)]
    invite = [c for c in public if "t.me/FlickerTestBot" in c.params.get("reply_markup", "")]
    assert invite and "private chat" in invite[0].params["text"]
    assert not any("thumb" in c.params["text"] for c in public)
    # plain group chatter is not read at all
    calls = len(tg.fake.calls)
    await finished(tg, await tg.fake.push(tg.fake.text_update(SAM, "my calf twitches", group, "group")))
    assert not [c for c in tg.fake.calls[calls:] if c.method in SENDS]


async def test_another_users_button_press_is_refused_politely(tg):
    group = -6000
    await say(tg, ALEX, "/start")
    await finished(tg, await tg.fake.push(tg.fake.text_update(ALEX, "/help", group, "group")))
    await say(tg, ALEX, "/log")
    message = next(m for m in reversed(tg.fake.messages) if m.get("reply_markup"))
    data = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    since = len(tg.fake.calls)
    await finished(tg, await tg.fake.push(tg.fake.press_update(SAM, message, data)))
    answers = [c for c in tg.fake.calls[since:] if c.method == "answerCallbackQuery"]
    assert answers[0].params.get("text") == OTHER_PERSON
    assert not [c for c in tg.fake.calls[since:] if c.method in SENDS]


async def test_429_is_honoured_and_the_message_is_sent_once(tg):
    tg.fake.fail("sendMessage", "429", retry_after=1)
    t0 = time.monotonic()
    uid = await tg.fake.push(tg.fake.text_update(ALEX, "/journal"))

    def journal_sends():
        return [c for c in tg.fake.sent("sendMessage", ALEX) if "no entries" in c.params["text"]]

    await finished(tg, uid)
    sends = journal_sends()
    assert len(sends) == 2  # the refused one, then the real one: sent once
    assert sends[1].at - sends[0].at >= 0.9 and time.monotonic() - t0 >= 0.9


async def test_5xx_is_retried_with_backoff_and_delivered_once(tg):
    tg.fake.fail("sendMessage", "502", times=2)
    await say(tg, ALEX, "/note one")
    delivered = [c for c in tg.fake.sent("sendMessage", ALEX) if "Noted" in c.params["text"]]
    assert len(delivered) == 3  # two refused attempts, one delivery
    assert len({c.params["text"] for c in delivered}) == 1


async def test_reminder_arrives_with_buttons_and_snooze_works(tg):
    await say(tg, ALEX, "/start")
    user, _ = await tg.store.user_for("telegram", str(ALEX), "UTC", tg.clock.now())
    due = to_ts(tg.clock.now())
    await tg.store.execute(
        "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) VALUES (?, 'hydration', 0, 600, 1, ?)",
        (user.id, due),
    )
    since = len(tg.fake.calls)
    assert await ReminderScheduler(tg.engine, tg.settings).tick() == 1
    [reminder] = [c for c in tg.fake.calls[since:] if c.method == "sendMessage"]
    assert "glass of water" in reminder.params["text"] and "Snooze" in reminder.params["reply_markup"]
    text = await press(tg, ALEX, "Snooze")
    assert "Snoozed" in text
    row = await tg.store.fetchone("SELECT next_due FROM reminders WHERE user_id = ? AND once = 1", (user.id,))
    assert row is not None and row[0] == due + 3600


async def test_a_blocked_bot_switches_reminders_off(tg):
    await say(tg, ALEX, "/start")
    user, _ = await tg.store.user_for("telegram", str(ALEX), "UTC", tg.clock.now())
    await tg.store.execute(
        "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) VALUES (?, 'hydration', 0, 600, 1, ?)",
        (user.id, to_ts(tg.clock.now())),
    )
    tg.fake.blocked.add(ALEX)
    await ReminderScheduler(tg.engine, tg.settings).tick()
    row = await tg.store.fetchone("SELECT enabled, next_due FROM reminders WHERE user_id = ?", (user.id,))
    assert row[0] == 0 or row[1] is None


async def test_bad_updates_are_skipped_and_the_bot_keeps_running(tg, caplog):
    await tg.fake.push({"some_future_update_type": {"x": 1}})
    sticker = tg.fake.text_update(ALEX, "x")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {
        "file_id": "s",
        "file_unique_id": "s",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    await tg.fake.push(sticker)
    text = await say(tg, ALEX, "/journal")
    assert "no entries" in text


async def test_the_token_never_reaches_the_logs(tg, caplog):
    caplog.set_level(logging.DEBUG)
    tg.fake.fail("sendMessage", "500", times=1)
    tg.fake.fail("getUpdates", "502", times=1)
    await say(tg, ALEX, "/help")
    await say(tg, ALEX, "left eyelid 2 min")
    await asyncio.sleep(0.3)
    secret = TOKEN.split(":")[1]
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in (caplog.text or "")


def test_long_replies_are_split_under_the_limit_on_line_breaks():
    text = "\n".join(f"line {i} <&> " + "x" * 50 for i in range(200))
    parts = split_text(text)
    assert len(parts) > 1
    import html

    assert all(len(html.escape(p, quote=False)) <= 4096 for p in parts)
    assert all(p.startswith("line ") for p in parts)
    assert "".join(p.replace("\n", "") for p in parts) == text.replace("\n", "")


async def test_hostile_inputs_through_telegram_each_get_a_clean_reply(tg):
    from tests.test_security import HOSTILE

    for i, text in enumerate(HOSTILE[:24]):
        if not text.strip() or "\x00" in text:
            continue  # Telegram itself never delivers empty or NUL text
        reply = await say(tg, 3000 + i, text[:4096])
        assert reply.strip()
    # a reply Telegram refused (bad entities, too long) would have left the person without an answer


async def test_new_people_whose_first_messages_arrive_in_one_batch_are_all_saved_and_answered(tg):
    people = range(4000, 4020)
    for uid in people:  # one getUpdates batch, as after a restart or an outage
        tg.fake.updates.append({"update_id": 10_000 + uid * 3, **tg.fake.text_update(uid, "/start")})
        tg.fake.updates.append({"update_id": 10_001 + uid * 3, **tg.fake.text_update(uid, f"/note first of {uid}")})
        tg.fake.updates.append({"update_id": 10_002 + uid * 3, **tg.fake.text_update(uid, f"/note second of {uid}")})
    async with tg.fake._new_update:
        tg.fake._new_update.notify_all()

    def answered(uid: int) -> bool:
        texts = [c.params["text"] for c in tg.fake.sent("sendMessage", uid)]
        return sum("Noted" in t for t in texts) == 2

    await tg.fake.wait_for(lambda c: all(answered(u) for u in people), within=20)
    row = await tg.store.fetchone("SELECT count(*), count(DISTINCT user_id) FROM entries")
    assert tuple(row) == (40, 20)


async def test_a_refused_edit_is_not_retried_and_the_answer_comes_at_once(tg):
    await say(tg, ALEX, "/log")
    question = next(m for m in reversed(tg.fake.messages) if m.get("reply_markup"))
    tg.fake.delete(question)  # the person deleted it: Telegram refuses the edit (400)
    t0 = time.monotonic()
    text = await press(tg, ALEX, "Calf")
    assert "Which side" in text and time.monotonic() - t0 < 3  # was 91 s of retries
    assert len(tg.fake.sent("editMessageText")) == 1


async def test_a_press_too_old_to_acknowledge_is_still_handled(tg):
    await say(tg, ALEX, "/log")
    message = next(m for m in reversed(tg.fake.messages) if m.get("reply_markup"))
    button = message["reply_markup"]["inline_keyboard"][0][0]
    since = len(tg.fake.calls)
    uid = await tg.fake.push(tg.fake.press_update(ALEX, message, button["callback_data"], age=60))
    new = await settle(tg, since, uid)
    assert any("Which side" in str(c.params.get("text")) for c in new if c.method == "sendMessage")
    assert len([c for c in new if c.method == "answerCallbackQuery"]) == 1  # refused once, not retried


async def test_an_html_502_is_retried_and_a_400_never_is(tg):
    tg.fake.fail("sendMessage", "502", times=1)  # Telegram's front end: an HTML page
    await say(tg, ALEX, "/note one")
    noted = [c for c in tg.fake.sent("sendMessage", ALEX) if "Noted" in c.params["text"]]
    assert len(noted) == 2  # refused once, then delivered
    from telegram.error import BadRequest

    from bot.adapters.telegram_send import surely_not_delivered

    assert not surely_not_delivered(BadRequest("Bad Request: message to edit not found"))


async def test_webhook_mode_skips_a_repeated_update_id(tmp_path):
    import socket

    import aiohttp

    from bot.adapters.telegram import _secret

    fake = FakeTelegram(TOKEN)
    await fake.start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = await Store.open(tmp_path / "wh.db")
    engine = build_engine(store, clock=FrozenClock(START))
    settings = Settings(
        db_path=str(tmp_path / "wh.db"),
        telegram_token=TOKEN,
        telegram_api_url=fake.url,
        webhook_url="https://example.invalid/hook",
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    runner = TelegramRunner(engine, settings, retry_base_delay=0.01)
    await runner.start()
    try:
        update = {"update_id": 5005, **fake.text_update(ALEX, "/note only once")}
        headers = {"X-Telegram-Bot-Api-Secret-Token": _secret(TOKEN)}
        async with aiohttp.ClientSession() as http:
            for _ in range(3):  # Telegram resends when it thinks the first delivery failed
                async with http.post(f"http://127.0.0.1:{port}/telegram", json=update, headers=headers) as r:
                    assert r.status == 200
        await fake.wait_for(lambda c: c.method == "sendMessage" and "Noted" in c.params["text"])
        await asyncio.sleep(0.4)
        assert len([c for c in fake.sent("sendMessage") if "Noted" in c.params["text"]]) == 1
        assert (await store.fetchone("SELECT count(*) FROM entries"))[0] == 1
    finally:
        await runner.stop()
        await store.close()
        await fake.stop()


async def test_one_persons_flood_does_not_delay_another_persons_reply(tg):
    flood = [await tg.fake.push(tg.fake.text_update(ALEX, f"/note flood {i}")) for i in range(60)]
    await tg.fake.wait_for(lambda c: len(tg.fake.sent("sendMessage", ALEX)) >= 3)
    t0 = time.monotonic()
    help_id = await tg.fake.push(tg.fake.text_update(SAM, "/help"))
    await tg.fake.wait_for(lambda c: bool(tg.fake.sent("sendMessage", SAM)))
    assert time.monotonic() - t0 < 1.0  # behind 20 queued replies it was 2.2 s
    await finished(tg, *flood, help_id, within=20)  # every flood message handled: no more replies to come
    flood_replies = tg.fake.sent("sendMessage", ALEX)
    assert len(flood_replies) <= tg.engine.flood_limit + 2  # + a greeting and one "slow down"; no more


async def test_a_restart_replays_what_a_crash_left_at_each_step_and_saves_nothing_twice(tg):
    from telegram import Update

    from bot.adapters.telegram import SAVED_BEFORE_RESTART
    from bot.messages import Incoming, Reply

    def update(uid: int, update_id: int, text: str) -> Update:
        return Update.de_json({"update_id": update_id, **tg.fake.text_update(uid, text)}, tg.runner.app.bot)

    # 1. recorded, never handled: handled after the restart
    await tg.runner.inbox.receive(update(ALEX, 9001, "/note received only"))
    # 2. handled (entry saved) but the replies were never written down: not handled twice
    applied = update(SAM, 9002, "/note saved, unanswered")
    await tg.runner.inbox.receive(applied)
    with tg.runner._applying(applied):
        await tg.engine.handle(Incoming("telegram", str(SAM), text="/note saved, unanswered", chat_id=str(SAM)))
    # 3. replies written down, the first of two sent: only the second is sent again
    await tg.runner.inbox.receive(update(3003, 9003, "/help"))
    await tg.runner.inbox.handled(9003, 3003, 3003, True, [Reply("first part"), Reply("second part")])
    await tg.runner.inbox.sent(9003, 1)

    await tg.runner.stop()  # the restart
    tg.runner = TelegramRunner(tg.engine, tg.settings, retry_base_delay=0.01, poll_timeout=1)
    since = len(tg.fake.calls)
    await tg.runner.start()
    await tg.fake.wait_for(lambda c: len([x for x in tg.fake.calls[since:] if x.method == "sendMessage"]) >= 3)
    await finished(tg, 9001, 9002, 9003)  # replayed and resent: nothing more will be sent for them
    sent = [(int(c.params["chat_id"]), c.params["text"]) for c in tg.fake.calls[since:] if c.method == "sendMessage"]
    assert any(uid == ALEX and "Noted" in t for uid, t in sent)
    assert any(uid == SAM and t == SAVED_BEFORE_RESTART for uid, t in sent)
    assert [t for uid, t in sent if uid == 3003] == ["second part"]
    texts = [r[0] for r in await tg.store.fetchall("SELECT text FROM entries")]
    assert sorted(texts) == ["received only", "saved, unanswered"]
    open_rows = await tg.store.fetchone("SELECT count(*) FROM telegram_inbox WHERE status != 'done'")
    assert open_rows[0] == 0
