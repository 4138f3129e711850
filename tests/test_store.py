"""The store: migrations, batched commits, failures that save nothing, private files."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat

import pytest

from bot.store import STALE_CHECK_S, SchemaTooNew, Store, StoreError, migration_files
from tests.conftest import START
from tests.support.backends import backend, sqlite_only  # noqa: F401


async def test_migrations_run_once_and_are_recorded(db_path):
    s = await Store.open(db_path)
    await s.close()
    s = await Store.open(db_path)  # second start applies nothing new and does not fail
    rows = await s.fetchall("SELECT version, name FROM schema_migrations ORDER BY version")
    await s.close()
    assert [r[0] for r in rows] == sorted(migration_files())
    assert rows[0][1] == "0001_init.sql"


async def test_database_newer_than_code_is_refused_clearly(db_path):
    s = await Store.open(db_path)
    await s.execute("INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, '9999_future.sql', 0)")
    await s.close()
    with pytest.raises(SchemaTooNew, match="newer Flicker"):
        await Store.open(db_path)


async def test_database_file_is_private_to_its_owner(db_path):
    s = await Store.open(db_path)
    await s.close()
    mode = stat.S_IMODE(os.stat(db_path).st_mode)
    assert mode & 0o077 == 0, oct(mode)


@sqlite_only
async def test_wal_and_foreign_keys_are_on(store):
    assert (await store.fetchone("PRAGMA journal_mode"))[0] == "wal"
    assert (await store.fetchone("PRAGMA foreign_keys"))[0] == 1
    assert (await store.fetchone("PRAGMA secure_delete"))[0] == 1


@sqlite_only
async def test_concurrent_writes_are_all_committed_and_visible_to_another_connection(store, db_path):
    user, _ = await store.user_for("console", "w", "UTC", START)
    await asyncio.gather(*(store.add_entry(user.id, "note", START, "UTC", text=f"n{i}", now=START) for i in range(200)))
    other = sqlite3.connect(db_path)  # a separate reader sees only committed data
    count = other.execute("SELECT count(*) FROM entries WHERE user_id = ?", (user.id,)).fetchone()[0]
    other.close()
    assert count == 200


@sqlite_only
async def test_one_failing_writer_does_not_sink_the_others(store):
    user, _ = await store.user_for("console", "w", "UTC", START)

    def bad(conn):
        conn.execute(
            "INSERT INTO entries(user_id, kind, occurred_at, tz, created_at) VALUES (?, 'bogus', 0, 'UTC', 0)",
            (user.id,),
        )

    good = [store.add_entry(user.id, "note", START, "UTC", text="kept", now=START) for _ in range(5)]
    results = await asyncio.gather(store.write(bad), *good, return_exceptions=True)
    assert isinstance(results[0], sqlite3.IntegrityError)
    assert all(not isinstance(r, Exception) for r in results[1:])
    assert len(await store.entries(user.id)) == 5


async def test_read_only_database_reports_failure_and_saves_nothing(tmp_path):
    path = tmp_path / "ro.db"
    s = await Store.open(path)
    user, _ = await s.user_for("console", "w", "UTC", START)
    await s.close()
    os.chmod(path, 0o400)
    if os.access(path, os.W_OK):  # running as root: write permission bits do not stop us
        pytest.skip("file permissions do not apply to this user")
    s = await Store.open(path)
    with pytest.raises(StoreError):
        await s.add_entry(user.id, "note", START, "UTC", text="x", now=START)
    await s.close()


async def test_forget_cascades_to_every_row(store):
    user, _ = await store.user_for("console", "gone", "UTC", START)
    await store.add_entry(user.id, "note", START, "UTC", text="secret", now=START)
    await store.forget_user(user.id)
    assert await store.fetchone("SELECT 1 FROM entries WHERE user_id = ?", (user.id,)) is None
    assert await store.fetchone("SELECT 1 FROM identities WHERE user_id = ?", (user.id,)) is None
    again, is_new = await store.user_for("console", "gone", "UTC", START)
    assert is_new and again.id != user.id


@sqlite_only
async def test_full_disk_reports_failure_and_saves_nothing(store):
    user, _ = await store.user_for("console", "w", "UTC", START)
    pages = (await store.fetchone("PRAGMA page_count"))[0]
    await store.fetchall(f"PRAGMA max_page_count = {pages}")  # the file may not grow: like a full disk
    with pytest.raises(StoreError):
        await store.add_entry(user.id, "note", START, "UTC", text="x" * 50_000, now=START)
    assert await store.entries(user.id) == []


async def test_processes_starting_together_on_a_new_file_migrate_it_once(db_path):
    import asyncio as aio

    stores = await aio.gather(*(Store.open(db_path) for _ in range(4)), return_exceptions=True)
    opened = [s for s in stores if isinstance(s, Store)]
    try:
        assert len(opened) == 4, stores
        rows = await opened[0].fetchall("SELECT version FROM schema_migrations")
    finally:
        for s in opened:
            await s.close()
    assert sorted(r[0] for r in rows) == sorted(migration_files())


async def test_two_processes_on_one_file_never_serve_a_stale_cached_user(db_path, clock):
    from bot.app import build_engine
    from tests.conftest import Chat

    a, b = await Store.open(db_path), await Store.open(db_path)
    try:
        here, there = Chat(build_engine(a, clock=clock), "pat"), Chat(build_engine(b, clock=clock), "pat")
        await here.send("/note in a")
        await there.send("/note in b")  # b has pat cached now
        await a.set_timezone((await a.user_for("console", "pat", "UTC", clock.now()))[0], "Asia/Tokyo")
        await asyncio.sleep(STALE_CHECK_S)  # another process's change is seen within this time
        user_b, _ = await b.user_for("console", "pat", "UTC", clock.now())
        assert user_b.timezone == "Asia/Tokyo"  # the change made by the other process is seen
        await here.send("/forget")
        await here.press("Yes, erase everything")
        await asyncio.sleep(STALE_CHECK_S)
        replies = await there.send("/note after the other process erased everything")
        assert any("Noted" in r.text for r in replies)  # not "something went wrong"
        assert (await b.fetchone("SELECT count(*) FROM entries"))[0] == 1
    finally:
        await a.close()
        await b.close()


@sqlite_only
async def test_an_acknowledged_write_is_fsynced(store):
    # synchronous=FULL (2): COMMIT waits for the WAL to reach the disk, as the README promises
    assert (await store.fetchone("PRAGMA synchronous"))[0] == 2


async def test_a_first_private_message_keeps_where_to_reach_the_person(engine, clock):
    from bot.messages import Incoming

    await engine.handle(Incoming("telegram", "4711", text="/start", chat_id="4711", private=True))
    await engine.handle(Incoming("discord", "99", text="/start", chat_id="5555", private=False))  # a guild channel
    user, _ = await engine.store.user_for("telegram", "4711", "UTC", clock.now())
    [ident] = await engine.store.identities_of(user.id)
    assert ident.chat_id == "4711"
    other, _ = await engine.store.user_for("discord", "99", "UTC", clock.now())
    [ident] = await engine.store.identities_of(other.id)
    assert ident.chat_id is None  # a channel is no place for reminders


@sqlite_only
async def test_the_one_private_aiosqlite_call_still_runs_work_on_the_database_thread(store):
    import threading

    # aiosqlite has no public "run this callable on your thread"; the store's read() uses its
    # private _execute in one place (bot/store/sqlite.py). If an upgrade removes it, this fails.
    main = threading.get_ident()
    ran_on, answer = await store.read(lambda tx: (threading.get_ident(), tx.execute("SELECT 41 + 1").fetchone()[0]))
    assert answer == 42 and ran_on != main
