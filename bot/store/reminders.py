"""reminders, reminder_settings, deliveries and the scheduler's heartbeat."""

from __future__ import annotations

from bot.store.base import StoreCore


class RemindersStore(StoreCore):
    pass
