"""What /log adds after saving: eyelid advice that fits how long it has gone on (EY-1..EY-3,
RD-3), and /triage pointed out once for widespread (CL-4), tongue (CL-5) and more than two
weeks of twitching (CL-1)."""

from __future__ import annotations

from typing import Any

from bot.choice_ids import Triage
from bot.handler_api import Context
from bot.messages import Reply
from rules.texts import texts
from rules.triage import load_evidence

# The texts live in rules/texts.toml [log_advice]; "more than two weeks" is [evidence] of rules/triage.toml.
_TEXTS = texts("log_advice")
# Places that save at once and point to /triage once (CL-4 widespread, CL-5 tongue).
POINTED = {"widespread": _TEXTS["widespread"], "tongue": _TEXTS["tongue"]}
LONG_TWITCHING = _TEXTS["long"]
EYELID_LONG = _TEXTS["eyelid_long"]
EYELID_SHORT = _TEXTS["eyelid_short"]
TWO_WEEKS_S = load_evidence().long_days * 86400


async def advice(ctx: Context, entries: list, fields: dict[str, Any]) -> list[Reply]:
    """Eyelid advice that fits how long it has gone on; /triage pointed out once per reason."""
    out: list[Reply] = []
    ongoing = fields.get("ongoing_s") or 0
    regions = {e.region for e in entries}
    if "eyelid" in regions and fields.get("ongoing_s"):
        out.append(Reply(EYELID_LONG if ongoing > TWO_WEEKS_S else EYELID_SHORT))
    reasons = [r for r in ("widespread", "tongue") if r in regions]
    if ongoing > TWO_WEEKS_S and regions - {"eyelid"}:
        reasons.append("long")
    pointed = set(ctx.user.settings.get("pointed_triage") or ())
    new = [r for r in reasons if r not in pointed]
    if new:
        text = " ".join(POINTED.get(r, LONG_TWITCHING) for r in new)
        out.append(Reply(text, (Triage("start").button("Start /triage"),)))
        await ctx.store.update_settings(ctx.user, pointed_triage=sorted(pointed | set(new)))
    return out
