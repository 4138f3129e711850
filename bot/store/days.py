"""day marks and answers about absent days."""

from __future__ import annotations

from bot.store.base import StoreCore


class DaysStore(StoreCore):
    pass
