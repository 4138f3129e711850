"""Reminder throughput: the durable SQLite queue against one JobQueue job per reminder.

    python bench/reminders.py [--users 100000] [--per-user 5]

Durable queue: N people with 5 reminders each, all due within the same minute (spread over
its 60 seconds), a sender that only counts. The scheduler ticks every 5 s of (frozen) time
through that minute; we report reminders claimed and handed over per second of tick time,
the p99 tick, and the process's peak RSS.
Naive alternative: the same reminders as python-telegram-bot JobQueue.run_daily jobs (one
APScheduler job each, in memory): the time to schedule them and the RSS they cost.
Each part runs in its own subprocess so their memory does not mix. Last line: JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# bench/telegram.py is named like the `telegram` package: keep this folder off the import path.
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
sys.path.insert(0, str(_here.parent))

T0 = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)  # 07:00 in Berlin
KINDS = ("hydration", "sleep", "caffeine", "stress", "journal")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_now_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---- phases (each in its own process) ------------------------------------------------------
def populate(db: str, users: int, per_user: int) -> dict:
    from bot.store import Store

    async def seed() -> int:
        store = await Store.open(db, synchronous="OFF")
        try:
            return await store.seed_due_reminders(
                users, per_user, KINDS, "Europe/Berlin", "console", int(T0.timestamp())
            )
        finally:
            await store.close()

    return {"reminders": asyncio.run(seed())}


class CountingSender:
    def __init__(self) -> None:
        self.messages = 0
        self.people = 0

    async def send(self, external_id, chat_id, replies) -> None:
        self.people += 1
        self.messages += len(replies)


def queue(db: str, batch: int) -> dict:
    from bot.app import build_engine
    from bot.clock import FrozenClock
    from bot.config import Settings
    from bot.scheduler import ReminderScheduler
    from bot.store import Store

    async def run() -> dict:
        store = await Store.open(db)
        clock = FrozenClock(T0)
        engine = build_engine(store, clock=clock, default_timezone={"console": "Europe/Berlin"})
        sender = CountingSender()
        engine.add_sender("console", sender)
        scheduler = ReminderScheduler(engine, Settings(tick_seconds=5), batch_size=batch)
        durations, handed = [], 0
        for k in range(13):  # every 5 s through the minute, and one past it
            clock.set(datetime.fromtimestamp(T0.timestamp() + 5 * k, UTC))
            t = time.perf_counter()
            handed += await scheduler.tick()
            durations.append(time.perf_counter() - t)
        again = await scheduler.tick()  # nothing twice
        end = int(T0.timestamp()) + 60
        left = await store.count_due_reminders(end)
        await store.close()
        busy = sum(durations)
        ordered = sorted(durations)
        return {
            "handed_over": handed,
            "messages_sent": sender.messages,
            "people": sender.people,
            "sent_twice": again,
            "left_due": left,
            "tick_seconds_total": round(busy, 2),
            "reminders_per_s": round(handed / busy),
            "tick_p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 1),
            "tick_max_ms": round(ordered[-1] * 1000, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }

    return asyncio.run(run())


def naive(users: int, per_user: int) -> dict:
    from datetime import time as dtime
    from zoneinfo import ZoneInfo

    from telegram.ext import Application, JobQueue

    async def remind(context) -> None:  # never runs in the bench
        pass

    async def run() -> dict:
        base = rss_now_mb()
        jq = JobQueue()
        app = Application.builder().token("123:bench").job_queue(jq).build()
        jq.set_application(app)
        await jq.start()
        at = dtime(7, 0, tzinfo=ZoneInfo("Europe/Berlin"))
        t = time.perf_counter()
        for u in range(1, users + 1):
            for k in range(per_user):
                jq.run_daily(remind, at, chat_id=u, user_id=u, name=f"{u}:{KINDS[k % len(KINDS)]}")
        took = time.perf_counter() - t
        jobs = len(jq.scheduler.get_jobs())
        rss = rss_now_mb()
        await jq.stop(wait=False)
        return {
            "jobs": jobs,
            "schedule_s": round(took, 1),
            "jobs_per_s": round(jobs / took),
            "rss_mb": round(rss, 1),
            "rss_for_jobs_mb": round(rss - base, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }

    return asyncio.run(run())


# ---- driver ------------------------------------------------------------------------------
def _phase(*args: str) -> dict:
    out = (
        subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()
    )
    return json.loads(out[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--per-user", type=int, default=5)
    p.add_argument("--batch", type=int, default=2000)
    p.add_argument("--skip-naive", action="store_true")
    p.add_argument("--phase", choices=["populate", "queue", "naive"], help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.phase == "populate":
        print(json.dumps(populate(a.db, a.users, a.per_user)))
        return
    if a.phase == "queue":
        print(json.dumps(queue(a.db, a.batch)))
        return
    if a.phase == "naive":
        print(json.dumps(naive(a.users, a.per_user)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        n = a.users * a.per_user
        print(f"{a.users:,} people x {a.per_user} reminders = {n:,}, all due within one minute", file=sys.stderr)
        _phase("--phase", "populate", "--db", db, "--users", str(a.users), "--per-user", str(a.per_user))
        q = _phase("--phase", "queue", "--db", db, "--batch", str(a.batch))
    nv = None if a.skip_naive else _phase("--phase", "naive", "--users", str(a.users), "--per-user", str(a.per_user))

    rows = [
        ("reminders", f"{n:,}", f"{nv['jobs']:,}" if nv else "-"),
        ("handed over / scheduled", f"{q['handed_over']:,} handed over", f"{nv['jobs']:,} jobs" if nv else "-"),
        ("speed", f"{q['reminders_per_s']:,} reminders/s", f"{nv['jobs_per_s']:,} jobs/s scheduled" if nv else "-"),
        ("time", f"{q['tick_seconds_total']} s of ticks", f"{nv['schedule_s']} s to schedule" if nv else "-"),
        ("tick p99 / max", f"{q['tick_p99_ms']} / {q['tick_max_ms']} ms", "-"),
        ("peak RSS", f"{q['peak_rss_mb']} MB", f"{nv['peak_rss_mb']} MB" if nv else "-"),
        ("sent twice / still due", f"{q['sent_twice']} / {q['left_due']}", "-"),
    ]
    print(f"{'':26} {'durable SQLite queue':32} {'JobQueue.run_daily per reminder':32}")
    for label, left, right in rows:
        print(f"{label:26} {left:32} {right:32}")
    ratio = round(nv["peak_rss_mb"] / q["peak_rss_mb"], 1) if nv else None
    if ratio:
        print(f"memory: the in-memory jobs need {ratio}x the RSS of the whole queue-based bot process")
    print(
        json.dumps(
            {
                "reminders": n,
                "reminders_per_s": q["reminders_per_s"],
                "tick_p99_ms": q["tick_p99_ms"],
                "queue_peak_rss_mb": q["peak_rss_mb"],
                "sent_twice": q["sent_twice"],
                "naive_jobs": nv["jobs"] if nv else None,
                "naive_schedule_s": nv["schedule_s"] if nv else None,
                "naive_rss_mb": nv["peak_rss_mb"] if nv else None,
                "rss_ratio": ratio,
            }
        )
    )


if __name__ == "__main__":
    main()
