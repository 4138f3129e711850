"""The store: one module per table family, one core per backend, one interface.

Handlers reach their data through named methods (`store.add_entry`, `store.due_reminders`, ...);
no SQL text lives outside this package. `Store` is the SQLite store (the embedded default);
`open_store(url)` picks the backend from FLICKER_DATABASE_URL.
"""

from __future__ import annotations

from bot.store.base import StoreCore
from bot.store.conversations import ConversationsStore
from bot.store.days import DaysStore
from bot.store.entries import EntriesStore
from bot.store.inbox import InboxStore
from bot.store.links import LinksStore
from bot.store.migrate import migration_files
from bot.store.plans import PlansStore
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
from bot.store.reminders import RemindersStore
from bot.store.safety import SafetyStore
from bot.store.sqlite import STALE_CHECK_S, SQLiteCore
from bot.store.triage import TriageStore
from bot.store.users import UsersStore


class Tables(
    UsersStore,
    EntriesStore,
    DaysStore,
    ConversationsStore,
    RemindersStore,
    PlansStore,
    TriageStore,
    LinksStore,
    SafetyStore,
    InboxStore,
):
    """Every table family's named operations, over whichever core a backend supplies."""


class Store(SQLiteCore, Tables):
    """The SQLite store (`await Store.open(path)`)."""


__all__ = [
    "STALE_CHECK_S",
    "WRITE_ALSO",
    "Conversation",
    "Entry",
    "Identity",
    "SchemaTooNew",
    "Store",
    "StoreCore",
    "StoreError",
    "Tables",
    "Tx",
    "User",
    "Write",
    "from_ts",
    "migration_files",
    "to_ts",
]
