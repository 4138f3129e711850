"""safety events (category and rule, never the words)."""

from __future__ import annotations

from bot.store.base import StoreCore


class SafetyStore(StoreCore):
    pass
