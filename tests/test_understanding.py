"""The labelled corpus (tests/data/understanding_corpus.txt): what each message is, and the
fields a report states. Prints per-field accuracy; fails below 97% on any report field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.faq import match_faq
from rules.intent import classify

CORPUS = Path(__file__).with_name("data") / "understanding_corpus.txt"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 24, 21, 30, tzinfo=BERLIN)
REPORT_FIELDS = ("region", "side", "dur", "trig", "int", "when", "ongoing", "places")
THRESHOLD = 0.97


@dataclass(frozen=True)
class Case:
    intent: str
    text: str
    fields: dict[str, str]
    line: int


def load() -> list[Case]:
    cases = []
    for n, raw in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        intent, text, spec = ([p.strip() for p in raw.split("|", 2)] + ["", ""])[:3]
        fields = {}
        key = None
        for token in spec.split():
            if "=" in token:
                key, _, value = token.partition("=")
                fields[key] = value
            elif key is not None:  # a value with a space: "when=2026-11-20 18:00"
                fields[key] += " " + token
        cases.append(Case(intent, text, fields, n))
    return cases


CASES = load()


def read_report(text: str) -> dict[str, str]:
    """The fields the parser read, written like the corpus labels ("" for absent)."""
    p = classify(text, NOW).parsed
    when = ""
    if p.occurred_at is not None:
        when = "now" if p.occurred_at == NOW else p.occurred_at.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")
    places = "+".join(f"{r}:{s or ''}" for r, s in p.places) if len(p.places) > 1 else ""
    single = len(p.places) <= 1
    return {
        "region": (p.region or "") if single else "",
        "side": (p.side or "") if single else "",
        "dur": "" if p.duration_s is None else str(p.duration_s),
        "trig": ",".join(sorted(p.triggers)),
        "int": "" if p.intensity is None else str(p.intensity),
        "when": when,
        "ongoing": "" if p.ongoing_s is None else str(p.ongoing_s),
        "places": places,
    }


def expected_report(case: Case) -> dict[str, str]:
    out = {k: case.fields.get(k, "") for k in REPORT_FIELDS}
    out["trig"] = ",".join(sorted(t for t in out["trig"].split(",") if t))
    if out["when"] == "2026-11-24 21:30":
        out["when"] = "now"
    return out


def test_corpus_is_big_and_varied():
    kinds = {c.intent for c in CASES}
    assert len(CASES) >= 300
    assert kinds == {"report", "note", "question", "feeling", "greeting", "thanks", "unknown"}
    assert sum(c.intent == "report" for c in CASES) >= 150


def test_intent_accuracy_and_report_fields(capsys):
    right_intent = 0
    per_field = {f: [0, 0] for f in REPORT_FIELDS}
    misses: list[str] = []
    for case in CASES:
        got = classify(case.text, NOW)
        if got.kind == case.intent:
            right_intent += 1
        else:
            misses.append(f"line {case.line}: {case.text!r} read as {got.kind}, labelled {case.intent}")
        if case.intent != "report":
            continue
        want, read = expected_report(case), read_report(case.text)
        for f in REPORT_FIELDS:
            per_field[f][1] += 1
            if want[f] == read[f]:
                per_field[f][0] += 1
            else:
                misses.append(f"line {case.line}: {case.text!r} {f}: read {read[f]!r}, labelled {want[f]!r}")
    with capsys.disabled():
        print(f"\nintent: {right_intent}/{len(CASES)} = {right_intent / len(CASES):.1%}")
        for f, (ok, total) in per_field.items():
            print(f"report {f:<8} {ok}/{total} = {ok / total:.1%}")
        for m in misses:
            print("  miss:", m)
    assert right_intent / len(CASES) >= 0.95, misses
    for f, (ok, total) in per_field.items():
        assert ok / total >= THRESHOLD, (f, misses)


@pytest.mark.parametrize("case", [c for c in CASES if c.intent == "question"], ids=lambda c: c.text[:40])
def test_each_question_gets_its_answer_or_not_covered(case):
    f = match_faq(case.text)
    assert (f.id if f else "none") == case.fields["faq"]


@pytest.mark.parametrize("case", [c for c in CASES if c.intent == "feeling"], ids=lambda c: c.text[:40])
def test_each_feeling_is_read(case):
    got = classify(case.text, NOW)
    assert (got.kind, got.feeling) == ("feeling", case.fields["feeling"])


def test_notes_keep_their_triggers():
    for case in (c for c in CASES if c.intent == "note"):
        got = classify(case.text, NOW)
        want = sorted(t for t in case.fields.get("trig", "").split(",") if t)
        assert sorted(got.parsed.triggers) == want, case.text


KINDS = {"report", "note", "question", "feeling", "greeting", "thanks", "unknown"}


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_has_one_intent_and_a_confidence(text):
    got = classify(text, NOW)
    assert got.kind in KINDS and 0 < got.confidence <= 1
    match_faq(text)


def test_a_very_long_message_is_read_quickly():
    import time

    text = "left calf twitching for 3 weeks, scared it is als? " * 400
    t0 = time.perf_counter()
    got = classify(text, NOW)
    assert got.kind in KINDS and time.perf_counter() - t0 < 0.5
