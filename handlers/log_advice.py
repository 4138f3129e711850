"""What /log adds after saving: eyelid advice that fits how long it has gone on (EY-1..EY-3,
RD-3), and /triage pointed out once for widespread (CL-4), tongue (CL-5) and more than two
weeks of twitching (CL-1)."""

from __future__ import annotations

from typing import Any

from bot.choice_ids import Triage
from bot.messages import Reply
from handlers.base import Context

# Places that save at once and point to /triage once (CL-4 widespread, CL-5 tongue).
POINTED = {
    "widespread": (
        "Twitching in many places at once is on the checklist of things worth a doctor's look "
        "(CL-4, RF-1). /triage asks a few questions and says how soon, and why."
    ),
    "tongue": (
        "Twitching of the tongue is worth checking: /triage asks a few questions, including about "
        "speech and swallowing (CL-5), and says how soon to see a doctor."
    ),
}
LONG_TWITCHING = (
    "Twitching that has gone on for more than 2 weeks despite rest is on the checklist (CL-1); "
    "/triage asks a few questions and says how soon to see a doctor."
)
EYELID_LONG = (
    "Eyelid twitching that has lasted more than two weeks is a reason to book an eye doctor "
    "(ophthalmologist) (EY-3, RD-3). Meanwhile a warm compress and less screen time help (EY-2)."
)
EYELID_SHORT = (
    "Eyelid twitching is very common and usually harmless; most episodes settle within a few days "
    "(EY-1, FQ-2). A warm compress and less screen time help (EY-2). If it lasts more than two weeks "
    "or spreads to other muscles of your face, see an eye doctor (EY-3)."
)
TWO_WEEKS_S = 14 * 86400


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
