"""Turning Replies into Telegram messages: HTML-escaped text split under 4,096 characters,
inline keyboards whose callback_data is bound to the person asked, photos and documents, and
one send path that retries only what surely did not reach Telegram (so nothing is sent twice)."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.messages import Choice, Reply

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
DATA_LIMIT = 64  # bytes of callback_data
T = TypeVar("T")


# ---- callback data ----------------------------------------------------------------------------
def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


class CallbackCodec:
    """callback_data = "<asked user, base 36>|<choice id>". Ids too long for 64 bytes get a short
    token kept in memory; after a restart such a token reads as an expired question."""

    def __init__(self) -> None:
        self._long: dict[str, str] = {}
        self._next = 0

    def encode(self, user_id: int, choice_id: str) -> str:
        data = f"{_b36(user_id)}|{choice_id}"
        if len(data.encode()) <= DATA_LIMIT:
            return data
        self._next += 1
        token = f"~{_b36(self._next)}"
        self._long[token] = choice_id
        return f"{_b36(user_id)}|{token}"

    def decode(self, data: str) -> tuple[int | None, str | None]:
        owner, sep, choice = data.partition("|")
        if not sep:
            return None, None
        try:
            uid = int(owner, 36)
        except ValueError:
            return None, None
        if choice.startswith("~"):
            return uid, self._long.get(choice)
        return uid, choice


# ---- rendering ----------------------------------------------------------------------------------
def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split so each escaped part fits `limit`: at paragraph breaks, then lines, then words."""
    parts: list[str] = []
    rest = text
    while len(html.escape(rest, quote=False)) > limit:
        cut = _cut(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    parts.append(rest)
    return [p for p in parts if p] or [""]


def _cut(text: str, limit: int) -> int:
    # find the longest prefix whose escaped form fits, then back off to a natural break
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(html.escape(text[:mid], quote=False)) <= limit:
            lo = mid
        else:
            hi = mid - 1
    for sep in ("\n\n", "\n", " "):
        at = text.rfind(sep, 0, lo)
        if at > lo // 2:
            return at + len(sep)
    return lo


def keyboard(choices: tuple[Choice, ...], user_id: int, codec: CallbackCodec) -> InlineKeyboardMarkup | None:
    if not choices:
        return None
    per_row = 1 if max(len(c.label) for c in choices) > 18 else (3 if len(choices) > 6 else 2)
    buttons = [InlineKeyboardButton(c.label[:64], callback_data=codec.encode(user_id, c.id)) for c in choices]
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


def escape(text: str) -> str:
    return html.escape(text, quote=False)


# ---- sending, with retries that never duplicate ---------------------------------------------------
class ServerError(NetworkError):
    """Telegram (or its front end) answered 5xx: it did not act on the request. Raised from the
    HTTP status alone, so an HTML error page is handled like a JSON one."""

    def __init__(self, status: int) -> None:
        super().__init__(f"Telegram server error ({status})")
        self.status = status


class StatusAwareRequest(HTTPXRequest):
    """python-telegram-bot's HTTP client, but a 5xx becomes ServerError whatever its body is.

    PTB reads the body first: an HTML 502 page (what Telegram's front end sends) fails to
    parse, and the resulting error looks like any other, so it was not retried."""

    before_get_updates: Callable[[], Awaitable[None]] | None = None  # set per instance (the inbox's commit)

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        url = kwargs.get("url") or (args[0] if args else "")
        if self.before_get_updates is not None and str(url).endswith("/getUpdates"):
            await self.before_get_updates()  # asking for more confirms the last batch: it must be saved
        code, payload = await super().do_request(*args, **kwargs)
        if 500 <= code <= 599:
            raise ServerError(code)
        return code, payload


REFUSED = (BadRequest, Forbidden, InvalidToken, Conflict, ChatMigrated)  # Telegram read it and said no


def surely_not_delivered(exc: Exception) -> bool:
    """True when Telegram certainly did not act on the request, so sending again cannot duplicate.

    A 4xx answer means the request reached Telegram and was refused: sending it again gets the
    same answer (and, in python-telegram-bot 22, BadRequest is a NetworkError with no cause,
    which looked retryable). A 5xx or a connection that never opened is retried; a timeout
    after the request left is not, since Telegram may have acted on it.
    """
    if isinstance(exc, RetryAfter | ServerError):
        return True
    if isinstance(exc, REFUSED):
        return False
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        return isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout)
    if isinstance(exc, NetworkError):
        return isinstance(cause, httpx.ConnectError)
    return False


class Delivery:
    def __init__(self, bot: Bot, codec: CallbackCodec, *, base_delay: float = 0.5, max_wait: float = 90.0):
        self.bot = bot
        self.codec = codec
        self.base_delay = base_delay
        self.max_wait = max_wait  # enough to ride out the API being unreachable for a minute

    async def call(self, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        delay, waited = self.base_delay, 0.0
        while True:
            try:
                return await fn()
            except Exception as exc:
                if not surely_not_delivered(exc) or waited >= self.max_wait:
                    raise
                pause = (
                    float(
                        exc.retry_after.total_seconds()
                        if hasattr(exc.retry_after, "total_seconds")
                        else exc.retry_after
                    )
                    if isinstance(exc, RetryAfter)
                    else delay
                )
                log.warning("telegram %s failed (%s); retrying in %.1f s", what, exc.__class__.__name__, pause)
                await asyncio.sleep(pause)
                waited += pause
                delay = min(delay * 2, 30.0)

    async def send(self, chat_id: int | str, replies: list[Reply], user_id: int) -> list[Message]:
        sent: list[Message] = []
        for reply in replies:
            sent += await self._send_one(chat_id, reply, user_id)
        return sent

    async def _send_one(self, chat_id: int | str, reply: Reply, user_id: int) -> list[Message]:
        markup = keyboard(reply.choices, user_id, self.codec)
        if reply.attachment is not None:
            return [await self._send_file(chat_id, reply, markup)]
        parts = split_text(reply.text)
        out: list[Message] = []
        for i, part in enumerate(parts):
            kwargs: dict[str, Any] = {"chat_id": chat_id, "text": escape(part), "parse_mode": ParseMode.HTML}
            if i == len(parts) - 1 and markup is not None:
                kwargs["reply_markup"] = markup
            out.append(await self.call("sendMessage", partial(self.bot.send_message, **kwargs)))
        return out

    async def _send_file(self, chat_id: int | str, reply: Reply, markup: InlineKeyboardMarkup | None) -> Message:
        att = reply.attachment
        assert att is not None  # _send_one calls this only for a reply with an attachment
        caption = reply.text if len(escape(reply.text)) <= CAPTION_LIMIT else None
        if caption is None:  # too long for a caption: the text goes first, on its own
            await self._send_one(chat_id, Reply(reply.text), 0)
        kwargs: dict[str, Any] = {"chat_id": chat_id, "reply_markup": markup}
        if caption:
            kwargs |= {"caption": escape(caption), "parse_mode": ParseMode.HTML}
        if att.is_image:
            return await self.call(
                "sendPhoto", lambda: self.bot.send_photo(photo=InputFile(att.data, filename=att.name), **kwargs)
            )
        return await self.call(
            "sendDocument", lambda: self.bot.send_document(document=InputFile(att.data, filename=att.name), **kwargs)
        )
