"""How fast the free-text twitch parser reads typical messages.

Usage: python bench/parser.py [--seconds 2]
Prints a table per message kind and, as the last line, one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

# bench/telegram.py is named like the `telegram` package: keep this folder off the import path.
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
sys.path.insert(0, str(_here.parent))

from rules.intent import classify  # noqa: E402
from rules.parser import parse_twitch  # noqa: E402

MESSAGES = {
    "typical report": [
        "left eyelid 2 min after my third coffee",
        "right calf 30s after the gym",
        "both calves, half a minute, 3 espressos",
        "thumb twitch yesterday at 9pm, stressed",
        "2h ago right thigh for an hour, strength 3",
        "didn't sleep, eyelid flickering again",
    ],
    "60-char report": [
        "2h ago right thigh for an hour, strength 3, after coffee again",
        "left eyelid twitching 2 min this morning, slept badly, 3/5",
        "both calves jumping half a minute after the gym and 3 espressos",
    ],
    "dated report": [
        "left calf 30s 2026-11-20 18:00 after gym",
        "right eyelid on 20 nov at 9pm",
        "thigh twitch 20.11. 5 s",
        "calf twitch last tuesday evening, 20s",
        "left calf 30s 3 days ago",
    ],
    "several places, ongoing": [
        "left calf, right calf and left arm today",
        "twitches everywhere, arms legs",
        "left eyelid twitching on and off for 3 weeks",
        "i'm terrified i have als, my calves twitch every night for 2 months",
    ],
    "not a report": [
        "hello",
        "what is ALS?",
        "slept badly, anxious about work",
        "thanks, that helps a lot",
    ],
    "long note (1,000 chars)": [
        (
            "slept badly again, long day at work with a deadline, three coffees and the left eyelid "
            "kept flickering on and off while I was staring at my laptop. "
        )
        * 7
    ],
}


def measure(texts: list[str], seconds: float, now: datetime, fn=parse_twitch) -> tuple[float, float, int]:
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for t in texts:
            fn(t, now)
        n += len(texts)
    elapsed = time.perf_counter() - start
    return n / elapsed, elapsed / n * 1e6, n


def per_message_us(texts: list[str], now: datetime, fn, rounds: int = 50) -> list[float]:
    """The median cost of each message alone (best of a few runs, so other load counts less)."""
    out = []
    for t in texts:
        runs = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            fn(t, now)
            runs.append(time.perf_counter() - t0)
        out.append(statistics.median(runs) * 1e6)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0, help="time per message kind")
    args = ap.parse_args()
    now = datetime(2025, 6, 11, 18, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    t0 = time.perf_counter()
    parse_twitch("warm up", now)  # loads the vocabulary and compiles the patterns
    load_ms = (time.perf_counter() - t0) * 1000
    figures: dict[str, float] = {"load_ms": round(load_ms, 1)}
    print(f"{'messages':<26}{'parses/s':>12}{'µs/parse':>12}{'avg chars':>11}")
    for kind, texts in MESSAGES.items():
        rate, us, _ = measure(texts, args.seconds, now)
        chars = sum(map(len, texts)) / len(texts)
        print(f"{kind:<26}{rate:>12,.0f}{us:>12.1f}{chars:>11.0f}")
        key = kind.split(" (")[0].replace(",", "").replace(" ", "_").replace("-", "_")
        figures[f"{key}_parses_per_s"] = round(rate)
        figures[f"{key}_us"] = round(us, 1)
    classify("warm up", now)
    every = [t for texts in MESSAGES.values() for t in texts]
    parse_each = per_message_us(every, now, parse_twitch)
    intent_each = per_message_us(every, now, classify)
    figures["median_us"] = round(statistics.median(parse_each), 1)
    figures["intent_median_us"] = round(statistics.median(intent_each), 1)
    print(f"first parse (load + compile): {load_ms:.0f} ms")
    print(
        f"median per message over {len(every)} messages: parse {figures['median_us']:.1f} µs, "
        f"parse + intent {figures['intent_median_us']:.1f} µs (limit 200 µs)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
