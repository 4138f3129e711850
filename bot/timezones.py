"""Turn what a person types ("Berlin", "new york", "UTC+2", "Europe/Berlin") into an IANA zone."""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

_OFFSET = re.compile(r"^(?:utc|gmt|z)?\s*([+-])\s*(\d{1,2})(?:[:.h]?(\d{2}))?(?:h|hrs?|hours?)?$")
_LEAD = re.compile(
    r"^(?:(?:i|we) (?:live|am|m|'m|stay|work|reside)(?: now| currently)? (?:in|near|at|from)|i'?m in|im in|i'?m from|"
    r"im from|living in|based in|located in|near|from|in|my (?:time ?zone|tz) is|time ?zone(?: is)?|tz)\s+"
)
MIN_OFFSET_H, MAX_OFFSET_H = -12, 14


@dataclass(frozen=True)
class ZoneAnswer:
    zone: str | None  # IANA name when understood
    suggestions: tuple[str, ...] = ()  # close names, or the zones an abbreviation may mean
    problem: str = ""  # why nothing fits, in words ("UTC-13 is not a time zone on Earth")


def _norm(text: str) -> str:
    text = text.replace("−", "-").replace("–", "-").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[\s_]+", " ", text.strip().lower()).strip(" .!")


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], dict[str, str], dict[str, tuple[str, ...]], dict[str, str]]:
    """(exact lower-case IANA name -> name, city/alias -> name, abbreviation -> zones,
    half-hour offset -> name)."""
    names = {z for z in available_timezones() if "/" in z or z == "UTC"}
    names -= {z for z in names if z.startswith(("Etc/", "SystemV/", "posix/", "right/"))}
    exact = {z.lower(): z for z in names}
    cities: dict[str, str] = {}
    for z in sorted(names, key=lambda n: (n.count("/"), n)):  # prefer "Europe/Berlin" over deeper names
        city = _norm(z.rsplit("/", 1)[-1])
        cities.setdefault(city, z)
    data = tomllib.loads((Path(__file__).resolve().parent.parent / "rules" / "timezones.toml").read_text())
    for alias, zone in data["aliases"].items():
        cities[_norm(alias)] = zone
    abbreviations = {k.lower(): tuple(v) for k, v in data.get("abbreviations", {}).items()}
    half = dict(data.get("half_hours", {}))
    return exact, cities, abbreviations, half


def resolve_timezone(text: str) -> ZoneAnswer:
    """A zone from what a person types: a city in its own spelling, "City, Country", "I live
    in ...", an IANA name, an offset (UTC-12 .. UTC+14, with :30 and :45) or an abbreviation."""
    raw = text.strip()
    if not raw or len(raw) > 64:
        return ZoneAnswer(None)
    exact, cities, abbreviations, _ = _index()
    if raw.lower() in exact:
        return ZoneAnswer(exact[raw.lower()])
    key = _LEAD.sub("", _norm(raw))
    if (offset := _offset(key.replace(" ", ""))) is not None:
        return offset
    if key in cities:
        return ZoneAnswer(cities[key])
    parts = [p.strip() for p in re.split(r"[,/;()]| - ", key) if p.strip()]
    words = key.replace(",", " ").split()
    if len(words) > 4:  # a sentence, not a place: "nice" or "us" inside it name no zone
        parts, words = [p for p in parts if len(p.split()) <= 3], []
    # "IST" alone is three places; "IST, India" is one
    abbrs = [w for w in words if w in abbreviations]
    others = [cities[p] for p in parts + words if p in cities and p not in abbreviations]
    if abbrs:
        options = abbreviations[abbrs[0]]
        if len(options) == 1:
            return ZoneAnswer(options[0])
        hinted = [z for z in options if z in others]
        hinted = hinted or [z for z in options if any(_same_offset(z, o) for o in others)]
        if hinted:
            return ZoneAnswer(hinted[0])
        return ZoneAnswer(None, options, f'"{abbrs[0].upper()}" is used in more than one place')
    if others:
        return ZoneAnswer(others[0])  # "Paris, France", "Madrid Spain"
    close = difflib.get_close_matches(key, list(cities), n=3, cutoff=0.75)
    return ZoneAnswer(None, tuple(dict.fromkeys(cities[c] for c in close)))


def _offset(key: str) -> ZoneAnswer | None:
    m = _OFFSET.match(key)
    if not m:
        return None
    sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
    signed = hours if sign == "+" else -hours
    if minutes == 0 and MIN_OFFSET_H <= signed <= MAX_OFFSET_H:
        if hours == 0:
            return ZoneAnswer("UTC")
        # POSIX-style Etc names have the sign inverted: UTC+2 is Etc/GMT-2.
        return ZoneAnswer(f"Etc/GMT{'-' if sign == '+' else '+'}{hours}")
    zone = _index()[3].get(f"{sign}{hours}:{minutes:02d}")
    if zone is not None:
        return ZoneAnswer(zone)
    return ZoneAnswer(
        None,
        (),
        f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "") + " is not an offset any place uses "
        f"(they run from UTC{MIN_OFFSET_H} to UTC+{MAX_OFFSET_H}, some with :30 or :45)",
    )


def _same_offset(a: str, b: str) -> bool:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    try:
        return now.astimezone(ZoneInfo(a)).utcoffset() == now.astimezone(ZoneInfo(b)).utcoffset()
    except Exception:
        return False


def zone_label(zone: str) -> str:
    if zone in ("Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/GMT", "UTC", "GMT"):
        return "UTC"
    if zone.startswith("Etc/GMT"):
        offset = zone[len("Etc/GMT") :]
        flipped = offset.replace("-", "+") if offset.startswith("-") else offset.replace("+", "-")
        return f"UTC{flipped}"
    return zone


def is_valid(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except Exception:
        return False
    return True
