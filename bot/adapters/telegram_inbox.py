"""Telegram updates recorded before they are confirmed, and replies kept until they are sent.

Telegram forgets an update once the bot asks for the next ones (getUpdates with a higher
offset) or once the webhook answered 200. python-telegram-bot does either right after putting
the update in its queue, long before it is handled. So the queue's `put` first writes the
update to `telegram_inbox`; a crash then leaves it there, and the next start handles it.
When the engine has answered, the replies are written down before they are sent, and the
row is finished after the last one went out: a restart resends what a crash cut off.
A repeated update_id (Telegram resends a webhook update it thinks failed) is skipped.

Every write the engine makes while handling an update also marks its row 'applied', in the
same transaction (Store's WRITE_ALSO). An update that crashed after its effects were saved
but before its replies were written down is therefore not handled again (that would save the
entry twice); its sender gets a short note instead, pointing at /journal.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from telegram import Update

from bot.messages import Attachment, Choice, Reply
from bot.store import StoreError
from bot.store.interface import StoreAPI
from bot.store.records import Write

log = logging.getLogger(__name__)

KEEP_DONE_S = 86400  # a finished update's id is remembered this long (duplicates come within minutes)
CLEANUP_EVERY = 500  # updates


@dataclass(frozen=True)
class Pending:
    """Replies worked out before a restart and not yet (all) sent."""

    update_id: int
    chat_id: int
    user_id: int
    private: bool
    replies: list[Reply]
    sent: int


def replies_to_json(replies: list[Reply]) -> list[dict[str, Any]]:
    return [
        {
            "text": r.text,
            "choices": [[c.id, c.label] for c in r.choices],
            "private": r.private,
            "attachment": None
            if r.attachment is None
            else {
                "name": r.attachment.name,
                "media_type": r.attachment.media_type,
                "data": base64.b64encode(r.attachment.data).decode(),
            },
        }
        for r in replies
    ]


def replies_from_json(items: list[dict[str, Any]]) -> list[Reply]:
    out = []
    for item in items:
        att = item.get("attachment")
        out.append(
            Reply(
                item["text"],
                tuple(Choice(i, label) for i, label in item.get("choices", ())),
                None if att is None else Attachment(att["name"], base64.b64decode(att["data"]), att["media_type"]),
                item.get("private", True),
            )
        )
    return out


class Inbox:
    def __init__(self, store: StoreAPI) -> None:
        self.store = store
        self._received = 0

    async def receive(self, update: Update) -> bool:
        """Record an update; False if this update_id was seen before (skip it)."""
        body = json.dumps(update.to_dict(), ensure_ascii=False)
        uid, now = update.update_id, int(time.time())
        self._received += 1
        cleanup = self._received % CLEANUP_EVERY == 1

        user = update.effective_user
        return await self.store.record_update(
            uid,
            now,
            body,
            drop_done_before=now - KEEP_DONE_S if cleanup else None,
            person=str(user.id) if user is not None else None,
        )

    async def handled(self, update_id: int, chat_id: int, user_id: int, private: bool, replies: list[Reply]) -> None:
        """The engine answered: keep the replies until they are sent (the update itself is no longer needed)."""
        data = json.dumps(
            {"chat_id": chat_id, "user_id": user_id, "private": private, "replies": replies_to_json(replies)},
            ensure_ascii=False,
        )
        await self.store.mark_update_handled(update_id, data)

    async def sent(self, update_id: int, count: int) -> None:
        await self.store.mark_update_sent(update_id, count)

    async def done(self, update_id: int) -> None:
        await self.store.mark_update_done(update_id)

    def applied_marker(self, update_id: int) -> Write:
        """A write that marks this update's effects as saved (added to each write made for it)."""
        return self.store.update_applied_write(update_id)

    async def unhandled(self, status: str = "received") -> list[tuple[int, dict[str, Any] | None]]:
        """Updates recorded but never answered, oldest first: not applied at all ('received'),
        or applied but with no replies written down ('applied')."""
        out = []
        for row in await self.store.unfinished_updates(status):
            try:
                out.append((row.update_id, json.loads(row.body) if row.body is not None else None))
            except (TypeError, ValueError):
                out.append((row.update_id, None))
        return out

    async def unsent(self) -> list[Pending]:
        return await self.unsent_rows(await self.store.unsent_replies())

    async def unsent_rows(self, rows: list[Any]) -> list[Pending]:
        """Replies written down and not all sent, readable; an unreadable row is finished."""
        out = []
        for row in rows:
            uid, sent = row.update_id, row.sent
            try:
                d = json.loads(row.replies)
                out.append(
                    Pending(uid, d["chat_id"], d["user_id"], d["private"], replies_from_json(d["replies"]), sent)
                )
            except (TypeError, ValueError, KeyError):
                log.warning("telegram: unreadable pending replies of update %d dropped", uid)
                await self.done(uid)
        return out


class InboxQueue(asyncio.Queue[object]):
    """python-telegram-bot's update queue, writing each update down before Telegram is told.

    Webhook mode (`wait=True`): `put` returns, and so the webhook answers 200, only once the
    update is committed. Polling: `put` starts the write and queues the update at once, so a
    batch of 100 updates costs one commit, not 100; the next getUpdates (which confirms them)
    waits for those commits (`StatusAwareRequest` calls `committed()`), and the handlers wait
    for their own update's commit to learn whether it is a repeat (`admitted()`).
    """

    def __init__(self, inbox: Inbox, *, wait: bool = False) -> None:
        super().__init__()
        self.inbox = inbox
        self.wait = wait
        self._writes: dict[int, asyncio.Future[bool]] = {}

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            write = asyncio.ensure_future(self.inbox.receive(item))
            if self.wait:
                if not await self._fresh(item.update_id, write):
                    return
            else:
                self._writes[item.update_id] = write
        await super().put(item)

    async def _fresh(self, update_id: int, write: asyncio.Future[bool]) -> bool:
        try:
            if not await write:
                log.info("telegram: update %d came again; skipped", update_id)
                return False
        except StoreError:  # can't record it: still handle it, as before the inbox existed
            log.warning("telegram: could not record update %d before handling it", update_id)
        return True

    async def admitted(self, update_id: int) -> bool:
        """Wait until this update is recorded; False if it is a repeat of one seen before."""
        write = self._writes.pop(update_id, None)
        return True if write is None else await self._fresh(update_id, write)

    async def committed(self) -> None:
        """Every update queued so far is on disk (call before confirming them to Telegram)."""
        pending = [w for w in self._writes.values() if not w.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def replay(self, item: object) -> None:
        """Queue an update that is already recorded (after a restart)."""
        await super().put(item)
