"""What the safety screen's findings say to the person (rules/safety.toml holds the texts).

Pure: the engine can answer an emergency from this even when the database is down.
"""

from __future__ import annotations

from bot.messages import Reply
from rules.safety import Finding, SafetyScreen, country_of
from rules.sources import sources_line

# ---- the replies (pure: the engine can answer an emergency even when the store is down) -------------
UNKNOWN_NUMBER = "your local emergency number"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def compose(
    screen: SafetyScreen, finding: Finding, *, timezone: str | None, language: str, private: bool
) -> list[Reply]:
    """What the person sees first. Group chats get the instruction without their words."""
    r = screen.replies
    number = screen.emergency_number(timezone)
    num = number or UNKNOWN_NUMBER
    fmt = {"number": num, "what": finding.what, "What": _cap(finding.what)}
    out: list[Reply] = []
    lang = screen.languages.get(language)
    foreign = ""
    if lang is not None and language != "en":
        line = (
            lang.emergency if finding.category == "emergency" else lang.crisis if finding.category == "crisis" else ""
        )
        if line:
            foreign = line.replace(" ({number})", f" ({number})" if number else "").format(number=num)
    if finding.category == "emergency":
        if finding.passed and finding.kind == "stroke":
            body = r["emergency_passed"].format(**fmt)
        else:
            key = "emergency_breathing" if finding.kind == "breathing" else "emergency_stroke"
            body = r[key].format(**fmt)
        source = r.get("emergency_breathing_source" if finding.kind == "breathing" else "emergency_stroke_source", "")
        text = "\n\n".join(x for x in (foreign, body, source) if x)
        if not private:
            group = "\n\n".join(x for x in (foreign, r["emergency_group"].format(**fmt)) if x)
            out.append(Reply(group, private=False, aloud=True))
        out.append(Reply(text, private=True))
        return out
    if finding.category == "crisis":
        country = country_of(timezone or "")
        if country == "US":
            lines = r["crisis_lines_us"]
        elif country in ("GB", "IE"):
            lines = r["crisis_lines_uk"]
        elif country is not None and number:
            lines = r["crisis_lines_other"].format(number=number)
        else:
            lines = r["crisis_lines_unknown"]
        body = r["crisis"].format(lines=lines, **fmt)
        text = "\n\n".join(x for x in (foreign, body, r.get("crisis_source", "")) if x)
        if not private:
            out.append(Reply(r["crisis_group"].format(lines=lines, **fmt), private=False))
        out.append(Reply(text, private=True))
        return out
    if finding.category == "urgent_gp":
        body = r["urgent_gp"].format(**fmt)
        out.append(Reply("\n\n".join(x for x in (body, r.get("urgent_gp_source", "")) if x), private=True))
    elif finding.category == "pregnancy":
        body = r["pregnancy"].format(**fmt)
        out.append(Reply("\n\n".join(x for x in (body, r.get("pregnancy_source", "")) if x), private=True))
    else:  # red_flag: never opens with reassurance; says who and how soon
        level = screen.levels.get(finding.level, "")
        body = r["red_flag"].format(Level=level, **fmt)
        rule = screen.by_id.get(finding.rule)
        ids = [finding.source, *(rule.also if rule else ())]
        out.append(Reply(f"{body}\n\n{sources_line(ids)}", private=True))
    return out
