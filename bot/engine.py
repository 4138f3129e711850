"""The engine: routes an Incoming to a handler, keeps conversation state, returns Replies."""

from __future__ import annotations

import difflib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from bot.clock import Clock, SystemClock
from bot.handler_api import (
    CONVERSATION_TTL,
    ChoiceHandler,
    Command,
    Context,
    EventHandler,
    ExportSection,
    ProgressSink,
    ScreenHandler,
    TextHandler,
    expired,
)
from bot.messages import Incoming, Reply
from bot.metrics import Metrics
from bot.safety_replies import compose
from bot.store import StoreError, User
from bot.store.interface import StoreAPI
from bot.timezones import zone_label
from bot.wording import readable_citations
from rules.safety import SafetyScreen, ScreenResult, load_safety_screen

if TYPE_CHECKING:
    from bot.scheduler import Composer

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 20_000  # longer input is cut before parsing; /note has its own, smaller limit
FLOOD_LIMIT = 20  # messages per person ...
SENT_AT_WINDOW = timedelta(hours=24)  # Telegram keeps undelivered updates about this long
SENT_AT_SLACK_S = 5  # closer than this to now, the clock's now is as good (and clocks drift)
FLOOD_WINDOW_S = 10.0  # ... in this many seconds; beyond it they get a calm "slow down"

SAVE_FAILED = "I could not save that, please try again in a moment. Nothing was recorded."
SLOW_DOWN = (
    "You're sending messages faster than I can take them in. Let's slow down a little: "
    "wait a few seconds and send it again. Nothing you saved is lost."
)
INTERNAL_ERROR = (
    "Sorry, something went wrong on my side and I could not finish that. "
    "Please try again; /help lists what I understand."
)


def readable(replies: list[Reply]) -> list[Reply]:
    """Fact codes in any reply become numbered references with their titles (bot/wording.py)."""
    return [r if (t := readable_citations(r.text)) == r.text else replace(r, text=t) for r in replies]


class RecipientUnavailable(Exception):
    """The platform says this person can't be reached (blocked the bot, closed DMs)."""


class Sender(Protocol):
    async def send(self, external_id: str, chat_id: str | None, replies: list[Reply]) -> None:
        """Deliver replies privately to one person; raise RecipientUnavailable if blocked."""
        ...


@dataclass
class Registry:
    commands: dict[str, Command] = field(default_factory=dict)
    flows: dict[str, TextHandler] = field(default_factory=dict)
    choices: dict[str, ChoiceHandler] = field(default_factory=dict)
    free_text: list[tuple[int, TextHandler]] = field(default_factory=list)
    events: dict[str, list[EventHandler]] = field(default_factory=dict)
    export: dict[str, ExportSection] = field(default_factory=dict)
    privacy: list[str] = field(default_factory=list)
    screen: ScreenHandler | None = None
    reminder_composer: Composer | None = None  # what a due reminder says (handlers/reminder_messages.py)
    ttl: dict[str, timedelta] = field(default_factory=dict)  # flows that wait longer than CONVERSATION_TTL
    # flow -> (is this typed text a new message of its own?, close the open question)
    closers: dict[str, tuple[Callable[[Context], Awaitable[bool]], ChoiceHandler]] = field(default_factory=dict)

    @classmethod
    def from_modules(cls, modules: Iterable[ModuleType]) -> Registry:
        reg = cls()
        for m in modules:
            for cmd in getattr(m, "COMMANDS", ()):
                _add_unique(reg.commands, cmd.name, cmd, m)
            for name, fn in getattr(m, "FLOWS", {}).items():
                _add_unique(reg.flows, name, fn, m)
            for name, fn in getattr(m, "CHOICES", {}).items():
                _add_unique(reg.choices, name, fn, m)
            for name, fn in getattr(m, "EVENTS", {}).items():
                reg.events.setdefault(name, []).append(fn)
            for name, fn in getattr(m, "EXPORT", {}).items():
                _add_unique(reg.export, name, fn, m)
            reg.free_text.extend(getattr(m, "FREE_TEXT", ()))
            reg.privacy.extend(getattr(m, "PRIVACY", ()))
            if getattr(m, "REMINDER_COMPOSER", None) is not None:
                if reg.reminder_composer is not None:
                    raise RuntimeError(f"{m.__name__} registers a second reminder composer")
                reg.reminder_composer = m.REMINDER_COMPOSER
            if getattr(m, "SCREEN", None) is not None:
                if reg.screen is not None:
                    raise RuntimeError(f"{m.__name__} registers a second safety screen")
                reg.screen = m.SCREEN
            for name, ttl in getattr(m, "FLOW_TTL", {}).items():
                _add_unique(reg.ttl, name, ttl, m)
            for name, pair in getattr(m, "CLOSERS", {}).items():
                _add_unique(reg.closers, name, pair, m)
        reg.free_text.sort(key=lambda pair: pair[0])
        return reg

    def menu(self) -> list[Command]:
        return [c for c in self.commands.values() if c.menu]


def _add_unique(table: dict[str, Any], key: str, value: Any, module: ModuleType) -> None:
    if key in table:
        raise RuntimeError(f"{module.__name__} registers {key!r}, which is already taken")
    table[key] = value


class Engine:
    def __init__(
        self,
        store: StoreAPI,
        *,
        clock: Clock | None = None,
        modules: Iterable[ModuleType],
        default_timezone: dict[str, str] | None = None,
        flood_limit: int | None = FLOOD_LIMIT,
        safety: SafetyScreen | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics  # counts only (bot/metrics.py); None counts nothing
        self.clock = clock or SystemClock()
        self.registry = Registry.from_modules(modules)
        self.default_timezone = default_timezone or {}
        self.senders: dict[str, Sender] = {}
        self._recent: dict[tuple[str, str], deque[float]] = {}
        self._warned: dict[tuple[str, str], float] = {}
        self.flood_limit = flood_limit
        self.safety = safety or load_safety_screen()

    # ---- incoming -----------------------------------------------------------------------
    async def handle(self, incoming: Incoming, on_progress: ProgressSink | None = None) -> list[Reply]:
        """Answer one message. `on_progress` (optional) shows status lines while slow work runs."""
        if self.metrics is None:
            return await self._handle(incoming, on_progress)
        with self.metrics.timing_reply(incoming.platform):
            return await self._handle(incoming, on_progress)

    async def _handle(self, incoming: Incoming, on_progress: ProgressSink | None) -> list[Reply]:
        now = self.clock.now()
        # The safety screen reads every typed message first: it is pure and cheap, and an
        # emergency is answered even in a flood or when the database is down.
        screened = self.safety.screen(incoming.text[:MAX_INPUT_CHARS]) if incoming.text else None
        urgent = screened is not None and screened.finding is not None and screened.finding.interrupts
        if self.metrics is not None and screened is not None and screened.finding is not None:
            self.metrics.safety_hit(screened.finding.category)  # a second opinion's is what it asks: check_*
        if self.flood_limit and not urgent:
            key = (incoming.platform, incoming.user_id)
            if self.store.shared:
                flooding = await self._flooding_shared(key, now.timestamp())
            else:
                flooding = self._flooding(key, now.timestamp())
            if flooding is not None:
                # One calm "slow down" per window; the rest is dropped quietly, so a flood costs
                # no replies (the send budget is shared by everyone) and no database work.
                return [Reply(SLOW_DOWN, private=False)] if flooding else []
        try:
            user, is_new = await self.store.user_for(
                incoming.platform,
                incoming.user_id,
                self.default_timezone.get(incoming.platform, "UTC"),
                now,
                chat_id=incoming.chat_id if incoming.private else None,
            )
        except StoreError:
            log.warning("could not load or create a user")
            self._store_error()
            if urgent:
                assert screened is not None and screened.finding is not None
                zone = self.default_timezone.get(incoming.platform)
                return compose(
                    self.safety, screened.finding, timezone=zone, language=screened.language, private=incoming.private
                )
            return [Reply(SAVE_FAILED, private=False)]
        except Exception:  # never let a message vanish without an answer
            log.error("could not load or create a user")
            log.debug("user_for failure", exc_info=True)
            return [Reply(INTERNAL_ERROR, private=False)]
        async with self.store.person_lock(user.id):
            replies = await self._handle_locked(incoming, user, is_new, self._sent_at(incoming), on_progress, screened)
            return readable(replies)

    def _sent_at(self, incoming: Incoming) -> datetime:
        """When the person sent it: the platform's time for a message that waited (the bot was down,
        Telegram kept it), so "twitching now" is logged when it was written; else the clock's now."""
        now = self.clock.now()
        at = incoming.at
        if at is None or at.tzinfo is None:
            return now
        if not now - SENT_AT_WINDOW <= at <= now - timedelta(seconds=SENT_AT_SLACK_S):
            return now
        return at

    async def _flooding_shared(self, key: tuple[str, str], t: float) -> bool | None:
        """The same limit when replicas share the database: counted there, in fixed windows
        (a person's messages may land on any replica). If the count can't be kept, let it through."""
        if self.flood_limit is None:
            return None
        window = int(t // FLOOD_WINDOW_S * FLOOD_WINDOW_S)
        try:
            n = await self.store.count_message(key[0], key[1], window)
        except StoreError:
            return None
        if n <= self.flood_limit:
            return None
        return n == self.flood_limit + 1

    def _store_error(self) -> None:
        if self.metrics is not None:
            self.metrics.store_error()

    def _flooding(self, key: tuple[str, str], t: float) -> bool | None:
        """Sliding-window limit per person, so one flood can't slow everyone else down.

        None: within the limit. True: over it, and this is the first message over it in the
        window (answer "slow down" once). False: over it again (drop it without a word).
        """
        if self.flood_limit is None:
            return None
        window = self._recent.get(key)
        if window is None:
            if len(self._recent) > 50_000:  # forget idle people now and then; memory stays flat
                self._recent = {k: w for k, w in self._recent.items() if w and t - w[-1] < FLOOD_WINDOW_S}
                self._warned = {k: at for k, at in self._warned.items() if t - at < FLOOD_WINDOW_S}
            window = self._recent[key] = deque()
        while window and t - window[0] >= FLOOD_WINDOW_S:
            window.popleft()
        if len(window) >= self.flood_limit:
            warned = self._warned.get(key)
            if warned is not None and t - warned < FLOOD_WINDOW_S:
                return False
            self._warned[key] = t
            return True
        window.append(t)
        return None

    async def _handle_locked(
        self,
        incoming: Incoming,
        user: User,
        is_new: bool,
        now: datetime,
        on_progress: ProgressSink | None,
        screened: ScreenResult | None = None,
    ) -> list[Reply]:
        ctx = Context(self, self.store, user, incoming, now, is_new_user=is_new, on_progress=on_progress)
        route = "?"
        first: list[Reply] = []
        try:
            conv = await self.store.conversation(user.id)
            notice: list[Reply] = []
            if conv is not None and now - conv.updated_at > self.registry.ttl.get(conv.flow, CONVERSATION_TTL):
                ctx.conversation = conv
                notice = await self._close(ctx, "expired")
                conv = None
            ctx.conversation = conv
            outcome = None
            if screened is not None and self.registry.screen is not None:
                outcome = await self.registry.screen(ctx, screened)
            if outcome is not None:
                first = outcome.replies
                if not outcome.route:
                    if is_new and not outcome.interrupts:
                        return [*first, self._first_contact(user)]
                    return first
            route, replies = await self._route(ctx)
            replies = [*notice, *replies]
            if outcome is not None:
                replies = [*first, *replies]
                if outcome.after is not None:
                    await outcome.after()
            if is_new and route != "command:start":
                replies = [*replies, self._first_contact(user)]
            return replies
        except StoreError:
            log.warning("save failed in %s", route)
            self._store_error()
            return [*first, Reply(SAVE_FAILED, private=False)]
        except Exception:
            # The message text may be health data: keep it (and the traceback) at DEBUG.
            log.error("handler %s failed", ctx.hints.get("route", route))
            log.debug("handler failure", exc_info=True)
            return [*first, Reply(INTERNAL_ERROR, private=False)]

    async def route_text(self, ctx: Context, text: str) -> list[Reply]:
        """Handle `text` as if the person had typed it, past the safety screen (a handler replaying
        something the screen already answered, e.g. the note kept during an emergency)."""
        ctx.incoming = replace(ctx.incoming, text=text, choice=None)
        _, replies = await self._route(ctx)
        return replies

    async def _route(self, ctx: Context) -> tuple[str, list[Reply]]:
        inc = ctx.incoming
        if inc.choice is not None:
            ns, _, payload = inc.choice.partition(":")
            handler = self.registry.choices.get(ns)
            if handler is None:
                return "choice:?", expired()
            ctx.hints["route"] = f"choice:{ns}"  # named in the log if the handler fails
            return f"choice:{ns}", await handler(ctx, payload)

        # Longer input is cut before parsing; how long it really was stays known (a note's limit).
        ctx.hints["input_chars"] = len((inc.text or "").strip())
        text = (inc.text or "")[:MAX_INPUT_CHARS].strip()
        if text.startswith("/"):
            word, _, rest = text[1:].partition(" ")
            name = word.split("@", 1)[0].lower()
            ctx.args = rest.strip()
            cmd = self.registry.commands.get(name)
            if cmd is None:
                return "command:?", self._unknown_command(name)
            closed: list[Reply] = []
            ctx.hints["route"] = f"command:{name}"
            if name != "cancel" and ctx.conversation is not None and ctx.conversation.flow in self.registry.closers:
                closed = await self._close(ctx, "command")  # a command is a message of its own
            return f"command:{name}", [*closed, *await cmd.run(ctx)]

        ctx.args = text
        conv = ctx.conversation
        closed = []
        if conv is not None and conv.flow in self.registry.flows:
            closer = self.registry.closers.get(conv.flow)
            if closer is not None and text and await closer[0](ctx):
                closed = await self._close(ctx, "new")  # a new report or question: not an answer
            else:
                ctx.hints["route"] = f"flow:{conv.flow}"
                result = await self.registry.flows[conv.flow](ctx)
                if result is not None:
                    return f"flow:{conv.flow}", result
        if not text:
            return "empty", [Reply("I got an empty message. Send /help to see what I understand.", private=False)]
        for _, text_handler in self.registry.free_text:
            ctx.hints["route"] = f"text:{getattr(text_handler, '__module__', '?')}"
            result = await text_handler(ctx)
            if result is not None:
                return f"text:{getattr(text_handler, '__module__', '?')}", [*closed, *result]
        return "text:?", [*closed, self._not_understood()]

    async def _close(self, ctx: Context, why: str) -> list[Reply]:
        """Close the open question ("expired", "command", "new"): its flow saves what it has or
        says what was dropped; a flow with no closer is simply forgotten."""
        conv = ctx.conversation
        closer = self.registry.closers.get(conv.flow) if conv is not None else None
        replies = await closer[1](ctx, why) if closer is not None else []
        if ctx.conversation is not None:
            await self.store.save_conversation(ctx.user.id, None)
            ctx.conversation = None
        return replies

    def _first_contact(self, user: User) -> Reply:
        return Reply(
            "Hi, I'm Flicker: I keep a private journal of your twitches and say how soon to see a doctor. "
            "I am not a doctor, and what I say is not a diagnosis. "
            f"I am using the time zone {zone_label(user.timezone)}; /timezone changes it, /start tells you more.",
            private=False,
        )

    def _unknown_command(self, name: str) -> list[Reply]:
        close = difflib.get_close_matches(name, self.registry.commands.keys(), n=1)
        hint = f" Did you mean /{close[0]}?" if close else ""
        return [Reply(f"I don't know the command /{name[:40]}.{hint} Send /help for the full list.", private=False)]

    def _not_understood(self) -> Reply:
        return Reply(
            "I'm not sure what you meant. To log a twitch, describe it in one line, for example:\n"
            "  left eyelid 2 min after my third coffee\n"
            "or send /log and I'll ask step by step. /note TEXT keeps a journal note; /help lists everything.",
            private=False,
        )

    # ---- events, export ----------------------------------------------------------------------
    async def emit(self, event: str, ctx: Context, *args: Any) -> list[Reply]:
        """Let other flows add replies to an event (e.g. "entry_saved"); failures stay local."""
        out: list[Reply] = []
        for fn in self.registry.events.get(event, ()):
            try:
                out.extend(await fn(ctx, *args) or ())
            except StoreError:
                raise
            except Exception:
                log.error("event handler for %s failed", event)
                log.debug("event handler failure", exc_info=True)
        return out

    # ---- outgoing, unprompted (reminders) -------------------------------------------------------
    def add_sender(self, platform: str, sender: Sender) -> None:
        self.senders[platform] = sender

    async def deliver(self, user_id: int, replies: list[Reply], platform: str | None = None) -> bool:
        """Send replies to a person on their preferred platform. False if nobody could be reached.

        Raises RecipientUnavailable when the platform says the person blocked the bot.
        """
        idents = await self.store.identities_of(user_id)
        user = await self.store.get_user(user_id)
        preferred = platform or (user.settings.get("deliver_to") if user else None)
        idents.sort(key=lambda r: (r.platform != preferred, r.platform not in self.senders))
        for ident in idents:
            sender = self.senders.get(ident.platform)
            if sender is None:
                continue
            await sender.send(ident.external_id, ident.chat_id, readable(replies))
            return True
        return False
