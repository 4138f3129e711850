"""Telegram figures: 1,000 simulated people sending updates through the loopback fake Bot API
and the real python-telegram-bot Application; then a reminder fan-out against a fake that
enforces 30 messages per second. Prints a table, then one JSON line.

In the same run and against the same fake, a bare python-telegram-bot echo bot (the
framework's own floor: no database, no parsing, one reply per update) gets the same burst;
Flicker's updates per second are printed as a ratio of it. A paced phase then sends 100
updates a second for a few seconds and reports the p99 from update to reply at that load.

    python bench/telegram.py [--users 1000] [--per-user 5] [--fanout 300] [--paced-s 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

# This file is named like the `telegram` package: keep its folder off the import path.
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
sys.path.insert(0, str(_here.parent))

from telegram import Update  # noqa: E402
from telegram.ext import Application, BaseRateLimiter, ContextTypes, MessageHandler, filters  # noqa: E402

from bot.adapters.telegram import TelegramRunner  # noqa: E402
from bot.app import build_engine  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.scheduler import ReminderScheduler  # noqa: E402
from bot.store import Store, to_ts  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

TOKEN = "123456789:AAFakeTokenForBenchOnly_abcdefghijklmnop"


class NoLimit(BaseRateLimiter):
    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        return await callback(*args, **kwargs)


LINES = ["left calf 30s after the gym", "/journal 3", "/note slept badly", "right eyelid 2 min after coffee", "/help"]


def replies_by_chat(fake: FakeTelegram) -> dict[int, list[float]]:
    answered: dict[int, list[float]] = {}
    for c in list(fake.calls):
        if c.method == "sendMessage":
            answered.setdefault(int(c.params["chat_id"]), []).append(c.at)
    return answered


def latencies(fake: FakeTelegram, pushed_at: dict[int, list[float]]) -> list[float]:
    """Per person, in order: from each update's push to the first reply request after it."""
    answered = replies_by_chat(fake)
    lat = []
    offset = time.perf_counter() - time.monotonic()
    for uid, pushes in pushed_at.items():
        replies = sorted(answered.get(uid, []))
        i = 0
        for p in pushes:
            while i < len(replies) and replies[i] + offset < p:
                i += 1
            if i < len(replies):
                lat.append(replies[i] + offset - p)
                i += 1
    lat.sort()
    return lat


def pct(lat: list[float], q: float) -> float | None:
    return round(lat[min(len(lat) - 1, int(len(lat) * q))] * 1000, 1) if lat else None


async def burst(fake: FakeTelegram, on_fake, users: int, per_user: int, first_uid: int) -> tuple[float, list[float]]:
    """Push users x per_user updates at once; wait for a reply to each. (seconds, latencies)"""
    pushed_at: dict[int, list[float]] = {}
    total = users * per_user
    begin = time.perf_counter()
    for round_ in range(per_user):
        for u in range(users):
            uid = first_uid + u
            pushed_at.setdefault(uid, []).append(time.perf_counter())
            await on_fake(fake.push(fake.text_update(uid, LINES[round_ % len(LINES)])))
    deadline = time.perf_counter() + 300
    while time.perf_counter() < deadline:
        answered = {k: v for k, v in replies_by_chat(fake).items() if k in pushed_at}
        if sum(min(len(v), per_user) for v in answered.values()) >= total and len(answered) == users:
            break
        await asyncio.sleep(0.05)
    return time.perf_counter() - begin, latencies(fake, pushed_at)


async def paced(fake: FakeTelegram, on_fake, rate: int, seconds: float, first_uid: int) -> list[float]:
    """Send `rate` updates a second (each from a person, 50 people in turn) and measure each reply."""
    pushed_at: dict[int, list[float]] = {}
    n = int(rate * seconds)
    start = time.perf_counter()
    for i in range(n):
        target = start + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        uid = first_uid + i % 50
        pushed_at.setdefault(uid, []).append(time.perf_counter())
        await on_fake(fake.push(fake.text_update(uid, LINES[(i // 50) % len(LINES)])))
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        got = sum(min(len(v), len(pushed_at[k])) for k, v in replies_by_chat(fake).items() if k in pushed_at)
        if got >= n:
            break
        await asyncio.sleep(0.05)
    return latencies(fake, pushed_at)


async def echo_bot(fake: FakeTelegram) -> Application:
    """python-telegram-bot with nothing of Flicker: one reply per text, as concurrent as Flicker's."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(update.effective_message.text or "?")

    base = fake.url.rstrip("/")
    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .rate_limiter(NoLimit())
        .concurrent_updates(64)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    return app


async def stop_echo(app: Application) -> None:
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--per-user", type=int, default=5)
    ap.add_argument("--fanout", type=int, default=300)
    ap.add_argument("--paced-s", type=float, default=5.0)
    args = ap.parse_args()
    import logging

    logging.disable(logging.WARNING)  # retries of the fan-out phase would print one line each

    # The fake runs on its own thread and event loop, so its clock for the 30/s rule is not
    # skewed by the bot's own work (as Telegram's servers are not).
    fake = FakeTelegram(TOKEN)
    fake_loop = asyncio.new_event_loop()
    threading.Thread(target=fake_loop.run_forever, daemon=True).start()

    def on_fake(coro):
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, fake_loop))

    await on_fake(fake.start())
    db = Path(tempfile.mkdtemp(prefix="flicker-tg-")) / "tg.db"
    store = await Store.open(db)
    engine = build_engine(store)
    settings = Settings(db_path=str(db), telegram_token=TOKEN, telegram_api_url=fake.url)
    # Phase 1 measures the adapter itself: Telegram's 30 messages/s would otherwise cap replies.
    runner = TelegramRunner(engine, settings, poll_timeout=1, rate_limiter=NoLimit())
    await runner.start()

    # ---- updates -> replies: a burst, then a paced load ---------------------------------------
    total = args.users * args.per_user
    elapsed, lat = await burst(fake, on_fake, args.users, args.per_user, 10_000)
    paced_lat = await paced(fake, on_fake, 100, args.paced_s, 500_000)

    for _ in range(100):  # the last replies (welcomes) go out first: wait for a quiet second
        if time.monotonic() - fake.calls[-1].at >= 1.0:
            break
        await asyncio.sleep(0.1)
    await runner.stop()

    # ---- reminder fan-out against 30 messages/s, with the production limiter ----------------------
    runner = TelegramRunner(engine, settings, poll_timeout=1)
    await runner.start()
    fake.rate_limit = 30
    rows = await store.fetchall("SELECT user_id FROM identities WHERE platform = 'telegram' LIMIT ?", (args.fanout,))
    now = to_ts(engine.clock.now())
    await store.write(
        lambda conn: conn.executemany(
            "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) "
            "VALUES (?, 'journal', 0, 1200, 1, ?)",
            [(r[0], now) for r in rows],
        )
    )
    since = len(fake.calls)
    t0 = time.perf_counter()
    handed = await ReminderScheduler(engine, settings).tick()
    fan_s = time.perf_counter() - t0
    fan_calls = [c for c in list(fake.calls)[since:] if c.method == "sendMessage"]
    refused = fake.refused_429
    spread = fan_calls[-1].at - fan_calls[0].at if len(fan_calls) > 1 else 0
    print(f"fan-out: {len(fan_calls)} sendMessage calls over {spread:.1f} s at the fake; tick took {fan_s:.1f} s")
    await runner.stop()
    await store.close()

    # ---- the framework's floor: a bare echo bot, the same burst, the same fake ---------------------
    fake.rate_limit = None
    app = await echo_bot(fake)
    echo_elapsed, echo_lat = await burst(fake, on_fake, args.users, args.per_user, 1_000_000)
    echo_paced = await paced(fake, on_fake, 100, args.paced_s, 2_000_000)
    await stop_echo(app)
    await on_fake(fake.stop())

    figures = {
        "users": args.users,
        "updates": total,
        "updates_per_s": round(total / elapsed),
        "p50_ms": pct(lat, 0.5),
        "p99_ms": pct(lat, 0.99),
        "paced_100_per_s_p50_ms": pct(paced_lat, 0.5),
        "paced_100_per_s_p99_ms": pct(paced_lat, 0.99),
        "echo_updates_per_s": round(total / echo_elapsed),
        "echo_p99_ms": pct(echo_lat, 0.99),
        "echo_paced_p99_ms": pct(echo_paced, 0.99),
        "ratio_of_echo": round((total / elapsed) / (total / echo_elapsed), 2),
        "fanout_reminders": handed,
        "fanout_per_s": round(handed / fan_s, 1),
        "fanout_pct_of_limit": round(100 * handed / fan_s / 30, 1),
        "fanout_429s": refused,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(f"{'figure':<22}{'value':>10}")
    for k, v in figures.items():
        print(f"{k:<22}{v!s:>10}")
    print("updates_per_s and latency: the adapter with no rate limit (Telegram's 30/s caps replies in production)")
    print("ratio_of_echo: Flicker's updates/s over a bare python-telegram-bot echo bot's, same burst, same fake")
    print("targets: fan-out at least 90% of 30 messages/s with no 429s; ratio_of_echo >= 0.8; paced p99 < 100 ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
