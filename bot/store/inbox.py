"""the Telegram update ledger (each update handled once)."""

from __future__ import annotations

from bot.store.base import StoreCore


class InboxStore(StoreCore):
    pass
