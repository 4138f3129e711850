"""The contract between the engine and the handler modules: what a module offers, and what a handler gets.

A handler module (one per flow) may define any of these module-level names:

- ``COMMANDS: list[Command]``: slash commands it answers.
- ``FLOWS: dict[str, TextHandler]``: flow name -> called with typed text while the
  user's conversation is in that flow (commands still win over flows).
- ``CHOICES: dict[str, ChoiceHandler]``: choice namespace -> called with the payload of a
  pressed choice whose id is ``"namespace:payload"``.
- ``FREE_TEXT: list[tuple[int, TextHandler]]``: (priority, handler) tried in priority
  order for free text in a private chat outside any flow; a handler returns None to pass.
- ``EVENTS: dict[str, EventHandler]``: event name -> extra replies, e.g. "entry_saved".
- ``EXPORT: dict[str, ExportSection]``: export section name -> its JSON-able content.
- ``PRIVACY: list[str]``: lines for /privacy describing what this module stores.
- ``FLOW_TTL: dict[str, timedelta]``: flows whose question waits longer than the usual
  CONVERSATION_TTL (one a reminder asked, hours before the person reads it).
- ``REMINDER_COMPOSER``: (one module only) what a due reminder says; the scheduler uses it.
- ``SCREEN: ScreenHandler``: (one module only) answers what the safety screen found in typed
  text, before any flow or parser sees it.
- ``CLOSERS: dict[str, (interrupts, close)]``: flow name -> ``interrupts(ctx)`` says whether
  typed text is a message of its own (a new report, a question) rather than an answer, and
  ``close(ctx, why)`` closes the open question ("expired", "command", "new"), saving what it
  has or saying what was dropped. Commands (but /cancel) close it too.

A handler never imports a platform library; it returns `Reply` objects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.messages import Choice, Incoming, Reply
from bot.store import Conversation, User
from bot.store.interface import StoreAPI

if TYPE_CHECKING:
    from bot.engine import Engine

ProgressSink = Callable[[Reply], Awaitable[None]]

# How long a half-answered flow waits for an answer; after that the next message closes it
# (saving what it has, or saying what was dropped). Stated in the first question asked.
CONVERSATION_TTL = timedelta(minutes=10)


@dataclass
class Context:
    """Everything a handler needs for one incoming message."""

    engine: Engine
    store: StoreAPI
    user: User
    incoming: Incoming
    now: datetime  # aware, UTC
    args: str = ""  # text after the command word (or the whole free text)
    conversation: Conversation | None = None
    is_new_user: bool = False
    on_progress: ProgressSink | None = None
    hints: dict[str, Any] = field(default_factory=dict)  # facts one handler leaves for another this turn

    async def progress(self, text: str) -> None:
        """Show a short status line at once, before slow work (a report, a chart) finishes."""
        if self.on_progress is not None:
            await self.on_progress(Reply(text, private=False))

    @property
    def tz(self) -> ZoneInfo:
        return self.user.tz

    def local_now(self) -> datetime:
        return self.now.astimezone(self.user.tz)

    async def set_flow(self, flow: str, step: str, data: dict[str, Any] | None = None) -> None:
        """Start or advance a flow; its state survives a restart."""
        conv = Conversation(flow, step, dict(data or {}), self.now)
        await self.store.save_conversation(self.user.id, conv)
        self.conversation = conv

    async def end_flow(self) -> None:
        if self.conversation is not None:
            await self.store.save_conversation(self.user.id, None)
            self.conversation = None

    def in_flow(self, flow: str, step: str | None = None) -> bool:
        c = self.conversation
        return c is not None and c.flow == flow and (step is None or c.step == step)


@dataclass
class ScreenOutcome:
    """What the safety screen says comes first. `route=False`: nothing else answers this message."""

    replies: list[Reply]
    route: bool = False
    interrupts: bool = False  # an emergency or crisis: no welcome, nothing competes with it
    after: Callable[[], Awaitable[None]] | None = None  # runs after routing (e.g. link the saved entry)


TextHandler = Callable[[Context], Awaitable["list[Reply] | None"]]
ChoiceHandler = Callable[[Context, str], Awaitable["list[Reply]"]]
EventHandler = Callable[..., Awaitable["list[Reply]"]]
ExportSection = Callable[[StoreAPI, User], Awaitable[Any]]
ScreenHandler = Callable[..., Awaitable["ScreenOutcome | None"]]


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[Context], Awaitable[list[Reply]]]
    usage: str = ""  # e.g. "/note TEXT"
    help: str = ""  # one imperative line; defaults to the handler's docstring
    menu: bool = True  # shown in /help and platform command menus

    @property
    def summary(self) -> str:
        if self.help:
            return self.help
        doc = (self.run.__doc__ or "").strip().splitlines()
        return doc[0] if doc else self.name


def expired(what: str = "/help") -> list[Reply]:
    """The answer to a button from a flow that is over."""
    return [Reply(f"This question has expired. Send {what} to start again.", private=False)]


def reply(text: str, *pairs: tuple[str, str], private: bool = True) -> Reply:
    return Reply(text, tuple(Choice(i, label) for i, label in pairs), private=private)
