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


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _replicas(spec: dict) -> dict[str, dict]:
    return {
        name: svc
        for name, svc in spec["services"].items()
        if "postgres" in svc.get("profiles", []) and svc.get("command") == ["flicker", "run"]
    }


def test_without_a_profile_only_the_sqlite_bot_runs():
    spec = _compose()
    default = [name for name, svc in spec["services"].items() if not svc.get("profiles")]
    assert default == ["bot"]
    assert "FLICKER_DATABASE_URL" not in spec["services"]["bot"]["environment"]
    for name, svc in spec["services"].items():
        if name != "bot":
            assert svc["profiles"] == ["postgres"], name


def test_the_postgres_profile_has_a_healthy_database_before_two_replicas_and_a_proxy_in_front():
    spec = _compose()
    pg = spec["services"]["postgres"]
    assert pg["image"] == "postgres:15"
    assert "ports" not in pg  # reachable from the replicas only
    data = pg["volumes"][0].split(":")
    assert data[0] in spec["volumes"] and data[1] == "/var/lib/postgresql/data"
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert pg["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    assert spec["networks"][pg["networks"][0]].get("internal") is True

    replicas = _replicas(spec)
    assert len(replicas) >= 2
    for name, svc in replicas.items():
        env = svc["environment"]
        url = env["FLICKER_DATABASE_URL"]
        assert url.startswith("postgresql://flicker:${POSTGRES_PASSWORD") and url.endswith("@postgres:5432/flicker")
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy", name
        assert set(pg["networks"]) <= set(svc["networks"]), name
        assert svc["image"] == spec["services"]["bot"]["image"] and svc["env_file"] == ".env"
        assert env["FLICKER_METRICS_PORT"] and env["FLICKER_WEBHOOK_PORT"]
    # Every replica may hold the Discord token: one at a time connects to the gateway (a PostgreSQL
    # advisory lock, tests/test_discord_leader.py), so a replica going down hands Discord over.
    assert all(svc["environment"].get("DISCORD_TOKEN", None) != "" for svc in replicas.values())

    proxy = spec["services"]["proxy"]
    assert proxy["image"].startswith("nginx")
    source, target = proxy["volumes"][0].split(":")[:2]
    assert target == "/etc/nginx/nginx.conf"
    conf = (ROOT / source).read_text()
    assert conf.count("{") == conf.count("}")
    assert "location = /telegram" in conf
    for name, svc in replicas.items():
        assert f"server {name}:{svc['environment']['FLICKER_WEBHOOK_PORT']}" in conf, name
        assert f"http://{name}:{svc['environment']['FLICKER_METRICS_PORT']}/metrics" in conf, name
    assert set(proxy["depends_on"]) == set(replicas)


def test_env_example_documents_the_postgresql_metrics_and_webhook_settings():
    documented = (ROOT / ".env.example").read_text()
    for name in (
        "FLICKER_DATABASE_URL",
        "POSTGRES_PASSWORD",
        "FLICKER_METRICS_PORT",
        "FLICKER_METRICS_LISTEN",
        "FLICKER_WEBHOOK_URL",
        "FLICKER_WEBHOOK_LISTEN",
        "FLICKER_WEBHOOK_PORT",
        "FLICKER_PROXY_PORT",
    ):
        assert f"\n{name}=" in documented, name
    for line in documented.splitlines():  # no secret filled in by accident
        if line.startswith(("POSTGRES_PASSWORD=", "FLICKER_DATABASE_URL=", "TELEGRAM_TOKEN=", "DISCORD_TOKEN=")):
            assert line.endswith("="), line


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
