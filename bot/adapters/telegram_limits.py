"""Telegram's flood limits, kept strictly: at most 30 messages in any second overall and 20 a
minute per group (sliding windows, with a small margin for network jitter), and a RetryAfter
pauses every send for as long as Telegram asks. PTB's AIORateLimiter uses leaky buckets that
allow a burst above the limit at start, which earns 429s; this one does not."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.scheduler import on_the_wire

LIMITED = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
    "copyMessage",
    "forwardMessage",
}
MARGIN = 1.1  # windows a little longer than Telegram's: requests arrive some ms apart from when sent


class _Window:
    def __init__(self, limit: int, period: float, smooth: bool = False) -> None:
        self.limit, self.period = limit, period * MARGIN
        self.times: deque[float] = deque()
        self.lock = asyncio.Lock()
        # Evenly spaced rather than in bursts: the same 30 a second, but only a request or two is
        # ever on the wire at once, which is all a crash can leave unconfirmed (sent twice on restart).
        self.gap = self.period / limit if smooth else 0.0
        self.last = 0.0

    async def acquire(self) -> None:
        async with self.lock:  # FIFO: first come, first sent
            while True:
                now = time.monotonic()
                if self.gap and now - self.last < self.gap:
                    await asyncio.sleep(self.gap - (now - self.last))
                    continue
                while self.times and now - self.times[0] >= self.period:
                    self.times.popleft()
                if len(self.times) < self.limit:
                    self.times.append(now)
                    self.last = now
                    return
                await asyncio.sleep(self.period - (now - self.times[0]))


class StrictRateLimiter(BaseRateLimiter[None]):
    def __init__(self, overall: int = 30, group_per_minute: int = 20, max_retries: int = 3) -> None:
        self.overall = _Window(overall, 1.0, smooth=True)
        self.group_per_minute = group_per_minute
        self.groups: dict[str, _Window] = {}
        self.chats: dict[str, asyncio.Lock] = {}
        self.max_retries = max_retries
        self.paused_until = 0.0

    async def _fair_turn(self, chat: str) -> None:
        """Wait for a slot of the overall budget with at most one request per chat in line, so
        one person's many replies queue behind their own earlier ones, not in front of everyone."""
        gate = self.chats.get(chat)
        if gate is None:
            gate = self.chats[chat] = asyncio.Lock()
        try:
            async with gate:
                await self.overall.acquire()
        finally:
            if not gate.locked() and not getattr(gate, "_waiters", None):
                self.chats.pop(chat, None)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        limited = endpoint in LIMITED
        chat = str(data.get("chat_id", ""))
        for attempt in range(self.max_retries + 1):
            if limited:
                wait = self.paused_until - time.monotonic()
                if wait > 0:  # Telegram asked everyone to wait (RetryAfter)
                    await asyncio.sleep(wait)
                if chat.startswith("-"):
                    window = self.groups.setdefault(chat, _Window(self.group_per_minute, 60.0))
                    await window.acquire()
                await self._fair_turn(chat)
            if limited:
                await on_the_wire()  # a reminder being sent is 'sending' from here on, not before
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self.max_retries:
                    raise
                wait = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
                self.paused_until = max(self.paused_until, time.monotonic() + float(wait))
                await asyncio.sleep(float(wait))
        raise AssertionError("unreachable")
