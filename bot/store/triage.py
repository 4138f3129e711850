"""triage results and the flags they raised."""

from __future__ import annotations

from bot.store.base import StoreCore


class TriageStore(StoreCore):
    pass
