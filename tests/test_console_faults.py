"""The console against hostile output folders, bytes and text (issue 16: 10, 11)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.test_console import ROOT, run_console


def test_an_unwritable_out_folder_costs_the_file_not_the_session(tmp_path):
    not_a_folder = tmp_path / "out"
    not_a_folder.write_text("a file where the folder should be")
    lines = ["/note kept", "/export", "/note still here", "/journal"]
    proc = run_console(tmp_path / "c.db", lines, "--json", "--out", str(not_a_folder))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 4  # every later line still answered
    errors = [r["attachment"]["error"] for r in rows[1]["replies"] if r["attachment"]]
    assert errors and all("could not save" in e for e in errors)
    assert "still here" in rows[3]["replies"][0]["text"]
    human = run_console(tmp_path / "c.db", ["/export", "/journal"], "--out", str(not_a_folder))
    assert human.returncode == 0 and "could not save" in human.stdout and "still here" in human.stdout


def test_exports_are_private_and_a_second_one_does_not_overwrite_the_first(tmp_path):
    out = tmp_path / "out"
    proc = run_console(tmp_path / "c.db", ["/note one", "/export", "/note two", "/export"], "--json", "--out", str(out))
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    paths = [r["attachment"]["path"] for row in (rows[1], rows[3]) for r in row["replies"] if r["attachment"]]
    assert len(set(paths)) == 4
    first_json = json.loads(Path(next(p for p in paths[:2] if p.endswith(".json"))).read_text())
    assert len(first_json["entries"]) == 1  # the first export is still the first one
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in paths)


def test_terminal_escapes_in_journal_text_never_reach_the_terminal(tmp_path):
    hostile = "/note \x1b[2J\x1b]0;pwned\x07\x1b]8;;http://evil.invalid\x1b\\click\x1b]8;;\x1b\\ \x9b31m"
    proc = run_console(tmp_path / "c.db", [hostile, "/journal"])
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout and "\x9b" not in proc.stdout
    assert "click" in proc.stdout


def test_invalid_utf8_is_answered_and_the_session_goes_on(tmp_path):
    env = {**os.environ, "FLICKER_DB": str(tmp_path / "c.db"), "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": ""}
    env.pop("PYTHONIOENCODING")
    env["LC_ALL"] = env["LANG"] = "C.UTF-8"
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--json", "--user", "u"],
        input=b"/note caf\xe9 \xff\xfe broken\n/journal\n",
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(rows) == 2
    assert "Noted" in rows[0]["replies"][0]["text"] and "broken" in rows[1]["replies"][0]["text"]


def test_a_database_that_cannot_be_opened_gives_a_sentence_not_a_traceback(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_console(blocker / "sub" / "c.db", ["/help"])
    assert proc.returncode != 0
    assert "cannot open the database" in proc.stderr and "Traceback" not in proc.stderr


def test_health_says_when_the_database_is_not_writable(tmp_path, monkeypatch, capsys):
    import sqlite3

    from bot.config import Settings
    from bot.runner import health_main

    db = tmp_path / "h.db"
    sqlite3.connect(db).close()
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # tests run as root: simulate it
    assert health_main(Settings(db_path=str(db))) == 1
    assert "not writable" in capsys.readouterr().out


def test_matplotlib_cache_is_private(tmp_path, monkeypatch):
    from bot.cli import private_cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = Path(private_cache_dir())
    assert path.is_dir() and stat.S_IMODE(path.stat().st_mode) == 0o700
    assert str(path).startswith(str(tmp_path))
