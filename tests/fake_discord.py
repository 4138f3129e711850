"""A loopback fake of Discord for the real discord.py client: REST (login, command sync,
interaction callbacks and followups, DM channels, channel messages) and a minimal gateway over
websocket (HELLO, IDENTIFY, READY, heartbeats and ACKs, GUILD_CREATE, and events the test
dispatches). Frames are plain-text JSON, which discord.py reads even when it asked for
zlib-stream (it only decompresses binary frames).

As strict as Discord's documentation where it matters: an interaction must be acknowledged
within 3 seconds (later: 404 Unknown interaction) and only once (again: 400 already
acknowledged); a followup needs an acknowledged interaction; message bodies are validated
(content up to 2,000 characters, at most 5 rows of 5 buttons, custom_id up to 100 and
labels up to 80 characters)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = 900000000000000001
BOT_ID = 900000000000000002
GUILD_ID = 900000000000000003
CHANNEL_ID = 900000000000000004
GROUP_DM_ID = 900000000000000005
# discord.py is ready guild_ready_timeout after the last GUILD_CREATE (2 s by default). The fake
# sends its one guild right after READY, on the same socket, so a client built for it
# (DiscordRunner(..., guild_ready_timeout=GUILD_READY_S)) need wait only a moment.
GUILD_READY_S = 0.1


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    response_id: str = ""  # the id of the message this call created, if any
    at: float = field(default_factory=time.monotonic)


def user(uid: int, name: str = "alex") -> dict:
    return {"id": str(uid), "username": name, "discriminator": "0", "global_name": name.title(), "avatar": None}


class FakeDiscord:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.closed_dms: set[int] = set()
        self.sockets: list[web.WebSocketResponse] = []
        self.identified = asyncio.Event()
        self.resumed: list[dict] = []
        self._ids = itertools.count(910000000000000000)
        self._seq = itertools.count(1)
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.messages: dict[str, dict] = {}
        self.interactions: dict[str, float] = {}  # id -> when it was created
        self.acknowledged: set[str] = set()
        self.ack_deadline = 3.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for ws in self.sockets:
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    # ---- gateway -------------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if data["op"] == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif data["op"] == 2:  # IDENTIFY
                await self._ready(ws)
                self.identified.set()
            elif data["op"] == 6:  # RESUME after a disconnect: events continue where they left off
                self.resumed.append(data["d"])
                await self._send(ws, "RESUMED", {})
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        await self._send(
            ws,
            "READY",
            {
                "v": 10,
                "user": {**user(BOT_ID, "flicker"), "bot": True},
                "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                "session_id": "session",
                "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
                "application": {"id": str(APP_ID), "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        await self._send(
            ws,
            "GUILD_CREATE",
            {
                "id": str(GUILD_ID),
                "name": "A server",
                "owner_id": "1",
                "unavailable": False,
                "member_count": 2,
                "roles": [
                    {
                        "id": str(GUILD_ID),
                        "name": "@everyone",
                        "permissions": "2048",
                        "position": 0,
                        "color": 0,
                        "hoist": False,
                        "managed": False,
                        "mentionable": False,
                        "flags": 0,
                    }
                ],
                "channels": [
                    {
                        "id": str(CHANNEL_ID),
                        "type": 0,
                        "name": "general",
                        "position": 0,
                        "permission_overwrites": [],
                        "guild_id": str(GUILD_ID),
                    }
                ],
                "members": [],
                "emojis": [],
                "stickers": [],
                "features": [],
                "voice_states": [],
                "threads": [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "large": False,
                "premium_tier": 0,
                "mfa_level": 0,
                "verification_level": 0,
                "explicit_content_filter": 0,
                "default_message_notifications": 0,
                "system_channel_flags": 0,
                "nsfw_level": 0,
                "preferred_locale": "en-US",
                "afk_timeout": 300,
            },
        )

    async def _send(self, ws, event: str, data: dict) -> None:
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def reconnect(self) -> None:
        """Ask the client to reconnect (op 7), as Discord does when it moves a session."""
        await self.sockets[-1].send_str(json.dumps({"op": 7, "d": None, "s": None, "t": None}))

    async def dispatch(self, event: str, data: dict) -> None:
        await self._send(self.sockets[-1], event, data)

    def interaction(
        self,
        uid: int,
        *,
        name: str | None = None,
        options: list | None = None,
        custom_id: str | None = None,
        message: dict | None = None,
        in_guild: bool = False,
        group_dm: bool = False,
        age: float = 0.0,
    ) -> dict:
        """An interaction `age` seconds old; in a DM, a guild channel, or a group DM (a user-installed
        app can be used there: no guild, and other people read along)."""
        iid = next(self._ids)
        self.interactions[str(iid)] = time.monotonic() - age
        data: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "token": f"tok{iid}",
            "version": 1,
            "locale": "en-US",
            "app_permissions": "2048",
            "entitlements": [],
            "authorizing_integration_owners": {},
            "attachment_size_limit": 10485760,
            "context": 1,
        }
        if name is not None:
            data |= {"type": 2, "data": {"id": str(next(self._ids)), "name": name, "type": 1, "options": options or []}}
        else:
            data |= {"type": 3, "data": {"custom_id": custom_id, "component_type": 2}, "message": message}
        if group_dm:
            gdm = str(GROUP_DM_ID)
            data |= {
                "channel_id": gdm,
                "channel": {"id": gdm, "type": 3, "recipients": [user(uid), user(uid + 1, "other")]},
                "user": user(uid),
                "context": 2,
            }
        elif in_guild:
            data |= {
                "guild_id": str(GUILD_ID),
                "channel_id": str(CHANNEL_ID),
                "channel": {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID)},
                "member": {
                    "user": user(uid),
                    "roles": [],
                    "joined_at": "2026-01-01T00:00:00+00:00",
                    "deaf": False,
                    "mute": False,
                    "permissions": "2048",
                    "flags": 0,
                },
            }
        else:
            dm = self._dm_id(uid)
            data |= {"channel_id": dm, "channel": {"id": dm, "type": 1, "recipients": [user(uid)]}, "user": user(uid)}
        return data

    def dm_message(self, uid: int, content: str) -> dict:
        return {
            "id": str(next(self._ids)),
            "channel_id": self._dm_id(uid),
            "author": user(uid),
            "content": content,
            "timestamp": "2026-11-24T20:30:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
        }

    @staticmethod
    def _dm_id(uid: int) -> str:
        return str(uid + 1)

    # ---- REST ------------------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        body: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            form = await request.post()
            for k, v in form.items():
                if k == "payload_json":
                    body = json.loads(v)
                elif hasattr(v, "file"):
                    files[v.filename] = v.file.read()
        self.calls.append(Call(request.method, path, body, files))
        m = request.method
        if path == "users/@me" and m == "GET":
            return _json({**user(BOT_ID, "flicker"), "bot": True})
        if path == "oauth2/applications/@me":
            return _json(
                {
                    "id": str(APP_ID),
                    "name": "Flicker",
                    "icon": None,
                    "description": "",
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "verify_key": "00",
                    "owner": user(1, "owner"),
                    "flags": 0,
                    "team": None,
                    "summary": "",
                    "rpc_origins": [],
                }
            )
        if path.startswith("gateway"):
            return _json(
                {
                    "url": f"ws://127.0.0.1:{self.port}/gateway",
                    "shards": 1,
                    "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1},
                }
            )
        if path.startswith(f"applications/{APP_ID}/") and path.endswith("commands") and m == "PUT":
            return _json(
                [
                    {
                        **c,
                        "id": str(next(self._ids)),
                        "application_id": str(APP_ID),
                        "version": "1",
                        "default_member_permissions": None,
                        "type": c.get("type", 1),
                    }
                    for c in body
                ]
            )
        if path.startswith("users/") and m == "GET":
            return _json(user(int(path.split("/")[1])))
        if path == "users/@me/channels" and m == "POST":
            uid = int(body["recipient_id"])
            return _json({"id": self._dm_id(uid), "type": 1, "recipients": [user(uid)]})
        if path.startswith("interactions/") and m == "POST":
            iid = path.split("/")[1]
            kind = body.get("type")
            created = self.interactions.get(iid)
            if created is None or time.monotonic() - created > self.ack_deadline:
                return _json({"code": 10062, "message": "Unknown interaction"}, status=404)
            if iid in self.acknowledged:
                return _json({"code": 40060, "message": "Interaction has already been acknowledged."}, status=400)
            if (bad := _invalid(body.get("data") or {})) is not None:
                return bad
            self.acknowledged.add(iid)
            out: dict[str, Any] = {
                "interaction": {
                    "id": iid,
                    "type": 2,
                    "activity_instance_id": None,
                    "response_message_id": None,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(body.get("data", {}).get("flags", 0) & 64),
                }
            }
            if kind in (4, 7):
                out["resource"] = {"type": kind, "message": self._message("0", body.get("data", {}))}
            else:
                out["resource"] = {"type": kind}
            return _json(out)
        if path.startswith(f"webhooks/{APP_ID}/") or (path.startswith("channels/") and path.endswith("/messages")):
            if path.startswith("webhooks/"):
                iid = path.split("/")[2].removeprefix("tok")
                if iid not in self.acknowledged:  # a followup before the interaction was acknowledged
                    return _json({"code": 10015, "message": "Unknown Webhook"}, status=404)
            if (bad := _invalid(body)) is not None:
                return bad
            channel = path.split("/")[1] if path.startswith("channels/") else None
            if channel is not None and int(channel) - 1 in self.closed_dms:
                return _json({"code": 50007, "message": "Cannot send messages to this user"}, status=403)
            msg = self._message(channel or "0", body)
            self.calls[-1].response_id = msg["id"]
            return _json(msg)
        if path.startswith("channels/") and "/messages/" in path and m == "PATCH":
            mid = path.rsplit("/", 1)[1]
            msg = {**self.messages.get(mid, self._message(path.split("/")[1], {})), **body}
            return _json(msg)
        return _json({"id": str(next(self._ids))})

    def _message(self, channel: str, body: dict) -> dict:
        mid = str(next(self._ids))
        msg = {
            "id": mid,
            "channel_id": channel,
            "author": {**user(BOT_ID, "flicker"), "bot": True},
            "content": body.get("content", ""),
            "timestamp": "2026-11-24T20:30:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "components": body.get("components", []),
            "flags": body.get("flags", 0),
        }
        self.messages[mid] = msg
        return msg

    def sent(self) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == "POST" and (c.path.startswith(f"webhooks/{APP_ID}/") or c.path.endswith("/messages"))
        ]

    async def wait_for(self, predicate, within: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = [c for c in self.calls if predicate(c)]
            if found:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out; calls: {[(c.method, c.path) for c in self.calls][-15:]}")


def _invalid(body: dict) -> web.Response | None:
    """Discord's documented limits on a message body (400 Invalid Form Body, code 50035)."""
    problems = []
    if len(body.get("content") or "") > 2000:
        problems.append("content: Must be 2000 or fewer in length.")
    rows = body.get("components") or []
    if len(rows) > 5:
        problems.append("components: Must be 5 or fewer in length.")
    for row in rows:
        items = row.get("components", [])
        if len(items) > 5:
            problems.append("components.components: Must be 5 or fewer in length.")
        for b in items:
            if len(b.get("custom_id", "")) > 100:
                problems.append("custom_id: Must be 100 or fewer in length.")
            if len(b.get("label", "")) > 80:
                problems.append("label: Must be 80 or fewer in length.")
    if not problems:
        return None
    return _json({"code": 50035, "message": "Invalid Form Body", "errors": problems}, status=400)


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py compares the content type exactly, so no "; charset=" suffix
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})
