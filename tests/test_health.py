"""`flicker health` on PostgreSQL: 0 ok, 1 database not answering, 2 scheduler stale (as on SQLite)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from bot.config import Settings
from bot.runner import health_main
from bot.store.postgres import PostgresStore
from tests.support.postgres import pg_cluster, pg_url  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


def _health(url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLICKER_DATABASE_URL": url, "FLICKER_DB": "/nonexistent/never.db", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "health"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


async def test_health_on_postgresql_exits_by_which_part_failed(pg_url):  # noqa: F811
    store = await PostgresStore.open(pg_url, size=1)
    await store.close()
    stale = _health(pg_url)
    assert stale.returncode == 2 and "scheduler: last tick never" in stale.stdout, stale.stdout + stale.stderr
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO heartbeat(name, at) VALUES ('scheduler', %s)", (int(time.time()) - 3600,))
    old = _health(pg_url)
    assert old.returncode == 2 and re.search(r"last tick 36\d\d s ago", old.stdout)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE heartbeat SET at = %s WHERE name = 'scheduler'", (int(time.time()),))
    ok = _health(pg_url)
    assert ok.returncode == 0 and ok.stdout.strip() == "database: ok; scheduler: ok", ok.stdout + ok.stderr
    # health only reads: nothing was migrated, written or left behind
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM heartbeat").fetchone()[0] == 1


def test_health_on_postgresql_exits_1_when_the_database_does_not_answer(pg_url, capsys):  # noqa: F811
    unmigrated = health_main(Settings(database_url=pg_url))  # a database with no Flicker tables in it
    assert unmigrated == 1 and "not answering" in capsys.readouterr().out
    port = pg_url.rsplit(":", 1)[1].split("/")[0]
    gone = pg_url.replace(f":{port}/", ":1/")  # nothing listens on port 1
    with_password = gone.replace("://", "://flicker:hunter2-secret@", 1)
    proc = _health(with_password)
    assert proc.returncode == 1 and "database: not answering" in proc.stdout
    assert "hunter2" not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr


def test_settings_pick_the_database_and_never_show_its_password(monkeypatch):
    monkeypatch.setenv("FLICKER_DB", "/data/flicker.db")
    monkeypatch.setenv("FLICKER_DATABASE_URL", "")
    assert Settings.from_env().database == "/data/flicker.db"
    monkeypatch.setenv("FLICKER_DATABASE_URL", "sqlite:///other.db")
    assert Settings.from_env().database == "sqlite:///other.db"
    monkeypatch.setenv("FLICKER_DATABASE_URL", "postgresql://app:p%40ss@db.example.org:5432/flicker?sslmode=require")
    settings = Settings.from_env()
    assert settings.database.startswith("postgresql://app:p%40ss@")
    assert settings.database_label == "postgresql://app:***@db.example.org:5432/flicker?sslmode=require"
    assert "p%40ss" not in repr(settings) and "p%40ss" not in str(settings)
    monkeypatch.setenv("FLICKER_METRICS_PORT", "")
    assert Settings.from_env().metrics_port is None and Settings.from_env().metrics_listen == "127.0.0.1"
    monkeypatch.setenv("FLICKER_METRICS_PORT", "9100")
    monkeypatch.setenv("FLICKER_METRICS_LISTEN", "0.0.0.0")
    assert (Settings.from_env().metrics_port, Settings.from_env().metrics_listen) == (9100, "0.0.0.0")
