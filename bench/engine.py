"""Engine throughput and latency on a journal of ~1,000,000 rows and 10,000 users.

Simulated users talk to the engine concurrently with a realistic mix: one-line logs,
guided logs answered with buttons, notes and /journal. Prints a table and, last, one
JSON line: {"messages_per_s", "p50_ms", "p99_ms", "rss_mb", ...}.

    python bench/engine.py [--rows 1000000] [--users 10000] [--messages 20000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# bench/telegram.py is named like the `telegram` package: keep this folder off the import path.
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
sys.path.insert(0, str(_here.parent))

from bot.app import build_engine  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from bot.store import Store  # noqa: E402

ONE_LINERS = [
    "left eyelid 2 min after my third coffee",
    "right calf 30s after the gym",
    "both calves half a minute, 3 espressos",
    "thumb twitching 10 seconds, stressed",
    "left thigh for an hour yesterday at 9pm",
    "eye lid flickering this morning, didn't sleep",
]
NOTES = ["slept badly, anxious about work", "drank more water today", "long day at the screen"]
GUIDED = [
    ("text", "/log"),
    ("press", "log:region:calf"),
    ("press", "log:side:left"),
    ("press", "log:duration:30"),
    ("press", "log:trig:caffeine"),
    ("press", "log:trig:done"),
    ("press", "log:int:2"),
]


def seed(path: Path, users: int, rows: int) -> None:
    conn = sqlite3.connect(path)
    now = int(datetime.now(UTC).timestamp())
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO users(id, timezone, created_at) VALUES (?, 'Europe/Berlin', ?)",
        ((i, now) for i in range(1, users + 1)),
    )
    conn.executemany(
        "INSERT INTO identities(platform, external_id, user_id, last_seen) VALUES ('bench', ?, ?, ?)",
        ((f"u{i}", i, now) for i in range(1, users + 1)),
    )
    rnd = random.Random(1)
    regions = ["eyelid", "calf", "thumb", "thigh", "forearm", "back"]
    conn.executemany(
        "INSERT INTO entries(user_id, kind, occurred_at, tz, region, side, duration_s, triggers, intensity, text,"
        " created_at) VALUES (?, 'twitch', ?, 'Europe/Berlin', ?, 'left', 30, 'caffeine', 2, 'seeded', ?)",
        ((rnd.randint(1, users), now - rnd.randint(0, 180 * 86400), rnd.choice(regions), now) for _ in range(rows)),
    )
    conn.execute("COMMIT")
    conn.close()


def script(rnd: random.Random) -> list[tuple[str, str]]:
    roll = rnd.random()
    if roll < 0.45:
        return [("text", rnd.choice(ONE_LINERS))]
    if roll < 0.60:
        return list(GUIDED)
    if roll < 0.85:
        return [("text", "/note " + rnd.choice(NOTES))]
    return [("text", rnd.choice(["/journal", "/journal 7d", "/journal 20"]))]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="flicker-bench-"))
    db = tmp / "bench.db"
    t0 = time.perf_counter()
    store = await Store.open(db)
    await store.close()
    seed(db, args.users, args.rows)
    seed_s = time.perf_counter() - t0
    store = await Store.open(db)
    engine = build_engine(store, clock=SystemClock(), flood_limit=None)  # throughput, not the flood guard
    rnd = random.Random(7)
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    sent = 0

    async def person(worker: int) -> None:
        nonlocal sent
        while sent < args.messages:
            uid = f"u{rnd.randint(1, args.users)}"
            steps = script(rnd)
            for kind, value in steps:
                inc = Incoming("bench", uid, text=value) if kind == "text" else Incoming("bench", uid, choice=value)
                start = time.perf_counter()
                replies = await engine.handle(inc)
                took = time.perf_counter() - start
                latencies.append(took)
                by_kind.setdefault(
                    value.split(" ")[0]
                    if kind == "text" and value.startswith("/")
                    else ("button" if kind == "press" else "one-line log"),
                    [],
                ).append(took)
                sent += 1
                if not replies:
                    raise SystemExit(f"no reply to {inc}")

    # warm-up: caches and the first page reads, not measured
    await asyncio.gather(*(engine.handle(Incoming("bench", f"u{i}", text="/journal 1")) for i in range(1, 200)))
    begin = time.perf_counter()
    await asyncio.gather(*(person(i) for i in range(args.concurrency)))
    elapsed = time.perf_counter() - begin
    await store.close()

    latencies.sort()
    n = len(latencies)
    figures = {
        "messages": n,
        "concurrency": args.concurrency,
        "rows": args.rows,
        "users": args.users,
        "messages_per_s": round(n / elapsed),
        "p50_ms": round(latencies[n // 2] * 1000, 2),
        "p99_ms": round(latencies[int(n * 0.99)] * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "seed_s": round(seed_s, 1),
    }
    print(f"{'figure':<16}{'value':>12}")
    for k, v in figures.items():
        print(f"{k:<16}{v:>12}")
    for k, v in sorted(by_kind.items()):
        v.sort()
        print(f"  p99 {k:<14}{v[int(len(v) * 0.99)] * 1000:>8.2f} ms  ({len(v)} messages)")
    print("targets: >= 2000 messages/s, p99 < 10 ms, RSS < 200 MB")
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
