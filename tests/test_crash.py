"""kill -9 in the middle of a burst: every acknowledged entry is on disk, the file is intact,
and nobody is left stuck in a half-finished conversation."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_console(db: Path, user: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FLICKER_DB": str(db)}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "console", "--json", "--user", user],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(db.with_name(f"{user}.err"), "w"),  # noqa: SIM115 - read when a test fails
        text=True,
        cwd=ROOT,
        env=env,
        bufsize=1,
    )


def test_kill_minus_9_during_a_burst_loses_no_acknowledged_entry(tmp_path):
    db = tmp_path / "crash.db"
    procs = [start_console(db, f"user{i}") for i in range(4)]
    acknowledged: set[int] = set()
    try:
        for n in range(30):  # a burst of logs from four people at once, one half-finished flow each
            for p in procs:
                p.stdin.write(f"/log left calf {n + 1} s after coffee\n" if n != 29 else "/log\n")
                p.stdin.flush()
        deadline = time.time() + 30
        for p in procs:  # read some acknowledgements, then kill while more are in flight
            for _ in range(20):
                line = p.stdout.readline()
                assert line, "console exited early: " + db.with_name(f"user{procs.index(p)}.err").read_text()[-2000:]
                for reply in json.loads(line)["replies"]:
                    if m := re.match(r"Saved #(\d+)", reply["text"]):
                        acknowledged.add(int(m.group(1)))
                assert time.time() < deadline
        for p in procs:
            os.kill(p.pid, signal.SIGKILL)
    finally:
        for p in procs:
            p.kill()
            p.wait()

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {r[0] for r in conn.execute("SELECT id FROM entries")}
    conn.close()
    assert len(acknowledged) == 80
    assert acknowledged <= stored

    # The next message after a restart continues or restarts cleanly.
    p = start_console(db, "user0")
    out, _ = p.communicate("/journal 1\n/log\nThumb\n", timeout=60)
    rows = [json.loads(line) for line in out.splitlines()]
    assert "Your last 1 entry" in rows[0]["replies"][0]["text"]
    assert "Which side" in rows[2]["replies"][0]["text"]


async def _run_bot(db: Path, api_url: str):
    import asyncio

    from tests.test_telegram import TOKEN

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_TOKEN": TOKEN,
        "FLICKER_TELEGRAM_API_URL": api_url,
        "FLICKER_DB": str(db),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env, stderr=asyncio.subprocess.DEVNULL
    )


async def test_kill_minus_9_during_a_stream_of_updates_loses_no_update_and_no_reply(tmp_path):

    from tests.fake_telegram import FakeTelegram
    from tests.test_telegram import TOKEN

    fake = FakeTelegram(TOKEN)
    fake.send_delay = 0.03  # replies queue up behind the sends, as behind Telegram's limits
    await fake.start()
    db = tmp_path / "stream.db"
    people = range(6000, 6040)
    for uid in people:
        await fake.push(fake.text_update(uid, f"/note stream note of {uid}"))

    def noted(uid: int) -> bool:  # answered: "Noted as #…", or (saved just before the kill) the restart note
        return any(
            "Noted as" in c.params["text"] or "It was taken in and saved" in c.params["text"]
            for c in fake.sent("sendMessage", uid)
        )

    proc = await _run_bot(db, fake.url)
    try:
        await fake.wait_for(lambda c: sum(noted(u) for u in people) >= 5, within=30)
        proc.kill()  # kill -9 in the middle: many updates confirmed to Telegram, some answered
        await proc.wait()
        answered_before = sum(noted(u) for u in people)
        assert answered_before < len(people)
        proc = await _run_bot(db, fake.url)
        await fake.wait_for(lambda c: all(noted(u) for u in people), within=30)
        proc.terminate()
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await fake.stop()
    conn = sqlite3.connect(db)
    saved = conn.execute("SELECT text FROM entries").fetchall()
    conn.close()
    assert {t for (t,) in saved} == {f"stream note of {u}" for u in people}  # every update saved
    assert len(saved) == len(people)  # and none saved twice; every saved note was answered (above)


def test_every_acknowledged_note_is_fsynced_before_its_reply(tmp_path):
    """synchronous=FULL: an fsync of the database (its WAL) comes between saving a note and
    writing "Noted" to the person, so a power cut can't take back an acknowledged entry."""
    import shutil

    import pytest

    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    trace = tmp_path / "trace.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FLICKER_DB": str(tmp_path / "s.db")}
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync,write", "-s", "40", "-o", str(trace)]
        + [sys.executable, "-m", "bot.cli", "console", "--json", "--user", "u"],
        input="".join(f"/note number {i}\n" for i in range(5)),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    if proc.returncode != 0 and "ptrace" in proc.stderr.lower():
        pytest.skip("ptrace is not allowed here")
    assert proc.returncode == 0, proc.stderr[-2000:]
    synced, acknowledged = False, 0
    for line in trace.read_text().splitlines():
        if "fsync(" in line or "fdatasync(" in line:
            synced = True
        elif "write(1," in line and "Noted as" in line:
            assert synced, "a note was acknowledged before anything was flushed to disk"
            synced, acknowledged = False, acknowledged + 1
    assert acknowledged == 5
