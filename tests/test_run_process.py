"""`flicker run` as a real process against the loopback fake Bot API: it answers, survives the
API going away for a while, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

from bot.messages import Reply
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import ALEX, TOKEN, say, tg  # noqa: F401 - the fixture is used below

ROOT = Path(__file__).resolve().parent.parent


async def test_run_answers_then_stops_cleanly_on_sigterm(tmp_path):
    fake = FakeTelegram(TOKEN)
    await fake.start()
    db = tmp_path / "run.db"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_TOKEN": TOKEN,
        "FLICKER_TELEGRAM_API_URL": fake.url,
        "FLICKER_DB": str(db),
        "FLICKER_TICK_SECONDS": "1",
        "FLICKER_LOG_LEVEL": "DEBUG",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda c: c.method == "getUpdates", within=30)
        await fake.push(fake.text_update(ALEX, "left calf 30s after the gym"))
        [saved] = await fake.wait_for(lambda c: c.method == "sendMessage" and "Saved #" in c.params["text"], 30)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        await asyncio.wait_for(proc.wait(), 15)
        assert proc.returncode == 0
        assert time.monotonic() - started < 10
        stderr = (await proc.stderr.read()).decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await fake.stop()
    assert TOKEN.split(":")[1] not in stderr  # not even at DEBUG
    assert "stopping" in stderr
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 1
    conn.close()


async def test_a_reminder_waits_out_an_unreachable_api_and_is_delivered_once(tg):  # noqa: F811
    await say(tg, ALEX, "/start")
    tg.runner.delivery.base_delay = 0.05
    await tg.fake.stop()  # connection refused from now on
    user, _ = await tg.store.user_for("telegram", str(ALEX), "UTC", tg.clock.now())
    task = asyncio.create_task(tg.engine.deliver(user.id, [Reply("Time for a glass of water (SC-2).")]))
    await asyncio.sleep(1.0)
    assert not task.done()  # still retrying, not crashed, not given up
    before = len(tg.fake.calls)
    await tg.fake.start()  # back on the same port
    assert await asyncio.wait_for(task, 30) is True
    water = [c for c in tg.fake.calls[before:] if c.method == "sendMessage" and "glass of water" in c.params["text"]]
    assert len(water) == 1


def test_compose_waits_longer_than_the_bot_takes_to_stop():
    import re

    from bot.runner import SHUTDOWN_BUDGET_S

    compose = (ROOT / "docker-compose.yml").read_text()
    grace = int(re.search(r"stop_grace_period:\s*(\d+)s", compose).group(1))
    assert grace >= SHUTDOWN_BUDGET_S + 5  # SIGKILL must never cut a clean stop short


async def test_sigterm_during_a_reminder_burst_stops_fast_and_records_every_delivery(tmp_path):
    from datetime import UTC, datetime

    from bot.store import Store

    fake = FakeTelegram(TOKEN)
    await fake.start()
    db = tmp_path / "burst.db"
    store = await Store.open(db)
    now = datetime.now(UTC)
    due = int(now.timestamp()) - 5
    for i in range(300):
        user, _ = await store.user_for("telegram", str(20_000 + i), "UTC", now)
        await store.execute(
            "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) "
            "VALUES (?, 'hydration', 0, 600, 1, ?)",
            (user.id, due),
        )
    await store.close()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_TOKEN": TOKEN,
        "FLICKER_TELEGRAM_API_URL": fake.url,
        "FLICKER_DB": str(db),
        "FLICKER_TICK_SECONDS": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await fake.wait_for(lambda c: len(fake.sent("sendMessage")) >= 20, within=30)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        await asyncio.wait_for(proc.wait(), 20)
        stopped_in = time.monotonic() - started
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await fake.stop()
    assert proc.returncode == 0 and stopped_in < 8  # 300 at 30/s would have taken 10 s
    delivered = {int(c.params["chat_id"]) for c in fake.sent("sendMessage")}
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT i.external_id, d.status FROM deliveries d JOIN identities i ON i.user_id = d.user_id"
    ).fetchall()
    due_left = conn.execute("SELECT count(*) FROM reminders WHERE next_due <= ?", (due,)).fetchone()[0]
    conn.close()
    sent = {int(ext) for ext, status in rows if status == "sent"}
    assert sent == delivered  # the ledger knows exactly which were delivered
    assert not [s for _, s in rows if s == "sending"]
    claimed = sum(1 for _, s in rows if s == "claimed")
    assert len(sent) + claimed + due_left == 300  # the rest waits for the next start


async def test_run_serves_metrics_on_loopback_when_a_port_is_set(tmp_path):
    import socket

    from prometheus_client.parser import text_string_to_metric_families

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fake = FakeTelegram(TOKEN)
    await fake.start()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_TOKEN": TOKEN,
        "FLICKER_TELEGRAM_API_URL": fake.url,
        "FLICKER_DB": str(tmp_path / "m.db"),
        "FLICKER_METRICS_PORT": str(port),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await fake.wait_for(lambda c: c.method == "getUpdates", within=30)
        await fake.push(fake.text_update(ALEX, "left calf 30s after the gym"))
        await fake.wait_for(lambda c: c.method == "sendMessage" and "Saved #" in c.params["text"], 30)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /metrics HTTP/1.1\r\n\r\n")
        raw = await asyncio.wait_for(reader.read(), 10)
        writer.close()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 20)
        await fake.stop()
    body = raw.partition(b"\r\n\r\n")[2].decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }
    assert samples[("flicker_messages_handled_total", (("platform", "telegram"),))] == 1
    assert "calf" not in body and str(ALEX) not in body
