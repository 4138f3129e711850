"""What the safety screen costs per message, and how well it reads the labelled corpora.

Usage: python bench/safety.py [--seconds 2]
Prints the cost per message kind, a confusion table per corpus, precision and recall per
category, and, as the last line, one JSON object with the figures.
Target (issue: listen for danger): under 50 µs median on a 60-character message.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

# bench/telegram.py is named like the `telegram` package: keep this folder off the import path.
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
sys.path.insert(0, str(_here.parent))

from rules.safety import load_safety_screen  # noqa: E402

DATA = _here.parent / "tests" / "data"
CORPORA = ("safety_corpus.tsv", "safety_heldout.tsv", "safety_third.tsv")
LABELS = ("emergency", "crisis", "urgent_gp", "pregnancy", "red_flag", "benign")
MESSAGES = {
    "60-char benign report": [
        "left eyelid twitching 2 min this morning, slept badly, 3/5",
        "both calves jumping half a minute after the gym and 3 espressos",
        "2h ago right thigh for an hour, strength 3, after coffee again",
    ],
    "60-char emergency": [
        "my dad's face is drooping on one side and he can't lift his arm",
        "it's hard to breathe and my chest muscles are twitching a lot",
    ],
    "60-char red flag": [
        "my right hand looks thinner than the left and it twitches lots",
        "grip getting weaker for weeks, i keep dropping cups at work now",
    ],
    "long note (600 chars)": [
        "slept badly again, stressed about work, three coffees before noon and the eyelid went on and off " * 6
    ],
}


def time_kind(screen, texts: list[str], seconds: float) -> list[float]:
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for t in texts:
            t0 = time.perf_counter_ns()
            screen.screen(t)
            samples.append((time.perf_counter_ns() - t0) / 1000)
    return samples


def corpus_figures(screen, name: str) -> dict:
    path = DATA / name
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    table: Counter = Counter()
    for row in rows:
        result = screen.screen(row["text"])
        table[(row["label"], result.finding.category if result.finding else "benign")] += 1
    print(f"\n{name}: {len(rows)} messages (rows: expected, columns: got)")
    print("".ljust(12) + "".join(label[:9].rjust(10) for label in LABELS))
    for exp in LABELS:
        print(exp.ljust(12) + "".join(str(table[(exp, got)]).rjust(10) for got in LABELS))
    out = {}
    print(f"{'category':<12}{'precision':>10}{'recall':>10}")
    for label in LABELS[:-1]:
        tp = table[(label, label)]
        fp = sum(table[(other, label)] for other in LABELS if other != label)
        fn = sum(table[(label, other)] for other in LABELS if other != label)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        out[label] = {"precision": round(precision, 3), "recall": round(recall, 3)}
        print(f"{label:<12}{precision:>10.3f}{recall:>10.3f}")
    benign = sum(table[("benign", got)] for got in LABELS)
    alarmed = table[("benign", "emergency")] + table[("benign", "crisis")]
    out["benign_alarmed_share"] = round(alarmed / benign, 4) if benign else 0.0
    print(f"benign messages answered as emergency or crisis: {alarmed} of {benign}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()
    screen = load_safety_screen()
    figures: dict = {}
    print(f"{'message kind':<26}{'median µs':>10}{'p99 µs':>10}")
    for kind, texts in MESSAGES.items():
        samples = sorted(time_kind(screen, texts, args.seconds / len(MESSAGES)))
        median = statistics.median(samples)
        p99 = samples[int(len(samples) * 0.99) - 1]
        print(f"{kind:<26}{median:>10.1f}{p99:>10.1f}")
        figures[kind.replace(" ", "_").replace("(", "").replace(")", "")] = {
            "median_us": round(median, 1),
            "p99_us": round(p99, 1),
        }
    for name in CORPORA:
        result = corpus_figures(screen, name)
        if result:
            figures[name.removesuffix(".tsv")] = result
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
