"""The composition root: the one place that puts Flicker together.

Here the store is opened (`open_store`: SQLite or PostgreSQL, from the settings), the engine gets
its handler modules (it never imports `handlers`), the reminder scheduler gets its message
composer from the handler that declares one, the metrics (when asked for) are handed to both,
and the platform adapters are made. bot/runner.py runs what this module built; bot/cli.py only
parses arguments. Nothing here is a module-level mutable: every app is its own object graph.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from bot.config import Settings, redact_url
from bot.engine import Engine
from bot.metrics import Metrics
from bot.store import SchemaTooNew, StoreError, open_store
from bot.store.interface import StoreAPI

if TYPE_CHECKING:
    from bot.adapters.console import ConsoleAdapter
    from bot.scheduler import ReminderScheduler

log = logging.getLogger("flicker")


class Adapter(Protocol):
    """A platform adapter as the runner sees it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class App:
    """Everything one process runs, built and wired; bot/runner.py starts and stops it."""

    settings: Settings
    store: StoreAPI
    engine: Engine
    scheduler: ReminderScheduler | None
    metrics: Metrics | None = None
    adapters: list[Adapter] = field(default_factory=list)
    platforms: frozenset[str] = frozenset()
    console: ConsoleAdapter | None = None


def local_zone_name() -> str:
    try:
        from tzlocal import get_localzone_name

        return get_localzone_name() or "UTC"
    except Exception:
        return "UTC"


def handler_modules() -> tuple[ModuleType, ...]:
    """Every flow module the engine serves, in the order of /help (handlers/__init__.py)."""
    from handlers import MODULES

    return MODULES


def build_engine(store: StoreAPI, **options: Any) -> Engine:
    """An engine serving every handler module; `options` are Engine's (clock, flood_limit, metrics, ...)."""
    return Engine(store, modules=handler_modules(), **options)


def build_scheduler(
    engine: Engine,
    settings: Settings,
    *,
    platforms: set[str] | frozenset[str] | None = None,
    identity: tuple[str, str] | None = None,
    metrics: Metrics | None = None,
) -> ReminderScheduler | None:
    """The reminder scheduler, limited to whom this process can reach: a console delivers only
    its own person's reminders, and the bot only those of people on its platforms. Its composer
    comes from the engine's registry (the handler module that declares REMINDER_COMPOSER)."""
    try:
        from bot.scheduler import ReminderScheduler, Scope
    except ImportError:  # reminders not installed in this build
        return None
    scope = Scope(frozenset(platforms) if platforms is not None else None, identity)
    return ReminderScheduler(engine, settings, composer=engine.registry.reminder_composer, scope=scope, metrics=metrics)


async def open_configured_store(setting: str) -> StoreAPI:
    """`open_store(setting)`, or SystemExit with a sentence (never a traceback, never a password)."""
    try:
        return await open_store(setting)
    except SchemaTooNew as exc:
        raise SystemExit(str(exc)) from exc
    except (OSError, StoreError) as exc:  # a read-only folder, a file owned by someone else, no server
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SystemExit(
            f"flicker: cannot open the database {redact_url(setting)}: {redact_url(reason)}.\n"
            "Check that the file and its folder exist and are writable by this user, or set FLICKER_DB "
            "(or --db) to another file; for PostgreSQL check FLICKER_DATABASE_URL and that the server answers."
        ) from exc


async def build_bot(settings: Settings, *, store: StoreAPI | None = None) -> App:
    """The long-running bot: store, metrics, engine, Telegram and/or Discord, scheduler.

    `store` (tests) replaces opening the configured one; the app then owns it all the same."""
    store = store if store is not None else await open_configured_store(settings.database)
    try:
        metrics = Metrics() if settings.metrics_port is not None else None
        engine = build_engine(store, default_timezone={"console": local_zone_name()}, metrics=metrics)
        adapters: list[Adapter] = []
        platforms: set[str] = set()
        if settings.telegram_token:
            from bot.adapters.telegram import build_telegram

            adapters.append(build_telegram(engine, settings))
            platforms.add("telegram")
        if settings.discord_token:
            from bot.adapters.discord import build_discord

            adapters.append(build_discord(engine, settings))
            platforms.add("discord")
        scheduler = build_scheduler(engine, settings, platforms=platforms, metrics=metrics)
    except BaseException:
        await store.close()
        raise
    return App(settings, store, engine, scheduler, metrics, adapters, frozenset(platforms))


async def build_console(
    settings: Settings, *, user: str, db: str | None = None, json_mode: bool = False, out: str | None = None
) -> App:
    """`flicker console`: one local person, their own reminders, no flood guard, no metrics."""
    from bot.adapters.console import PLATFORM, ConsoleAdapter

    store = await open_configured_store(db or settings.database)
    try:
        engine = build_engine(store, default_timezone={"console": local_zone_name()}, flood_limit=None)
        console = ConsoleAdapter(engine, user, json_mode=json_mode, out_dir=out or settings.out_dir)
        scheduler = build_scheduler(engine, settings, identity=(PLATFORM, user))
    except BaseException:
        await store.close()
        raise
    return App(settings, store, engine, scheduler, console=console, platforms=frozenset({PLATFORM}))
