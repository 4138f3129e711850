"""Soak: 1,000 people sending 50 messages each, concurrently, while the scheduler ticks and
reminders fire. Every acknowledged entry must be in the database afterwards.

Prints a table and, last, one JSON line:
{"messages_per_s", "p99_ms", "errors", "entries_lost", "reminders_delivered", ...}.

    python bench/soak.py [--users 1000] [--messages 50] [--gap 0.6]

Each person waits about --gap seconds between messages (people type; the per-person flood
limit of 20 messages in 10 s is part of what is soaked, so the pace stays under it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

# bench/telegram.py is named like the `telegram` package: keep this folder off the import path.
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
sys.path.insert(0, str(_here.parent))

from bot.app import build_engine  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.engine import INTERNAL_ERROR, SAVE_FAILED, SLOW_DOWN  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from bot.scheduler import ReminderScheduler  # noqa: E402
from bot.store import Store, to_ts  # noqa: E402

PLATFORM = "soak"
LINES = [
    "left eyelid 2 min after my third coffee",
    "right calf 30s after the gym",
    "thumb twitching 10 seconds, stressed",
    "/note slept badly, anxious about work",
    "/journal 5",
    "/log",
    "log:region:calf",
    "log:side:left",
    "log:duration:30",
    "log:trig:none",
    "log:int:skip",
]
ACK = re.compile(r"^(?:Saved|Noted as) #(\d+)")
FAILURES = (SAVE_FAILED, INTERNAL_ERROR, SLOW_DOWN)


class RecordingSender:
    def __init__(self) -> None:
        self.delivered = 0

    async def send(self, external_id, chat_id, replies) -> None:
        self.delivered += len(replies)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=50)
    ap.add_argument("--gap", type=float, default=0.6)
    args = ap.parse_args()

    db = Path(tempfile.mkdtemp(prefix="flicker-soak-")) / "soak.db"
    store = await Store.open(db)
    engine = build_engine(store)
    sender = RecordingSender()
    engine.add_sender(PLATFORM, sender)
    settings = Settings(db_path=str(db), tick_seconds=1)
    scheduler = ReminderScheduler(engine, settings)

    # Everyone exists and has reminders falling due during the run.
    for i in range(args.users):
        await engine.handle(Incoming(PLATFORM, f"p{i}", text="/journal 1"))
    start_ts = to_ts(engine.clock.now())
    run_s = int(args.messages * args.gap) + 2
    rnd = random.Random(3)
    rows = [(uid, start_ts + rnd.randint(1, run_s)) for uid in range(1, args.users + 1) for _ in range(2)]
    await store.write(
        lambda conn: conn.executemany(
            "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) VALUES (?, 'hydration', "
            "(SELECT count(*) FROM reminders r WHERE r.user_id = ?), 600, 1, ?)",
            [(u, u, due) for u, due in rows],
        )
    )
    scheduler.start()

    latencies: list[float] = []
    acknowledged: set[int] = set()
    errors = 0
    kinds: dict[str, int] = {}

    async def person(i: int) -> None:
        nonlocal errors
        prnd = random.Random(i)
        await asyncio.sleep(prnd.random() * args.gap)
        for n in range(args.messages):
            line = LINES[n % len(LINES)] if prnd.random() < 0.7 else prnd.choice(LINES[:5])
            is_choice = ":" in line and not line.startswith("/") and " " not in line
            inc = Incoming(PLATFORM, f"p{i}", choice=line) if is_choice else Incoming(PLATFORM, f"p{i}", text=line)
            t0 = time.perf_counter()
            try:
                replies = await engine.handle(inc)
            except Exception:
                errors += 1
                continue
            latencies.append(time.perf_counter() - t0)
            for r in replies:
                if r.text in FAILURES:
                    errors += 1
                    kinds[r.text[:30]] = kinds.get(r.text[:30], 0) + 1
                if m := ACK.match(r.text):
                    acknowledged.add(int(m.group(1)))
            await asyncio.sleep(args.gap * (0.9 + 0.3 * prnd.random()))  # stays under 20 in 10 s

    began = time.perf_counter()
    await asyncio.gather(*(person(i) for i in range(args.users)))
    elapsed = time.perf_counter() - began
    await asyncio.sleep(2)  # the last reminders fall due
    await scheduler.stop()
    stored = {r[0] for r in await store.fetchall("SELECT id FROM entries")}
    due_total = len(rows)
    await store.close()

    latencies.sort()
    n = len(latencies)
    figures = {
        "users": args.users,
        "messages": n,
        "messages_per_s": round(n / elapsed),
        "p50_ms": round(latencies[n // 2] * 1000, 2),
        "p99_ms": round(latencies[int(n * 0.99)] * 1000, 2),
        "errors": errors,
        "acknowledged_entries": len(acknowledged),
        "entries_lost": len(acknowledged - stored),
        "reminders_due": due_total,
        "reminders_delivered": sender.delivered,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(f"{'figure':<22}{'value':>10}")
    for k, v in figures.items():
        print(f"{k:<22}{v:>10}")
    for k, v in kinds.items():
        print(f"error kind: {k}... x{v}")
    print("must hold: errors 0, entries_lost 0, reminders_delivered == reminders_due")
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
