"""Reminder kinds, texts and default times from rules/reminders.toml, checked on load.

Also the one place that reads a clock time a person typed ("7", "7:30", "11pm", "23h").
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rules.sources import SourceError, check_cited, check_text_cites

RULES_FILE = Path(__file__).resolve().parent / "reminders.toml"
KIND_ORDER = ("caffeine", "hydration", "stress", "journal", "sleep", "checkin")

TIME_EXAMPLE = 'a time like "7:30", "23:00" or "11pm"'


class RulesError(ValueError):
    """rules/reminders.toml is malformed; the message says where."""


@dataclass(frozen=True)
class Kind:
    id: str
    label: str
    source: str
    times: tuple[str, ...]  # "+H:MM" after wake-up or "-H:MM" before bedtime
    text: str
    weekly: bool = False
    extra: dict[str, Any] | None = None  # kind-specific strings (taper, suggestions)


@dataclass(frozen=True)
class AbsentQuestion:
    """One weekly "what stayed absent" question; a "no" is a pertinent negative."""

    id: str
    label: str
    source: str
    text: str


@dataclass(frozen=True)
class ReminderRules:
    kinds: dict[str, Kind]
    wake: int  # minutes after midnight
    bedtime: int
    snooze_minutes: int
    wake_buttons: tuple[int, ...]
    bedtime_buttons: tuple[int, ...]
    plan: dict[str, Any]
    absent: tuple[AbsentQuestion, ...] = ()
    absent_texts: dict[str, str] | None = None

    def absent_question(self, qid: str) -> AbsentQuestion | None:
        return next((q for q in self.absent if q.id == qid), None)

    def default_minutes(self, kind: str, wake: int, bedtime: int) -> list[int]:
        """The default local times (minutes after midnight) of a kind for this wake/bedtime."""
        return [resolve_offset(t, wake, bedtime) for t in self.kinds[kind].times]


def resolve_offset(offset: str, wake: int, bedtime: int) -> int:
    sign, hm = offset[0], offset[1:]
    h, m = (int(x) for x in hm.split(":"))
    delta = h * 60 + m
    if sign == "+":
        return (wake + delta) % 1440
    bed = bedtime if bedtime > wake else bedtime + 1440  # a bedtime after midnight
    return (bed - delta) % 1440


def parse_clock(text: str) -> int | None:
    """Minutes after midnight for "7", "07:30", "7.30", "7:30 pm", "11pm", "23h", "noon"; None if not a time."""
    t = text.strip().lower().replace(" ", "")
    if t in ("noon", "midday"):
        return 12 * 60
    if t == "midnight":
        return 0
    m = re.fullmatch(r"(\d{1,2})(?:[:.h](\d{2}))?h?(am|pm|a\.m\.|p\.m\.)?", t)
    if not m:
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").replace(".", "")
    if minute > 59:
        return None
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif hour == 24 and minute == 0:
        hour = 0
    if hour > 23:
        return None
    return hour * 60 + minute


def clock_words(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def bad_time_answer(text: str, what: str = "the time") -> str:
    shown = text.strip() if len(text.strip()) <= 30 else text.strip()[:27] + "..."
    return f'I couldn\'t read "{shown}" as {what}. Please send {TIME_EXAMPLE} (24-hour clock or am/pm).'


def _hm(value: Any, where: str) -> int:
    if not isinstance(value, str) or (minutes := parse_clock(value)) is None:
        raise RulesError(f"{where}: {value!r} is not a time like '7:30'")
    return minutes


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulesError(f"{where}.{key} must be a non-empty text")
    return value


def _cited(source: str, where: str) -> str:
    """A `source` id, checked against rules/facts.toml."""
    try:
        check_cited([source], where)
    except SourceError as exc:
        raise RulesError(str(exc)) from exc
    return source


def _cited_text(text: str, where: str) -> str:
    """A text whose "(SC-1)" citations are all facts of rules/facts.toml."""
    try:
        check_text_cites(text, where)
    except SourceError as exc:
        raise RulesError(str(exc)) from exc
    return text


def validate(data: dict[str, Any]) -> ReminderRules:
    d = data.get("defaults", {})
    kinds: dict[str, Kind] = {}
    for kid, table in data.get("kinds", {}).items():
        where = f"kinds.{kid}"
        source = _cited(_text(table, "source", where), f"rules/reminders.toml [{where}].source")
        times = table.get("times")
        if not isinstance(times, list) or not times:
            raise RulesError(f"{where}.times must list at least one time")
        for t in times:
            if not isinstance(t, str) or not re.fullmatch(r"[+-]\d{1,2}:\d{2}", t):
                raise RulesError(f"{where}.times: {t!r} must look like '+1:30' or '-0:45'")
        text = _text(table, "text", where)
        if f"({source})" not in text:
            raise RulesError(f"{where}.text must cite its source ({source})")
        extra = {k: v for k, v in table.items() if k not in ("label", "source", "times", "text", "weekly")}
        kinds[kid] = Kind(
            kid, _text(table, "label", where), source, tuple(times), text, bool(table.get("weekly")), extra
        )
    missing = [k for k in KIND_ORDER if k not in kinds]
    if missing:
        raise RulesError(f"reminder kinds missing from rules: {', '.join(missing)}")
    if not kinds["stress"].extra or not kinds["stress"].extra.get("suggestions"):
        raise RulesError("kinds.stress.suggestions must list at least one exercise")
    plan = data.get("plan", {})
    for key in ("intro", "advice_worse", "advice_no_change", "done_better", "keep_going"):
        _cited_text(_text(plan, key, "plan"), f"rules/reminders.toml [plan].{key}")
    _cited(plan.get("source", ""), "rules/reminders.toml [plan].source")
    taper_days = plan.get("taper_days")
    if not isinstance(taper_days, int) or not 7 <= taper_days <= 10:
        raise RulesError("plan.taper_days must be 7-10 (SC-1)")
    for k in kinds.values():
        _cited_text(k.text, f"rules/reminders.toml [kinds.{k.id}].text")
    absent_table = data.get("absent", {})
    absent: list[AbsentQuestion] = []
    for i, q in enumerate(absent_table.get("question", [])):
        where = f"absent.question[{i}]"
        source = _cited(_text(q, "source", where), f"rules/reminders.toml [{where}].source")
        absent.append(AbsentQuestion(_text(q, "id", where), _text(q, "label", where), source, q["text"]))
    return ReminderRules(
        absent=tuple(absent),
        absent_texts=_absent_texts(absent_table) if absent else {},
        kinds=kinds,
        wake=_hm(d.get("wake", "7:00"), "defaults.wake"),
        bedtime=_hm(d.get("bedtime", "23:00"), "defaults.bedtime"),
        snooze_minutes=int(d.get("snooze_minutes", 60)),
        wake_buttons=tuple(_hm(v, "defaults.wake_buttons") for v in d.get("wake_buttons", [])),
        bedtime_buttons=tuple(_hm(v, "defaults.bedtime_buttons") for v in d.get("bedtime_buttons", [])),
        plan=plan,
    )


def _absent_texts(table: dict[str, Any]) -> dict[str, str]:
    texts = {k: _text(table, k, "absent") for k in ("intro", "offer")}
    if not table.get("sources"):
        raise RulesError("absent.sources must name the facts behind the intro and the offer")
    try:
        check_cited(table["sources"], "rules/reminders.toml [absent].sources")
    except SourceError as exc:
        raise RulesError(str(exc)) from exc
    return texts


@lru_cache(maxsize=1)
def load_reminder_rules(path: str | None = None) -> ReminderRules:
    file = Path(path) if path else RULES_FILE
    with file.open("rb") as fh:
        return validate(tomllib.load(fh))
