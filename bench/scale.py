"""Scale figures, side by side in one run: Flicker as `flicker run` processes behind Telegram's
webhook (the loopback fake), on SQLite with one process and on PostgreSQL with one, two and
three replicas. Prints a table, then one JSON line.

For each setup: messages per second and the p50/p99 from posting an update to the reply
reaching the fake (each person sends one message after another, everyone at once, each
message to a replica picked at random); reminders handed over per second (a burst due at
once, Telegram's 30/s lifted); the RSS of each replica. Then the time `flicker db copy`
takes per 100,000 entries (SQLite to PostgreSQL).

    python bench/scale.py [--people 300] [--messages 10] [--reminders 2000] [--copy-entries 100000]
                          [--paced-rate 50] [--paced-s 10]

On a 2-core machine, replicas share the same two cores (and PostgreSQL a third share of
them): more replicas add resilience here, not speed; the ratio between setups shows what the
database costs, and on more cores the replicas' throughput adds up until PostgreSQL is the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import re
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

# bench/telegram.py is named like the `telegram` package: keep this folder off the import path.
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
sys.path.insert(0, str(_here.parent))

from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.postgres import start_cluster  # noqa: E402
from tests.support.replicas import TOKEN, Replicas, seed_due_reminders  # noqa: E402

NOTED = re.compile(r"Noted as #(\d+)")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class FakeOnThread:
    """The fake Bot API on its own thread and loop (as Telegram's servers are not in our process)."""

    def __init__(self) -> None:
        self.fake = FakeTelegram(TOKEN)
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    async def run(self, coro):
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))


async def replies_to(
    fake: FakeTelegram, posted: dict[int, list[float]], expected: int, within: float
) -> tuple[dict[int, list[float]], list[float]]:
    """Wait for `expected` "Noted" replies to the people in `posted`; (reply times per chat, the
    sorted latencies from each post to the reply that answered it, person by person in order)."""

    def replies() -> dict[int, list[float]]:
        got: dict[int, list[float]] = defaultdict(list)
        for c in list(fake.calls):
            if c.method == "sendMessage" and NOTED.search(c.params.get("text", "")):
                chat = int(c.params["chat_id"])
                if chat in posted:
                    got[chat].append(c.at)
        return got

    deadline = time.monotonic() + within
    while time.monotonic() < deadline and sum(map(len, replies().values())) < expected:  # noqa: ASYNC110 - polls
        await asyncio.sleep(0.1)
    got = replies()
    lat = sorted(r - p for chat, ps in posted.items() for p, r in zip(ps, sorted(got.get(chat, [])), strict=False))
    return got, lat


async def messages_phase(reps: Replicas, fake: FakeTelegram, people: int, messages: int, first_uid: int) -> dict:
    rng = random.Random(first_uid)
    update_ids = itertools.count(first_uid * 100)
    posted: dict[int, list[float]] = defaultdict(list)
    gate = asyncio.Semaphore(200)
    begin = time.monotonic()

    async def person(p: int) -> None:
        uid = first_uid + p
        async with gate:
            for k in range(messages):
                update = {"update_id": next(update_ids), **fake.text_update(uid, f"/note m{k}")}
                posted[uid].append(time.monotonic())
                while await reps.post(rng.choice(reps.replicas), update) != 200:  # noqa: ASYNC110 - a retry
                    await asyncio.sleep(0.05)

    await asyncio.gather(*(person(p) for p in range(people)))
    total = people * messages

    got, lat = await replies_to(fake, posted, total, within=600)
    end = max((max(v) for v in got.values()), default=time.monotonic())
    answered = sum(map(len, got.values()))
    return {
        "messages": total,
        "answered": answered,
        "messages_per_s": round(answered / (end - begin), 1),
        "p50_ms": round(lat[len(lat) // 2] * 1000, 1) if lat else None,
        "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 1) if lat else None,
    }


async def paced_phase(reps: Replicas, fake: FakeTelegram, rate: int, seconds: float, first_uid: int) -> dict:
    """`rate` messages a second for `seconds` (50 people in turn, each message to a random replica):
    the reply time at a load the setup can carry, not a queue's length."""
    rng = random.Random(first_uid)
    update_ids = itertools.count(first_uid * 100)
    posted: dict[int, list[float]] = defaultdict(list)
    n = int(rate * seconds)
    start = time.monotonic()
    tasks = []
    for i in range(n):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        uid = first_uid + i % 50
        update = {"update_id": next(update_ids), **fake.text_update(uid, f"/note p{i}")}
        posted[uid].append(time.monotonic())
        tasks.append(asyncio.create_task(reps.post(rng.choice(reps.replicas), update)))
    await asyncio.gather(*tasks)

    _, lat = await replies_to(fake, posted, n, within=120)
    return {
        f"paced_{rate}_p50_ms": round(lat[len(lat) // 2] * 1000, 1) if lat else None,
        f"paced_{rate}_p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 1) if lat else None,
    }


def seed_reminders(setting: str, n: int, first_uid: int):
    """n people, each with one reminder due now, written through the store."""
    from bot.store import open_store

    async def go() -> None:
        store = await open_store(setting)
        await store.write(lambda tx: seed_due_reminders(tx, n, first_uid, int(time.time()) - 2))
        await store.close()

    return go()


async def reminders_phase(reps: Replicas, fake: FakeTelegram, n: int, first_uid: int, t0: float) -> dict:
    chats = {str(first_uid + i) for i in range(n)}
    deadline = time.monotonic() + 600
    done: set[str] = set()
    while time.monotonic() < deadline:
        done = {
            str(c.params["chat_id"])
            for c in list(fake.calls)
            if c.method == "sendMessage" and "water" in c.params.get("text", "") and str(c.params["chat_id"]) in chats
        }
        if len(done) >= n:
            break
        await asyncio.sleep(0.1)
    times = sorted(
        c.at
        for c in list(fake.calls)
        if c.method == "sendMessage" and "water" in c.params.get("text", "") and str(c.params["chat_id"]) in chats
    )
    spread = times[-1] - times[0] if len(times) > 1 else 0.0
    # from the first reminder reaching the fake to the last: the hand-over itself, not the start-up
    rate = round(len(done) / spread, 1) if spread > 0 else None
    return {"reminders": n, "handed_over": len(done), "reminders_per_s": rate}


async def run_setup(name: str, setting: str, count: int, args, thread: FakeOnThread, workdir: Path) -> dict:
    fake = thread.fake
    await seed_reminders(setting, args.reminders, 9_000_000)
    reps = Replicas(setting, fake, workdir, count=count, extra_env={"FLICKER_TELEGRAM_RATE": "100000"})
    t0 = time.monotonic()
    await reps.start()
    reminders = await reminders_phase(reps, fake, args.reminders, 9_000_000, t0)
    msgs = await messages_phase(reps, fake, args.people, args.messages, 1_000_000)
    paced = await paced_phase(reps, fake, args.paced_rate, args.paced_s, 3_000_000)
    rss = [rss_mb(r.proc.pid) for r in reps.replicas if r.proc is not None]
    await reps.stop()
    fake.calls.clear()
    return {
        "setup": name,
        "replicas": count,
        **msgs,
        **paced,
        **reminders,
        "rss_mb_per_replica": max(rss) if rss else None,
    }


async def copy_phase(cluster, n_entries: int, workdir: Path) -> dict:
    from bot.store import Store
    from bot.store.copy import copy_database

    src = workdir / "copy-source.db"
    store = await Store.open(src)
    now = int(time.time())
    people = 200

    def seed(tx) -> None:
        for p in range(people):
            uid = tx.execute(
                "INSERT INTO users(timezone, created_at) VALUES ('UTC', ?) RETURNING id", (now,)
            ).fetchone()[0]
            tx.execute(
                "INSERT INTO identities(platform, external_id, user_id, last_seen) VALUES ('console', ?, ?, ?)",
                (f"p{p}", uid, now),
            )
        tx.executemany(
            "INSERT INTO entries(user_id, kind, occurred_at, tz, region, side, duration_s, triggers, intensity, "
            "text, created_at) VALUES (?, 'twitch', ?, 'UTC', 'eyelid', 'left', 30, 'caffeine', 2, ?, ?)",
            [(1 + i % people, now - i * 60, f"left eyelid after coffee {i}", now) for i in range(n_entries)],
        )

    await store.write(seed)
    await store.close()
    target = cluster.create_database("copy_target")
    t = time.monotonic()
    tables = await copy_database(f"sqlite:///{src}", target)
    took = time.monotonic() - t
    assert all(t.verified for t in tables)
    return {
        "copy_entries": n_entries,
        "copy_s": round(took, 2),
        "copy_s_per_100k": round(took * 100_000 / n_entries, 2),
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=300)
    ap.add_argument("--messages", type=int, default=10)
    ap.add_argument("--reminders", type=int, default=2000)
    ap.add_argument("--copy-entries", type=int, default=100_000)
    ap.add_argument("--paced-rate", type=int, default=50)
    ap.add_argument("--paced-s", type=float, default=10.0)
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="flicker-scale-"))
    thread = FakeOnThread()
    await thread.run(thread.fake.start())
    cluster = start_cluster()
    rows = []
    try:
        rows.append(await run_setup("sqlite", f"sqlite:///{workdir / 'one.db'}", 1, args, thread, workdir))
        for n in (1, 2, 3):
            url = cluster.create_database(f"scale{n}")
            rows.append(await run_setup(f"postgresql x{n}", url, n, args, thread, workdir))
        copy = await copy_phase(cluster, args.copy_entries, workdir)
    finally:
        await thread.run(thread.fake.stop())
        cluster.stop()
    paced_cols = [f"paced_{args.paced_rate}_p50_ms", f"paced_{args.paced_rate}_p99_ms"]
    cols = ["setup", "messages_per_s", "p50_ms", "p99_ms", *paced_cols, "reminders_per_s", "rss_mb_per_replica"]
    print("".join(f"{c:>20}" for c in cols))
    for r in rows:
        print("".join(f"{r[c]!s:>20}" for c in cols))
    print("messages_per_s, p50/p99: everyone sending at once (saturation: the reply time is mostly the queue);")
    print(f"paced: {args.paced_rate} messages a second, below every setup's capacity: the reply time itself")
    print(
        f"flicker db copy: {copy['copy_entries']:,} entries in {copy['copy_s']} s "
        f"({copy['copy_s_per_100k']} s per 100,000)"
    )
    base = rows[0]["messages_per_s"] or 1
    print(
        "messages/s as a ratio of SQLite with one process: "
        + ", ".join(f"{r['setup']} {r['messages_per_s'] / base:.2f}" for r in rows)
    )
    print(json.dumps({"setups": rows, **copy}))


if __name__ == "__main__":
    asyncio.run(main())
