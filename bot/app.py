"""The composition root: the one place that puts Flicker together.

The engine gets its handler modules from here (it never imports `handlers`), and the reminder
scheduler gets its message composer from the handler that declares one.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from bot.engine import Engine
from bot.store.interface import StoreAPI


def handler_modules() -> tuple[ModuleType, ...]:
    """Every flow module the engine serves, in the order of /help (handlers/__init__.py)."""
    from handlers import MODULES

    return MODULES


def build_engine(store: StoreAPI, **options: Any) -> Engine:
    """An engine serving every handler module; `options` are Engine's (clock, flood_limit, ...)."""
    return Engine(store, modules=handler_modules(), **options)
