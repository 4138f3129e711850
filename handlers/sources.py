"""/sources: the facts behind your latest triage result, numbered as in the result."""

from __future__ import annotations

from bot.handler_api import Command, Context
from bot.messages import Reply
from handlers.triage_result import sources_replies


async def sources(ctx: Context) -> list[Reply]:
    """Read the facts behind your latest triage result and where they come from"""
    return await sources_replies(ctx)


COMMANDS = [Command("sources", sources, usage="/sources")]
