"""Flicker ships everything its users read: nothing points outside the repository."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["README.md", "docs", "rules", "bot", "handlers", "migrations", ".env.example", "docker-compose.yml"]


def test_nothing_a_user_runs_or_reads_points_outside_the_repository():
    offenders = []
    for name in SHIPPED:
        path = ROOT / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and p.suffix != ".pyc"]
        for f in files:
            text = f.read_text(encoding="utf-8", errors="ignore")
            if "../shared" in text or "/work/" in text or "medical-basis.md" in text:
                offenders.append(str(f.relative_to(ROOT)))
    assert not offenders, offenders
