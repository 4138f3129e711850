"""/link: one person, one journal, on several platforms. A one-time code made on one platform
and sent on another joins the two identities; nothing is lost or duplicated.

A code has about 29.7 bits and lives 10 minutes, so guessing is limited: wrong codes are
counted across every account (a few per account, a budget for everyone together), a code
stops working once too many wrong guesses were made during its life, the owner is told at
once when their code is used, and `/link revoke` withdraws a code, `/link unlink` cuts the
other apps off again."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import timedelta

from bot.choice_ids import ChoiceId, LinkDeliver
from bot.handler_api import Command, Context, expired
from bot.messages import Reply
from bot.store import to_ts

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I/L to misread
CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=10)
PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord", "console": "the console"}
WRONG_WINDOW = timedelta(minutes=10)
WRONG_PER_ACCOUNT = 5  # wrong codes one account may send per window
WRONG_FOR_EVERYONE = 100  # wrong codes all accounts together may send per window
WRONG_PER_CODE = 50  # wrong guesses anywhere during a code's life, beyond which it stops working
NOTICE_TIMEOUT_S = 10.0

log = logging.getLogger(__name__)
TOO_MANY = (
    "Too many wrong link codes were tried just now, so /link CODE is paused for a few minutes. "
    "Nothing was linked. Send /link on your other app for a fresh code and try again later."
)


def _name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


async def link(ctx: Context) -> list[Reply]:
    """Use one journal on several apps: /link here, then /link CODE on the other"""
    word = ctx.args.strip().lower()
    if word in ("revoke", "cancel"):
        return await _revoke(ctx)
    if word == "unlink":
        return await _unlink(ctx)
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
    now_ts = to_ts(ctx.now)
    platform, account = ctx.incoming.platform, ctx.incoming.user_id
    attempts = await ctx.store.recent_link_attempts(platform, account, to_ts(ctx.now - WRONG_WINDOW))
    mine, everyone = attempts.mine, attempts.everyone
    if mine >= WRONG_PER_ACCOUNT or everyone >= WRONG_FOR_EVERYONE:
        log.warning("link: a code was refused unchecked (%d wrong codes in 10 minutes overall)", everyone)
        return [Reply(TOO_MANY)]
    row = await ctx.store.link_code(code)
    if row is not None:
        guessed = await ctx.store.link_attempts_since(row.expires_at - int(CODE_TTL.total_seconds()))
        if guessed >= WRONG_PER_CODE:  # too many guesses while it lived: it may have been found
            await ctx.store.withdraw_link_code(code)
            log.warning("link: a code was withdrawn after %d wrong guesses during its life", guessed)
            row = None
    if row is None or row.expires_at < now_ts:
        keep_since = now_ts - 6 * int(WRONG_WINDOW.total_seconds())
        await ctx.store.record_link_attempt(platform, account, now_ts, keep_since)
        log.info("link: a wrong or expired code was sent (%d wrong in 10 minutes overall)", everyone + 1)
        return [
            Reply(
                "That code is unknown or has expired (codes last 10 minutes). Send /link on your other app "
                "for a new one."
            )
        ]
    target, made_on = row.user_id, row.platform
    if target == ctx.user.id:
        return [Reply("That code belongs to this same account. Send it from your other app.")]
    if made_on == ctx.incoming.platform:
        return [Reply(f"That code was made on {_name(made_on)}; send it from a different app to link the two.")]
    await ctx.store.merge_people(ctx.user.id, target, code=code)
    await _tell_owner(ctx, target, made_on)
    platforms = sorted({made_on, ctx.incoming.platform})
    return [
        Reply(
            f"Linked: {_name(platforms[0])} and {_name(platforms[1])} now share one journal, settings and reminders. "
            "Where should reminders go?",
            tuple(LinkDeliver(p).button(_name(p).capitalize()) for p in platforms),
        )
    ]


async def _tell_owner(ctx: Context, owner: int, made_on: str) -> None:
    """The code's owner hears at once, where they made it, that it was used (and how to undo it)."""
    notice = Reply(
        f"Your link code was just used on {_name(ctx.incoming.platform)}: that account now shares your journal. "
        "If that wasn't you, send /link unlink here to cut every other app off at once."
    )
    try:
        await asyncio.wait_for(ctx.engine.deliver(owner, [notice], platform=made_on), NOTICE_TIMEOUT_S)
    except Exception:
        log.warning("link: the code's owner could not be told that it was used")


async def _revoke(ctx: Context) -> list[Reply]:
    gone = await ctx.store.revoke_link_codes(ctx.user.id)
    if not gone:
        return [Reply("You have no link code waiting. /link makes one.")]
    return [Reply("Your link code is withdrawn: nobody can use it any more.")]


async def _unlink(ctx: Context) -> list[Reply]:
    n = await ctx.store.unlink(ctx.user.id, ctx.incoming.platform, ctx.incoming.user_id)
    if not n:
        return [Reply("This journal is not linked to any other app.")]
    return [
        Reply(
            f"Done: {n} other app{'s' if n != 1 else ''} can no longer reach this journal. "
            "What they added while linked stays here; /journal shows it, and you can delete single entries."
        )
    ]


async def _make_code(ctx: Context) -> list[Reply]:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    await ctx.store.create_link_code(
        code, ctx.user.id, ctx.incoming.platform, to_ts(ctx.now + CODE_TTL), to_ts(ctx.now)
    )
    return [
        Reply(
            f"Your link code is {code}. On your other app, send:\n/link {code}\n"
            "It works once, within 10 minutes. Your journals, settings and reminders will be joined, and I'll "
            "tell you here when it is used. /link revoke withdraws it."
        )
    ]


async def on_choice(ctx: Context, payload: str) -> list[Reply]:
    cid = ChoiceId.read(f"link:{payload}")
    platform = cid.platform if isinstance(cid, LinkDeliver) else ""
    ids = await ctx.store.identities_of(ctx.user.id)
    if not platform or platform not in {r.platform for r in ids}:
        return expired("/link")
    await ctx.store.update_settings(ctx.user, deliver_to=platform)
    return [Reply(f"Reminders will come to {_name(platform)}.")]


COMMANDS = [Command("link", link, usage="/link [CODE | revoke | unlink]")]
CHOICES = {"link": on_choice}
PRIVACY = [
    "short-lived link codes (10 minutes) if you join accounts on two apps with /link, and for an hour "
    "which account sent a wrong code (to stop guessing)"
]
