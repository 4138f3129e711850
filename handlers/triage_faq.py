"""Short answers to free-text questions, from rules/faq.toml (every answer cites facts).

The intent router (handlers/chat.py) decides that a message is a question; this module says
which answer fits, or that the article doesn't cover it.
"""

from __future__ import annotations

from bot.choice_ids import Triage
from bot.handler_api import Context
from bot.messages import Reply
from rules.faq import Faq, match_faq
from rules.texts import texts

NOT_COVERED = texts("faq")["not_covered"]
OFFER_TRIAGE = Triage("start").button("Start /triage")


def answer_for(text: str) -> Faq | None:
    return match_faq(text)


def faq_reply(f: Faq | None, lead: str = "") -> Reply:
    head = f"{lead}\n\n" if lead else ""
    if f is None:
        return Reply(head + NOT_COVERED, (OFFER_TRIAGE,))
    if f.offer == "plan":
        return Reply(
            f"{head}{f.text}\n\n{texts('faq')['plan_tail']}",
            (Triage("start").button("Start /triage"),),
        )
    return Reply(
        f"{head}{f.text}\n\n{texts('faq')['triage_tail']}",
        (OFFER_TRIAGE,),
    )


async def faq(ctx: Context) -> list[Reply] | None:
    """Answer a question typed in a private chat (used by the intent router)."""
    if not ctx.incoming.private:
        return None
    return [faq_reply(answer_for(ctx.args))]


FREE_TEXT: list = []  # questions reach faq() through handlers/chat.py, which reads intent first
