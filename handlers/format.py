"""Shared wording: how entries and times read to a person."""

from __future__ import annotations

import re
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
    name = vocab.regions[region].label.lower() if region in vocab.regions else "other place"
    if side == "both":
        return f"{name} (both sides)"
    return f"{side} {name}" if side in ("left", "right") else name


def trigger_words(triggers: tuple[str, ...] | list[str]) -> str:
    vocab = load_vocabulary()
    return ", ".join(vocab.triggers[t].label.lower() if t in vocab.triggers else t for t in triggers)


def ongoing_words(seconds: int | None) -> str | None:
    """How long the twitching has gone on: "all day", "3 days", "2 weeks", "2 months"."""
    if not seconds:
        return None
    days = seconds / 86400
    if days < 1:
        return "going on all day"
    if days < 14:
        n = round(days)
        return f"going on for {n} day{'s' if n != 1 else ''}"
    if days < 60:
        n = round(days / 7)
        return f"going on for {n} weeks"
    if days < 730:
        return f"going on for {round(days / 30)} months"
    return f"going on for {round(days / 365)} years"


_ONGOING_WORDS = re.compile(r"\b(for|since|all|on and off|weeks?|months?|days?)\b", re.I)


def said_ongoing_s(text: str, at: datetime) -> int | None:
    """How long the twitching had gone on, in the person's words written at `at` ("for 3 weeks");
    None when not said."""
    if not text or not _ONGOING_WORDS.search(text):
        return None  # nothing said about how long: no parse needed
    from rules.parser import parse_twitch

    return parse_twitch(text.split(" · place: ", 1)[0], at).ongoing_s


def entry_ongoing_s(entry: Entry) -> int | None:
    """How long the twitching had gone on when this entry was written; read from its own words."""
    return said_ongoing_s(entry.text, entry.local_time) if entry.kind == "twitch" else None


def twitch_summary(region, side, duration_s, triggers, intensity, ongoing_s=None, place=None) -> str:
    where = f'"{place}"' if place and not region else region_words(region, side)
    parts = [where + " twitch"]
    if (d := duration_words(duration_s)) is not None:
        parts.append(d)
    if (o := ongoing_words(ongoing_s)) is not None:
        parts.append(o)
    parts.append(f"possible triggers: {trigger_words(triggers)}" if triggers else "no trigger noted")
    if intensity:
        parts.append(f"strength {intensity}/5")
    return ", ".join(parts)


def describe_entry(entry: Entry, now_local: datetime) -> str:
    when = local_stamp(entry.occurred_at, now_local)
    if entry.kind == "note":
        text = entry.text if len(entry.text) <= 120 else entry.text[:117] + "..."
        return f"#{entry.id} · {when} · Note: {text}"
    place = entry.text.split(" · place: ", 1)[1] if " · place: " in entry.text else None
    if place is None and entry.text.startswith("place: "):
        place = entry.text[len("place: ") :]
    summary = twitch_summary(
        entry.region, entry.side, entry.duration_s, entry.triggers, entry.intensity, entry_ongoing_s(entry), place
    )
    return f"#{entry.id} · {when} · {summary[0].upper()}{summary[1:]}"
