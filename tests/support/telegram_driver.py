"""A person in a private Telegram chat: the real python-telegram-bot Application against the
loopback Bot API fake. Text arrives as updates; buttons are pressed as callback queries on the
message that carried them; what the person sees is every message sent to their chat."""

from __future__ import annotations

import json
from typing import Any

from bot.clock import FrozenClock
from bot.scheduler import ReminderScheduler
from tests.fake_telegram import FakeTelegram, parse_html
from tests.support.driver import BaseDriver, EngineCalls, File, NoSuchButton, Step, pick_label, until_quiet

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmn"
SENDS = ("sendMessage", "sendPhoto", "sendDocument")


def _shown(params: dict[str, Any], key: str) -> str:
    """Text as the Telegram client shows it: in HTML mode, tags format and entities are decoded."""
    raw = str(params.get(key) or "")
    return parse_html(raw)[0] if params.get("parse_mode") == "HTML" else raw


def _labels(markup: Any) -> list[str]:
    if not markup:
        return []
    data = json.loads(markup) if isinstance(markup, str | bytes) else markup
    return [b["text"] for row in data.get("inline_keyboard", []) for b in row if "callback_data" in b]


class TelegramDriver(BaseDriver):
    platform = "telegram"

    def __init__(
        self, fake: FakeTelegram, calls: EngineCalls, clock: FrozenClock, scheduler: ReminderScheduler, user_id: int
    ) -> None:
        super().__init__(clock, scheduler)
        self.fake = fake
        self.calls = calls
        self.user_id = user_id
        self._step_messages: list[dict] = []  # messages of the last step, as Telegram returned them

    def _mark(self) -> tuple[int, int, int]:
        return len(self.fake.calls), len(self.fake.messages), self.calls.mark()

    async def send(self, text: str) -> Step:
        self._think()
        mark = self._mark()
        update = self.fake.text_update(self.user_id, text)
        update["message"]["date"] = int(self.clock.now().timestamp())  # sent "now" on the test's clock
        await self.fake.push(update)
        did = f"text: {text}"
        await self.calls.settle(mark[2], did)
        return self._record(await self._collect(did, mark))

    async def send_unreadable(self) -> Step:
        self._think()
        mark = self._mark()
        update = self.fake.text_update(self.user_id, "x")
        message = update["message"]
        del message["text"], message["entities"]
        message["date"] = int(self.clock.now().timestamp())
        message["sticker"] = {
            "file_id": "s",
            "file_unique_id": "s",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
        await self.fake.push(update)
        await until_quiet(lambda: len(self.fake.calls), mark[0])
        return self._record(await self._collect("nothing readable: a sticker", mark))

    async def press(self, label: str) -> Step:
        self._think()
        for message in reversed(self._step_messages):
            buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row if "callback_data" in b]
            try:
                chosen = pick_label([b["text"] for b in buttons], label)
            except NoSuchButton:
                continue
            data = next(b["callback_data"] for b in buttons if b["text"] == chosen)
            mark = self._mark()
            await self.fake.push(self.fake.press_update(self.user_id, message, data))
            did = f"press: {chosen}"
            await self.calls.settle(mark[2], did)
            return self._record(await self._collect(did, mark))
        raise NoSuchButton(f"no button {label!r} among {self.buttons()}")

    async def _collect(self, did: str, mark: tuple[int, int, int]) -> Step:
        calls_at, messages_at, _ = mark
        mine = [c for c in self.fake.calls[calls_at:] if str(c.params.get("chat_id")) == str(self.user_id)]
        texts: list[str] = []
        buttons: list[str] = []
        files: list[File] = []
        marked: list[str] = []
        for c in mine:
            if c.method == "sendMessage":
                texts.append(_shown(c.params, "text"))
            elif c.method in ("sendDocument", "sendPhoto"):
                if c.params.get("caption"):
                    texts.append(_shown(c.params, "caption"))
                data = c.params.get("document", c.params.get("photo"))
                files.append(File(None, data if isinstance(data, bytes) else str(data).encode()))
            elif c.method == "editMessageText":
                marked.append(_shown(c.params, "text"))
            else:
                continue
            if c.method in SENDS:
                buttons += _labels(c.params.get("reply_markup"))
        self._step_messages = [
            m
            for m in self.fake.messages[messages_at:]
            if m["chat"]["id"] == self.user_id and m.get("reply_markup", {}).get("inline_keyboard")
        ]
        return Step(did, tuple(texts), tuple(buttons), tuple(files), tuple(marked))
