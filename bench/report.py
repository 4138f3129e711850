"""Time and peak memory to build a summary chart and a 90-day report for a person with 5,000
journal entries, /appointment notes (the report's first page), 13 weeks of "what stayed absent"
answers, quiet days and triage results. Target: under 1.5 s and 250 MB. Prints a table, then
one JSON line.

    python bench/report.py [--entries 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# bench/telegram.py is named like the `telegram` package: keep this folder off the import path.
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
sys.path.insert(0, str(_here.parent))

from bot.app import build_engine  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from bot.store import Store, to_ts  # noqa: E402

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
REGIONS = ["eyelid", "calf", "thumb", "thigh", "forearm", "back", "shoulder"]
TRIGGERS = ["caffeine", "stress", "poor_sleep", "exercise", ""]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=5000)
    args = ap.parse_args()
    db = Path(tempfile.mkdtemp(prefix="flicker-report-")) / "r.db"
    store = await Store.open(db)
    engine = build_engine(store, clock=FrozenClock(NOW))
    await engine.handle(Incoming("bench", "me", text="/name Sam"))
    user, _ = await store.user_for("bench", "me", "UTC", NOW)
    rnd = random.Random(5)
    rows = [
        (
            user.id,
            "twitch" if i % 10 else "note",
            to_ts(NOW - timedelta(seconds=rnd.randint(0, 90 * 86400))),
            "Europe/Berlin",
            rnd.choice(REGIONS),
            rnd.choice(["left", "right", None]),
            rnd.randint(1, 300),
            rnd.choice(TRIGGERS),
            rnd.randint(1, 5),
            "note text " * (i % 10 == 0),
            to_ts(NOW),
        )
        for i in range(args.entries)
    ]
    await store.write(
        lambda conn: conn.executemany(
            "INSERT INTO entries(user_id, kind, occurred_at, tz, region, side, duration_s, triggers, intensity, text,"
            " created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    )
    week_ts = [to_ts(NOW - timedelta(days=7 * w)) for w in range(13)]
    await store.write(
        lambda conn: (
            conn.executemany(
                "INSERT INTO absent_answers(user_id, at, question, answer) VALUES (?,?,?,'no')",
                [(user.id, ts, q) for ts in week_ts for q in ("weakness", "wasting", "bulbar")],
            ),
            conn.executemany(
                "INSERT INTO day_marks(user_id, day, mark, at) VALUES (?,?,'none',?)",
                [(user.id, (NOW - timedelta(days=d)).date().isoformat(), to_ts(NOW)) for d in range(95, 120)],
            ),
            conn.executemany(
                "INSERT INTO triage_results(user_id, at, level, reasons, answers, unsure, rules_version) "
                "VALUES (?,?,?,?,?,'[]','bench')",
                [
                    (user.id, ts, "monitor", '[{"source": "RF-4", "text": "lasting weeks"}]', '{"weakness": "no"}')
                    for ts in week_ts[:6]
                ],
            ),
            conn.execute(
                "INSERT INTO appointment_notes(user_id, worry, changed, questions, updated_at) VALUES (?,?,?,?,?)",
                (user.id, "that it could be ALS " * 10, "moved from calf to thigh", "Could an EMG help? " * 5, 0),
            ),
        )
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t0 = time.perf_counter()
    summary = await engine.handle(Incoming("bench", "me", text="/summary 90d"))
    t_summary = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = await engine.handle(Incoming("bench", "me", text="/report 90d"))
    t_report = time.perf_counter() - t0
    t0 = time.perf_counter()
    await engine.handle(Incoming("bench", "me", text="/report 90d"))
    t_report_warm = time.perf_counter() - t0
    await store.close()

    pdf = next(r.attachment for r in report if r.attachment and r.attachment.media_type == "application/pdf")
    from pypdf import PdfReader

    first_page = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert first_page.startswith("For the appointment"), "the appointment page is missing"
    png = next(r.attachment for r in summary if r.attachment)
    figures = {
        "entries": args.entries,
        "summary_s": round(t_summary, 3),
        "report_90d_s": round(t_report, 3),
        "report_90d_warm_s": round(t_report_warm, 3),
        "pdf_kb": round(len(pdf.data) / 1024),
        "pdf_pages": len(PdfReader(io.BytesIO(pdf.data)).pages),
        "png_kb": round(len(png.data) / 1024),
        "rss_mb_before": round(rss_before, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(f"{'figure':<20}{'value':>10}")
    for k, v in figures.items():
        print(f"{k:<20}{v:>10}")
    print("targets: summary chart and 90-day report each under 1.5 s; peak RSS under 250 MB")
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
