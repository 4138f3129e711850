"""/help and /cancel."""

from __future__ import annotations

from bot.handler_api import Command, Context
from bot.messages import Reply


async def help_(ctx: Context) -> list[Reply]:
    """List everything Flicker understands"""
    lines = ["Here's what I understand:"]
    for cmd in ctx.engine.registry.menu():
        lines.append(f"{cmd.usage or '/' + cmd.name} - {cmd.summary}")
    lines += [
        "",
        "In a private chat you can also just describe a twitch in one line, e.g. "
        '"right calf 30s after the gym" or "left eyelid 2 min after my third coffee", '
        "and I'll ask only for what's missing.",
        "I'm not a doctor: for anything worrying, /triage says how soon to get help.",
    ]
    return [Reply("\n".join(lines), private=False)]


async def cancel(ctx: Context) -> list[Reply]:
    """Leave the current question"""
    if ctx.conversation is None:
        return [Reply("There's nothing to cancel. /help lists what I can do.", private=False)]
    await ctx.end_flow()
    return [Reply("Cancelled; nothing from that question was saved. /help lists what I can do.", private=False)]


COMMANDS = [Command("help", help_), Command("cancel", cancel)]
