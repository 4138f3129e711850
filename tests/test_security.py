"""Health data stays private: erased for good, never in logs, stored literally, never crashes."""

from __future__ import annotations

import json
import logging
import random

from bot.app import build_engine
from tests.conftest import START, Chat
from tests.support.backends import backend, sqlite_only  # noqa: F401

HOSTILE = [
    "x" * 100_000,
    "\x00\x01\x02\x1b[31mred\x1b[0m",
    "\u202eevil\u202c right-to-left",
    "🤯🫨👁️‍🗨️" * 50,
    "'; DROP TABLE entries; --",
    "Robert'); DELETE FROM users;--",
    "%s%s%s%n {0} {user.__class__} ${jndi:ldap://x}",
    "<b>bold</b> <script>alert(1)</script> <a href='x'>",
    "*bold* _it_ [link](http://x) `code` ~~s~~ ||spoiler|| @everyone @here",
    "1e309",
    "-0",
    "NaN",
    "inf",
    "99999999999999999999999999",
    "-1",
    "/delete 1e309",
    "/delete -0",
    "/delete 99999999999999999999999",
    "/journal -5",
    "/journal 1e309",
    "/log left calf 1e309 min",
    "/log left calf -0 seconds",
    "/log calf 99999999999 hours",
    "/timezone ../../etc/passwd",
    "/timezone \x00",
    "/note " + "\u0000" * 10,
    "/",
    "//",
    "/ log",
    "/LOG LEFT CALF 2 MIN",
    "/log@FlickerBot left calf 2 min",
]


def corpus(n: int = 2000) -> list[str]:
    rnd = random.Random(42)
    pieces = HOSTILE + ["left eyelid", "2 min", "coffee", "/note", "/log", "yesterday at 9pm", "\n", "\t"]
    out = list(HOSTILE)
    while len(out) < n:
        out.append(" ".join(rnd.choice(pieces)[:2000] for _ in range(rnd.randint(1, 5))))
    return out


async def test_thousands_of_hostile_inputs_each_get_a_clear_reply(store, clock):
    engine = build_engine(store, clock=clock, flood_limit=None)
    people = [Chat(engine, f"p{i}") for i in range(5)]
    for i, text in enumerate(corpus()):
        chat = people[i % len(people)]
        replies = await chat.send(text)
        assert replies and all(r.text.strip() for r in replies), repr(text[:80])
        assert "went wrong on my side" not in chat.text, repr(text[:80])
    for forged in [
        "log:undo:1",
        "log:undo:-1",
        "log:region:../../x",
        "forget:yes",
        "tz:set:Mars/Olympus",
        "nonsense",
        ":",
        "log:",
        "note:trim",
        "x" * 5000,
    ]:
        replies = await people[0].press_id(forged)
        assert replies and "went wrong on my side" not in people[0].text


async def test_stored_text_is_stored_literally(chat, store):
    nasty = "<b>not bold</b> *x* _y_ [z](w) '; DROP TABLE entries;-- %s {0} \u202e🤯"
    await chat.send("/note " + nasty)
    await chat.send("/export")
    exported = json.loads(
        next(r.attachment.data for r in chat.last if r.attachment and r.attachment.name.endswith("json"))
    )
    assert exported["entries"][0]["text"] == nasty


@sqlite_only
async def test_forget_leaves_no_trace_of_the_text_in_the_database_file(chat, store, db_path):
    secret = "my very private twitch worry zebra-quartz-7731"
    for i in range(4):  # several versions of the page, as an active journal has
        await chat.send(f"/note {secret} {i}")
    await chat.send("/forget")
    assert "can't reach files I already gave you" in chat.text
    await chat.press("Yes, erase everything")
    assert "delete them yourself" in chat.text
    # No checkpoint here: an idle bot would not make one either, and a backup copies the WAL as it is.
    blob = b""
    for suffix in ("", "-wal"):
        try:
            blob += db_path.with_name(db_path.name + suffix).read_bytes()
        except FileNotFoundError:
            pass
    assert secret.encode() not in blob


async def test_health_text_never_reaches_logs_above_debug(chat, caplog):
    caplog.set_level(logging.DEBUG)
    secret_words = ["eyelid", "espresso", "anxious", "zebra"]
    await chat.send("/log left eyelid 2 min after 3 espressos")
    await chat.send("/note anxious zebra")
    await chat.send("/journal")
    await chat.press_id("log:region:eyelid")  # a stray button
    for record in caplog.records:
        if record.levelno > logging.DEBUG:
            message = record.getMessage().lower()
            assert not any(w in message for w in secret_words), message


async def test_group_replies_with_health_content_are_marked_private(make_chat):
    group = make_chat("carol", private=False)
    await group.send("/log left calf 2 min after coffee")
    assert all(r.private for r in group.last if "calf" in r.text)
    await group.send("left calf twitching")  # free text in a group is not read as a log
    assert "Saved" not in group.text


@sqlite_only
async def test_a_full_disk_gets_could_not_save_and_other_people_are_still_answered(chat, make_chat, store):
    await chat.send("/note before the disk filled up")
    pages = (await store.fetchone("PRAGMA page_count"))[0]
    await store.fetchall(f"PRAGMA max_page_count = {pages}")
    from bot.store import StoreError

    filler, _ = await store.user_for("console", "filler", "UTC", chat.engine.clock.now())
    for _ in range(200):  # use up the last free space of the file, as a full disk would
        try:
            await store.add_entry(filler.id, "note", START, "UTC", text="f" * 500, now=START)
        except StoreError:
            break
    await chat.send("/note " + "a long worry " * 70)
    assert "could not save" in chat.text and "Noted" not in chat.text
    other = make_chat("bob")
    await other.send("/help")
    assert "/log" in other.text
    await chat.send("/journal")
    assert "before the disk filled up" in chat.text and "a long worry" not in chat.text
