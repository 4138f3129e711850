"""Faults two audits found (issue 16), each pinned by a test that failed before its fix."""

from __future__ import annotations

import asyncio

from bot.app import build_engine
from bot.engine import SLOW_DOWN
from bot.messages import Incoming
from bot.store import Store
from tests.conftest import START, Chat
from tests.support.backends import backend  # noqa: F401


def _note(user: str, text: str, platform: str = "console") -> Incoming:
    return Incoming(platform, user, text=text, chat_id=user, at=START)


async def test_a_new_persons_first_messages_together_are_all_saved_and_answered(engine):
    people = [f"new{i}" for i in range(10)]
    batch = [_note(p, f"/note first {i} of {p}") for p in people for i in range(4)]
    answers = await asyncio.gather(*(engine.handle(m) for m in batch))
    assert all(any("Noted" in r.text for r in replies) for replies in answers)
    rows = await engine.store.fetchall("SELECT count(*), count(DISTINCT user_id) FROM entries")
    assert tuple(rows[0]) == (40, 10)
    users = await engine.store.fetchone("SELECT count(*) FROM users")
    assert users[0] == 10  # one person each, not one per message
    # exactly one of each person's first messages was the first contact
    greetings = [any("I'm Flicker" in r.text for r in replies) for replies in answers]
    assert sum(greetings) == 10


async def test_two_processes_creating_the_same_person_end_with_one(db_path, clock):
    a, b = await Store.open(db_path), await Store.open(db_path)
    try:
        ea, eb = build_engine(a, clock=clock), build_engine(b, clock=clock)
        ra, rb = await asyncio.gather(ea.handle(_note("x", "/note from a")), eb.handle(_note("x", "/note from b")))
        assert any("Noted" in r.text for r in ra) and any("Noted" in r.text for r in rb)
        assert (await a.fetchone("SELECT count(*) FROM users"))[0] == 1
        assert (await a.fetchone("SELECT count(DISTINCT user_id) FROM entries"))[0] == 1
    finally:
        await a.close()
        await b.close()


async def test_a_flood_gets_one_slow_down_per_window_and_the_rest_is_dropped_quietly(engine):
    flood = Chat(engine, "flooder")
    replies = [await flood.send("/help") for _ in range(200)]
    slow = [r for r in replies if any(x.text == SLOW_DOWN for x in r)]
    answered = [r for r in replies if r and not any(x.text == SLOW_DOWN for x in r)]
    assert len(slow) == 1 and len(answered) == engine.flood_limit
    assert sum(1 for r in replies if not r) == 200 - engine.flood_limit - 1
    engine.clock.advance(seconds=11)  # a new window: one more warning at most
    more = [await flood.send("/help") for _ in range(100)]
    assert sum(1 for r in more if any(x.text == SLOW_DOWN for x in r)) == 1
