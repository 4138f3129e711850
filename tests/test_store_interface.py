"""The store interface (bot/store/interface.py) states exactly what both backends offer."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from bot.store import Store
from bot.store.interface import StoreAPI
from bot.store.postgres import PostgresStore
from bot.store.tables import Tables


def members(cls: type) -> set[str]:
    """Public methods a class states (its own and inherited), Protocol plumbing left out."""
    skip = set(dir(object)) | {"__protocol_attrs__", "__non_callable_proto_members__"}
    return {n for n in dir(cls) if not n.startswith("_") and n not in skip and callable(getattr(cls, n))}


def protocol_members() -> set[str]:
    return members(StoreAPI)


def signature(cls: type, name: str) -> inspect.Signature:
    attr = inspect.getattr_static(cls, name)  # staticmethod/classmethod as declared, not bound
    fn: Any = attr.__func__ if isinstance(attr, (staticmethod, classmethod)) else attr
    return inspect.signature(fn)  # follows __wrapped__ (person_lock's asynccontextmanager)


def kind(cls: type, name: str) -> str:
    attr = inspect.getattr_static(cls, name)
    if isinstance(attr, staticmethod):
        return "static"
    if isinstance(attr, classmethod):
        return "class"
    fn = inspect.unwrap(attr)
    return "async" if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn) else "sync"


def test_the_protocol_is_not_empty():
    assert len(protocol_members()) > 50
    assert {
        "write",
        "read",
        "fetchall",
        "fetchone",
        "execute",
        "person_lock",
        "checkpoint",
        "close",
    } <= protocol_members()
    assert {"evict", "drop_stale_cache", "schema_version", "add_entry", "user_for"} <= protocol_members()


@pytest.mark.parametrize("backend", [Store, PostgresStore], ids=["sqlite", "postgresql"])
@pytest.mark.parametrize("name", sorted(protocol_members()))
def test_backend_provides_member_with_the_same_signature(backend: type, name: str):
    assert hasattr(backend, name), f"{backend.__name__} lacks {name}"
    assert signature(backend, name) == signature(StoreAPI, name), f"{backend.__name__}.{name}"
    assert kind(backend, name) == kind(StoreAPI, name), f"{backend.__name__}.{name}"


def test_every_public_method_of_the_tables_is_in_the_protocol():
    missing = members(Tables) - protocol_members()
    assert not missing, f"add to bot/store/interface.py: {sorted(missing)}"
