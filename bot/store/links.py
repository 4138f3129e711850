"""link codes and attempts, and merging two people into one."""

from __future__ import annotations

from bot.store.base import StoreCore


class LinksStore(StoreCore):
    pass
