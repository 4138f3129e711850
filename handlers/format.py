"""Shared wording: how entries and times read to a person."""

from __future__ import annotations

from datetime import datetime

from bot.store import Entry
from bot.wording import duration_words  # noqa: F401 - handlers use it from here too
from rules.vocabulary import load_vocabulary

SIDE_WORDS = {"left": "left", "right": "right", "both": "both sides"}


def local_stamp(at: datetime, now_local: datetime) -> str:
    """'today 20:31', 'yesterday 09:00', 'Mon 23 Nov 07:15', with the year only when it differs."""
    at = at.astimezone(now_local.tzinfo)
    days = (now_local.date() - at.date()).days
    clock = at.strftime("%H:%M")
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"yesterday {clock}"
    if at.year == now_local.year:
        return f"{at.strftime('%a')} {at.day} {at.strftime('%b')} {clock}"
    return f"{at.day} {at.strftime('%b %Y')} {clock}"


def region_words(region: str | None, side: str | None) -> str:
    vocab = load_vocabulary()
    name = vocab.regions[region].label.lower() if region in vocab.regions else "unspecified place"
    if side == "both":
        return f"{name}, both sides"
    return f"{side} {name}" if side in ("left", "right") else name


def trigger_words(triggers: tuple[str, ...] | list[str]) -> str:
    vocab = load_vocabulary()
    return ", ".join(vocab.triggers[t].label.lower() if t in vocab.triggers else t for t in triggers)


def twitch_summary(region, side, duration_s, triggers, intensity) -> str:
    parts = [region_words(region, side) + " twitch"]
    if (d := duration_words(duration_s)) is not None:
        parts.append(d)
    parts.append(f"possible triggers: {trigger_words(triggers)}" if triggers else "no trigger noted")
    if intensity:
        parts.append(f"strength {intensity}/5")
    return ", ".join(parts)


def describe_entry(entry: Entry, now_local: datetime) -> str:
    when = local_stamp(entry.occurred_at, now_local)
    if entry.kind == "note":
        text = entry.text if len(entry.text) <= 120 else entry.text[:117] + "..."
        return f"#{entry.id} · {when} · Note: {text}"
    summary = twitch_summary(entry.region, entry.side, entry.duration_s, entry.triggers, entry.intensity)
    return f"#{entry.id} · {when} · {summary[0].upper()}{summary[1:]}"
