"""Free text, read for what it is before anything answers it: a twitch report, a note, a
question, a feeling, a greeting or thanks, or unknown (rules/intent.py).

The safety screen has already run on the text (bot/safety.py, in the engine).
"""

from __future__ import annotations

import re

from bot.choice_ids import Triage
from bot.handler_api import Context
from bot.messages import Reply
from bot.safety_replies import crisis_lines
from handlers import journal, log
from handlers.triage_faq import answer_for, faq_reply
from rules.faq import match_condition
from rules.intent import FEELING, GREETING, NOTE, QUESTION, REPORT, THANKS, classify, hints
from rules.safety import load_safety_screen
from rules.texts import texts

FEAR, FEAR_SHORT, RELIEF, MOOD, NEXT_STEP = (
    texts("chat")[k] for k in ("fear", "fear_short", "relief", "mood", "next_step")
)
GREET = (
    'Hello! Describe a twitch in one line to log it (e.g. "left eyelid 2 min after my third coffee"), ask me a '
    "question, or send /help to see everything."
)
GREET_NEW = "Hello!"
THANK = "You're welcome. I'm here whenever you want to log a twitch or ask something."
NOTE_SAVED_LEAD = "There's no twitch in that, so I kept it as a journal note:"
TRIAGE = Triage("start").button("Start /triage")


# "thank you. can you just tell me if its als": the courtesy first, then what the message is about
_COURTESY = re.compile(
    r"^\s*(?:thank you|thank u|thanks|thx|ty|ok|okay|sorry|please|hi|hello|hey)(?:\s+(?:so much|again|very much))?"
    r"\s*[.,!;:-]+\s*(?=\S)",
    re.I,
)


async def understand(ctx: Context) -> list[Reply] | None:
    """Route one free-text message in a private chat by what it means."""
    if not ctx.incoming.private:
        return None
    intent = classify(ctx.args, ctx.local_now())
    if intent.kind not in (REPORT, QUESTION) and (m := _COURTESY.match(ctx.args)):
        rest = ctx.args[m.end() :]
        after = classify(rest, ctx.local_now())
        if after.kind in (REPORT, QUESTION, FEELING):
            ctx.args, intent = rest, after
    if intent.kind == REPORT:
        lead = FEAR_SHORT if intent.feeling == "fear" else ""
        replies = await log.report(ctx, intent.parsed, lead=lead)
        if lead and (f := match_condition(ctx.args)) is not None:
            replies.append(Reply(f.text, (TRIAGE,)))  # "terrified I have ALS": what the article says
        return replies
    if intent.kind == QUESTION:
        lead = FEAR_SHORT if intent.feeling == "fear" else ""
        parsed = intent.parsed
        if parsed.is_twitch_report and parsed.region and (parsed.duration_s or parsed.ongoing_s or parsed.occurred_at):
            # "my calf has twitched since the 20th, is this als?": the twitch is kept, then the answer
            return [*await log.report(ctx, parsed, lead=lead), faq_reply(answer_for(ctx.args), "")]
        return [faq_reply(answer_for(ctx.args), lead)]
    if intent.kind == FEELING:
        return [_feeling(ctx, intent.feeling)]
    if intent.kind == GREETING:
        return [Reply(GREET_NEW if ctx.is_new_user else GREET)]
    if intent.kind == THANKS:
        return [Reply(THANK)]
    if intent.kind == NOTE:
        replies = await journal.save_note(ctx, ctx.args[: journal.NOTE_LIMIT])
        return [Reply(f"{NOTE_SAVED_LEAD} {replies[0].text}", replies[0].choices), *replies[1:]]
    return [await _unknown(ctx)]


def _feeling(ctx: Context, feeling: str | None) -> Reply:
    if feeling == "relief":
        return Reply(RELIEF)
    body = FEAR if feeling == "fear" else MOOD
    f = match_condition(ctx.args)
    extra = f"\n\n{f.text}" if f is not None else ""
    return Reply(f"{body}{extra}\n\n{NEXT_STEP}", (TRIAGE,))


async def _unknown(ctx: Context) -> Reply:
    """One helpful example, never the same one twice in a row; but right after a crisis reply,
    what isn't understood gets the lines again, warmly, not a cold 'not sure what you meant'."""
    conv = ctx.conversation
    if conv is not None and conv.flow == "safety" and conv.data.get("kind") == "crisis":
        rules = load_safety_screen()
        number = rules.emergency_number(ctx.user.timezone) or "your local emergency number"
        lines = crisis_lines(rules, ctx.user.timezone)
        return Reply(rules.after["crisis_other"].format(number=number, lines=lines))
    options = hints()
    last = ctx.user.settings.get("last_hint")
    index = (last + 1) % len(options) if isinstance(last, int) else 0
    await ctx.store.update_settings(ctx.user, last_hint=index)
    return Reply(f"I'm not sure what you meant. {options[index]} /help lists everything.", private=False)


FREE_TEXT = [(5, understand)]
