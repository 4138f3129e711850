"""The console as a person (or a script) uses it: a real subprocess on a temporary database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_console(db: Path, lines: list[str], *args: str, user: str = "tester") -> subprocess.CompletedProcess:
    env = {**os.environ, "FLICKER_DB": str(db), "TZ": "Europe/Berlin", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--user", user, *args],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


def test_json_mode_answers_each_line_with_exactly_one_line(tmp_path):
    out = tmp_path / "out"
    lines = ["/log left eyelid 2 min after my third coffee", "/log", "Calf", "1", "/export"]
    proc = run_console(tmp_path / "c.db", lines, "--json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == len(lines)
    assert "Saved #1" in rows[0]["replies"][0]["text"]
    assert rows[1]["replies"][0]["choices"][0]["id"].startswith("log:region:")
    assert "Which side" in rows[2]["replies"][0]["text"]  # a choice answered by its label
    assert "How long" in rows[3]["replies"][0]["text"]  # ... and by its number
    paths = [r["attachment"]["path"] for r in rows[4]["replies"] if r["attachment"]]
    assert len(paths) == 2 and all(Path(p).is_file() for p in paths)
    exported = json.loads(Path(next(p for p in paths if p.endswith(".json"))).read_text())
    assert exported["entries"][0]["region"] == "eyelid"


def test_journal_survives_a_restart_of_the_console(tmp_path):
    db = tmp_path / "c.db"
    first = run_console(db, ["/log", "Thumb"], "--json")
    assert first.returncode == 0, first.stderr
    second = run_console(db, ["Right", "/journal"], "--json")  # the half-answered flow continues
    rows = [json.loads(line) for line in second.stdout.splitlines()]
    assert "How long" in rows[0]["replies"][0]["text"]


def test_human_mode_numbers_choices_and_exits_at_end_of_input(tmp_path):
    proc = run_console(tmp_path / "c.db", ["/start", "1"])
    assert proc.returncode == 0, proc.stderr
    assert "1) Keep" in proc.stdout
    assert "Time zone set to Europe/Berlin" in proc.stdout
    assert "Flicker console" in proc.stderr  # the banner stays out of stdout
