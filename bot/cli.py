"""`flicker console | run | health | db copy`: the command line. It parses arguments and calls
bot/runner.py (which runs what bot/app.py builds); nothing is built here."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import tempfile
import time
from typing import TextIO

from bot.config import Settings, redact_url
from bot.logs import setup_logging


def _default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "me"


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


def db_copy_main(source: str, target: str, out: TextIO = sys.stdout) -> int:
    """`flicker db copy`: rows so far per table while copying, then rows, checksum and verified per table."""
    from bot.store import StoreError
    from bot.store.copy import copy_database

    copied: dict[str, int] = {}

    def progress(table: str, rows: int) -> None:
        copied[table] = copied.get(table, 0) + rows
        print(f"  {table}: {copied[table]} rows", file=out, flush=True)

    print(f"copying {redact_url(source)} -> {redact_url(target)}", file=out, flush=True)
    began = time.monotonic()
    try:
        results = asyncio.run(copy_database(source, target, progress))
    except (StoreError, OSError) as exc:
        print(f"flicker db copy: failed: {redact_url(str(exc))}", file=sys.stderr)
        print("The source was not changed.", file=sys.stderr)
        return 1
    width = max([len("table"), *(len(r.table) for r in results)])
    print(f"\n{'table':<{width}}  {'rows':>10}  {'checksum':<32}  verified", file=out)
    for r in results:
        print(f"{r.table:<{width}}  {r.rows:>10}  {r.checksum:<32}  {'yes' if r.verified else 'NO'}", file=out)
    total = sum(r.rows for r in results)
    print(f"\n{total} rows in {len(results)} tables copied and verified in {time.monotonic() - began:.1f} s", file=out)
    return 0 if all(r.verified for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flicker", description="Flicker, a calm twitch journal bot.")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("console", help="chat with Flicker in this terminal (no account needed)")
    c.add_argument("--db", help="database (default: $FLICKER_DATABASE_URL, else $FLICKER_DB or ./flicker.db)")
    c.add_argument("--user", default=_default_user(), help="who you are in the journal (default: your login)")
    c.add_argument("--json", action="store_true", help="one JSON line of replies per input line")
    c.add_argument("--out", help="folder for files such as exports and charts (default: ./flicker-out)")
    sub.add_parser("run", help="run the Telegram and/or Discord bot (tokens from the environment)")
    sub.add_parser("health", help="exit 0 if the database answers and the scheduler ticked recently")
    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    cp = db_sub.add_parser("copy", help="copy every row into an empty database and verify it (source untouched)")
    cp.add_argument("--from", dest="source", required=True, help="source, e.g. sqlite:///flicker.db")
    cp.add_argument("--to", dest="target", required=True, help="empty target, e.g. postgresql://user@host/db")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLCONFIGDIR", private_cache_dir())
    settings = Settings.from_env()
    # The console is a conversation: only warnings interrupt it, unless a level was asked for.
    quiet = args.command in ("console", "health", "db") and "FLICKER_LOG_LEVEL" not in os.environ
    setup_logging(settings, stream=sys.stderr, level="WARNING" if quiet else None)
    from bot import runner

    if args.command == "console":
        if hasattr(sys.stdin, "reconfigure"):  # bytes that are not UTF-8 must not end the session
            sys.stdin.reconfigure(errors="surrogateescape")
        return asyncio.run(runner.console_main(settings, user=args.user, db=args.db, json_mode=args.json, out=args.out))
    if args.command == "run":
        return asyncio.run(runner.run_main(settings))
    if args.command == "db":
        return db_copy_main(args.source, args.target)
    return runner.health_main(settings)


if __name__ == "__main__":
    sys.exit(main())
