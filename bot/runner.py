"""Running what bot/app.py built: `flicker run`, `flicker console`, and `flicker health`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time

from bot.app import App, build_bot, build_console
from bot.config import Settings

log = logging.getLogger("flicker")

SHUTDOWN_BUDGET_S = 20.0  # docker-compose.yml: stop_grace_period 30s, so SIGKILL never comes first
SCHEDULER_STOP_S = 8.0


async def run_main(settings: Settings) -> int:
    """`flicker run`: build the bot and run it until SIGTERM or SIGINT."""
    if not settings.telegram_token and not settings.discord_token:
        log.error("set TELEGRAM_TOKEN and/or DISCORD_TOKEN (or use `flicker console` to chat locally)")
        return 2
    app = await build_bot(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return await run_app(app, stop)


async def run_app(app: App, stop: asyncio.Event) -> int:
    """Start the metrics endpoint, the adapters and the scheduler; stop them all once `stop` is set."""
    server: asyncio.AbstractServer | None = None
    try:
        if app.metrics is not None and app.settings.metrics_port is not None:
            from bot.metrics import serve_metrics

            try:
                server = await serve_metrics(app.metrics, app.settings.metrics_listen, app.settings.metrics_port)
            except OSError as exc:
                listen = f"{app.settings.metrics_listen}:{app.settings.metrics_port}"
                log.error(
                    "cannot serve metrics on %s (%s): set FLICKER_METRICS_PORT to a free port",
                    listen,
                    exc.strerror,
                )
                return 2
            log.info("metrics at http://%s:%d/metrics", app.settings.metrics_listen, _port_of(server))
        for adapter in app.adapters:
            await adapter.start()
        if app.scheduler is not None:
            app.scheduler.start()
        log.info("flicker is running")
        await stop.wait()
        log.info("stopping")
    finally:
        await _shut_down(app)
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)
    return 0


def _port_of(server: asyncio.AbstractServer) -> int:
    sockets = getattr(server, "sockets", None) or ()
    return int(sockets[0].getsockname()[1]) if sockets else 0


async def console_main(settings: Settings, *, user: str, db: str | None, json_mode: bool, out: str | None) -> int:
    """`flicker console`: one conversation in this terminal, with that person's reminders."""
    app = await build_console(settings, user=user, db=db, json_mode=json_mode, out=out)
    assert app.console is not None
    try:
        if app.scheduler is not None:
            app.scheduler.start()
        await app.console.run()
    finally:
        if app.scheduler is not None:
            await app.scheduler.stop()
        await app.store.close()
    return 0


async def _shut_down(app: App) -> None:
    """Stop within SHUTDOWN_BUDGET_S (docker-compose's stop_grace_period is longer): sends in
    flight finish, nothing new starts; what is cut off is resumed at the next start."""
    deadline = time.monotonic() + SHUTDOWN_BUDGET_S

    def left(cap: float) -> float:
        return max(0.1, min(cap, deadline - time.monotonic()))

    if app.scheduler is not None:
        try:
            await asyncio.wait_for(app.scheduler.stop(), timeout=left(SCHEDULER_STOP_S))
        except Exception:
            log.warning("the scheduler did not stop in time; unsent reminders wait for the next start")
    for adapter in reversed(app.adapters):
        try:
            await asyncio.wait_for(adapter.stop(), timeout=left(8))
        except Exception:
            log.warning("a platform adapter did not stop in time; unanswered updates wait for the next start")
    try:
        await asyncio.wait_for(app.store.close(), timeout=left(5))
    except Exception:
        log.warning("the database did not close in time")


def health_main(settings: Settings) -> int:
    """Exit 0 when healthy, 1 when the database does not answer, 2 when the scheduler is stale."""
    from bot.store import StoreError, database_url

    stale_after = max(60, settings.tick_seconds * 6)
    dialect, where = database_url(settings.database)
    try:
        if dialect == "postgresql":
            from bot.store.postgres import postgres_health

            reading = postgres_health(where)
        else:
            failure = _sqlite_unusable(where)
            if failure is not None:
                print(f"database: {failure}")
                return 1
            from bot.store.health import sqlite_health

            reading = sqlite_health(where)
    except StoreError as exc:
        print(f"database: not answering ({(exc.__cause__ or exc).__class__.__name__})")
        return 1
    at = reading.scheduler_at
    if at is None or time.time() - at > stale_after:
        age = "never" if at is None else f"{int(time.time() - at)} s ago"
        print(f"database: ok; scheduler: last tick {age} (stale after {stale_after} s)")
        return 2
    print("database: ok; scheduler: ok")
    return 0


def _sqlite_unusable(where: str) -> str | None:
    """Why the bot could not use this SQLite file, or None."""
    from pathlib import Path

    if not where:
        return "not a database URL (try sqlite:///flicker.db or postgresql://host/db)"
    db = Path(where)
    if not db.exists():
        return f"{db} does not exist"
    if not os.access(db, os.R_OK | os.W_OK) or not os.access(db.parent, os.W_OK | os.X_OK):
        return f"{db} is not writable by this user (the bot can't save anything)"
    return None
