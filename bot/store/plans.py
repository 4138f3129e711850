"""plans, check-ins, appointment notes and the reassurance guard's events."""

from __future__ import annotations

from bot.store.base import StoreCore


class PlansStore(StoreCore):
    pass
