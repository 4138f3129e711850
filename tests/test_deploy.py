"""Deployment files: the compose service a person would run, and the health check."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_file_defines_the_bot_service_with_volume_env_file_and_health_check():
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    bot = spec["services"]["bot"]
    assert bot["command"] == ["flicker", "run"]
    assert bot["env_file"] == ".env"
    assert bot["restart"] in ("unless-stopped", "always")
    volume = bot["volumes"][0].split(":")
    assert volume[0] in spec["volumes"] and volume[1] == "/data"
    assert bot["environment"]["FLICKER_DB"].startswith("/data/")
    assert bot["healthcheck"]["test"] == ["CMD", "flicker", "health"]
    documented = (ROOT / ".env.example").read_text()
    for name in ("TELEGRAM_TOKEN", "DISCORD_TOKEN", "FLICKER_LOG_LEVEL"):
        assert f"{name}=" in documented


def test_dockerfile_runs_as_a_non_root_user():
    text = (ROOT / "Dockerfile").read_text()
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")


@pytest.mark.skipif(not shutil.which("docker"), reason="no docker client on this machine")
def test_docker_compose_accepts_the_file(tmp_path):
    env = tmp_path / ".env"
    env.write_text("")
    for cmd in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cmd[0]) is None:
            continue
        proc = subprocess.run(
            [*cmd, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        if "is not a docker command" in proc.stderr or "unknown" in proc.stderr.lower():
            continue  # the compose plugin is not installed
        assert proc.returncode == 0 or "env file" in proc.stderr, proc.stderr
        return
    pytest.skip("neither `docker compose` nor `docker-compose` is available")


def _health(db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLICKER_DB": str(db), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "health"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


def test_health_exit_status_says_which_part_failed(tmp_path):
    db = tmp_path / "h.db"
    assert _health(db).returncode == 1  # no database at all
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--db", str(db)],
        input="",
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=True,
    )
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM heartbeat")
    conn.commit()
    stale = _health(db)
    assert stale.returncode == 2 and "scheduler" in stale.stdout
    conn.execute("INSERT INTO heartbeat(name, at) VALUES ('scheduler', ?)", (int(time.time()),))
    conn.commit()
    conn.close()
    ok = _health(db)
    assert ok.returncode == 0, ok.stdout


def test_readme_lists_every_command_the_bot_understands():
    from bot.engine import Registry
    from handlers import MODULES

    readme = (ROOT / "README.md").read_text()
    missing = [c.name for c in Registry.from_modules(MODULES).menu() if f"/{c.name}" not in readme]
    assert not missing, f"README.md does not mention: {missing}"
