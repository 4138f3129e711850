"""A loopback fake of the Telegram Bot API for the real python-telegram-bot to talk to.

It serves the methods Flicker uses, records every request (form and multipart bodies), and
behaves like Telegram where it matters: text over 4,096 characters, callback_data over 64
bytes and malformed HTML entities are refused with Telegram's error shape; an edit of a
message it doesn't know (deleted, or never sent) is refused ("message to edit not found"); a
callback query answered too late or twice is refused ("query is too old"); a 502 comes as the
HTML page Telegram's front end sends. Tests can make it answer 429 with retry_after, 403, 5xx,
or stall; and can feed updates to getUpdates."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

BOT_ID = 777000
BOT_USERNAME = "FlickerTestBot"
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class _EntityCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.error = f'Unexpected end tag "{tag}"'

    def handle_data(self, data):
        self.text += data


def parse_html(text: str) -> tuple[str, str | None]:
    if re.search(r"<(?![a-zA-Z/])", text) or re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        return text, "Can't parse entities: unescaped character"
    p = _EntityCheck()
    p.feed(text)
    p.close()
    if p.error is None and p.stack:
        p.error = f'Can\'t find end tag corresponding to start tag "{p.stack[-1]}"'
    return p.text, (f"Can't parse entities: {p.error}" if p.error else None)


class FakeTelegram:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._new_update = asyncio.Condition()
        self.failures: list[tuple[str, str, float]] = []  # (method, kind, retry_after)
        self.blocked: set[int] = set()  # user ids who blocked the bot (403 on send)
        self.never_started: set[int] = set()  # users who never opened a private chat (403)
        self.rate_limit: float | None = None  # messages per second before answering 429
        self._sent_times: list[float] = []
        self.refused_429 = 0
        self.messages: list[dict] = []  # every message the bot sent, as Telegram returned it
        self.known: set[tuple[int, int]] = set()  # (chat_id, message_id) that exist and can be edited
        self.callback_timeout = 10.0  # seconds within which a callback query can be answered
        self._queries: dict[str, float] = {}  # callback query id -> when it was pressed
        self.send_delay = 0.0  # seconds each send takes (to make replies queue up)
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.closing = False

    # ---- control from tests ----------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        # A long poll still open would hold the server's shutdown until its timeout: end it now.
        self.closing = True
        async with self._new_update:
            self._new_update.notify_all()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(self, method: str, kind: str, times: int = 1, retry_after: float = 1) -> None:
        """Make the next `times` calls of `method` fail: "429", "403", "500", "502" or "stall"."""
        self.failures += [(method, kind, retry_after)] * times

    async def push(self, update: dict) -> int:
        update = {"update_id": next(self._update_ids), **update}
        async with self._new_update:
            self.updates.append(update)
            self._new_update.notify_all()
        return update["update_id"]

    def text_update(
        self, user_id: int, text: str, chat_id: int | None = None, chat_type: str = "private", first_name: str = "Alex"
    ) -> dict:
        chat = {"id": chat_id or user_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "A group"
        entities = (
            [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
        )
        return {
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": chat,
                "from": {"id": user_id, "is_bot": False, "first_name": first_name},
                "text": text,
                "entities": entities,
            }
        }

    def press_update(self, user_id: int, message: dict, data: str, age: float = 0.0) -> dict:
        """A button press; `age` seconds old (presses queue up while the bot is down)."""
        qid = str(next(self._message_ids))
        self._queries[qid] = time.monotonic() - age
        return {
            "callback_query": {
                "id": qid,
                "chat_instance": "ci",
                "from": {"id": user_id, "is_bot": False, "first_name": "Alex"},
                "message": message,
                "data": data,
            }
        }

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    async def wait_for(self, predicate, within: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = [c for c in self.calls if predicate(c)]
            if found:
                return found
            await asyncio.sleep(0.01)
        raise AssertionError(f"timed out; calls so far: {[c.method for c in self.calls][-20:]}")

    # ---- the API ---------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            form = await request.post()
            for k, v in form.items():
                params[k] = v.file.read() if hasattr(v, "file") else v
        self.calls.append(Call(method, params))
        for i, (m, kind, retry_after) in enumerate(self.failures):
            if m == method:
                del self.failures[i]
                if kind == "429":
                    return _error(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
                if kind == "403":
                    return _error(403, "Forbidden: bot was blocked by the user")
                if kind == "stall":
                    await asyncio.sleep(3600)
                if kind == "502":  # what Telegram's front end (nginx) sends: an HTML page
                    return web.Response(status=502, text=BAD_GATEWAY_HTML, content_type="text/html")
                return _error(
                    int(kind.removesuffix("json")), "Internal Server Error" if kind == "500" else "Bad Gateway"
                )
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return await handler(params)

    async def api_getMe(self, p):
        return _ok(
            {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Flicker",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    async def api_getUpdates(self, p):
        offset = int(p.get("offset", 0) or 0)
        timeout = min(float(p.get("timeout", 0) or 0), 1.0)
        async with self._new_update:
            if offset:  # like Telegram: asking from `offset` confirms (forgets) every earlier update
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            ready = [u for u in self.updates if u["update_id"] >= offset]
            if not ready and timeout and not self.closing:
                try:
                    await asyncio.wait_for(self._new_update.wait(), timeout)
                except TimeoutError:
                    pass
                ready = [u for u in self.updates if u["update_id"] >= offset]
        return _ok(ready[:100])

    async def _check_send(self, p, text_key: str) -> web.Response | None:
        chat_id = int(p.get("chat_id", 0))
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.never_started:
            return _error(403, "Forbidden: bot can't initiate conversation with a user")
        if self.rate_limit:
            now = time.monotonic()
            self._sent_times = [t for t in self._sent_times if now - t < 1.0]
            if len(self._sent_times) >= self.rate_limit:
                self.refused_429 += 1
                return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            self._sent_times.append(now)
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        text = p.get(text_key)
        limit = 4096 if text_key == "text" else 1024
        if text is not None:
            plain, err = parse_html(text) if p.get("parse_mode") == "HTML" else (text, None)
            if err:
                return _error(400, f"Bad Request: {err}")
            if len(plain) > limit:
                return _error(
                    400,
                    "Bad Request: message is too long" if limit == 4096 else "Bad Request: message caption is too long",
                )
        markup = p.get("reply_markup")
        if markup:
            for row in json.loads(markup).get("inline_keyboard", []):
                for b in row:
                    if "callback_data" in b and len(b["callback_data"].encode()) > 64:
                        return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        return None

    def _message(self, p, **extra) -> dict:
        chat_id = int(p["chat_id"])
        msg = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Flicker"},
            **extra,
        }
        if p.get("reply_markup"):
            msg["reply_markup"] = json.loads(p["reply_markup"])
        self.messages.append(msg)
        self.known.add((chat_id, msg["message_id"]))
        return msg

    def _edit_target_missing(self, p) -> web.Response | None:
        if "inline_message_id" in p:
            return None
        if (int(p.get("chat_id", 0)), int(p.get("message_id", 0))) not in self.known:
            return _error(400, "Bad Request: message to edit not found")
        return None

    def delete(self, message: dict) -> None:
        """The person deleted the chat's copy of a message: edits of it are refused from now on."""
        self.known.discard((message["chat"]["id"], message["message_id"]))

    async def api_sendMessage(self, p):
        if (bad := await self._check_send(p, "text")) is not None:
            return bad
        return _ok(self._message(p, text=parse_html(p["text"])[0] if p.get("parse_mode") == "HTML" else p["text"]))

    async def api_sendPhoto(self, p):
        if (bad := await self._check_send(p, "caption")) is not None:
            return bad
        return _ok(self._message(p, photo=[{"file_id": "p1", "file_unique_id": "p1", "width": 1080, "height": 1620}]))

    async def api_sendDocument(self, p):
        if (bad := await self._check_send(p, "caption")) is not None:
            return bad
        return _ok(self._message(p, document={"file_id": "d1", "file_unique_id": "d1"}))

    async def api_editMessageText(self, p):
        if (missing := self._edit_target_missing(p)) is not None:
            return missing
        _, err = parse_html(p.get("text", "")) if p.get("parse_mode") == "HTML" else ("", None)
        if err:
            return _error(400, f"Bad Request: {err}")
        return _ok(self._message(p, text=p.get("text", "")) if "chat_id" in p else True)

    async def api_editMessageReplyMarkup(self, p):
        if (missing := self._edit_target_missing(p)) is not None:
            return missing
        return _ok(True)

    async def api_answerCallbackQuery(self, p):
        pressed = self._queries.pop(str(p.get("callback_query_id")), None)  # answerable once
        if pressed is None or time.monotonic() - pressed > self.callback_timeout:
            return _error(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return _ok(True)

    async def api_setWebhook(self, p):
        return _ok(True)

    async def api_setMyCommands(self, p):
        return _ok(True)

    async def api_deleteWebhook(self, p):
        return _ok(True)

    async def api_getMyCommands(self, p):
        return _ok([])


BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
)


def _ok(result) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)
