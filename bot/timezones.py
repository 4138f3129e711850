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

_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$")


@dataclass(frozen=True)
class ZoneAnswer:
    zone: str | None  # IANA name when understood
    suggestions: tuple[str, ...] = ()  # close names when not


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[\s_]+", " ", text.strip().lower())


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], dict[str, str]]:
    """(exact lower-case IANA name -> name, city/alias -> name)."""
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
    return exact, cities


def resolve_timezone(text: str) -> ZoneAnswer:
    raw = text.strip()
    if not raw or len(raw) > 64:
        return ZoneAnswer(None)
    exact, cities = _index()
    if raw.lower() in exact:
        return ZoneAnswer(exact[raw.lower()])
    key = _norm(raw)
    m = _OFFSET.match(key.replace(" ", ""))
    if m:
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        if minutes == 0 and hours <= 14:
            if hours == 0:
                return ZoneAnswer("UTC")
            # POSIX-style Etc names have the sign inverted: UTC+2 is Etc/GMT-2.
            return ZoneAnswer(f"Etc/GMT{'-' if sign == '+' else '+'}{hours}")
        return ZoneAnswer(None, _zones_with_offset(sign, hours, minutes))
    if key in cities:
        return ZoneAnswer(cities[key])
    close = difflib.get_close_matches(key, list(cities), n=3, cutoff=0.75)
    return ZoneAnswer(None, tuple(dict.fromkeys(cities[c] for c in close)))


def _zones_with_offset(sign: str, hours: int, minutes: int) -> tuple[str, ...]:
    # Half-hour offsets have no Etc/ zone; suggest real places that use them.
    known = {
        ("+", 5, 30): ("Asia/Kolkata",),
        ("+", 9, 30): ("Australia/Darwin",),
        ("+", 5, 45): ("Asia/Kathmandu",),
        ("-", 3, 30): ("America/St_Johns",),
        ("+", 3, 30): ("Asia/Tehran",),
        ("+", 4, 30): ("Asia/Kabul",),
    }
    return known.get((sign, hours, minutes), ())


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
