"""A person in a Discord DM: the real discord.py client against the loopback REST + gateway fake.

Commands the bot registered go in as slash commands (what the Discord client offers when a
person types "/"); anything else is a DM message. Buttons are pressed as component interactions
on the message that carried them. What the person sees is every message sent to their DM or as
a followup to their interaction, with discord.py's Markdown and mention escapes undone."""

from __future__ import annotations

from typing import Any

from bot.clock import FrozenClock
from bot.scheduler import ReminderScheduler
from tests.fake_discord import FakeDiscord
from tests.support.driver import BaseDriver, EngineCalls, File, NoSuchButton, Step, pick_label, until_quiet

TOKEN = "MTAxMDEwMTAxMDEw.FakeDiscordToken.ForTestsOnly_abcdefghij"
_MARKERS = frozenset("*_~`|")  # inline Markdown: an unescaped one formats text instead of showing


def shown(content: str) -> str:
    """Content as the Discord client shows it: an escaped character appears as itself, an
    unescaped inline marker is taken as formatting (so the person doesn't see it), and the
    zero-width space that breaks mentions is invisible."""
    out: list[str] = []
    i = 0
    while i < len(content):
        ch = content[i]
        nxt = content[i + 1] if i + 1 < len(content) else ""
        if ch == "\\" and nxt and not nxt.isalnum() and not nxt.isspace():
            out.append(nxt)
            i += 2
            continue
        if ch not in _MARKERS:
            out.append(ch)
        i += 1
    return "".join(out).replace("\u200b", "")


def _body(call: Any) -> dict:
    return call.body if isinstance(call.body, dict) else {}


def _buttons(call: Any) -> list[dict]:
    return [b for row in (_body(call).get("components") or []) for b in row.get("components", [])]


class DiscordDriver(BaseDriver):
    platform = "discord"

    def __init__(
        self,
        fake: FakeDiscord,
        calls: EngineCalls,
        clock: FrozenClock,
        scheduler: ReminderScheduler,
        user_id: int,
        slash: set[str],
    ) -> None:
        super().__init__(clock, scheduler)
        self.fake = fake
        self.calls = calls
        self.user_id = user_id
        self.slash = slash
        self.dm = self.fake._dm_id(user_id)
        self._step_calls: list[Any] = []

    def _mark(self) -> tuple[int, int]:
        return len(self.fake.calls), self.calls.mark()

    async def send(self, text: str) -> Step:
        self._think()
        mark = self._mark()
        word, _, rest = text.partition(" ")
        name = word[1:].lower() if word.startswith("/") else ""
        if name in self.slash:
            options = [{"name": "details", "type": 3, "value": rest.strip()}] if rest.strip() else []
            await self.fake.dispatch(
                "INTERACTION_CREATE", self.fake.interaction(self.user_id, name=name, options=options)
            )
        else:
            message = self.fake.dm_message(self.user_id, text)
            message["timestamp"] = self.clock.now().isoformat()  # sent "now" on the test's clock
            await self.fake.dispatch("MESSAGE_CREATE", message)
        did = f"text: {text}"
        await self.calls.settle(mark[1], did)
        return self._record(await self._collect(did, mark))

    async def send_unreadable(self) -> Step:
        self._think()
        mark = self._mark()
        message = self.fake.dm_message(self.user_id, "")
        message["timestamp"] = self.clock.now().isoformat()
        message["attachments"] = [
            {
                "id": "920000000000000001",
                "filename": "twitch.jpg",
                "size": 1024,
                "url": "https://cdn.example/twitch.jpg",
                "proxy_url": "https://media.example/twitch.jpg",
                "content_type": "image/jpeg",
            }
        ]
        before = len(self._sent_so_far())
        await self.fake.dispatch("MESSAGE_CREATE", message)
        await until_quiet(lambda: len(self._sent_so_far()), before)
        return self._record(await self._collect("nothing readable: a picture without words", mark))

    def _sent_so_far(self) -> list[Any]:
        return [c for c in self.fake.calls if self._visible(c)]

    async def press(self, label: str) -> Step:
        self._think()
        for call in reversed(self._step_calls):
            buttons = [b for b in _buttons(call) if "custom_id" in b]
            try:
                chosen = pick_label([b.get("label", "") for b in buttons], label)
            except NoSuchButton:
                continue
            custom_id = next(b["custom_id"] for b in buttons if b.get("label") == chosen)
            message = {**self.fake.messages[call.response_id], "channel_id": self.dm}
            mark = self._mark()
            await self.fake.dispatch(
                "INTERACTION_CREATE", self.fake.interaction(self.user_id, custom_id=custom_id, message=message)
            )
            did = f"press: {chosen}"
            await self.calls.settle(mark[1], did)
            return self._record(await self._collect(did, mark))
        raise NoSuchButton(f"no button {label!r} among {self.buttons()}")

    def _visible(self, call: Any) -> bool:
        if call.method != "POST":
            return False
        if call.path == f"channels/{self.dm}/messages" or call.path.startswith("webhooks/"):
            return True
        # an interaction answered with a message at once (type 4), e.g. a refusal
        return call.path.startswith("interactions/") and _body(call).get("type") == 4

    async def _collect(self, did: str, mark: tuple[int, int]) -> Step:
        new = self.fake.calls[mark[0] :]
        sent = [c for c in new if self._visible(c)]
        texts: list[str] = []
        buttons: list[str] = []
        files: list[File] = []
        for c in sent:
            body = _body(c)
            data = body.get("data", {}) if c.path.startswith("interactions/") else body
            if data.get("content"):
                texts.append(shown(str(data["content"])))
            buttons += [b.get("label", "") for b in _buttons(c) if "custom_id" in b]
            files += [File(name, blob) for name, blob in c.files.items()]
        marked = [
            shown(str(_body(c).get("content", ""))) for c in new if c.method == "PATCH" and _body(c).get("content")
        ]
        self._step_calls = [c for c in sent if c.response_id and _buttons(c)]
        return Step(did, tuple(texts), tuple(buttons), tuple(files), tuple(marked))
