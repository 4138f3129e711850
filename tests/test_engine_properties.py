"""Any text, any unicode, any length, any forged button: the engine always answers."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_engine
from bot.clock import FrozenClock
from bot.messages import Incoming
from bot.store import Store
from tests.conftest import START

words = st.sampled_from(
    [
        "/log",
        "/note",
        "/journal",
        "/delete",
        "/timezone",
        "left",
        "eyelid",
        "2 min",
        "coffee",
        "yesterday",
        "at 9pm",
        "1e309",
        "-0",
        "🤯",
        "\u202e",
        "\x00",
        "'; DROP TABLE entries;--",
        "%s%n{0}",
        "<b>",
        "*_[",
    ]
)
messages = st.one_of(
    st.text(max_size=300),
    st.lists(words, max_size=8).map(" ".join),
    st.text(min_size=5000, max_size=20000),
)


def test_any_message_gets_a_reply_and_nothing_crashes(tmp_path):
    loop = asyncio.new_event_loop()
    store = loop.run_until_complete(Store.open(tmp_path / "p.db"))
    engine = build_engine(store, clock=FrozenClock(START), flood_limit=None)  # a frozen clock would trip it

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=messages, choice=st.one_of(st.none(), st.text(max_size=80)), user=st.sampled_from(["a", "b"]))
    def check(text, choice, user):
        incoming = Incoming("console", user, text=None if choice is not None else text, choice=choice)
        replies = loop.run_until_complete(engine.handle(incoming))
        assert replies, f"no reply to {incoming!r}"
        assert all(r.text.strip() for r in replies)
        assert not any("went wrong on my side" in r.text for r in replies), replies

    try:
        check()
    finally:
        loop.run_until_complete(store.close())
        loop.close()
