"""A sender that records what the bot sends on its own (reminders, link confirmations).

One class for what four test modules each wrote: it records every delivery with the clock's
time, can pretend a person blocked the bot, and answers the usual questions about what arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.engine import RecipientUnavailable
from bot.messages import Reply


@dataclass(frozen=True)
class Delivery:
    external_id: str
    chat_id: str | None
    replies: tuple[Reply, ...]
    at: datetime | None  # the clock's time when it was sent, if the sender was given a clock


@dataclass
class RecordingSender:
    """Register with `engine.add_sender(platform, sender)`; every delivery lands in `sent`."""

    clock: Clock | None = None
    sent: list[Delivery] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)  # external ids that "blocked the bot"
    attempts: int = 0

    async def send(self, external_id: str, chat_id: str | None, replies: list[Reply]) -> None:
        self.attempts += 1
        if external_id in self.blocked:
            raise RecipientUnavailable(external_id)
        at = self.clock.now() if self.clock is not None else None
        self.sent.append(Delivery(external_id, chat_id, tuple(replies), at))

    @property
    def replies(self) -> list[Reply]:
        return [r for d in self.sent for r in d.replies]

    @property
    def times(self) -> list[datetime | None]:
        return [d.at for d in self.sent]

    def texts(self, external_id: str | None = None) -> list[str]:
        return [r.text for d in self.sent if external_id in (None, d.external_id) for r in d.replies]

    def containing(self, words: str) -> list[Reply]:
        return [r for r in self.replies if words in r.text]

    def containing_at(self, words: str) -> list[tuple[datetime | None, Reply]]:
        """Like `containing`, with the time each one was sent."""
        return [(d.at, r) for d in self.sent for r in d.replies if words in r.text]

    def clear(self) -> None:
        self.sent.clear()
