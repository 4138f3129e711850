"""Typed choice ids: one declared class per kind of button, in the spirit of aiogram's CallbackData.

A choice id is what a button carries and what comes back when it is pressed, e.g. ``"rset:q:1320-420"``.
A subclass declares a prefix (one or more ``:``-separated words; the first is the handler namespace
the engine routes on) and typed fields; the id is the prefix and the field values joined by ``:``::

    class ReminderQuiet(ChoiceId, prefix="rset:q"):
        value: str

    ReminderQuiet("1320-420").encode() == "rset:q:1320-420"
    ChoiceId.parse("rset:q:1320-420") == ReminderQuiet("1320-420")

Field types: ``str``, ``int``, ``bool`` ("1"/"0"), an ``Enum`` (by value), ``Literal["a", "b"]``, a union
of these tried left to right (``int | Literal["all"]``), and ``X | None`` (None is the empty string).
A ``:`` or ``%`` inside a value is escaped as ``%3A`` / ``%25``, so ids without them are exactly the
strings the handlers built by hand before (buttons already sent keep working).

Size: every id must fit both platforms, checked when it is encoded (so a test finds a long one):

- Telegram: callback_data is at most 64 bytes of UTF-8.
- Discord: custom_id is at most 100 characters, and the adapter wraps the id as ``fl:{owner}:{choice}``
  with owner a snowflake of at most 20 digits, leaving 100 - len("fl:") - 20 - len(":") = 76 characters.

The registry (prefix -> class) is filled while the classes are defined, i.e. at import, and is only
ever read afterwards; :meth:`ChoiceId.registry` hands out a read-only view of it.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, Union, cast, dataclass_transform

from bot.messages import Choice

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

SEP = ":"
TELEGRAM_MAX_BYTES = 64  # callback_data
DISCORD_MAX_CHARS = 100  # custom_id
DISCORD_WRAP = len("fl:") + 20 + len(":")  # bot/adapters/discord.py: f"fl:{owner}:{choice}", owner <= 20 digits
MAX_CHARS = DISCORD_MAX_CHARS - DISCORD_WRAP  # 76
MAX_BYTES = TELEGRAM_MAX_BYTES

_WORD = re.compile(r"[a-z][a-z0-9_]*")
_ESCAPED = re.compile(r"%(25|3A)")


class ChoiceIdError(ValueError):
    """A choice id that does not decode (wrong prefix, field count or type), or one too long to encode."""


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace(SEP, "%3A")


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: "%" if m.group(1) == "25" else SEP, text)


def _encode_value(tp: Any, value: Any, where: str) -> str:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in typing.get_args(tp):
            return ""
        for arm in typing.get_args(tp):
            if arm is not type(None):
                try:
                    return _encode_value(arm, value, where)
                except ChoiceIdError:
                    continue
        raise ChoiceIdError(f"{where}: {value!r} is not a {tp}")
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ChoiceIdError(f"{where}: {value!r} is not one of {typing.get_args(tp)}")
        return _escape(str(value))
    if tp is bool:
        if not isinstance(value, bool):
            raise ChoiceIdError(f"{where}: {value!r} is not a bool")
        return "1" if value else "0"
    if tp is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ChoiceIdError(f"{where}: {value!r} is not an int")
        return str(value)
    if isinstance(tp, type) and issubclass(tp, Enum):
        if not isinstance(value, tp):
            raise ChoiceIdError(f"{where}: {value!r} is not a {tp.__name__}")
        return _escape(str(value.value))
    if tp is str:
        if not isinstance(value, str):
            raise ChoiceIdError(f"{where}: {value!r} is not a str")
        return _escape(value)
    raise TypeError(f"{where}: unsupported field type {tp!r}")


def _decode_value(tp: Any, raw: str, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        arms = typing.get_args(tp)
        if raw == "" and type(None) in arms:
            return None
        for arm in arms:
            if arm is not type(None):
                try:
                    return _decode_value(arm, raw, where)
                except ChoiceIdError:
                    continue
        raise ChoiceIdError(f"{where}: {raw!r} is not a {tp}")
    text = _unescape(raw)
    if origin is Literal:
        for option in typing.get_args(tp):
            if str(option) == text:
                return option
        raise ChoiceIdError(f"{where}: {text!r} is not one of {typing.get_args(tp)}")
    if tp is bool:
        if raw not in ("0", "1"):
            raise ChoiceIdError(f"{where}: {raw!r} is not 0 or 1")
        return raw == "1"
    if tp is int:
        if not re.fullmatch(r"-?[0-9]{1,18}", raw):
            raise ChoiceIdError(f"{where}: {raw!r} is not an int")
        return int(raw)
    if isinstance(tp, type) and issubclass(tp, Enum):
        for member in tp:
            if str(member.value) == text:
                return member
        raise ChoiceIdError(f"{where}: {text!r} is not a {tp.__name__}")
    if tp is str:
        return text
    raise TypeError(f"{where}: unsupported field type {tp!r}")


@dataclass_transform(frozen_default=True)
class ChoiceId:
    """Base of the declared choice ids. Subclasses are frozen dataclasses; declare ``prefix=`` to register
    one (a subclass without a prefix is an abstract grouping, e.g. every answer of one flow)."""

    prefix: ClassVar[str] = ""
    _fields: ClassVar[tuple[tuple[str, Any], ...]] = ()
    __registry: ClassVar[dict[str, type[ChoiceId]]] = {}

    def __init_subclass__(cls, prefix: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True)(cls)
        if prefix is None:
            cls.prefix = ""
            return
        words = prefix.split(SEP)
        if not all(_WORD.fullmatch(w) for w in words):
            raise TypeError(f"{cls.__name__}: prefix {prefix!r} must be lowercase words joined by {SEP!r}")
        registry = ChoiceId.__registry
        if prefix in registry:
            raise TypeError(f"{cls.__name__}: prefix {prefix!r} is already {registry[prefix].__name__}'s")
        hints = typing.get_type_hints(cls)
        cls.prefix = prefix
        made = cast("type[DataclassInstance]", cls)  # the dataclass() call above made it one
        cls._fields = tuple((f.name, hints[f.name]) for f in dataclasses.fields(made))
        for name, tp in cls._fields:  # fail at import on a type the codec cannot carry
            _check_type(tp, f"{cls.__name__}.{name}")
        registry[prefix] = cls

    @staticmethod
    def registry() -> typing.Mapping[str, type[ChoiceId]]:
        return types.MappingProxyType(ChoiceId.__registry)

    @classmethod
    def namespace(cls) -> str:
        """The first word of the prefix: the key the engine routes a pressed choice by."""
        return cls.prefix.split(SEP, 1)[0]

    def encode(self) -> str:
        cls = type(self)
        if not cls.prefix:
            raise TypeError(f"{cls.__name__} declares no prefix")
        where = cls.__name__
        parts = [cls.prefix, *(_encode_value(tp, getattr(self, name), f"{where}.{name}") for name, tp in cls._fields)]
        text = SEP.join(parts)
        if len(text.encode()) > MAX_BYTES:
            raise ChoiceIdError(f"{where}: {text!r} is {len(text.encode())} bytes; Telegram allows {MAX_BYTES}")
        if len(text) > MAX_CHARS:
            raise ChoiceIdError(f"{where}: {text!r} is {len(text)} characters; Discord leaves {MAX_CHARS}")
        return text

    def __str__(self) -> str:
        return self.encode()

    def button(self, label: str) -> Choice:
        """This id as a choice offered in a reply."""
        return Choice(self.encode(), label)

    @classmethod
    def decode(cls, text: str) -> Self:
        if not cls.prefix:
            raise TypeError(f"{cls.__name__} declares no prefix; use ChoiceId.parse")
        head = cls.prefix + SEP if cls._fields else cls.prefix
        if not (text == head if not cls._fields else text.startswith(head)):
            raise ChoiceIdError(f"{text!r} is not a {cls.__name__} (prefix {cls.prefix!r})")
        raw = text[len(head) :].split(SEP) if cls._fields else []
        if len(raw) != len(cls._fields):
            raise ChoiceIdError(f"{text!r}: {cls.__name__} has {len(cls._fields)} fields, not {len(raw)}")
        values = {
            name: _decode_value(tp, value, f"{cls.__name__}.{name}")
            for (name, tp), value in zip(cls._fields, raw, strict=True)
        }
        return cls(**values)

    @staticmethod
    def parse(text: str) -> ChoiceId:
        """The declared id `text` encodes, found by its longest registered prefix."""
        words = text.split(SEP)
        registry = ChoiceId.__registry
        for n in range(len(words), 0, -1):
            cls = registry.get(SEP.join(words[:n]))
            if cls is not None:
                return cls.decode(text)
        raise ChoiceIdError(f"{text!r}: no choice id is declared with this prefix")

    @staticmethod
    def read(text: str) -> ChoiceId | None:
        """Like :meth:`parse`, but None for an id that doesn't decode (a button from an older version)."""
        try:
            return ChoiceId.parse(text)
        except ChoiceIdError:
            return None


def _check_type(tp: Any, where: str) -> None:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        for arm in typing.get_args(tp):
            if arm is not type(None):
                _check_type(arm, where)
        return
    if origin is Literal:
        if not all(isinstance(a, str) for a in typing.get_args(tp)):
            raise TypeError(f"{where}: only Literal strings are supported")
        return
    if tp in (str, int, bool) or (isinstance(tp, type) and issubclass(tp, Enum)):
        return
    raise TypeError(f"{where}: unsupported field type {tp!r}")


# ---- the declared ids, by namespace (the handler module that answers them) --------------------------
# Each class keeps the exact string the handlers built by hand before it existed.


# appt: handlers/appointment.py
class Appointment(ChoiceId, prefix="appt"):
    action: Literal["cancel", "report", "new", "clear"]


class AppointmentSkip(ChoiceId, prefix="appt:skip"):
    step: str  # the key of the question being skipped


# link: handlers/link.py
class LinkDeliver(ChoiceId, prefix="link:deliver"):
    platform: str


# log: handlers/log.py, handlers/log_questions.py (and an "Undo" offered by /note, a "Log one" by reminders)
class Log(ChoiceId, prefix="log"):
    action: Literal["start", "cancel"]


class LogUndo(ChoiceId, prefix="log:undo"):
    ids: str  # entry ids joined by ","


class LogAnswer(ChoiceId):
    """A button answering the guided /log question its prefix names."""

    @property
    def step(self) -> str:
        return self.prefix.rsplit(SEP, 1)[1]


class LogWhen(LogAnswer, prefix="log:when"):
    value: Literal["now", "today"]


class LogWhich(LogAnswer, prefix="log:which"):
    value: int | Literal["all"]  # index into the places the message named


class LogRegion(LogAnswer, prefix="log:region"):
    value: str  # a vocabulary region id, or "other"


class LogSide(LogAnswer, prefix="log:side"):
    value: Literal["left", "right", "both", "none"]


class LogDuration(LogAnswer, prefix="log:duration"):
    value: int | Literal["unknown"]  # seconds


class LogTrigger(LogAnswer, prefix="log:trig"):
    value: str  # a vocabulary trigger id, "done" or "none"


class LogIntensity(LogAnswer, prefix="log:int"):
    value: int | Literal["skip"]


# note: handlers/journal.py
class Note(ChoiceId, prefix="note"):
    action: Literal["trim", "cancel"]


# triage: handlers/triage.py and its result, and the offers of other flows
class Triage(ChoiceId, prefix="triage"):
    action: Literal["start", "cancel", "remind", "done", "report"]


class TriageAnswer(ChoiceId, prefix="triage:a"):
    question: str
    answer: str


class TriageExplain(ChoiceId, prefix="triage:x"):
    question: str


class TriageEvidence(ChoiceId, prefix="triage:ev"):
    index: int
    said: Literal["yes", "no", "unsure"]


class TriageReask(ChoiceId, prefix="triage:re"):
    question: str


class TriageLog(ChoiceId, prefix="triage:log"):
    decision: Literal["save", "drop", "back"]


class TriageSources(ChoiceId, prefix="triage:sources"):
    result_id: int


# plan, absent: handlers/plan.py
class Plan(ChoiceId, prefix="plan"):
    action: Literal["start", "stop", "ok", "keep", "off"]


class Absent(ChoiceId, prefix="absent"):
    action: Literal["on", "off", "now"]


class AbsentAnswer(ChoiceId, prefix="absent:a"):
    question: str
    answer: Literal["no", "yes", "unsure"]
    stamp: str  # the day asked, YYYYMMDD


# forget: handlers/privacy.py
class Forget(ChoiceId, prefix="forget"):
    answer: Literal["yes", "no"]


# rguard: handlers/reassurance.py
class Guard(ChoiceId, prefix="rguard"):
    action: Literal["worry", "dayoff", "off", "on"]


# rem: handlers/reminder_messages.py
class Reminder(ChoiceId, prefix="rem"):
    action: Literal["note"]


class ReminderSnooze(ChoiceId, prefix="rem:snz"):
    reminder_id: int


class ReminderStop(ChoiceId, prefix="rem:stop"):
    kind: str


class ReminderDay(ChoiceId):
    """A check-in button about one day (YYYYMMDD, the reminder's local day)."""

    @property
    def action(self) -> str:
        return self.prefix.rsplit(SEP, 1)[1]


class ReminderGlass(ReminderDay, prefix="rem:glass"):
    day: str


class ReminderNone(ReminderDay, prefix="rem:none"):
    day: str


class ReminderCheckin(ReminderDay):
    day: str
    value: int


class ReminderCups(ReminderCheckin, prefix="rem:cups"):
    pass


class ReminderSleep(ReminderCheckin, prefix="rem:sleep"):
    pass


class ReminderStress(ReminderCheckin, prefix="rem:stress"):
    pass


# rset: handlers/reminders.py
class ReminderSet(ChoiceId, prefix="rset"):
    action: Literal["setup", "quiet", "qfix", "cancel"]


class ReminderClock(ChoiceId):
    """A wake-up or bedtime button during the reminders' setup; `part` is the setup step it answers."""

    minute: int

    @property
    def part(self) -> str:
        return self.prefix.rsplit(SEP, 1)[1]


class ReminderWake(ReminderClock, prefix="rset:wake"):
    pass


class ReminderBed(ReminderClock, prefix="rset:bed"):
    pass


class ReminderToggle(ChoiceId, prefix="rset:tog"):
    kind: str


class ReminderTimes(ChoiceId, prefix="rset:time"):
    kind: str


class ReminderQuiet(ChoiceId, prefix="rset:q"):
    value: str  # "START-END" in minutes after midnight, or "off"


class ReminderPause(ChoiceId, prefix="rset:pause"):
    days: int


# safety: handlers/safety.py
class Safety(ChoiceId, prefix="safety"):
    action: Literal["yes", "no", "triage", "note", "called", "false", "keep"]


# tz: handlers/start.py
class Timezone(ChoiceId, prefix="tz"):
    action: Literal["cancel"]


class TimezoneKeep(ChoiceId, prefix="tz:keep"):
    zone: str


class TimezoneSet(ChoiceId, prefix="tz:set"):
    zone: str


# ---- flow steps ---------------------------------------------------------------------------------------
# The steps a flow stores in its conversation row, declared so a typo is an AttributeError; the values
# are the strings stored before (conversations saved in the database resume after an upgrade).
class LogStep(StrEnum):
    """The guided /log's questions (handlers/log.py, handlers/log_questions.py)."""

    WHEN = "when"
    WHICH = "which"
    REGION = "region"
    PLACE = "place"
    SIDE = "side"
    DURATION = "duration"
    TRIGGERS = "triggers"
    INTENSITY = "intensity"
