"""The Telegram adapter on python-telegram-bot: it translates updates into Incoming and Replies
into messages, and holds no business logic.

Private chat: text goes to the engine. Groups: only commands and mentions are read, and health
content is never posted there: it goes to the person's private chat, or, if they never opened
one, the group gets only a button that deep-links to it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import Conflict, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseRateLimiter,
    CallbackQueryHandler,
    ContextTypes,
    TypeHandler,
    filters,
)
from telegram.ext import MessageHandler as PTBMessageHandler

from bot.adapters.telegram_inbox import Inbox, InboxQueue
from bot.adapters.telegram_limits import StrictRateLimiter
from bot.adapters.telegram_send import CallbackCodec, Delivery, StatusAwareRequest, escape
from bot.config import Settings
from bot.engine import Engine, RecipientUnavailable
from bot.logs import install_redaction
from bot.messages import Incoming, Reply
from bot.store import WRITE_ALSO
from bot.store.records import InboxOpen

log = logging.getLogger(__name__)
PLATFORM = "telegram"
SWEEP_S = 5.0  # how often each replica looks for updates another one left unfinished ...
STALE_S = 10  # ... received at least this many seconds ago
OTHER_PERSON = "This button belongs to someone else's question. Send the command yourself to get your own."
ADMIT_GROUP, FINISHED_GROUP = -1, 99
SAVED_BEFORE_RESTART = (
    "I restarted just as I was answering your last message. It was taken in and saved; "
    "/journal shows your latest entries."
)
OPEN_PRIVATE = "I answer health questions only in a private chat. Tap below to open one; your answer is waiting there."


class TelegramSender:
    """The engine's outbound path (reminders) for Telegram."""

    def __init__(self, runner: TelegramRunner) -> None:
        self.runner = runner

    async def send(self, external_id: str, chat_id: str | None, replies: list[Reply]) -> None:
        try:
            await self.runner.delivery.send(int(chat_id or external_id), replies, int(external_id))
        except Forbidden as exc:
            raise RecipientUnavailable(str(exc)) from exc


class TelegramRunner:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        retry_base_delay: float = 0.5,
        poll_timeout: float = 10.0,
        rate_limiter: BaseRateLimiter[Any] | None = None,  # None: Telegram's limits, kept strictly
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.poll_timeout = poll_timeout
        self.codec = CallbackCodec()
        self.inbox = Inbox(engine.store)
        self._resending: asyncio.Task[None] | None = None
        self._sweeping: asyncio.Task[None] | None = None
        self._in_hand: dict[int, Update] = {}  # updates received by this process, not yet finished
        install_redaction([settings.telegram_token or ""])  # Bot API URLs carry the token
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request, URL included
        self.queue = InboxQueue(self.inbox, wait=bool(settings.webhook_url))
        polling = StatusAwareRequest(connect_timeout=5, read_timeout=poll_timeout + 10)
        polling.before_get_updates = self.queue.committed
        builder = (
            Application.builder()
            .token(settings.telegram_token or "")  # none: Bot raises InvalidToken, as for None
            .rate_limiter(
                rate_limiter or StrictRateLimiter(overall=settings.telegram_rate, group_per_minute=20, max_retries=3)
            )
            .request(StatusAwareRequest(connection_pool_size=64, connect_timeout=5, read_timeout=15, write_timeout=15))
            .get_updates_request(polling)
            .concurrent_updates(64)
            .update_queue(self.queue)
        )
        if settings.telegram_api_url:
            base = settings.telegram_api_url.rstrip("/")
            builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        self.app = builder.build()
        self.delivery = Delivery(self.app.bot, self.codec, base_delay=retry_base_delay)
        self.app.add_handler(CallbackQueryHandler(self._on_button))
        self.app.add_handler(PTBMessageHandler(filters.UpdateType.MESSAGE, self._on_message))
        # An earlier group waits for the update to be on disk and drops a repeated update_id.
        self.app.add_handler(TypeHandler(Update, self._admit), group=ADMIT_GROUP)
        # A later group runs after the handler above, even when it failed: the update is finished.
        self.app.add_handler(TypeHandler(Update, self._finished), group=FINISHED_GROUP)
        self.app.add_error_handler(self._on_error)
        engine.add_sender(PLATFORM, TelegramSender(self))

    # ---- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.app.initialize()
        commands = [BotCommand(c.name, c.summary[:256]) for c in self.engine.registry.menu()]
        await self.delivery.call("setMyCommands", lambda: self.app.bot.set_my_commands(commands))
        await self.app.start()
        await self._replay()
        assert self.app.updater is not None  # built with PTB's default Updater
        if self.settings.webhook_url:
            url = self.settings.webhook_url.rstrip("/")
            await self.app.updater.start_webhook(
                listen=self.settings.webhook_listen,
                port=self.settings.webhook_port,
                url_path="telegram",
                webhook_url=f"{url}/telegram",
                secret_token=_secret(self.settings.telegram_token),
            )
        else:
            await self.app.updater.start_polling(
                timeout=timedelta(seconds=self.poll_timeout), error_callback=self._on_poll_error
            )
        log.info("telegram: running as @%s", self.app.bot.username)

    async def _replay(self) -> None:
        """After a restart: finish what was recorded and not finished, each person's in order.

        Whatever this or another replica recorded and left unfinished (received, saved but
        unanswered, or answered but not all sent) is drained person by person; the sweeper
        then keeps doing that for updates a replica that died left behind."""
        for row in await self.engine.store.unowned_updates():  # recorded by a Flicker before 0011
            person = _person_of(row)
            if person is None:
                await self.inbox.done(row.update_id)
            else:
                await self.engine.store.own_update(row.update_id, person)
        people = await self.engine.store.people_waiting(int(time.time()) + 1, limit=100_000)
        if people:
            log.info("telegram: finishing the updates of %d people left by a restart", len(people))
            self._resending = asyncio.create_task(self._drain_people(people))
        self._sweeping = asyncio.create_task(self._sweep())

    async def _drain_people(self, people: list[str]) -> None:
        for person in people:
            try:
                await self._drain(person)
            except Exception:
                log.warning("telegram: updates left by a restart could not be finished")
                log.debug("drain failure", exc_info=True)

    async def _sweep(self) -> None:
        """Now and then, finish updates another replica received and left (it died mid-way)."""
        while True:
            await asyncio.sleep(SWEEP_S)
            try:
                people = await self.engine.store.people_waiting(int(time.time()) - STALE_S)
                await self._drain_people(people)
            except Exception:
                log.warning("telegram: the sweep for unfinished updates failed; next time")
                log.debug("sweep failure", exc_info=True)

    async def _drain(self, person: str, upto: int | None = None) -> None:
        """Handle this person's unfinished updates in update_id order (up to `upto`), whichever
        replica received them, holding their lock so no other replica handles them at once."""
        async with self.engine.store.named_lock(f"telegram:{person}"):
            for row in await self.engine.store.open_updates_of(person):
                if upto is not None and row.update_id > upto:
                    break
                try:
                    await self._finish_row(row, self._in_hand.get(row.update_id))
                except Exception:
                    log.warning("telegram: update %d could not be handled", row.update_id)
                    log.debug("update failure", exc_info=True)
                await self.inbox.done(row.update_id)

    async def _finish_row(self, row: InboxOpen | _Received, update: Update | None) -> None:
        if row.status == "received":
            if update is None and row.body is not None:
                try:
                    update = Update.de_json(json.loads(row.body), self.app.bot)
                except Exception:
                    log.debug("telegram: unreadable recorded update", exc_info=True)
            if update is None:
                return
            if update.callback_query is not None:
                await self._handle_button(update)
            else:
                await self._handle_message(update)
        elif row.status == "applied":
            body = json.loads(row.body) if row.body else None
            await self._saved_but_unconfirmed(row.update_id, body)
        elif row.status == "handled":
            for p in await self.inbox.unsent_rows([row]):
                await self._answer(p.chat_id, p.user_id, p.private, p.replies[p.sent :], p.update_id, p.sent)

    async def _saved_but_unconfirmed(self, update_id: int, body: dict[str, Any] | None) -> None:
        """Its effects were saved, its answer was lost in a crash: say so rather than save it twice."""
        try:
            update = Update.de_json(body, self.app.bot) if body is not None else None
            user = update.effective_user if update is not None else None
            if user is not None:
                await self.delivery.send(user.id, [Reply(SAVED_BEFORE_RESTART)], user.id)
        except Exception:
            log.warning("telegram: could not confirm an update saved before a restart")
            log.debug("confirm failure", exc_info=True)
        await self.inbox.done(update_id)

    async def stop(self) -> None:
        for task in (self._resending, self._sweeping):
            if task is not None and not task.done():
                task.cancel()
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()  # no new updates
        if self.app.running:
            await self.app.stop()  # in-flight updates finish
        await self.app.shutdown()

    # ---- updates ---------------------------------------------------------------------------------
    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._in_order(update)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._in_order(update)

    async def _in_order(self, update: Update) -> None:
        """Handle an update after every earlier one of the same person, on any replica."""
        user = update.effective_user
        if user is None:
            return
        if not self.engine.store.shared:
            # One process: python-telegram-bot hands this process every update, in order, and the
            # sender's lock keeps them in that order; nothing is waiting in the inbox from elsewhere
            # (what a crash left is drained at start), so no need to look there first.
            async with self.engine.store.named_lock(f"telegram:{user.id}"):
                await self._finish_row(_Received(update.update_id), update)
            return  # the update is marked done by _finished, which runs after every handler
        self._in_hand[update.update_id] = update
        try:
            await self._drain(str(user.id), upto=update.update_id)
        finally:
            self._in_hand.pop(update.update_id, None)

    async def _handle_message(self, update: Update) -> None:
        msg, user, chat = update.effective_message, update.effective_user, update.effective_chat
        if msg is None or user is None or chat is None or user.is_bot:
            return
        private = chat.type == ChatType.PRIVATE
        text: str | None = msg.text or ""
        if not text:
            if private:
                await self.delivery.send(
                    chat.id,
                    [
                        Reply(
                            "I can read text messages only. Describe the twitch in "
                            'words, e.g. "left calf 30s after the gym".'
                        )
                    ],
                    user.id,
                )
            return
        if not private:
            text = self._group_text(text)
            if text is None:
                return  # in a group, only commands and mentions are for me
        incoming = Incoming(
            PLATFORM,
            str(user.id),
            text=text,
            chat_id=str(chat.id),
            private=private,
            at=msg.date,
            display_name=user.first_name,
        )
        with self._applying(update):
            replies = await self.engine.handle(
                incoming, on_progress=lambda r: self._progress(chat.id, user.id, private, r)
            )
        await self._handled(update, chat.id, user.id, private, replies)

    def _group_text(self, text: str) -> str | None:
        username = (self.app.bot.username or "").lower()
        mention = f"@{username}"
        if text.startswith("/"):
            word, _, rest = text.partition(" ")
            if "@" in word and not word.lower().endswith(mention):
                return None  # a command for another bot
            return text
        if username and mention in text.lower():
            start = text.lower().index(mention)
            return (text[:start] + text[start + len(mention) :]).strip() or "/help"
        return None

    async def _handle_button(self, update: Update) -> None:
        query = update.callback_query
        if query is None or query.from_user is None:
            return
        owner, choice = self.codec.decode(query.data or "")
        if owner is not None and owner != query.from_user.id:
            await self._acknowledge(query, OTHER_PERSON)
            return
        await self._acknowledge(query)  # at once: the spinner stops
        message = query.message
        chat_id = message.chat.id if message is not None else query.from_user.id
        private = message is None or message.chat.type == ChatType.PRIVATE
        if isinstance(message, Message):  # an InaccessibleMessage (too old) has no keyboard or text
            await self._mark_answered(query, message)
        incoming = Incoming(
            PLATFORM,
            str(query.from_user.id),
            choice=choice or "expired:",
            chat_id=str(chat_id),
            private=private,
            display_name=query.from_user.first_name,
        )
        with self._applying(update):
            replies = await self.engine.handle(incoming)
        await self._handled(update, chat_id, query.from_user.id, private, replies)

    async def _acknowledge(self, query: CallbackQuery, text: str | None = None) -> None:
        """Stop the button's spinner. A failure here (the press is too old: Telegram allows a few
        seconds, and presses queue up while the bot is down) must not cost the press itself."""
        try:
            await self.delivery.call("answerCallbackQuery", lambda: query.answer(text))
        except TelegramError as exc:
            log.info("telegram: a button press could not be acknowledged (%s); handling it anyway", exc)
            if text is not None and query.from_user is not None:
                with contextlib.suppress(TelegramError):  # the toast could not show: say it in private
                    await self.delivery.send(query.from_user.id, [Reply(text)], query.from_user.id)

    async def _mark_answered(self, query: CallbackQuery, message: Message) -> None:
        """Edit the question to show the answer picked, so the chat reads as a clean record."""
        label = next(
            (
                b.text
                for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
                for b in row
                if b.callback_data == query.data
            ),
            None,
        )
        try:
            if label is not None and message.text:
                await self.delivery.call(
                    "editMessageText",
                    lambda: query.edit_message_text(
                        escape(message.text or "") + f"\n\n✓ {escape(label)}", parse_mode=ParseMode.HTML
                    ),
                )
            else:
                await self.delivery.call("editMessageReplyMarkup", lambda: query.edit_message_reply_markup(None))
        except TelegramError:
            pass  # already edited, deleted, or too old to edit: the answer still counts, and comes as a new message

    async def _handled(self, update: Update, chat_id: int, user_id: int, private: bool, replies: list[Reply]) -> None:
        """Write the replies down before sending them, so a restart resends what a crash cut off."""
        if replies:
            try:
                await self.inbox.handled(update.update_id, chat_id, user_id, private, replies)
            except Exception:
                log.warning("telegram: could not record replies before sending them")
        await self._answer(chat_id, user_id, private, replies, update.update_id)

    @contextlib.contextmanager
    def _applying(self, update: Update) -> Iterator[None]:
        """While the engine handles this update, each of its writes also marks the update applied."""
        token = WRITE_ALSO.set(self.inbox.applied_marker(update.update_id))
        try:
            yield
        finally:
            WRITE_ALSO.reset(token)

    async def _admit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.queue.admitted(update.update_id):
            raise ApplicationHandlerStop  # a repeat: the first copy is (or was) handled

    async def _finished(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self.inbox.done(update.update_id)
        except Exception:
            log.warning("telegram: could not mark update %d as finished", update.update_id)

    async def _answer(
        self,
        chat_id: int,
        user_id: int,
        private: bool,
        replies: list[Reply],
        update_id: int | None = None,
        already: int = 0,
    ) -> None:
        if private:
            for i, reply in enumerate(replies):
                await self.delivery.send(chat_id, [reply], user_id)
                if update_id is not None and i < len(replies) - 1:  # the last one is followed by done
                    await self.inbox.sent(update_id, already + i + 1)
            return
        aloud = [r for r in replies if r.aloud]  # an emergency instruction: said in the group first
        if aloud:
            await self.delivery.send(chat_id, aloud, user_id)
        public = [r for r in replies if not r.private and not r.aloud]
        personal = [r for r in replies if r.private]
        if personal:
            try:
                await self.delivery.send(user_id, personal, user_id)  # a private chat's id is the user's id
            except Forbidden:
                await self._invite(chat_id)
        if public:
            await self.delivery.send(chat_id, public, user_id)

    async def _invite(self, group_chat_id: int) -> None:
        url = f"https://t.me/{self.app.bot.username}?start=from_group"
        button = InlineKeyboardMarkup([[InlineKeyboardButton("Open a private chat", url=url)]])
        await self.delivery.call(
            "sendMessage", lambda: self.app.bot.send_message(group_chat_id, OPEN_PRIVATE, reply_markup=button)
        )

    async def _progress(self, chat_id: int, user_id: int, private: bool, reply: Reply) -> None:
        await self.delivery.send(chat_id if private else user_id, [reply], user_id)

    # ---- errors ------------------------------------------------------------------------------------
    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Never log the update itself (it holds health text) or the request URL (it holds the token).
        err = context.error
        log.error("telegram: an update could not be handled (%s)", err.__class__.__name__ if err else "unknown")
        log.debug("telegram update failure", exc_info=err)

    def _on_poll_error(self, exc: TelegramError) -> None:
        if isinstance(exc, Conflict):  # Telegram: "terminated by other getUpdates request"
            log.error(
                "telegram: another process is polling this bot's updates; long polling serves one process "
                "only. Stop the other one, or run every replica in webhook mode (FLICKER_WEBHOOK_URL)"
            )
            return
        log.warning("telegram: polling failed (%s); retrying", exc.__class__.__name__)


@dataclass(frozen=True)
class _Received:
    """An update this process holds, not yet handled (as an inbox row would say)."""

    update_id: int
    status: str = "received"
    body: str | None = None


def _person_of(row: Any) -> str | None:
    """Whose update an inbox row is, read from its body or its written-down replies."""
    try:
        if row.body:
            body = json.loads(row.body)
            for key in ("message", "edited_message", "callback_query"):
                if isinstance(body.get(key), dict):
                    sender = body[key].get("from") or {}
                    return str(sender["id"]) if "id" in sender else None
        if row.replies:
            return str(json.loads(row.replies)["user_id"])
    except (TypeError, ValueError, KeyError):
        pass
    return None


def _secret(token: str | None) -> str:
    import hashlib

    return hashlib.sha256((token or "").encode()).hexdigest()[:32]


def build_telegram(engine: Engine, settings: Settings) -> TelegramRunner:
    return TelegramRunner(engine, settings)
