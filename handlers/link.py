"""/link: one person, one journal, on several platforms. A one-time code made on one platform
and sent on another joins the two identities; nothing is lost or duplicated."""

from __future__ import annotations

import json
import secrets
import sqlite3
from datetime import timedelta

from bot.messages import Choice, Reply
from bot.store import to_ts
from handlers.base import Command, Context, expired

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I/L to misread
CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=10)
PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord", "console": "the console"}


def _name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


async def link(ctx: Context) -> list[Reply]:
    """Use one journal on several apps: /link here, then /link CODE on the other"""
    code = ctx.args.strip().upper().replace(" ", "").replace("-", "")
    if not code:
        return await _make_code(ctx)
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return [
            Reply(
                f"A link code has {CODE_LENGTH} letters and digits, like /link K7QP2X. "
                "Send /link alone to get a new one."
            )
        ]
    row = await ctx.store.fetchone("SELECT user_id, platform, expires_at FROM link_codes WHERE code = ?", (code,))
    if row is None or row[2] < to_ts(ctx.now):
        return [
            Reply(
                "That code is unknown or has expired (codes last 10 minutes). Send /link on your other app "
                "for a new one."
            )
        ]
    target, made_on = row[0], row[1]
    if target == ctx.user.id:
        return [Reply("That code belongs to this same account. Send it from your other app.")]
    if made_on == ctx.incoming.platform:
        return [Reply(f"That code was made on {_name(made_on)}; send it from a different app to link the two.")]
    source = ctx.user.id
    await ctx.store.write(lambda conn: merge_users(conn, source=source, target=target, code=code))
    ctx.store.evict(source)
    ctx.store.evict(target)
    platforms = sorted({made_on, ctx.incoming.platform})
    return [
        Reply(
            f"Linked: {_name(platforms[0])} and {_name(platforms[1])} now share one journal, settings and reminders. "
            "Where should reminders go?",
            tuple(Choice(f"link:deliver:{p}", _name(p).capitalize()) for p in platforms),
        )
    ]


async def _make_code(ctx: Context) -> list[Reply]:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    uid, platform, expires = ctx.user.id, ctx.incoming.platform, to_ts(ctx.now + CODE_TTL)

    def save(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM link_codes WHERE user_id = ? OR expires_at < ?", (uid, to_ts(ctx.now)))
        conn.execute(
            "INSERT INTO link_codes(code, user_id, platform, expires_at) VALUES (?, ?, ?, ?)",
            (code, uid, platform, expires),
        )

    await ctx.store.write(save)
    return [
        Reply(
            f"Your link code is {code}. On your other app, send:\n/link {code}\n"
            "It works once, within 10 minutes. Your journals, settings and reminders will be joined."
        )
    ]


def merge_users(conn: sqlite3.Connection, *, source: int, target: int, code: str) -> None:
    """Move every row of `source` to `target` in one transaction. Tables are found from their
    foreign keys to users(id), so tables added later are covered too. Where both people have a
    row that must be unique (a setting, a day's check-in), the linking target's row is kept."""
    tables = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if any(fk[2] == "users" for fk in conn.execute(f"PRAGMA foreign_key_list({name})"))
    ]
    for table in tables:
        conn.execute(f"UPDATE OR IGNORE {table} SET user_id = ? WHERE user_id = ?", (target, source))
    # users.settings: both people's preferences, the target's winning on a clash
    rows = dict(conn.execute("SELECT id, settings FROM users WHERE id IN (?, ?)", (source, target)).fetchall())
    merged = {**json.loads(rows.get(source) or "{}"), **json.loads(rows.get(target) or "{}")}
    conn.execute("UPDATE users SET settings = ? WHERE id = ?", (json.dumps(merged), target))
    conn.execute(
        "UPDATE users SET first_name = coalesce(first_name, (SELECT first_name FROM users WHERE id = ?)) WHERE id = ?",
        (source, target),
    )
    conn.execute("DELETE FROM link_codes WHERE code = ?", (code,))
    conn.execute("DELETE FROM users WHERE id = ?", (source,))  # whatever was left (duplicates) cascades away


async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    action, _, platform = payload.partition(":")
    ids = await ctx.store.identities_of(ctx.user.id)
    if action != "deliver" or platform not in {r["platform"] for r in ids}:
        return expired("/link")
    await ctx.store.update_settings(ctx.user, deliver_to=platform)
    return [Reply(f"Reminders will come to {_name(platform)}.")]


COMMANDS = [Command("link", link, usage="/link [CODE]")]
CHOICES = {"link": on_choice}
PRIVACY = ["short-lived link codes (10 minutes) if you join accounts on two apps with /link"]
