"""What `flicker health` reads from the database, without opening it for writing."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from bot.store.records import HealthReading, StoreError


def sqlite_health(path: str | os.PathLike[str], *, timeout: float = 5) -> HealthReading:
    """Read the schema version and the scheduler's heartbeat from a SQLite file, read-only.

    Raises StoreError (its cause: the driver's error) when the database does not answer."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout)
        try:
            version = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
            beat = conn.execute("SELECT at FROM heartbeat WHERE name = 'scheduler'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreError(f"{exc.__class__.__name__}: {exc}") from exc
    return HealthReading(int(version[0] or 0) if version else 0, None if beat is None else int(beat[0]))
