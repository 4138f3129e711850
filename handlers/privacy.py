"""/privacy, /export and /forget: what Flicker keeps, all of it on request, and erasing it."""

from __future__ import annotations

import csv
import io
import json

from bot.choice_ids import Forget
from bot.handler_api import Command, Context, expired
from bot.messages import Attachment, Reply
from bot.store import User
from bot.store.interface import StoreAPI

CORE_PRIVACY = [
    "your journal: each twitch (where, side, how long, possible triggers, strength, when) "
    "and your notes, as you wrote them",
    "your time zone, first name if you gave one, and any half-answered question (forgotten after 24 hours)",
    "which chat accounts are yours (platform and account id), so I can answer you there",
]

CSV_COLUMNS = ["id", "kind", "occurred_at", "region", "side", "duration_s", "triggers", "intensity", "text"]


async def privacy(ctx: Context) -> list[Reply]:
    """See what Flicker stores and how to get or erase it"""
    lines = CORE_PRIVACY + ctx.engine.registry.privacy
    text = (
        "What I keep about you:\n"
        + "\n".join(f"- {line}" for line in lines)
        + "\n\nWhere: in one database file on the machine that runs this bot, readable only by the bot's "
        "own account. Nothing goes to advertisers or anyone else; health details never go into logs.\n"
        "How long: until you erase it. /export sends you everything as files; /forget erases every row "
        "about you, at once and for good."
    )
    return [Reply(text)]


async def entries_section(store: StoreAPI, user: User) -> list[dict]:
    out = []
    for e in await store.entries(user.id, newest_first=False):
        out.append(
            {
                "id": e.id,
                "kind": e.kind,
                "occurred_at": e.local_time.isoformat(),
                "region": e.region,
                "side": e.side,
                "duration_s": e.duration_s,
                "triggers": list(e.triggers),
                "intensity": e.intensity,
                "text": e.text,
            }
        )
    return out


async def build_export(ctx: Context) -> dict:
    user = ctx.user
    identities = await ctx.store.identities_of(user.id)
    data: dict = {
        "exported_at": ctx.now.astimezone(user.tz).isoformat(),
        "user": {
            "timezone": user.timezone,
            "first_name": user.first_name,
            "created_at": user.created_at.astimezone(user.tz).isoformat(),
            "settings": user.settings,
            "identities": [{"platform": r.platform, "id": r.external_id} for r in identities],
        },
        "entries": await entries_section(ctx.store, user),
    }
    for name, section in ctx.engine.registry.export.items():
        data[name] = await section(ctx.store, user)
    return data


def journal_csv(entries: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for e in entries:
        row = dict(e)
        row["triggers"] = " ".join(e["triggers"])
        text = row["text"] or ""
        # A cell starting with = + - @ would run as a formula in a spreadsheet.
        row["text"] = "'" + text if text[:1] in ("=", "+", "-", "@") else text
        writer.writerow(row)
    return buf.getvalue().encode("utf-8-sig")


async def export(ctx: Context) -> list[Reply]:
    """Get everything Flicker holds about you, as files"""
    data = await build_export(ctx)
    stamp = ctx.local_now().strftime("%Y-%m-%d")
    as_json = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    n = len(data["entries"])
    return [
        Reply(f"Here is everything I hold about you: {n} journal entr{'y' if n == 1 else 'ies'} and your settings."),
        Reply(
            "All your data (JSON)", attachment=Attachment(f"flicker-export-{stamp}.json", as_json, "application/json")
        ),
        Reply(
            "Your journal (CSV, opens in a spreadsheet)",
            attachment=Attachment(f"flicker-journal-{stamp}.csv", journal_csv(data["entries"]), "text/csv"),
        ),
    ]


async def forget(ctx: Context) -> list[Reply]:
    """Erase everything Flicker holds about you"""
    await ctx.set_flow("forget", "confirm")
    return [
        Reply(
            "This erases your whole journal, your settings, reminders and triage results, for good. "
            "It can't be undone, and it can't reach files I already gave you (exports, charts, reports). "
            "/export first if you want a copy. Erase everything?",
            (Forget("yes").button("Yes, erase everything"), Forget("no").button("No, keep it")),
        )
    ]


async def forget_choice(ctx: Context, payload: str) -> list[Reply]:
    if not ctx.in_flow("forget", "confirm"):
        return expired("/forget")
    if payload == "yes":
        await ctx.store.forget_user(ctx.user.id)
        return [
            Reply(
                "Done. Everything I held about you is erased. If you write again, we start fresh.\n"
                "Files I already gave you (exports, charts, reports) are yours: I can't reach them, so "
                "delete them yourself if you want them gone, including any saved by the console."
            )
        ]
    await ctx.end_flow()
    return [Reply("Nothing was erased. Your journal is as it was.")]


async def forget_text(ctx: Context) -> list[Reply] | None:
    answer = ctx.args.strip().lower()
    if answer in ("yes", "y", "erase", "yes, erase everything"):
        return await forget_choice(ctx, "yes")
    if answer in ("no", "n", "keep", "no, keep it"):
        return await forget_choice(ctx, "no")
    return [
        Reply(
            "Please answer yes or no: erase everything?",
            (Forget("yes").button("Yes, erase everything"), Forget("no").button("No, keep it")),
        )
    ]


COMMANDS = [
    Command("privacy", privacy),
    Command("export", export),
    Command("forget", forget),
]
FLOWS = {"forget": forget_text}
CHOICES = {"forget": forget_choice}
