"""The Discord adapter on discord.py: slash commands, buttons and DMs. It translates; the
engine decides. Nothing health-related is posted in a guild channel: slash commands there are
answered ephemerally and the conversation continues in DMs."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import discord
from discord import app_commands

from bot.config import Settings
from bot.engine import Engine, RecipientUnavailable
from bot.logs import install_redaction
from bot.messages import Incoming, Reply
from bot.scheduler import on_the_wire

log = logging.getLogger(__name__)
PLATFORM = "discord"
LIMIT = 2000
NO_MENTIONS = discord.AllowedMentions.none()
QUIET = "Received."  # a deferred command must end with something, even when the engine has nothing to say
TEXT_ONLY = 'I can read text messages only. Describe the twitch in words, e.g. "left calf 30s after the gym".'
DMS_CLOSED = (
    "I answer health questions only in direct messages, and yours are closed to me. "
    "Open them under Server settings > Privacy settings > Direct messages, then try again."
)
OTHER_PERSON = "This button belongs to someone else's question. Use the command yourself to get your own."
# Where the commands work: servers and the bot's own DMs. Never group DMs ("private channels"),
# where others read along, and never as a user-installed app (which is what reaches them).
CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False)
INSTALLS = app_commands.AppInstallationType(guild=True, user=False)


def is_private(interaction: discord.Interaction) -> bool:
    """Only a one-to-one DM with the bot is private; a group DM has no guild but has an audience."""
    if interaction.guild_id is not None:
        return False
    channel = interaction.channel
    return channel is not None and getattr(channel, "type", None) == discord.ChannelType.private


async def acknowledge(interaction: discord.Interaction, **kwargs: bool) -> bool:
    """Defer within Discord's 3 seconds; False if Discord refused (too late, or already done)."""
    try:
        await interaction.response.defer(**kwargs)
        return True
    except discord.HTTPException as exc:
        log.info("discord: an interaction could not be acknowledged (%s); answering by DM", exc.status)
        return False


def clean(text: str) -> str:
    """User text can't ping anyone or break Markdown."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def split(text: str, limit: int = LIMIT) -> list[str]:
    """Parts of at most `limit` characters, cut after a line break, else after a space."""
    parts, rest = [], text
    while len(rest) > limit:
        at = rest.rfind("\n", 0, limit)
        if at <= limit // 2:
            at = rest.rfind(" ", 0, limit)
        cut = at + 1 if at > limit // 2 else limit
        parts.append(rest[:cut])
        rest = rest[cut:]
    return [*parts, rest]


async def region_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    from rules.vocabulary import load_vocabulary

    now = current.lower()
    regions = [r for r in load_vocabulary().regions.values() if now in r.label.lower() or now in r.id]
    return [app_commands.Choice(name=r.label, value=r.label.lower()) for r in regions[:25]]


class ChoiceButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"fl:(?P<owner>\d+):(?P<choice>.+)"
):
    """A choice as a button whose custom_id names who was asked; it works after a restart. A
    pressed button finds its runner through the client the interaction came in on."""

    def __init__(self, owner: int, choice: str, label: str = "…", runner: DiscordRunner | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80], style=discord.ButtonStyle.secondary, custom_id=f"fl:{owner}:{choice}"[:100]
            )
        )
        self.owner, self.choice, self.runner = owner, choice, runner

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ChoiceButton:
        runner = getattr(interaction.client, "runner", None)
        return cls(int(match["owner"]), match["choice"], getattr(item, "label", None) or "…", runner)

    async def callback(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.owner:
            await interaction.response.send_message(OTHER_PERSON, ephemeral=True)
            return
        await acknowledge(interaction)  # within Discord's 3 seconds, whatever the engine does
        if self.runner is not None:  # a press Discord no longer accepts an answer for still counts
            await self.runner.pressed(interaction, self.choice, self.item.label or "")


class FlickerClient(discord.Client):
    """discord.py's client, knowing the runner it belongs to (so a pressed button can reach it)."""

    def __init__(self, runner: DiscordRunner, **options: Any) -> None:
        super().__init__(**options)
        self.runner = runner


class DiscordSender:
    def __init__(self, runner: DiscordRunner) -> None:
        self.runner = runner

    async def send(self, external_id: str, chat_id: str | None, replies: list[Reply]) -> None:
        await on_the_wire()  # discord.py paces inside its own HTTP client: count the send as started
        try:
            user = await self.runner.client.fetch_user(int(external_id))
            await self.runner.send(user, replies, int(external_id))
        except discord.Forbidden as exc:
            log.warning("discord: direct messages closed for a user; reminders switched off")
            raise RecipientUnavailable(str(exc)) from exc


class DiscordRunner:
    def __init__(self, engine: Engine, settings: Settings, *, guild_ready_timeout: float = 2.0) -> None:
        """`guild_ready_timeout`: how long discord.py waits after the last GUILD_CREATE before it
        is ready (its default, 2 s; a test against a fake that sends every guild at once needs less)."""
        self.engine = engine
        self.settings = settings
        install_redaction([settings.discord_token or ""])
        intents = discord.Intents.none()
        intents.guilds = True
        intents.dm_messages = True
        self.client = FlickerClient(
            self, intents=intents, allowed_mentions=NO_MENTIONS, guild_ready_timeout=guild_ready_timeout
        )
        self.tree = app_commands.CommandTree(self.client)
        self._task: asyncio.Task[None] | None = None
        self._leading: asyncio.Task[None] | None = None
        self.client.add_dynamic_items(ChoiceButton)
        self.client.event(self.on_message)
        for cmd in engine.registry.menu():
            self.tree.add_command(self._slash(cmd.name, cmd.summary))
        engine.add_sender(PLATFORM, DiscordSender(self))

    # ---- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect to the gateway. On a shared database (several replicas) only the leader does:
        this returns at once and connects whenever this replica becomes the leader."""
        hold = getattr(self.engine.store, "hold_leadership", None)
        if hold is None:  # SQLite: one process, nobody to share the gateway with
            await self._connect()
            return
        await self.client.login(self.settings.discord_token or "")  # REST only: reminders go out from every replica
        retry = self.settings.leader_retry_seconds
        self._leading = asyncio.create_task(serve_as_leader(hold, PLATFORM, self._serve_until, retry_s=retry))

    async def _serve_until(self, lost: asyncio.Event) -> None:
        """Hold the gateway connection while this replica leads; let go when leadership is lost."""
        try:
            await self._connect()
            assert self._task is not None
            waiter = asyncio.create_task(lost.wait())
            try:
                await asyncio.wait({self._task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
        finally:
            await self.stop_client()
            self.client.clear()  # ready to log in again when leadership comes back

    async def _connect(self) -> None:
        if self.client.user is None:  # not logged in yet, or again after a lost leadership
            await self.client.login(self.settings.discord_token or "")
        self._task = asyncio.create_task(self.client.connect(reconnect=True))
        await self.client.wait_until_ready()
        guild = discord.Object(self.settings.discord_guild_id) if self.settings.discord_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)
        log.info("discord: running, %d commands synced", len(self.tree.get_commands()))

    async def stop(self) -> None:
        if self._leading is not None:  # also closes the gateway connection and releases the lock
            self._leading.cancel()
            await asyncio.gather(self._leading, return_exceptions=True)
        await self.stop_client()

    async def stop_client(self) -> None:
        await self.client.close()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    # ---- slash commands ---------------------------------------------------------------------------
    def _slash(self, name: str, summary: str) -> app_commands.Command[Any, ..., None]:
        runner = self
        if name == "log":

            @app_commands.choices(side=[app_commands.Choice(name=x, value=x) for x in ("left", "right", "both")])
            @app_commands.autocomplete(region=region_autocomplete)
            async def log_cb(
                interaction: discord.Interaction,
                region: str | None = None,
                side: str | None = None,
                duration: str | None = None,
                details: str | None = None,
            ) -> None:
                text = " ".join(x for x in (side, region, duration, details) if x)
                await runner.command(interaction, f"/log {text}".strip())

            return app_commands.Command(
                name=name,
                description=summary[:100],
                callback=log_cb,
                allowed_contexts=CONTEXTS,
                allowed_installs=INSTALLS,
            )

        async def cb(interaction: discord.Interaction, details: str | None = None) -> None:
            await runner.command(interaction, f"/{name} {details or ''}".strip())

        return app_commands.Command(
            name=name, description=summary[:100], callback=cb, allowed_contexts=CONTEXTS, allowed_installs=INSTALLS
        )

    async def command(self, interaction: discord.Interaction, text: str) -> None:
        in_dm = is_private(interaction)
        acked = await acknowledge(interaction, ephemeral=not in_dm, thinking=True)
        user = interaction.user

        async def progress(reply: Reply) -> None:  # a status line while slow work runs
            if acked:
                with contextlib.suppress(discord.HTTPException):
                    await interaction.followup.send(content=clean(reply.text)[:LIMIT], ephemeral=not in_dm)

        replies = await self.engine.handle(
            Incoming(
                PLATFORM,
                str(user.id),
                text=text,
                chat_id=str(interaction.channel_id),
                private=in_dm,
                display_name=user.display_name,
            ),
            on_progress=progress,
        )
        if in_dm and acked:
            await self._followups(interaction, replies or [Reply(QUIET, private=False)], user.id)
            return
        # An emergency instruction is said in the channel too (a life matters more than privacy
        # here); it never repeats the person's words.
        if acked:
            for reply in (r for r in replies if r.aloud):
                for kwargs in self._messages(reply, user.id):
                    await interaction.followup.send(**kwargs, ephemeral=False)
        try:  # a guild channel or group DM: everything else goes to DMs, the channel sees only an ephemeral note
            await self.send(user, [r for r in replies if not r.aloud], user.id)
            if acked:
                await interaction.followup.send("I've answered you in a direct message.", ephemeral=True)
        except discord.Forbidden:
            if acked:
                await interaction.followup.send(DMS_CLOSED, ephemeral=True)

    # ---- buttons, DMs ------------------------------------------------------------------------------
    async def pressed(self, interaction: discord.Interaction, choice: str, label: str) -> None:
        if interaction.message is not None:
            body = interaction.message.content or ""
            try:
                await interaction.message.edit(content=f"{body}\n\n✓ {clean(label)}"[:LIMIT], view=None)
            except discord.HTTPException:
                pass  # the answer still counts
        user = interaction.user
        in_dm = is_private(interaction)
        replies = await self.engine.handle(
            Incoming(PLATFORM, str(user.id), choice=choice, chat_id=str(interaction.channel_id), private=in_dm)
        )
        try:
            channel = interaction.channel  # a DM channel when in_dm
            await self.send(
                channel if in_dm and isinstance(channel, discord.abc.Messageable) else user, replies, user.id
            )
        except discord.Forbidden:
            with contextlib.suppress(discord.HTTPException):  # the interaction may be gone by now
                await interaction.followup.send(DMS_CLOSED, ephemeral=True)

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or not isinstance(message.channel, discord.DMChannel):
            return  # only one-to-one direct messages are read as free text
        if not message.content:  # a picture or a sticker: say what works instead of staying silent
            await self.send(message.channel, [Reply(TEXT_ONLY, private=False)], message.author.id)
            return

        async def progress(reply: Reply) -> None:
            await self.send(message.channel, [reply], message.author.id)

        replies = await self.engine.handle(
            Incoming(
                PLATFORM,
                str(message.author.id),
                text=message.content,
                chat_id=str(message.channel.id),
                private=True,
                at=message.created_at,
                display_name=message.author.display_name,
            ),
            on_progress=progress,
        )
        await self.send(message.channel, replies, message.author.id)

    async def send(self, target: discord.abc.Messageable, replies: list[Reply], owner: int) -> None:
        for reply in replies:
            for kwargs in self._messages(reply, owner):
                await target.send(**kwargs)

    async def _followups(self, interaction: discord.Interaction, replies: list[Reply], owner: int) -> None:
        for reply in replies:
            for kwargs in self._messages(reply, owner):
                await interaction.followup.send(**kwargs)

    def _messages(self, reply: Reply, owner: int) -> list[dict[str, Any]]:
        parts = split(clean(reply.text))
        out = [{"content": p, "allowed_mentions": NO_MENTIONS} for p in parts]
        last = out[-1]
        if reply.choices:
            view = discord.ui.View(timeout=None)
            for c in reply.choices[:25]:
                view.add_item(ChoiceButton(owner, c.id, c.label, self))
            last["view"] = view
        if reply.attachment is not None:
            last["file"] = discord.File(io.BytesIO(reply.attachment.data), filename=reply.attachment.name)
        return out


async def serve_as_leader(
    hold: Callable[[str], AbstractAsyncContextManager[Any]],
    name: str,
    serve: Callable[[asyncio.Event], Awaitable[None]],
    *,
    retry_s: float,
) -> None:
    """Until cancelled: become `name`'s leader (`hold`, e.g. PostgresStore.hold_leadership) and run
    `serve(lost)` while leading; when another replica leads, or serving ends, ask again in `retry_s`.
    The leadership is let go when `serve` returns or this is cancelled, and when the process dies."""
    waiting_said = False
    while True:
        try:
            async with hold(name) as leadership:
                if leadership:
                    log.info("%s: this replica is the leader; connecting", name)
                    waiting_said = False
                    await serve(leadership.lost)
                    log.info("%s: leadership ended", name)
                elif not waiting_said:
                    log.info("%s: another replica is connected; asking again every %g s", name, retry_s)
                    waiting_said = True
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database or the platform refused for now: try again later
            log.warning("%s: could not take or keep the leadership (%s); trying again", name, exc.__class__.__name__)
            log.debug("leadership failure", exc_info=True)
        await asyncio.sleep(retry_s)


def build_discord(engine: Engine, settings: Settings) -> DiscordRunner:
    return DiscordRunner(engine, settings)
