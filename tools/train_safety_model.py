"""Train the safety screen's second opinion and write rules/safety_model.json.

The rules in rules/safety.toml decide; this small model only adds a gentle check when the rules
found nothing but the words look like a crisis or an emergency (it never overrules a rule).
It is a logistic regression on word 1-3-grams (TF-IDF, sublinear tf) of the screen's
normalised text, trained on the labelled corpora in tests/data/. Flicker reads the exported
weights with plain Python (rules/safety.py), so scikit-learn is needed only here:

    pip install scikit-learn && python tools/train_safety_model.py [--check]

`--check` prints a leave-one-corpus-out estimate (train on three corpora, test on the fourth):
the honest figure for text the model has never seen.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from rules.safety import load_safety_screen  # noqa: E402

CORPORA = ["safety_corpus.tsv", "safety_heldout.tsv", "safety_third.tsv", "safety_fourth.tsv"]
TARGETS = ("crisis", "emergency")
# Soft checks, so recall first, but ordinary twitch logs must rarely be asked about (see --check).
THRESHOLDS = {"crisis": 0.5, "emergency": 0.6}
ORDINARY = ROOT / "tests" / "data" / "understanding_corpus.txt"  # everyday messages: all benign here
TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def rows(name: str) -> list[dict[str, str]]:
    with (ROOT / "tests" / "data" / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def ordinary() -> list[dict[str, str]]:
    """The understanding corpus (reports, notes, questions, feelings): none is an emergency."""
    if not ORDINARY.exists():
        return []
    lines = ORDINARY.read_text(encoding="utf-8").splitlines()
    texts = [ln.split("|")[1].strip() for ln in lines if "|" in ln and not ln.startswith("#")]
    return [{"label": "benign", "text": t} for t in texts]


def parser_phrasings() -> list[str]:
    """Held out from training: the twitch reports of tests/test_parser.py, to count needless questions."""
    import re

    return sorted(set(re.findall(r'\(\s*"([^"]{6,120})"', (ROOT / "tests" / "test_parser.py").read_text())))


def fit(texts: list[str], labels: list[bool]) -> tuple[TfidfVectorizer, LogisticRegression]:
    vec = TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, token_pattern=TOKEN_PATTERN)
    x = vec.fit_transform(texts)
    clf = LogisticRegression(C=10, class_weight="balanced", max_iter=5000)
    clf.fit(x, labels)
    return vec, clf


def check(data: dict[str, list[dict[str, str]]], norm, screen) -> None:
    everyday = ordinary()
    held_out = parser_phrasings()
    for target in TARGETS:
        threshold = THRESHOLDS[target]
        hit = total = alarmed = benign = 0
        for test in CORPORA:
            train = [r for name in CORPORA if name != test for r in data[name]] + everyday
            vec, clf = fit([norm(r["text"]) for r in train], [r["label"] == target for r in train])
            p = clf.predict_proba(vec.transform([norm(r["text"]) for r in data[test]]))[:, 1]
            for r, q in zip(data[test], p, strict=True):
                q = q if screen.model_would_ask(norm(r["text"]), target) else 0.0
                total += r["label"] == target
                hit += r["label"] == target and q >= threshold
                benign += r["label"] == "benign"
                alarmed += r["label"] == "benign" and q >= threshold
        every = [r for name in CORPORA for r in data[name]] + everyday
        vec, clf = fit([norm(r["text"]) for r in every], [r["label"] == target for r in every])
        probs = clf.predict_proba(vec.transform([norm(t) for t in held_out]))[:, 1]
        asked = sum(
            q >= threshold and screen.model_would_ask(norm(t), target) for t, q in zip(held_out, probs, strict=True)
        )
        print(
            f"{target:<10} leave-one-corpus-out: {hit}/{total} found, {alarmed}/{benign} benign asked; "
            f"held-out twitch reports asked: {asked}/{len(held_out)}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    screen = load_safety_screen()
    norm = screen.normalise
    data = {name: rows(name) for name in CORPORA}
    if args.check:
        check(data, norm, screen)
    every = [r for name in CORPORA for r in data[name]] + ordinary()
    texts = [norm(r["text"]) for r in every]
    out = {
        "about": "Second opinion of the safety screen; trained by tools/train_safety_model.py. Do not edit.",
        "token_pattern": TOKEN_PATTERN,
        "ngram_range": [1, 3],
        "thresholds": THRESHOLDS,
        "trained_on": {**{name: len(data[name]) for name in CORPORA}, ORDINARY.name: len(ordinary())},
        "models": {},
    }
    vocabulary: dict[str, list[float]] = {}
    for k, target in enumerate(TARGETS):
        vec, clf = fit(texts, [r["label"] == target for r in every])
        out["models"][target] = {"intercept": round(float(clf.intercept_[0]), 5), "index": k}
        for term, i in vec.vocabulary_.items():  # the same texts give the same vocabulary and idf
            entry = vocabulary.setdefault(term, [round(float(vec.idf_[i]), 4)])
            entry.append(round(float(clf.coef_[0][i]), 4))
    out["features"] = vocabulary  # term -> [idf, weight for crisis, weight for emergency]
    # The plain-Python reading in rules/safety.py must give scikit-learn's probabilities.
    from rules.safety import SecondOpinion

    mine = SecondOpinion(json.loads(json.dumps(out)))
    for target in TARGETS:
        vec, clf = fit(texts, [r["label"] == target for r in every])
        theirs = clf.predict_proba(vec.transform(texts))[:, 1]
        worst = max(abs(mine.scores(t)[target] - p) for t, p in zip(texts, theirs, strict=True))
        print(f"{target}: largest difference from scikit-learn {worst:.4f}")
        assert worst < 0.01, "rules/safety.py reads the model differently from scikit-learn"
    path = ROOT / "rules" / "safety_model.json"
    path.write_text(json.dumps(out, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
