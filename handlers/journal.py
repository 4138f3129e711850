"""/note, /journal, /undo, /delete: the journal itself."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.choice_ids import LogUndo, Note
from bot.handler_api import Command, Context, expired
from bot.messages import Reply
from bot.timezones import zone_label
from handlers.format import describe_entry

NOTE_LIMIT = 1000
JOURNAL_DEFAULT = 10
JOURNAL_MAX = 100
_DAYS = re.compile(r"^(\d{1,3})\s*d(?:ays?)?$")


async def save_note(ctx: Context, text: str) -> list[Reply]:
    clear = ctx.store.conversation_writer(ctx.user.id, None) if ctx.conversation is not None else None
    entry = await ctx.store.add_entry(
        ctx.user.id, "note", ctx.now, ctx.user.timezone, text=text, now=ctx.now, also=clear
    )
    if clear is not None:
        ctx.store.remember_conversation(ctx.user.id, None)
        ctx.conversation = None
    return [
        Reply(f"Noted as #{entry.id}. /journal shows your recent entries.", (LogUndo(str(entry.id)).button("Undo"),))
    ]


async def _too_long(ctx: Context, text: str) -> list[Reply]:
    # Keep the whole text so the person loses nothing: they can save the first part or shorten it.
    await ctx.set_flow("note", "too_long", {"text": text})
    return [
        Reply(
            f"That note is {max(len(text), ctx.hints.get('input_chars', 0) - len('/note ')):,} characters; "
            f"a note can hold up to {NOTE_LIMIT:,}. "
            "Nothing was saved yet. Save the first 1,000 characters, or send a shorter note "
            "(for example: /note slept badly, anxious about work).",
            (Note("trim").button("Save the first 1,000"), Note("cancel").button("Cancel")),
        )
    ]


async def note(ctx: Context) -> list[Reply]:
    """Keep a short journal note, e.g. /note slept badly"""
    text = ctx.args
    if not text:
        await ctx.set_flow("note", "text")
        return [
            Reply(
                "What would you like to note? Type it in one message (up to 1,000 characters).",
                (Note("cancel").button("Cancel"),),
            )
        ]
    if len(text) > NOTE_LIMIT:
        return await _too_long(ctx, text)
    return await save_note(ctx, text)


async def note_text(ctx: Context) -> list[Reply] | None:
    text = ctx.args
    if len(text) > NOTE_LIMIT:
        return await _too_long(ctx, text)
    return await save_note(ctx, text)


async def note_choice(ctx: Context, payload: str) -> list[Reply]:
    if not ctx.in_flow("note"):
        return expired("/note")
    if payload == "trim" and ctx.in_flow("note", "too_long"):
        return await save_note(ctx, ctx.conversation.data["text"][:NOTE_LIMIT])
    if payload == "cancel":
        await ctx.end_flow()
        return [Reply("Cancelled; nothing was saved.")]
    return expired("/note")


async def journal(ctx: Context) -> list[Reply]:
    """Show recent entries, e.g. /journal 20 or /journal 7d"""
    arg = ctx.args.strip().lower()
    since, limit = None, JOURNAL_DEFAULT
    if arg:
        if arg.isdigit() and 0 < int(arg) <= JOURNAL_MAX:
            limit = int(arg)
        elif (m := _DAYS.match(arg)) and 0 < int(m.group(1)) <= 366:
            since, limit = ctx.now - timedelta(days=int(m.group(1))), JOURNAL_MAX
        else:
            return [
                Reply(
                    f"I can show a number of entries (1 to {JOURNAL_MAX}) or a number of days. "
                    "For example: /journal 20 or /journal 7d"
                )
            ]
    entries = await ctx.store.entries(ctx.user.id, since=since, limit=limit)
    if not entries:
        span = f" in the last {arg}" if since else ""
        return [
            Reply(
                f"Your journal has no entries{span} yet. Describe a twitch in one line, "
                'e.g. "left eyelid 2 min after coffee", or send /note TEXT.'
            )
        ]
    now_local = ctx.local_now()
    plural = "entry" if len(entries) == 1 else "entries"
    head = f"Your last {len(entries)} {plural}, newest first ({zone_label(ctx.user.timezone)} time):"
    lines = [describe_entry(e, now_local) for e in entries]
    return [Reply("\n".join([head, *lines, "", "/delete ID removes one; /undo removes the last one you added."]))]


async def undo(ctx: Context) -> list[Reply]:
    """Remove the last entry you added"""
    entry = await ctx.store.last_added_entry(ctx.user.id)
    if entry is None:
        return [Reply("There is nothing to undo: your journal is empty.")]
    await ctx.store.delete_entry(ctx.user.id, entry.id)
    return [Reply(f"Removed {describe_entry(entry, ctx.local_now())}")]


async def delete(ctx: Context) -> list[Reply]:
    """Remove one entry by its number, e.g. /delete 12"""
    raw = ctx.args.strip().lstrip("#")
    if not raw.isdigit() or len(raw) > 18:
        return [Reply("Tell me which entry to remove by its number from /journal, for example: /delete 12")]
    entry = await ctx.store.entry(ctx.user.id, int(raw))
    if entry is None or not await ctx.store.delete_entry(ctx.user.id, entry.id):
        return [Reply(f"I can't find entry #{raw} in your journal. /journal lists your entries with their numbers.")]
    return [Reply(f"Removed {describe_entry(entry, ctx.local_now())}")]


COMMANDS = [
    Command("note", note, usage="/note TEXT"),
    Command("journal", journal, usage="/journal [N | 7d]"),
    Command("undo", undo),
    Command("delete", delete, usage="/delete ID"),
]


async def _note_interrupted(ctx: Context) -> bool:
    return False  # typed text after /note is the note itself; only commands close the question


async def _close_note(ctx: Context, why: str) -> list[Reply]:
    text = ctx.conversation.data.get("text", "") if ctx.conversation else ""
    await ctx.end_flow()
    if why == "expired":
        return [Reply("(The /note question from earlier expired; nothing was noted.)")]
    dropped = " The long note you sent was not saved." if text else ""
    return [Reply(f"(I closed the open /note question; nothing was noted.{dropped})")]


FLOWS = {"note": note_text}
CLOSERS = {"note": (_note_interrupted, _close_note)}
CHOICES = {"note": note_choice}
