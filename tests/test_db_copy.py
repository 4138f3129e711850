"""`flicker db copy`: a SQLite journal of 100,000 entries moves to PostgreSQL, verified table by table,
and a person's /export is the same on either side. The source file is never touched."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_engine
from bot.cli import db_copy_main
from bot.clock import FrozenClock
from bot.messages import Incoming
from bot.store import Store, open_store, to_ts
from tests.support.postgres import pg_cluster, pg_url  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 24, 20, 30, tzinfo=UTC)
PEOPLE = 200
ENTRIES = 100_000
BATCH = 10_000
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney")
REGIONS = ("left eyelid", "right eyelid", "left calf", "right thumb", "lip", "left thigh")
TRIGGERS = ("caffeine", "stress", "sleep", "exercise", "screen")


async def build_journal(path: Path, people: int = PEOPLE, entries: int = ENTRIES) -> list[str]:
    """A SQLite journal as the bot would leave it; returns the people's console ids."""
    rng = random.Random(7)
    store = await Store.open(path)
    names = [f"person-{i:03d}" for i in range(people)]
    uids: list[int] = []
    for i, name in enumerate(names):
        user, _ = await store.user_for("console", name, ZONES[i % len(ZONES)], NOW - timedelta(days=400))
        uids.append(user.id)
    now_ts = to_ts(NOW)
    start = now_ts - 365 * 86400

    def entry(k: int) -> tuple:
        uid = uids[k % people]
        at = start + rng.randrange(365 * 86400)
        note = k % 10 == 0
        return (
            uid,
            "note" if note else "twitch",
            at,
            ZONES[(uid - 1) % len(ZONES)],
            None if note else rng.choice(REGIONS),
            None if note else rng.choice(("left", "right", None)),
            None if note else rng.choice((None, 5, 30, 120)),
            "" if note else ",".join(rng.sample(TRIGGERS, rng.randrange(3))),
            None if note else rng.choice((None, 1, 3, 5)),
            f"note {k}: ünïcode ☕ and a 'quote'" if note else "",
            at + 5,
        )

    sql = (
        "INSERT INTO entries(user_id, kind, occurred_at, tz, region, side, duration_s, triggers, intensity, "
        "text, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    )
    for first in range(0, entries, BATCH):
        rows = [entry(k) for k in range(first, min(entries, first + BATCH))]
        await store.write(lambda tx, rows=rows: tx.executemany(sql, rows))

    def extras(tx) -> None:
        for n, uid in enumerate(uids):
            tx.executemany(
                "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) VALUES (?, ?, ?, ?, 1, ?)",
                [
                    (uid, "hydration", 0, 600, now_ts + 3600 + n),
                    (uid, "hydration", 1, 840, now_ts + 7200 + n),
                    (uid, "sleep", 0, 1320, now_ts + 20_000 + n),
                ],
            )
            tx.execute(
                "INSERT INTO reminder_settings(user_id, wake, bedtime, quiet_start, quiet_end) VALUES (?,?,?,?,?)",
                (uid, 420, 1380, 1380, 420),
            )
            if n % 2 == 0:
                tx.execute(
                    "INSERT INTO plans(user_id, started_at, status, caffeine_start, weeks_checked) "
                    "VALUES (?, ?, 'active', ?, ?)",
                    (uid, now_ts - 10 * 86400, 4, 1),
                )
            tx.executemany(
                "INSERT INTO checkins(user_id, day, kind, value, updated_at) VALUES (?, ?, ?, ?, ?)",
                [
                    (uid, f"2026-11-{d:02d}", kind, d % 5, now_ts - (30 - d) * 86400)
                    for d in range(1, 21)
                    for kind in ("cups", "sleep_hours")
                ],
            )
            if n % 3 == 0:
                tx.execute(
                    "INSERT INTO triage_results(user_id, at, level, reasons, answers, unsure, rules_version) "
                    "VALUES (?, ?, 'routine', ?, ?, '[]', 'v1')",
                    (
                        uid,
                        now_ts - 86400 * (n % 30),
                        json.dumps([{"source": "GP-1", "text": "benign"}]),
                        json.dumps({"weakness": "no"}),
                    ),
                )
                tx.execute(
                    "INSERT INTO safety_events(user_id, at, category, rule) VALUES (?, ?, 'red_flag', 'wasting')",
                    (uid, now_ts - 3600),
                )
            tx.execute(
                "INSERT INTO day_marks(user_id, day, mark, at) VALUES (?, '2026-11-20', 'none', ?)", (uid, now_ts)
            )
        tx.execute(
            "INSERT INTO identities(platform, external_id, user_id, chat_id, last_seen) VALUES "
            "('telegram', '4242', ?, '4242', ?)",
            (uids[0], now_ts),
        )

    await store.write(extras)
    await store.close()
    return names


async def export_of(setting: str, names: list[str]) -> dict[str, bytes]:
    store = await open_store(setting)
    try:
        engine = build_engine(store, clock=FrozenClock(NOW), flood_limit=None)
        out: dict[str, bytes] = {}
        for name in names:
            replies = await engine.handle(Incoming("console", name, text="/export", private=True, chat_id=name, at=NOW))
            [data] = [
                r.attachment.data for r in replies if r.attachment is not None and r.attachment.name.endswith(".json")
            ]
            out[name] = data
        return out
    finally:
        await store.close()


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_a_journal_of_100000_entries_copies_to_postgresql_and_exports_the_same(tmp_path, pg_url):  # noqa: F811
    db = tmp_path / "flicker.db"
    began = time.perf_counter()
    names = asyncio.run(build_journal(db))
    built_s = time.perf_counter() - began
    before = fingerprint(db)
    out = io.StringIO()
    began = time.perf_counter()
    rc = db_copy_main(f"sqlite:///{db}", pg_url, out=out)
    copy_s = time.perf_counter() - began
    text = out.getvalue()
    assert rc == 0, text
    assert fingerprint(db) == before  # not a byte, not the mtime
    print(
        f"\nbuilt the SQLite journal in {built_s:.1f} s; copied in {copy_s:.1f} s "
        f"= {copy_s * 100_000 / ENTRIES:.1f} s per 100,000 entries"
    )
    # progress per table, then the table of rows, checksum, verified
    assert "  entries: 5000 rows" in text and f"  entries: {ENTRIES} rows" in text
    [line] = [ln for ln in text.splitlines() if ln.startswith("entries ")]
    table, rows, checksum, verified = line.split()
    assert (int(rows), len(checksum), verified) == (ENTRIES, 32, "yes")
    for t in ("users", "identities", "reminders", "plans", "checkins", "triage_results", "safety_events"):
        assert any(ln.startswith(f"{t} ") and ln.endswith("yes") for ln in text.splitlines()), t

    sample = ["person-000", *random.Random(3).sample(names[1:], 19)]
    on_sqlite = asyncio.run(export_of(str(db), sample))
    on_postgres = asyncio.run(export_of(pg_url, sample))
    for name in sample:
        left, right = json.loads(on_sqlite[name]), json.loads(on_postgres[name])
        assert len(left["entries"]) == ENTRIES // PEOPLE
        assert left == right, name
        assert on_sqlite[name] == on_postgres[name]  # byte for byte, too
    identities = json.loads(on_postgres["person-000"])["user"]["identities"]
    assert {"platform": "telegram", "id": "4242"} in identities  # a linked second identity came along

    async def after_copy() -> None:
        store = await open_store(pg_url)
        try:
            newcomer, is_new = await store.user_for("console", "newcomer", "UTC", NOW)
            assert is_new and newcomer.id == PEOPLE + 1
            entry = await store.add_entry(newcomer.id, "twitch", NOW, "UTC", region="lip", now=NOW)
            assert entry.id == ENTRIES + 1
            row = await store.fetchone("SELECT max(id) FROM reminders")
            rid = await store.fetchone(
                "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) "
                "VALUES (?, 'journal', 0, 1200, 1, ?) RETURNING id",
                (newcomer.id, to_ts(NOW)),
            )
            assert rid[0] == row[0] + 1
        finally:
            await store.close()

    asyncio.run(after_copy())


@pytest.fixture
def small_journal(tmp_path) -> Path:
    db = tmp_path / "small.db"
    asyncio.run(build_journal(db, people=5, entries=50))
    return db


def test_copy_into_a_database_that_holds_rows_fails_and_says_why(small_journal, tmp_path, capsys):
    target = tmp_path / "target.db"
    assert db_copy_main(f"sqlite:///{small_journal}", f"sqlite:///{target}", out=io.StringIO()) == 0
    before = fingerprint(small_journal), fingerprint(target)
    assert db_copy_main(f"sqlite:///{small_journal}", f"sqlite:///{target}", out=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert "already holds rows" in err and "source was not changed" in err
    assert (fingerprint(small_journal), fingerprint(target)) == before


def test_copy_from_an_older_schema_fails_from_the_command_line(small_journal, tmp_path):
    conn = sqlite3.connect(small_journal)
    conn.execute("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
    conn.commit()
    conn.close()
    before = fingerprint(small_journal)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "db",
            "copy",
            "--from",
            f"sqlite:///{small_journal}",
            "--to",
            f"sqlite:///{tmp_path / 'new.db'}",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert proc.returncode == 1
    assert "schema version" in proc.stderr and "Traceback" not in proc.stderr
    assert fingerprint(small_journal) == before


def test_copy_to_postgresql_never_prints_the_password(small_journal, pg_url, capsys):  # noqa: F811
    with_password = pg_url.replace("://", "://someone:s3cret-pw@", 1)
    out = io.StringIO()
    rc = db_copy_main(f"sqlite:///{small_journal}", with_password, out=out)
    assert rc == 1  # no such role: the copy fails, and says so without the password
    err = capsys.readouterr().err
    assert "s3cret-pw" not in err + out.getvalue() and "failed" in err
