"""What the PostgreSQL schema must agree on with the store's code (against the throwaway test cluster)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.store.postgres import PostgresStore
from tests.support.backends import TEMPLATES
from tests.support.postgres import pg_cluster  # noqa: F401


@pytest.fixture
async def pg_store(pg_cluster: str) -> AsyncIterator[PostgresStore]:  # noqa: F811
    store = await PostgresStore.open(await TEMPLATES.clone(pg_cluster), size=2)
    try:
        yield store
    finally:
        await store.close()


async def test_every_table_of_a_person_is_named_for_merging_with_its_unique_keys(pg_store):
    """bot/store/links.USER_TABLES against the PostgreSQL migrations (tests/test_link.py checks SQLite's):
    a table referencing users(id) that is missing there would lose its rows on /link."""
    from bot.store.links import USER_TABLES

    found: dict[str, set[tuple[frozenset[str], bool]]] = {}
    conditions: dict[str, list[str]] = {}
    tables = await pg_store.fetchall(
        "SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c "
        "WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass"
    )
    for (table,) in tables:
        keys = set()
        indexes = await pg_store.fetchall(
            "SELECT pg_get_expr(i.indpred, i.indrelid), "
            "array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey)) FROM pg_index i WHERE i.indisunique AND i.indrelid = ?::regclass",
            (table,),
        )
        for predicate, columns in indexes:
            if "user_id" in columns:
                keys.add((frozenset(set(columns) - {"user_id"}), predicate is not None))
                if predicate is not None:
                    conditions.setdefault(table, []).append(predicate)
        found[table] = keys
    assert set(USER_TABLES) == set(found)
    for table, keys in USER_TABLES.items():
        assert {(frozenset(columns), bool(condition)) for columns, condition in keys} == found[table], table
        for _, condition in keys:
            if condition:
                assert any(condition in predicate for predicate in conditions[table]), (table, conditions[table])
