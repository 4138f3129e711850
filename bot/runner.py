"""`flicker run` and `flicker health`: the long-running bot process."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time

from bot.config import Settings

log = logging.getLogger("flicker")

SHUTDOWN_BUDGET_S = 20.0  # docker-compose.yml: stop_grace_period 30s, so SIGKILL never comes first
SCHEDULER_STOP_S = 8.0


async def run_main(settings: Settings) -> int:
    from bot.app import build_engine
    from bot.cli import local_zone_name, open_store

    if not settings.telegram_token and not settings.discord_token:
        log.error("set TELEGRAM_TOKEN and/or DISCORD_TOKEN (or use `flicker console` to chat locally)")
        return 2
    store = await open_store(settings.db_path)
    engine = build_engine(store, default_timezone={"console": local_zone_name()})
    runners = []
    platforms: set[str] = set()
    if settings.telegram_token:
        from bot.adapters.telegram import build_telegram

        runners.append(build_telegram(engine, settings))
        platforms.add("telegram")
    if settings.discord_token:
        from bot.adapters.discord import build_discord

        runners.append(build_discord(engine, settings))
        platforms.add("discord")
    from bot.cli import _scheduler

    scheduler = _scheduler(engine, settings, platforms=platforms)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        for r in runners:
            await r.start()
        if scheduler is not None:
            scheduler.start()
        log.info("flicker is running")
        await stop.wait()
        log.info("stopping")
    finally:
        await _shut_down(scheduler, runners, store)
    return 0


async def _shut_down(scheduler, runners, store) -> None:
    """Stop within SHUTDOWN_BUDGET_S (docker-compose's stop_grace_period is longer): sends in
    flight finish, nothing new starts; what is cut off is resumed at the next start."""
    deadline = time.monotonic() + SHUTDOWN_BUDGET_S

    def left(cap: float) -> float:
        return max(0.1, min(cap, deadline - time.monotonic()))

    if scheduler is not None:
        try:
            await asyncio.wait_for(scheduler.stop(), timeout=left(SCHEDULER_STOP_S))
        except Exception:
            log.warning("the scheduler did not stop in time; unsent reminders wait for the next start")
    for r in reversed(runners):
        try:
            await asyncio.wait_for(r.stop(), timeout=left(8))
        except Exception:
            log.warning("a platform adapter did not stop in time; unanswered updates wait for the next start")
    try:
        await asyncio.wait_for(store.close(), timeout=left(5))
    except Exception:
        log.warning("the database did not close in time")
    return 0


def health_main(settings: Settings) -> int:
    """Exit 0 when healthy, 1 when the database does not answer, 2 when the scheduler is stale."""
    import time
    from pathlib import Path

    from bot.store import StoreError
    from bot.store.health import sqlite_health

    stale_after = max(60, settings.tick_seconds * 6)
    db = Path(settings.db_path)
    if not db.exists():
        print(f"database: {db} does not exist")
        return 1
    if not os.access(db, os.R_OK | os.W_OK) or not os.access(db.parent, os.W_OK | os.X_OK):
        print(f"database: {db} is not writable by this user (the bot can't save anything)")
        return 1
    try:
        reading = sqlite_health(db)
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
