"""The store: one module per table family, one core per backend, one interface.

Handlers reach their data through named methods (`store.add_entry`, `store.due_reminders`, ...);
no SQL text lives outside this package. `Store` is the SQLite store (the embedded default);
`open_store(url)` picks the backend from FLICKER_DATABASE_URL.
"""

from __future__ import annotations

from bot.store.base import StoreCore
from bot.store.interface import StoreAPI
from bot.store.migrate import migration_files
from bot.store.records import (
    WRITE_ALSO,
    Conversation,
    Entry,
    Identity,
    SchemaTooNew,
    StoreError,
    Tx,
    User,
    Write,
    from_ts,
    to_ts,
)
from bot.store.sqlite import STALE_CHECK_S, SQLiteCore
from bot.store.tables import Tables


class Store(SQLiteCore, Tables):
    """The SQLite store (`await Store.open(path)`)."""


def database_url(setting: str) -> tuple[str, str]:
    """("sqlite", path) or ("postgresql", url) for FLICKER_DATABASE_URL / FLICKER_DB's value.

    A plain path, `sqlite:///relative.db` or `sqlite:////absolute.db` is SQLite;
    `postgresql://…` (or `postgres://…`) is PostgreSQL.
    """
    if setting.startswith(("postgresql://", "postgres://")):
        return "postgresql", setting
    if setting.startswith("sqlite://"):
        return "sqlite", setting[len("sqlite:///") :] if setting.startswith("sqlite:///") else ""
    return "sqlite", setting


async def open_store(setting: str) -> StoreAPI:
    """Open the store the setting names, migrated and ready: SQLite unless it is a postgresql:// URL."""
    dialect, where = database_url(setting)
    if dialect == "postgresql":
        from bot.store.postgres import PostgresStore  # psycopg is loaded only by those who use it

        return await PostgresStore.open(where)  # type: ignore[no-any-return]
    if not where:
        raise StoreError(f"not a database URL: {setting!r} (try sqlite:///flicker.db or postgresql://host/db)")
    return await Store.open(where)  # type: ignore[no-any-return]


__all__ = [
    "STALE_CHECK_S",
    "WRITE_ALSO",
    "Conversation",
    "Entry",
    "Identity",
    "SchemaTooNew",
    "Store",
    "StoreAPI",
    "StoreCore",
    "StoreError",
    "Tables",
    "Tx",
    "User",
    "Write",
    "database_url",
    "from_ts",
    "migration_files",
    "open_store",
    "to_ts",
]
