"""Every table family's named operations in one class: the store interface's implementation."""

from __future__ import annotations

from bot.store.conversations import ConversationsStore
from bot.store.days import DaysStore
from bot.store.entries import EntriesStore
from bot.store.inbox import InboxStore
from bot.store.links import LinksStore
from bot.store.plans import PlansStore
from bot.store.reminders import RemindersStore
from bot.store.safety import SafetyStore
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
