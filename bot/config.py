"""Settings, read from the environment only (tokens never come from files in the repo)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

_PASSWORD = re.compile(r"\b([a-z][a-z0-9+.-]*://[^:/?#@\s]*):[^@/?#\s]*@", re.IGNORECASE)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


def _port(name: str) -> int | None:
    """A TCP port, or None when unset or empty (the feature is off)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 <= int(raw) <= 65535:
        raise SystemExit(f"{name} must be a port number (0-65535) or empty, got {raw!r}")
    return int(raw)


def redact_url(setting: str) -> str:
    """A database setting fit for messages and logs: a URL's password becomes ***."""
    return _PASSWORD.sub(r"\1:***@", setting)


@dataclass(frozen=True)
class Settings:
    db_path: str = "flicker.db"
    database_url: str | None = None  # FLICKER_DATABASE_URL: sqlite:///path or postgresql://...; None: db_path
    log_level: str = "INFO"
    telegram_token: str | None = None
    telegram_api_url: str | None = None  # base URL of the Bot API (tests point it at a loopback fake)
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    discord_token: str | None = None
    discord_guild_id: int | None = None
    reminder_grace_minutes: int = 30
    tick_seconds: int = 5
    out_dir: str = "flicker-out"
    metrics_port: int | None = None  # None: no /metrics endpoint
    metrics_listen: str = "127.0.0.1"
    # Telegram's broadcast limit is about 30 messages a second per bot; raise it only where
    # Telegram raised it for you (paid broadcasts) or against a test fake.
    telegram_rate: int = 30
    # Replicas: one whose heartbeat is older than this has stopped, and its claimed reminders pass on.
    replica_stale_seconds: int = 30
    leader_retry_seconds: int = 10  # how often a replica without the Discord gateway asks for it again

    @property
    def database(self) -> str:
        """What to pass to `open_store`: FLICKER_DATABASE_URL when set, else the SQLite file FLICKER_DB."""
        return self.database_url or self.db_path

    @property
    def database_label(self) -> str:
        """`database` with any password hidden: the only form of it that goes into messages."""
        return redact_url(self.database)

    def __repr__(self) -> str:  # a Settings in a traceback or a log line must not leak secrets
        return f"Settings(database={self.database_label!r}, ...)"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        guild = env.get("DISCORD_GUILD_ID", "").strip()
        return cls(
            db_path=env.get("FLICKER_DB", cls.db_path),
            database_url=env.get("FLICKER_DATABASE_URL", "").strip() or None,
            log_level=env.get("FLICKER_LOG_LEVEL", cls.log_level).upper(),
            telegram_token=env.get("TELEGRAM_TOKEN") or None,
            telegram_api_url=env.get("FLICKER_TELEGRAM_API_URL") or None,
            webhook_url=env.get("FLICKER_WEBHOOK_URL") or None,
            webhook_listen=env.get("FLICKER_WEBHOOK_LISTEN", cls.webhook_listen),
            webhook_port=_int("FLICKER_WEBHOOK_PORT", cls.webhook_port),
            discord_token=env.get("DISCORD_TOKEN") or None,
            discord_guild_id=int(guild) if guild.isdigit() else None,
            reminder_grace_minutes=_int("FLICKER_REMINDER_GRACE_MINUTES", cls.reminder_grace_minutes),
            tick_seconds=_int("FLICKER_TICK_SECONDS", cls.tick_seconds),
            out_dir=env.get("FLICKER_OUT_DIR", cls.out_dir),
            metrics_port=_port("FLICKER_METRICS_PORT"),
            metrics_listen=env.get("FLICKER_METRICS_LISTEN", "").strip() or cls.metrics_listen,
            telegram_rate=max(1, _int("FLICKER_TELEGRAM_RATE", cls.telegram_rate)),
            replica_stale_seconds=max(10, _int("FLICKER_REPLICA_STALE_SECONDS", cls.replica_stale_seconds)),
            leader_retry_seconds=max(1, _int("FLICKER_LEADER_RETRY_SECONDS", cls.leader_retry_seconds)),
        )
