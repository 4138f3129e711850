"""migrations/postgresql/*.sql build the same schema as migrations/*.sql: tables, columns, NOT NULL, keys, indexes,
foreign keys, and (probed with the same statements on both) the behaviour the store relies on."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.postgres import find_bindir, pg_cluster, pg_url, running_cluster  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SQLITE_DIR = ROOT / "migrations"
PG_DIR = ROOT / "migrations" / "postgresql"
NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
IGNORED_TABLES = {"schema_migrations"}

needs_pg = pytest.mark.skipif(find_bindir() is None, reason="PostgreSQL server binaries not installed")


def _migrations(folder: Path) -> list[Path]:
    return sorted((p for p in folder.glob("*.sql") if NAME.match(p.name)), key=lambda p: int(p.name[:4]))


def test_every_sqlite_migration_has_a_postgresql_twin_of_the_same_number_and_name():
    sqlite_names = [p.name for p in _migrations(SQLITE_DIR)]
    assert sqlite_names, "no SQLite migrations found"
    assert [p.name for p in _migrations(PG_DIR)] == sqlite_names
    assert (PG_DIR / "__init__.py").exists()  # a package, so the .sql files ship as package data


def test_postgresql_migrations_ship_as_package_data():
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^"migrations\.postgresql" = \["\*\.sql"\]', text, re.M)


# --- building both schemas ------------------------------------------------------------------------------------


def _sqlite_schema(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for file in _migrations(SQLITE_DIR):
        conn.executescript("BEGIN;" + file.read_text() + ";COMMIT;")
    return conn


def _pg_schema(url: str) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True)
    for file in _migrations(PG_DIR):
        with conn.transaction():
            conn.execute(file.read_text())
    return conn


@pytest.fixture
def schemas(tmp_path, pg_url) -> Iterator[tuple[sqlite3.Connection, psycopg.Connection]]:  # noqa: F811
    lite = _sqlite_schema(tmp_path / "flicker.db")
    pg = _pg_schema(pg_url)
    try:
        yield lite, pg
    finally:
        lite.close()
        pg.close()


# --- what each side says about itself -------------------------------------------------------------------------


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return sorted(r[0] for r in rows if r[0] not in IGNORED_TABLES)


def _sqlite_columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, bool]]:
    # A PRIMARY KEY column counts as NOT NULL: an INTEGER PRIMARY KEY is the rowid (never NULL), a WITHOUT ROWID
    # key refuses NULL, and a TEXT PRIMARY KEY of a rowid table accepting NULL is a documented SQLite bug the
    # store never relies on (PostgreSQL refuses it).
    return [(r[1], bool(r[3]) or r[5] > 0) for r in conn.execute(f"PRAGMA table_info({table})")]


def _sqlite_keys(conn: sqlite3.Connection, table: str) -> set[tuple[str, tuple[str, ...]]]:
    keys: set[tuple[str, tuple[str, ...]]] = set()
    pk = sorted((r[5], r[1]) for r in conn.execute(f"PRAGMA table_info({table})") if r[5] > 0)
    if pk:
        keys.add(("p", tuple(name for _, name in pk)))
    for _, name, unique, origin, _partial in conn.execute(f"PRAGMA index_list({table})"):
        if unique and origin == "u":
            keys.add(("u", tuple(r[2] for r in conn.execute(f"PRAGMA index_info({name})"))))
    return keys


def _sqlite_indexes(conn: sqlite3.Connection) -> set[tuple]:
    found = set()
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        if table in IGNORED_TABLES:
            continue
        for _, name, unique, origin, partial in conn.execute(f"PRAGMA index_list({table})"):
            if origin == "c":  # made by CREATE INDEX (not a PRIMARY KEY or UNIQUE constraint)
                cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({name})"))
                found.add((name, table, cols, bool(unique), bool(partial)))
    return found


def _sqlite_foreign_keys(conn: sqlite3.Connection, table: str) -> set[tuple[str, str, str, str]]:
    return {(r[3], r[2], r[4], r[6]) for r in conn.execute(f"PRAGMA foreign_key_list({table})")}


PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
PG_COLUMNS = """
    SELECT column_name, is_nullable = 'NO' FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position"""
PG_CONSTRAINT_COLUMNS = """
    ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i)::text[]"""
PG_KEYS = f"""
    SELECT c.contype::text, {PG_CONSTRAINT_COLUMNS} FROM pg_constraint c
    WHERE c.conrelid = %s::regclass AND c.contype IN ('p', 'u')"""
PG_FOREIGN_KEYS = f"""
    SELECT {PG_CONSTRAINT_COLUMNS}, c.confrelid::regclass::text,
           ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)::text[],
           c.confdeltype::text
    FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.contype = 'f'"""
PG_INDEXES = """
    SELECT ic.relname, tc.relname,
           ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(n, i)
                 JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.n ORDER BY k.i)::text[],
           ix.indisunique, ix.indpred IS NOT NULL
    FROM pg_index ix
    JOIN pg_class ic ON ic.oid = ix.indexrelid
    JOIN pg_class tc ON tc.oid = ix.indrelid
    JOIN pg_namespace ns ON ns.oid = tc.relnamespace
    WHERE ns.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)"""
ON_DELETE = {"c": "CASCADE", "n": "SET NULL", "a": "NO ACTION", "r": "RESTRICT", "d": "SET DEFAULT"}


def _pg_tables(conn: psycopg.Connection) -> list[str]:
    return sorted(r[0] for r in conn.execute(PG_TABLES) if r[0] not in IGNORED_TABLES)


# --- the comparisons ------------------------------------------------------------------------------------------


@needs_pg
def test_the_same_tables_with_the_same_columns_in_the_same_order_and_the_same_not_null(schemas):
    lite, pg = schemas
    tables = _sqlite_tables(lite)
    assert len(tables) >= 20  # the whole schema was built, not a first file only
    assert _pg_tables(pg) == tables
    for table in tables:
        pg_columns = [(name, bool(not_null)) for name, not_null in pg.execute(PG_COLUMNS, (table,))]
        assert pg_columns == _sqlite_columns(lite, table), table


@needs_pg
def test_the_same_primary_keys_unique_constraints_foreign_keys_and_indexes(schemas):
    lite, pg = schemas
    for table in _sqlite_tables(lite):
        pg_keys = {(kind, tuple(cols)) for kind, cols in pg.execute(PG_KEYS, (table,))}
        assert pg_keys == _sqlite_keys(lite, table), table
        pg_fks = set()
        for cols, target, target_cols, action in pg.execute(PG_FOREIGN_KEYS, (table,)):
            assert len(cols) == 1, (table, cols)
            pg_fks.add((cols[0], target, target_cols[0], ON_DELETE[action]))
        assert pg_fks == _sqlite_foreign_keys(lite, table), table
    pg_indexes = {
        (name, table, tuple(cols), unique, partial) for name, table, cols, unique, partial in pg.execute(PG_INDEXES)
    }
    assert pg_indexes == _sqlite_indexes(lite)


@needs_pg
def test_postgresql_types_are_bigint_for_ids_and_timestamps_and_only_integer_or_text_otherwise(schemas):
    _, pg = schemas
    rows = pg.execute(
        "SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name <> 'schema_migrations'"
    ).fetchall()
    assert rows
    for table, column, data_type, _identity in rows:
        assert data_type in ("bigint", "integer", "text"), (table, column, data_type)
        if column in ("id", "at", "last_seen", "next_due", "paused_until") or column.endswith(("_id", "_at")):
            if column not in ("external_id", "chat_id"):  # platform ids are text, as in SQLite
                assert data_type == "bigint", (table, column, data_type)
    identities = {(t, c) for t, c, _, identity in rows if identity == "YES"}
    lite_autoincrement = {
        (t, "id") for t in ("users", "entries", "triage_results", "reminders", "deliveries", "safety_events")
    } | {("absent_answers", "id"), ("guard_events", "id")}
    assert identities == lite_autoincrement


# --- behaviour: the same statements on both -------------------------------------------------------------------


class Both:
    """Run one statement (SQLite `?` placeholders) on both databases and say whether each accepted it."""

    def __init__(self, lite: sqlite3.Connection, pg: psycopg.Connection) -> None:
        self.lite, self.pg = lite, pg

    def run(self, sql: str, params: tuple = ()) -> tuple[bool, bool]:
        ok_lite = ok_pg = True
        try:
            self.lite.execute(sql, params)
        except sqlite3.IntegrityError:
            ok_lite = False
        try:
            with self.pg.transaction():
                self.pg.execute(sql.replace("?", "%s"), params)
        except psycopg.errors.IntegrityError:
            ok_pg = False
        return ok_lite, ok_pg

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        a = [tuple(r) for r in self.lite.execute(sql, params)]
        b = [tuple(r) for r in self.pg.execute(sql.replace("?", "%s"), params)]
        assert a == b, (sql, a, b)
        return a


@needs_pg
def test_constraints_cascades_and_never_reused_ids_behave_the_same(schemas):
    both = Both(*schemas)
    assert both.run("INSERT INTO users(created_at) VALUES (1700000000)") == (True, True)
    assert both.run("INSERT INTO users(created_at) VALUES (1700000001)") == (True, True)
    assert both.rows("SELECT id, timezone, settings FROM users ORDER BY id") == [(1, "UTC", "{}"), (2, "UTC", "{}")]

    entry = "INSERT INTO entries(user_id, kind, occurred_at, tz, intensity, created_at) VALUES (?, ?, 1, 'UTC', ?, 1)"
    assert both.run(entry, (1, "twitch", 3)) == (True, True)
    assert both.run(entry, (1, "sneeze", 3)) == (False, False)  # CHECK kind
    assert both.run(entry, (1, "note", 6)) == (False, False)  # CHECK intensity
    assert both.run(entry, (99, "note", None)) == (False, False)  # no such user
    assert both.run("INSERT INTO users(timezone) VALUES ('UTC')") == (False, False)  # created_at NOT NULL

    reminder = "INSERT INTO reminders(user_id, kind, minute, once, next_due) VALUES (1, 'hydration', 600, ?, 5)"
    assert both.run(reminder, (0,)) == (True, True)
    assert both.run(reminder, (0,)) == (False, False)  # partial unique index: one regular reminder per slot
    assert both.run(reminder, (1,)) == (True, True)  # snoozed copies are not in it
    assert both.run(reminder, (1,)) == (True, True)
    assert both.run("INSERT INTO reminders(user_id, kind, minute) VALUES (1, 'sleep', 1440)") == (False, False)
    delivery = "INSERT INTO deliveries(reminder_id, user_id, due_at) VALUES (1, 1, 5)"
    assert both.run(delivery) == (True, True)
    assert both.run(delivery) == (False, False)  # UNIQUE (reminder_id, due_at)
    assert both.rows("SELECT status FROM deliveries") == [("claimed",)]

    assert both.run("INSERT INTO safety_events(user_id, at, category, rule, entry_id) VALUES (1, 1, 'crisis', 'r', 1)")
    assert both.run("DELETE FROM entries WHERE id = 1") == (True, True)
    assert both.rows("SELECT entry_id FROM safety_events") == [(None,)]  # ON DELETE SET NULL

    assert both.run("INSERT INTO link_codes(code, user_id, platform, expires_at) VALUES ('abc', 1, 'x', 1)")
    assert both.run("INSERT INTO day_marks(user_id, day, mark, at) VALUES (1, '2026-01-01', 'maybe', 1)") == (
        False,
        False,
    )
    assert both.run("DELETE FROM users WHERE id = 1") == (True, True)  # /forget
    for table in ("entries", "reminders", "deliveries", "safety_events", "link_codes"):
        assert both.rows(f"SELECT count(*) FROM {table}") == [(0,)], table

    # Ids are never reused: AUTOINCREMENT in SQLite, an identity sequence in PostgreSQL (which may leave gaps:
    # the refused insert above took a number).
    assert both.run("DELETE FROM users WHERE id = 2") == (True, True)
    assert both.run("INSERT INTO users(created_at) VALUES (1700000002)") == (True, True)
    [(lite_id,)] = both.lite.execute("SELECT id FROM users").fetchall()
    [(pg_id,)] = both.pg.execute("SELECT id FROM users").fetchall()
    assert lite_id > 2 and pg_id > 2

    # Telegram's update ids are given, and a repeated one is refused.
    inbox = "INSERT INTO telegram_inbox(update_id, received_at) VALUES (?, 1)"
    assert both.run(inbox, (2**40,)) == (True, True)
    assert both.run(inbox, (2**40,)) == (False, False)
    assert both.rows("SELECT update_id, status, sent FROM telegram_inbox") == [(2**40, "received", 0)]


@needs_pg
def test_the_postgresql_migrations_apply_each_in_one_transaction_and_fail_on_a_second_run(pg_url):  # noqa: F811
    conn = _pg_schema(pg_url)
    try:
        first = _migrations(PG_DIR)[0]
        with pytest.raises(psycopg.errors.DuplicateTable):
            with conn.transaction():
                conn.execute(first.read_text())
        assert len(_pg_tables(conn)) >= 20
    finally:
        conn.close()


# --- the least-privilege roles of docs/postgresql.md ----------------------------------------------------------


def _doc_sql(marker: str) -> list[str]:
    text = (ROOT / "docs" / "postgresql.md").read_text()
    block = re.search(rf"<!-- roles-sql:{marker} -->\s*```sql\n(.*?)```", text, re.S)
    assert block, f"docs/postgresql.md has no roles-sql:{marker} block"
    lines = [line for line in block.group(1).splitlines() if not line.lstrip().startswith("--")]
    return [stmt.strip() for stmt in "\n".join(lines).split(";") if stmt.strip()]


@needs_pg
def test_the_documented_roles_let_the_owner_migrate_and_the_app_use_rows_but_not_change_the_schema():
    with running_cluster() as cluster:  # its own cluster: roles are cluster-wide
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
            for stmt in _doc_sql("server"):
                admin.execute(stmt)
        with psycopg.connect(cluster.url("flicker"), autocommit=True) as admin:
            for stmt in _doc_sql("database"):
                admin.execute(stmt)
        base = f"postgresql://{{}}@127.0.0.1:{cluster.port}/flicker"
        _pg_schema(base.format("flicker_owner")).close()  # the owner runs every migration
        with psycopg.connect(base.format("flicker_app"), autocommit=True) as app:
            (uid,) = app.execute("INSERT INTO users(created_at) VALUES (1) RETURNING id").fetchone()
            app.execute(
                "INSERT INTO entries(user_id, kind, occurred_at, tz, created_at) VALUES (%s, 'note', 1, 'UTC', 1)",
                (uid,),
            )
            app.execute("UPDATE users SET timezone = 'Europe/Berlin' WHERE id = %s", (uid,))
            assert app.execute("SELECT count(*) FROM entries").fetchone() == (1,)
            app.execute("DELETE FROM users WHERE id = %s", (uid,))
            assert app.execute("SELECT count(*) FROM entries").fetchone() == (0,)
            for ddl in (
                "CREATE TABLE evil (x INTEGER)",
                "DROP TABLE entries",
                "ALTER TABLE users ADD COLUMN evil TEXT",
                "TRUNCATE heartbeat",
                "CREATE INDEX evil ON users(timezone)",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(ddl)
