"""Shared fixtures: a store on a temporary SQLite file, a frozen clock, the engine, and `Chat`,
a driver that talks to the engine like a person (send text, press a choice by label or id)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import build_engine
from bot.clock import FrozenClock
from bot.engine import Engine
from bot.messages import Incoming, Reply
from bot.store import Store
from tests.support.postgres import pg_cluster  # noqa: F401  (the `store` fixture asks for it on PostgreSQL)

# A Tuesday evening in late November, as a worried person might write.
START = datetime(2026, 11, 24, 20, 30, tzinfo=UTC)


class Chat:
    """One person talking to the engine on one platform."""

    def __init__(self, engine: Engine, user: str = "alice", platform: str = "console", private: bool = True):
        self.engine = engine
        self.user = user
        self.platform = platform
        self.private = private
        self.last: list[Reply] = []

    async def send(self, text: str) -> list[Reply]:
        self.last = await self.engine.handle(
            Incoming(
                platform=self.platform,
                user_id=self.user,
                text=text,
                private=self.private,
                chat_id=self.user,
                at=self.engine.clock.now(),
            )
        )
        return self.last

    async def press(self, label_or_id: str) -> list[Reply]:
        """Press a choice offered in the last replies, by its label (case-insensitive) or id."""
        offered = [c for r in self.last for c in r.choices]
        wanted = label_or_id.lower()
        for c in offered:
            if c.id == label_or_id or c.label.lower() == wanted:
                return await self.press_id(c.id)
        for c in offered:  # a label that starts with the words, e.g. "Left" for "Left side"
            if c.label.lower().startswith(wanted):
                return await self.press_id(c.id)
        raise AssertionError(f"no choice {label_or_id!r} among {[c.label for c in offered]}")

    async def press_id(self, choice_id: str) -> list[Reply]:
        self.last = await self.engine.handle(
            Incoming(
                platform=self.platform,
                user_id=self.user,
                choice=choice_id,
                private=self.private,
                chat_id=self.user,
                at=self.engine.clock.now(),
            )
        )
        return self.last

    @property
    def text(self) -> str:
        """All text of the last replies, joined."""
        return "\n".join(r.text for r in self.last)

    @property
    def labels(self) -> list[str]:
        return [c.label for r in self.last for c in r.choices]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "flicker.db"


@pytest.fixture
def backend() -> str:
    """The store's backend; a module imports tests.support.backends.backend to run on both."""
    return "sqlite"


@pytest.fixture
async def store(request, backend, db_path):
    if backend == "postgresql":
        from bot.store.postgres import PostgresStore
        from tests.support.backends import TEMPLATES

        url = await TEMPLATES.clone(request.getfixturevalue("pg_cluster"))
        s = await PostgresStore.open(url, size=4)
    else:
        s = await Store.open(db_path)
    yield s
    await s.close()


@pytest.fixture
async def engine(store, clock) -> Engine:
    return build_engine(store, clock=clock, default_timezone={"console": "Europe/Berlin"})


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine)


@pytest.fixture
def make_chat(engine):
    def make(user: str = "bob", platform: str = "console", private: bool = True) -> Chat:
        return Chat(engine, user, platform, private)

    return make
