"""Settings, read from the environment only (tokens never come from files in the repo)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    db_path: str = "flicker.db"
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

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        guild = env.get("DISCORD_GUILD_ID", "").strip()
        return cls(
            db_path=env.get("FLICKER_DB", cls.db_path),
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
        )
