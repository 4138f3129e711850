"""The driver contract: one person talking to Flicker on one platform, seen from their side.

A driver types text (`send`), presses a button by its label (`press`), lets time pass until
reminders arrive (`fire_reminders`), and reports what the person saw after each of these:
`texts()`, `buttons()`, `attachments()`. Every platform's escaping is undone before a text is
reported (HTML on Telegram, Markdown escapes and mention breakers on Discord), so the same
conversation reads the same everywhere when the adapters behave alike.

Each driver waits for the bot to finish answering by watching the engine, not the clock: a
step is over when every adapter task that called `Engine.handle` since the step began has
finished (everything it sends is awaited inside that task); the console is done when the
adapter asks for its next input line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.clock import FrozenClock
from bot.engine import Engine
from bot.scheduler import ReminderScheduler
from tests.support.scheduling import run_to

STEP_TIMEOUT_S = 10.0
POLL_S = 0.005
NO_ANSWER_S = 1.5  # how long to wait for an answer the adapter gives without asking the engine
QUIET_S = 0.1  # ... and how long it must then stay quiet
THINKING_TIME = timedelta(seconds=20)  # a person reads before answering; also keeps clear of the flood limit


@dataclass(frozen=True)
class File:
    name: str | None  # None where the fake cannot tell (the Telegram fake drops multipart file names)
    data: bytes


@dataclass(frozen=True)
class Step:
    """What the person saw after one action of theirs (or after time passed)."""

    did: str  # "text: ...", "press: ..." or "reminders until ..."
    texts: tuple[str, ...] = ()
    buttons: tuple[str, ...] = ()
    files: tuple[File, ...] = ()
    marked: tuple[str, ...] = ()  # questions edited to show the answer pressed (button platforms)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def flat(self) -> str:
        """The step's text with whitespace collapsed: message splits and line layout don't count."""
        return " ".join(self.text.split())


class Driver(Protocol):
    platform: str
    steps: list[Step]  # every step so far, oldest first

    async def send(self, text: str) -> Step: ...

    async def press(self, label: str) -> Step: ...

    async def send_unreadable(self) -> Step:
        """Send something with no text to read: a sticker, a picture without words, an empty line."""
        ...

    async def fire_reminders(self, until: datetime) -> Step: ...

    def texts(self) -> list[str]: ...

    def buttons(self) -> list[str]: ...

    def attachments(self) -> list[File]: ...

    async def aclose(self) -> None: ...


class NoSuchButton(AssertionError):
    pass


class BaseDriver:
    """What every driver shares: the last step, the clock, reminders, label matching."""

    platform = "?"

    def __init__(self, clock: FrozenClock, scheduler: ReminderScheduler) -> None:
        self.clock = clock
        self.scheduler = scheduler
        self.steps: list[Step] = []

    @property
    def last(self) -> Step:
        return self.steps[-1] if self.steps else Step("nothing yet")

    def texts(self) -> list[str]:
        return list(self.last.texts)

    def buttons(self) -> list[str]:
        return list(self.last.buttons)

    def attachments(self) -> list[File]:
        return list(self.last.files)

    def _record(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def _think(self) -> None:
        self.clock.advance(THINKING_TIME)

    async def fire_reminders(self, until: datetime) -> Step:
        """Let the clock run to `until` with the scheduler ticking; the step is what arrived."""
        mark = self._mark()
        await run_to(self.scheduler, self.clock, until, step=timedelta(minutes=5))
        return self._record(await self._collect(f"reminders until {until:%Y-%m-%d %H:%M}Z", mark))

    # platform hooks
    def _mark(self) -> Any:
        raise NotImplementedError

    async def _collect(self, did: str, mark: Any) -> Step:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def pick_label(offered: list[str] | tuple[str, ...], wanted: str) -> str:
    """The offered label a person means by `wanted`: exact (case-insensitive), else the first that starts with it."""
    low = wanted.lower()
    for label in offered:
        if label.lower() == low:
            return label
    for label in offered:
        if label.lower().startswith(low):
            return label
    raise NoSuchButton(f"no button {wanted!r} among {list(offered)}")


@dataclass
class EngineCalls:
    """Wraps `engine.handle` to remember which task called it, so a step can wait for exactly
    those tasks: the adapter sends its answer inside the task that asked the engine."""

    engine: Engine
    tasks: list[asyncio.Task[Any] | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        inner = self.engine.handle

        async def handle(*args: Any, **kwargs: Any) -> Any:
            self.tasks.append(asyncio.current_task())
            return await inner(*args, **kwargs)

        self.engine.handle = handle  # type: ignore[method-assign]

    def mark(self) -> int:
        return len(self.tasks)

    async def settle(self, since: int, what: str, within: float = STEP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            new = self.tasks[since:]
            if new and all(t is None or t.done() for t in new):
                for t in new:
                    if t is not None and not t.cancelled() and t.exception() is not None:
                        raise AssertionError(f"{what}: the adapter failed") from t.exception()
                return
            await asyncio.sleep(POLL_S)
        started = len(self.tasks) - since
        raise AssertionError(f"{what}: no complete answer within {within} s ({started} engine calls started)")


async def until_quiet(
    count: Callable[[], int], since: int, within: float = NO_ANSWER_S, quiet: float = QUIET_S
) -> None:
    """For answers that never reach the engine (so there is no task to wait for): wait until
    something was sent and then nothing more for `quiet` seconds, or until `within` runs out."""
    deadline = time.monotonic() + within
    while True:
        if count() > since or time.monotonic() >= deadline:
            break
        await asyncio.sleep(POLL_S)
    seen, still = count(), time.monotonic()
    while seen > since and time.monotonic() - still < quiet:
        await asyncio.sleep(POLL_S)
        if count() != seen:
            seen, still = count(), time.monotonic()
