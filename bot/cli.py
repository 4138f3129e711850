"""`flicker console | run | health`: the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
import tempfile

from bot.config import Settings
from bot.logs import setup_logging
from bot.store import SchemaTooNew, Store, StoreError

log = logging.getLogger("flicker")


def local_zone_name() -> str:
    try:
        from tzlocal import get_localzone_name

        return get_localzone_name() or "UTC"
    except Exception:
        return "UTC"


def _default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "me"


async def open_store(path: str) -> Store:
    try:
        return await Store.open(path)
    except SchemaTooNew as exc:
        raise SystemExit(str(exc)) from exc
    except (OSError, StoreError) as exc:  # a read-only folder, a file owned by someone else
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SystemExit(
            f"flicker: cannot open the database {path}: {reason}.\n"
            "Check that the file and its folder exist and are writable by this user, or set FLICKER_DB "
            "(or --db) to another file."
        ) from exc


def private_cache_dir() -> str:
    """Matplotlib's cache in a folder only this user can write (a fixed /tmp path could be
    created first by another local user and feed us their files)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "flicker", "matplotlib")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.stat(path)
        if st.st_uid == os.getuid() and not st.st_mode & 0o022:
            return path
    except OSError:
        pass
    return tempfile.mkdtemp(prefix="flicker-matplotlib-")  # random name, mode 0700


async def console_main(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapters.console import PLATFORM, ConsoleAdapter
    from bot.app import build_engine

    store = await open_store(args.db or settings.db_path)
    engine = build_engine(store, default_timezone={"console": local_zone_name()}, flood_limit=None)  # one local person
    adapter = ConsoleAdapter(engine, args.user, json_mode=args.json, out_dir=args.out or settings.out_dir)
    scheduler = _scheduler(engine, settings, identity=(PLATFORM, args.user))
    try:
        if scheduler is not None:
            scheduler.start()
        await adapter.run()
    finally:
        if scheduler is not None:
            await scheduler.stop()
        await store.close()
    return 0


def _scheduler(
    engine, settings: Settings, *, platforms: set[str] | None = None, identity: tuple[str, str] | None = None
):
    """The reminder scheduler, limited to whom this process can reach: a console delivers only
    its own person's reminders, and the bot only those of people on its platforms."""
    try:
        from bot.scheduler import ReminderScheduler, Scope
    except ImportError:  # reminders not installed in this build
        return None
    scope = Scope(frozenset(platforms) if platforms is not None else None, identity)
    return ReminderScheduler(engine, settings, scope=scope)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flicker", description="Flicker, a calm twitch journal bot.")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("console", help="chat with Flicker in this terminal (no account needed)")
    c.add_argument("--db", help="SQLite file (default: $FLICKER_DB or ./flicker.db)")
    c.add_argument("--user", default=_default_user(), help="who you are in the journal (default: your login)")
    c.add_argument("--json", action="store_true", help="one JSON line of replies per input line")
    c.add_argument("--out", help="folder for files such as exports and charts (default: ./flicker-out)")
    sub.add_parser("run", help="run the Telegram and/or Discord bot (tokens from the environment)")
    sub.add_parser("health", help="exit 0 if the database answers and the scheduler ticked recently")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLCONFIGDIR", private_cache_dir())
    settings = Settings.from_env()
    # The console is a conversation: only warnings interrupt it, unless a level was asked for.
    quiet = args.command in ("console", "health") and "FLICKER_LOG_LEVEL" not in os.environ
    setup_logging(settings, stream=sys.stderr, level="WARNING" if quiet else None)
    if args.command == "console":
        if hasattr(sys.stdin, "reconfigure"):  # bytes that are not UTF-8 must not end the session
            sys.stdin.reconfigure(errors="surrogateescape")
        return asyncio.run(console_main(args, settings))
    if args.command == "run":
        from bot.runner import run_main

        return asyncio.run(run_main(settings))
    from bot.runner import health_main

    return health_main(settings)


if __name__ == "__main__":
    sys.exit(main())
