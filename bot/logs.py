"""Logging: one line per event, tokens redacted from everything that is written."""

from __future__ import annotations

import logging
import re
from typing import Any, TextIO

from bot.config import Settings

# Telegram tokens ("123456:ABC...") also appear inside Bot API URLs (".../bot<token>/sendMessage").
_TELEGRAM_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: list[str], fmt: str) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[REDACTED]")
    return _TELEGRAM_TOKEN.sub("[REDACTED]", text)


def setup_logging(settings: Settings, stream: TextIO, level: str | None = None) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        RedactingFormatter(
            [settings.telegram_token or "", settings.discord_token or ""],
            "%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or settings.log_level)
    # httpx logs every request URL at INFO; Bot API URLs hold the token and say nothing useful.
    logging.getLogger("httpx").setLevel(logging.WARNING)


_installed: list[str] = []


def install_redaction(secrets: list[str]) -> None:
    """Redact secrets from every log record as it is created, whoever handles it later
    (our handlers, pytest's caplog, a library's own handler), tracebacks included."""
    new = [s for s in secrets if s and s not in _installed]
    if not new:
        return
    first = not _installed
    _installed.extend(new)
    if not first:
        return
    factory = logging.getLogRecordFactory()

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:
            return record
        clean = redact(message, _installed)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)), _installed)
        return record

    logging.setLogRecordFactory(make)
