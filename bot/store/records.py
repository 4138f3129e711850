"""The values the store hands out: plain dataclasses, the same for every backend."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo


class StoreError(Exception):
    """The database refused a write (read-only file, disk full, ...): nothing was saved."""


class SchemaTooNew(StoreError):
    pass


class Cursor(Protocol):
    """What a statement gives back, the part of DB-API both backends share."""

    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Tx(Protocol):
    """A transaction as the table modules see it: statements with `?` placeholders.

    SQLite's own connection is one; the PostgreSQL backend wraps a psycopg cursor so the same
    statements (portable SQL: RETURNING, ON CONFLICT, no lastrowid) run there too.
    """

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, params: Any, /) -> Any: ...


# A function that writes inside a transaction; the store runs it and commits.
Write = Callable[[Tx], Any]

# A write to add, in the same transaction, to every write made in this context: an adapter
# sets it while the engine handles one update, so "this update's effects are committed" is
# recorded atomically with the effects themselves (see bot/adapters/telegram_inbox.py).
WRITE_ALSO: contextvars.ContextVar[Write | None] = contextvars.ContextVar("store_write_also", default=None)


def to_ts(at: datetime) -> int:
    return int(at.timestamp())


def from_ts(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass
class User:
    id: int
    timezone: str
    first_name: str | None
    created_at: datetime
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Identity:
    platform: str
    external_id: str
    chat_id: str | None
    last_seen: int


@dataclass(frozen=True)
class Entry:
    id: int
    user_id: int
    kind: str  # "twitch" | "note"
    occurred_at: datetime  # aware, UTC
    tz: str
    region: str | None
    side: str | None
    duration_s: int | None
    triggers: tuple[str, ...]
    intensity: int | None
    text: str
    created_at: datetime

    @property
    def local_time(self) -> datetime:
        return self.occurred_at.astimezone(ZoneInfo(self.tz))


@dataclass(frozen=True)
class Conversation:
    flow: str
    step: str
    data: dict[str, Any]
    updated_at: datetime


ENTRY_COLUMNS = "id, user_id, kind, occurred_at, tz, region, side, duration_s, triggers, intensity, text, created_at"


def entry_from_row(row: Sequence[Any]) -> Entry:
    return Entry(
        id=row[0],
        user_id=row[1],
        kind=row[2],
        occurred_at=from_ts(row[3]),
        tz=row[4],
        region=row[5],
        side=row[6],
        duration_s=row[7],
        triggers=tuple(t for t in row[8].split(",") if t),
        intensity=row[9],
        text=row[10],
        created_at=from_ts(row[11]),
    )


@dataclass(frozen=True)
class LinkCode:
    code: str
    user_id: int
    platform: str  # where it was made: it must be used on another
    expires_at: int  # unix seconds, UTC


@dataclass(frozen=True)
class LinkAttempts:
    """Wrong link codes sent since some moment: by one account, and by everyone together."""

    mine: int
    everyone: int


@dataclass(frozen=True)
class InboxUpdate:
    """A recorded Telegram update not yet answered (`body`: its JSON, None once dropped)."""

    update_id: int
    body: str | None


@dataclass(frozen=True)
class InboxOpen:
    """A person's recorded update not yet finished: received, applied (saved, unanswered) or
    handled (replies written down, `sent` of them delivered)."""

    update_id: int
    status: str
    body: str | None
    replies: str | None
    sent: int


@dataclass(frozen=True)
class InboxReplies:
    """Replies worked out for an update and not yet all sent (`replies`: JSON as written)."""

    update_id: int
    replies: str | None
    sent: int


@dataclass(frozen=True)
class HealthReading:
    """What `flicker health` reads: the schema version and the scheduler's last tick (unix s)."""

    schema_version: int
    scheduler_at: int | None


@dataclass(frozen=True)
class Plan:
    """A person's self-care plan (one row a person; a new start replaces it)."""

    user_id: int
    started_at: datetime
    status: str  # active | stopped | done
    caffeine_start: int | None  # cups a day when it started
    weeks_checked: int
    ended_at: datetime | None


@dataclass(frozen=True)
class Checkin:
    day: date  # the local day the answer is about
    kind: str  # cups | glasses | sleep_hours | stress
    value: int


@dataclass(frozen=True)
class CheckinAverage:
    kind: str
    average: float
    count: int


@dataclass(frozen=True)
class AppointmentNotes:
    worry: str
    changed: str
    questions: str
    updated_at: datetime


@dataclass(frozen=True)
class RegionSpan:
    """Twitches logged in one region: when the first and the last happened, and how many."""

    region: str | None
    first_at: datetime
    last_at: datetime
    count: int


@dataclass(frozen=True)
class GuardEvent:
    kind: str  # faq | triage | log
    at: datetime
    answered: bool


@dataclass(frozen=True)
class GuardCount:
    """One recorded occurrence of a worry, seen with the others of the same fingerprint."""

    count: int  # occurrences within the window (at least the count asked for)
    first_at: datetime  # the earliest of them
    answered_before: bool  # the guard already answered one within the cool-down


@dataclass(frozen=True)
class StoredAbsentAnswer:
    at: datetime
    question: str  # weakness | wasting | bulbar
    answer: str  # no | yes | unsure


@dataclass(frozen=True)
class TriageRecord:
    id: int
    at: datetime
    level: str
    reasons: list[dict[str, Any]]
    answers: dict[str, Any]
    unsure: list[str]
    rules_version: str
    details: dict[str, Any]


@dataclass(frozen=True)
class SafetyEvent:
    id: int
    at: datetime
    category: str  # emergency | crisis | urgent_gp | pregnancy | red_flag
    rule: str
    entry_id: int | None
