"""Run a test module against both store backends.

`tests/conftest.py`'s `store` fixture opens whichever backend the `backend` fixture names
(SQLite unless told otherwise). A module whose tests must hold on PostgreSQL too imports
`backend` from here, which overrides conftest's with both:

    from tests.support.backends import backend  # noqa: F401

A test about SQLite itself (its file, its write-ahead log, another process on the file) is
marked `@sqlite_only` and runs once.

PostgreSQL tests share one throwaway cluster (tests/support/postgres.py). Each test gets its own
database, cloned from a template that was migrated once, so a test costs a CREATE DATABASE
(tens of milliseconds), not the migrations.
"""

from __future__ import annotations

import threading

import pytest

BACKENDS = ("sqlite", "postgresql")
TEMPLATE = "flicker_template"

sqlite_only = pytest.mark.sqlite_only


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("about SQLite itself")
    return str(request.param)


class _Template:
    """The migrated template database, made once per session and cluster."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made_for: str | None = None

    async def clone(self, cluster_url: str) -> str:
        import asyncio

        import psycopg
        from psycopg import sql

        from bot.store.postgres import PostgresStore
        from tests.support.postgres import _SHARED

        cluster = _SHARED._cluster
        assert cluster is not None
        if self._made_for != cluster_url:
            await asyncio.to_thread(cluster.create_database, TEMPLATE)
            store = await PostgresStore.open(cluster.url(TEMPLATE), size=1)
            await store.close()
            self._made_for = cluster_url
        with self._lock:
            number = next(cluster._names)
        name = f"b{number}"

        def create() -> None:
            with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(TEMPLATE))
                )

        await asyncio.to_thread(create)
        return cluster.url(name)


TEMPLATES = _Template()
