"""/link: two platform identities become one person; nothing is lost or duplicated."""

from __future__ import annotations

import json
import re

from bot.messages import Reply
from tests.support.backends import backend, sqlite_only  # noqa: F401


class Recording:
    def __init__(self) -> None:
        self.got: list[tuple[str, str]] = []

    async def send(self, external_id, chat_id, replies: list[Reply]) -> None:
        self.got += [(external_id, r.text) for r in replies]


async def test_link_joins_journals_settings_and_reminders_across_platforms(make_chat, engine, store, clock):
    console, telegram = make_chat("ana", "console"), make_chat("4242", "telegram")
    await console.send("/log left eyelid 2 min after coffee")
    await console.send("/name Ana")
    await telegram.send("/note slept badly")
    await telegram.send("/link")
    code = re.search(r"/link ([A-Z0-9]{6})", telegram.text).group(1)
    await console.send(f"/link {code}")
    assert "Linked" in console.text and {"The console", "Telegram"} <= set(console.labels)
    await console.press("Telegram")
    assert "Reminders will come to Telegram" in console.text

    await telegram.send("/journal")
    assert "Left eyelid twitch" in telegram.text and "slept badly" in telegram.text
    await console.send("/export")
    data = json.loads(
        next(r.attachment.data for r in console.last if r.attachment and r.attachment.name.endswith("json"))
    )
    assert len(data["entries"]) == 2 and data["user"]["first_name"] == "Ana"
    assert {i["platform"] for i in data["user"]["identities"]} == {"console", "telegram"}
    assert (await store.fetchone("SELECT count(*) FROM users"))[0] == 1

    tg, cons = Recording(), Recording()
    engine.add_sender("telegram", tg)
    engine.add_sender("console", cons)
    user, _ = await store.user_for("console", "ana", "UTC", clock.now())
    await engine.deliver(user.id, [Reply("Time for a glass of water.")])
    assert tg.got == [("4242", "Time for a glass of water.")] and cons.got == []


async def test_codes_expire_work_once_and_explain_bad_input(make_chat, clock):
    a, b = make_chat("a", "console"), make_chat("99", "telegram")
    await a.send("/link")
    code = re.search(r"/link ([A-Z0-9]{6})", a.text).group(1)
    await a.send(f"/link {code}")
    assert "same account" in a.text
    await b.send("/link hello")
    assert "6 letters and digits" in b.text
    clock.advance(minutes=11)
    await b.send(f"/link {code}")
    assert "expired" in b.text
    await a.send("/link")
    code = re.search(r"/link ([A-Z0-9]{6})", a.text).group(1)
    await b.send(f"/link {code}")
    assert "Linked" in b.text
    c = make_chat("100", "telegram")
    await c.send(f"/link {code}")
    assert "unknown or has expired" in c.text  # a code works once


async def test_another_persons_link_button_does_nothing(make_chat):
    mallory = make_chat("m", "console")
    await mallory.press_id("link:deliver:telegram")
    assert "expired" in mallory.text


async def test_guessing_link_codes_is_limited_per_account_and_for_everyone(make_chat, engine, store):
    from handlers.link import WRONG_FOR_EVERYONE, WRONG_PER_ACCOUNT

    owner = make_chat("4242", "telegram")
    await owner.send("/link")
    code = re.search(r"/link ([A-Z0-9]{6})", owner.text).group(1)
    wrong = "22222" + ("3" if code[-1] != "3" else "4")
    guesser = make_chat("mallory", "console")
    for _ in range(WRONG_PER_ACCOUNT):
        await guesser.send(f"/link {wrong}")
        assert "unknown or has expired" in guesser.text
    await guesser.send(f"/link {code}")  # even the right code: this account is paused
    assert "paused" in guesser.text and "Linked" not in guesser.text
    # many accounts, one guess each (the audit's 2,000 identities): the shared budget stops them
    for i in range(WRONG_FOR_EVERYONE):
        await make_chat(f"sybil{i}", "console").send(f"/link {wrong}")
    late = make_chat("sybil-late", "console")
    await late.send(f"/link {code}")
    assert "paused" in late.text
    assert (
        await store.fetchone(
            "SELECT count(*) FROM identities "
            "WHERE user_id = (SELECT user_id FROM identities WHERE external_id = '4242')"
        )
    )[0] == 1


async def test_a_code_stops_working_after_too_many_wrong_guesses_during_its_life(make_chat, engine, store, clock):
    from handlers import link as link_handler

    owner = make_chat("4242", "telegram")
    await owner.send("/link")
    code = re.search(r"/link ([A-Z0-9]{6})", owner.text).group(1)
    now = int(clock.now().timestamp())
    await store.write(
        lambda conn: conn.executemany(
            "INSERT INTO link_attempts(at, platform, external_id) VALUES (?, 'discord', ?)",
            [(now, str(i)) for i in range(link_handler.WRONG_PER_CODE)],  # guesses during its life
        )
    )
    assert link_handler.WRONG_PER_CODE < link_handler.WRONG_FOR_EVERYONE  # not the shared budget at work
    finder = make_chat("lucky", "console")
    await finder.send(f"/link {code}")
    assert "Linked" not in finder.text and "unknown or has expired" in finder.text


async def test_the_owner_is_told_when_their_code_is_used_and_can_revoke_or_unlink(make_chat, engine, store):
    told = Recording()
    engine.add_sender("telegram", told)
    owner = make_chat("4242", "telegram")
    await owner.send("/note mine")
    await owner.send("/link")
    code = re.search(r"/link ([A-Z0-9]{6})", owner.text).group(1)
    other = make_chat("ana", "console")
    await other.send(f"/link {code}")
    assert "Linked" in other.text
    assert told.got and told.got[0][0] == "4242" and "just used on the console" in told.got[0][1]
    await owner.send("/link unlink")
    assert "1 other app" in owner.text
    await other.send("/journal")
    assert "mine" not in other.text  # the console is a new, separate person again
    # revoke: a code withdrawn can't be used
    await owner.send("/link")
    code = re.search(r"/link ([A-Z0-9]{6})", owner.text).group(1)
    await owner.send("/link revoke")
    assert "withdrawn" in owner.text
    await other.send(f"/link {code}")
    assert "unknown or has expired" in other.text


@sqlite_only
async def test_every_table_of_a_person_is_named_for_merging_with_its_unique_keys(store):
    """bot/store/links.USER_TABLES lists the tables a merge moves (the catalogue query is not
    portable): a table referencing users(id) that is missing there would lose its rows on /link."""
    from bot.store.links import USER_TABLES

    found: dict[str, set[tuple[frozenset[str], bool]]] = {}
    for (table,) in await store.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'"):
        fks = await store.fetchall(f"PRAGMA foreign_key_list({table})")
        if not any(fk[2] == "users" for fk in fks):
            continue
        keys = set()
        primary = {c[1] for c in await store.fetchall(f"PRAGMA table_info({table})") if c[5]}
        if "user_id" in primary:  # an INTEGER PRIMARY KEY has no index of its own
            keys.add((frozenset(primary - {"user_id"}), False))
        for index in await store.fetchall(f"PRAGMA index_list({table})"):
            if not index[2]:  # not unique
                continue
            columns = {c[2] for c in await store.fetchall(f"PRAGMA index_info({index[1]})")}
            if "user_id" in columns:
                keys.add((frozenset(columns - {"user_id"}), bool(index[4])))
        found[table] = keys
    assert set(USER_TABLES) == set(found)
    for table, keys in USER_TABLES.items():
        assert {(frozenset(columns), bool(condition)) for columns, condition in keys} == found[table], table
        for _, condition in keys:
            if condition:
                sql = await store.fetchall(
                    "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql LIKE ?", (table, f"%WHERE {condition}%")
                )
                assert sql, (table, condition)


async def test_merging_keeps_the_targets_row_where_both_have_one_and_moves_the_rest(store, clock):
    now = int(clock.now().timestamp())
    source, _ = await store.user_for("console", "ana", "UTC", clock.now())
    target, _ = await store.user_for("telegram", "4242", "UTC", clock.now())
    await store.update_settings(source, deliver_to="console", units="metric")
    await store.update_settings(target, deliver_to="telegram")
    await store.set_first_name(source, "Ana")
    for uid, value in ((source.id, 1), (target.id, 2)):
        await store.execute(
            "INSERT INTO checkins(user_id, day, kind, value, updated_at) VALUES (?, '2024-05-01', 'cups', ?, ?)",
            (uid, value, now),
        )
        await store.execute(
            "INSERT INTO reminders(user_id, kind, slot, minute, once) VALUES (?, 'hydration', 0, ?, 0)", (uid, value)
        )
        await store.execute("INSERT INTO plans(user_id, started_at, weeks_checked) VALUES (?, ?, ?)", (uid, now, value))
    await store.execute(
        "INSERT INTO checkins(user_id, day, kind, value, updated_at) VALUES (?, '2024-05-02', 'cups', 3, ?)",
        (source.id, now),
    )
    await store.execute(
        "INSERT INTO reminders(user_id, kind, slot, minute, once) VALUES (?, 'hydration', 0, 5, 1)", (source.id,)
    )
    await store.execute(
        "INSERT INTO link_codes(code, user_id, platform, expires_at) VALUES ('ABCDEF', ?, 'telegram', ?)",
        (target.id, now + 600),
    )

    await store.merge_people(source.id, target.id, code="ABCDEF")

    assert await store.get_user(source.id) is None
    merged = await store.get_user(target.id)
    assert merged.settings == {"deliver_to": "telegram", "units": "metric"} and merged.first_name == "Ana"
    assert {i.platform for i in await store.identities_of(target.id)} == {"console", "telegram"}
    checkins = await store.fetchall("SELECT day, value FROM checkins WHERE user_id = ? ORDER BY day", (target.id,))
    assert [tuple(r) for r in checkins] == [("2024-05-01", 2), ("2024-05-02", 3)]
    reminders = await store.fetchall("SELECT minute, once FROM reminders WHERE user_id = ? ORDER BY once", (target.id,))
    assert [tuple(r) for r in reminders] == [(2, 0), (5, 1)]  # the snoozed copy moved too
    assert [tuple(r) for r in await store.fetchall("SELECT user_id, weeks_checked FROM plans")] == [(target.id, 2)]
    assert (await store.fetchone("SELECT count(*) FROM link_codes"))[0] == 0  # the code was used up
