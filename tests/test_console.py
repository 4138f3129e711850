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


def test_a_number_at_the_duration_question_is_seconds(tmp_path):
    proc = run_console(tmp_path / "c.db", ["right calf twitching after the gym", "5", "/journal"], "--json")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "How long" in rows[0]["replies"][0]["text"]
    journal = rows[2]["replies"][0]["text"]
    assert "Right calf twitch, 5 s" in journal and "10 min" not in journal


def test_pasting_thirty_notes_saves_thirty(tmp_path):
    lines = [f"/note note number {i}" for i in range(30)] + ["/journal 100"]
    proc = run_console(tmp_path / "c.db", lines, "--json")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sum("Noted as #" in r["replies"][0]["text"] for r in rows[:30]) == 30
    assert "Your last 30 entries" in rows[30]["replies"][0]["text"]


async def test_every_reminders_quick_answers_stay_usable(engine):
    import io

    from bot.adapters.console import ConsoleAdapter
    from bot.messages import Choice, Reply

    out = io.StringIO()
    adapter = ConsoleAdapter(engine, "alice", stdin=io.StringIO(""), stdout=out, stderr=io.StringIO())
    water = Reply("Water?", (Choice("rem:glass:1", "Drank a glass"), Choice("rem:snz:1", "Snooze 1 h")))
    coffee = Reply("Coffee today?", (Choice("rem:cups:1:0", "None"), Choice("rem:snz:2", "Snooze 1 h")))
    await adapter.send("alice", None, [water])
    await adapter.send("alice", None, [coffee])
    assert "3) None" in out.getvalue()  # numbers go on from the first reminder's
    assert adapter._incoming("3").choice == "rem:cups:1:0"  # the second reminder, by number
    assert adapter._incoming("Drank a glass").choice == "rem:glass:1"  # the first, by label
    assert adapter._incoming("1").choice is None  # answered: the first reminder's numbers are gone
