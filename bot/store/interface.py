"""The store interface: every method handlers and the core use on "a store", as Protocols.

One Protocol per table family (bot/store/<family>.py) plus the connection core; `StoreAPI` combines them.
Both backends (`bot.store.Store` on SQLite, `bot.store.postgres.PostgresStore`) provide it;
tests/test_store_interface.py checks that every member matches both with the same signature, and that
every public method of `bot.store.tables.Tables` is listed here. Signatures are copied from the mixins.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.store.reminders import EVERYONE

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable, Sequence
    from datetime import date, datetime
    from typing import Any

    from bot.store.records import (
        AppointmentNotes,
        Checkin,
        CheckinAverage,
        Conversation,
        Entry,
        GuardCount,
        GuardEvent,
        Identity,
        InboxOpen,
        InboxReplies,
        InboxUpdate,
        LinkAttempts,
        LinkCode,
        Plan,
        RegionSpan,
        SafetyEvent,
        StoredAbsentAnswer,
        TriageRecord,
        Tx,
        User,
        Write,
    )
    from bot.store.reminders import (
        CheckinAnswer,
        DayMark,
        DueReminder,
        Followup,
        Layout,
        NextDue,
        Reminder,
        ReminderPlan,
        ReminderSettings,
        Scope,
    )

T = TypeVar("T")


class CoreAPI(Protocol):
    """The connection core (bot/store/base.py, the backends' schema_version)"""

    dialect: str
    caches: bool
    shared: bool  # several processes serve from this database (replicas on PostgreSQL)

    async def write(self, fn: Callable[[Tx], T]) -> T: ...

    async def read(self, fn: Callable[[Tx], T]) -> T: ...

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]: ...

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any | None: ...

    async def drop_stale_cache(self) -> None: ...

    async def checkpoint(self) -> bool: ...

    async def close(self) -> None: ...

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int: ...

    @asynccontextmanager
    async def person_lock(self, user_id: int) -> AsyncIterator[None]:
        yield  # a generator, as asynccontextmanager wants

    @asynccontextmanager
    async def named_lock(self, name: str) -> AsyncIterator[None]:
        yield

    def evict(self, user_id: int) -> None: ...

    def clear_cache(self) -> None: ...

    async def schema_version(self) -> int: ...


class UsersAPI(Protocol):
    """bot/store/users.py (UsersStore)"""

    async def user_for(
        self, platform: str, external_id: str, default_tz: str, now: datetime, *, chat_id: str | None = None
    ) -> tuple[User, bool]: ...

    async def get_user(self, user_id: int) -> User | None: ...

    async def identities_of(self, user_id: int) -> list[Identity]: ...

    async def set_timezone(self, user: User, timezone: str) -> None: ...

    async def set_first_name(self, user: User, first_name: str | None) -> None: ...

    async def update_settings(self, user: User, **changes: Any) -> None: ...

    async def forget_user(self, user_id: int) -> None: ...


class EntriesAPI(Protocol):
    """bot/store/entries.py (EntriesStore)"""

    async def add_entry(
        self,
        user_id: int,
        kind: str,
        occurred_at: datetime,
        tz: str,
        *,
        region: str | None = None,
        side: str | None = None,
        duration_s: int | None = None,
        triggers: Iterable[str] = (),
        intensity: int | None = None,
        text: str = "",
        now: datetime,
        also: Callable[[Tx], Any] | None = None,
    ) -> Entry: ...

    async def entries(
        self,
        user_id: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        kind: str | None = None,
        newest_first: bool = True,
    ) -> list[Entry]: ...

    async def entry(self, user_id: int, entry_id: int) -> Entry | None: ...

    async def last_added_entry(self, user_id: int) -> Entry | None: ...

    async def placed_twitches_since(self, user_id: int, since: datetime) -> list[tuple[str, int, str]]: ...

    async def first_entry_at(self, user_id: int) -> datetime | None: ...

    async def delete_entry(self, user_id: int, entry_id: int) -> bool: ...


class DaysAPI(Protocol):
    """bot/store/days.py (DaysStore)"""

    async def day_marks(self, user_id: int, first: date | None = None, last: date | None = None) -> dict[date, str]: ...

    async def day_mark(self, user_id: int, day: date) -> str | None: ...

    async def mark_day(self, user_id: int, day: date, mark: str, now: datetime) -> None: ...

    def day_mark_clearer(self, user_id: int, day: date) -> Callable[[Tx], int]: ...

    async def twitches_between(self, user_id: int, start: datetime, end: datetime) -> int: ...

    async def absent_answers(self, user_id: int, since: datetime | None = None) -> list[StoredAbsentAnswer]: ...

    async def save_absent_answer(
        self, user_id: int, question: str, answer: str, now: datetime, *, replaces_since: datetime
    ) -> None: ...


class ConversationsAPI(Protocol):
    """bot/store/conversations.py (ConversationsStore)"""

    async def conversation(self, user_id: int) -> Conversation | None: ...

    def conversation_writer(self, user_id: int, conv: Conversation | None) -> Callable[[Tx], None]: ...

    def remember_conversation(self, user_id: int, conv: Conversation | None) -> None: ...

    async def save_conversation(self, user_id: int, conv: Conversation | None) -> None: ...


class RemindersAPI(Protocol):
    """bot/store/reminders.py (RemindersStore)"""

    async def reminder_settings(self, user_id: int) -> ReminderSettings: ...

    @staticmethod
    def settings_writer(user_id: int, s: ReminderSettings) -> Write: ...

    async def reminders_of(self, user_id: int) -> list[Reminder]: ...

    async def first_journal_minute(self, user_id: int) -> int | None: ...

    async def next_checkin_reminder(self, user_id: int) -> Reminder | None: ...

    async def pending_followups(self, user_id: int) -> list[Followup]: ...

    async def add_once_reminder(self, user_id: int, kind: str, minute: int, due_ts: int) -> None: ...

    async def snooze_reminder(self, user_id: int, reminder_id: int, until_ts: int) -> bool: ...

    async def rearm_once_reminder(self, user_id: int, reminder_id: int, until_ts: int) -> bool: ...

    @staticmethod
    def kind_writer(
        user_id: int, kind: str, rows: Sequence[tuple[int, int, int | None]], enabled: bool = True, custom: bool = False
    ) -> Write: ...

    @staticmethod
    def kind_enabled_writer(user_id: int, kind: str, enabled: bool) -> Callable[[Tx], int]: ...

    @staticmethod
    def kinds_enabler(user_id: int, kinds: Iterable[str], layout: Layout, weekday: int | None = None) -> Write: ...

    @staticmethod
    def relayout_writer(user_id: int, kinds: Iterable[str], layout: Layout) -> Write: ...

    @staticmethod
    def minutes_writer(user_id: int, minutes: dict[int, int]) -> Write: ...

    @staticmethod
    def kind_off_writer(user_id: int, kind: str) -> Write: ...

    @staticmethod
    def kind_minute_writer(user_id: int, kind: str, minute: int) -> Write: ...

    @staticmethod
    def all_off_writer(user_id: int) -> Write: ...

    @staticmethod
    def reschedule_writer(user_id: int, tz: str, now_ts: int, next_due: NextDue) -> Callable[[Tx], int]: ...

    async def reschedule_reminders(
        self, user_id: int, tz: str, now_ts: int, next_due: NextDue, change: Write | None = None
    ) -> int: ...

    def claim_writer(
        self, now_ts: int, grace_s: int, limit: int, scope: Scope, next_due: NextDue, owner: str | None = None
    ) -> Callable[[Tx], tuple[list[DueReminder], int, int]]: ...

    async def claim_due_reminders(
        self, now_ts: int, grace_s: int, limit: int, scope: Scope = EVERYONE, *, next_due: NextDue
    ) -> tuple[list[DueReminder], int, int]: ...

    async def recover_claimed(
        self,
        now_ts: int,
        grace_s: int,
        scope: Scope = EVERYONE,
        *,
        me: str | None = None,
        alive_since: int | None = None,
    ) -> list[DueReminder]: ...

    @staticmethod
    def cleanup_writer(before_ts: int, scope: Scope = EVERYONE) -> Write: ...

    @staticmethod
    def beat_writer(name: str, at: int) -> Write: ...

    async def beat(self, name: str, at: int) -> None: ...

    async def forget_beat(self, name: str) -> None: ...

    async def mark_deliveries(self, ids: Iterable[int], status: str, also: Write | None = None) -> None: ...

    async def reminder_plan(self, user_id: int) -> ReminderPlan | None: ...

    async def start_caffeine_taper(self, user_id: int, cups: int) -> bool: ...

    async def save_checkin_answer(
        self, user_id: int, day: str, kind: str, value: int, now_ts: int, add: bool = False
    ) -> int: ...

    async def checkin_answers(self, user_id: int) -> list[CheckinAnswer]: ...

    async def day_marks_of(self, user_id: int) -> list[DayMark]: ...

    async def seed_due_reminders(
        self, people: int, per_user: int, kinds: Sequence[str], tz: str, platform: str, due_from: int
    ) -> int: ...

    async def count_due_reminders(self, at_ts: int) -> int: ...


class PlansAPI(Protocol):
    """bot/store/plans.py (PlansStore)"""

    async def current_plan(self, user_id: int) -> Plan | None: ...

    async def start_plan(self, user_id: int, now: datetime, caffeine_start: int | None) -> None: ...

    async def stop_plan(self, user_id: int, now: datetime) -> bool: ...

    async def set_caffeine_start(self, user_id: int, cups: int) -> bool: ...

    def plan_week_writer(self, user_id: int, week: int, ended_at: datetime | None = None) -> Callable[[Tx], None]: ...

    def checkin_minute_writer(self, user_id: int, minute: int) -> Callable[[Tx], None]: ...

    async def checkin_value(self, user_id: int, kind: str, day: date) -> int | None: ...

    async def save_checkin(
        self, user_id: int, day: date, kind: str, value: int, now: datetime, *, add: bool = False
    ) -> int: ...

    async def checkins(self, user_id: int, first: date | None = None, last: date | None = None) -> list[Checkin]: ...

    async def checkin_days_since(self, user_id: int, first: date) -> int: ...

    async def checkin_averages(self, user_id: int, since: date) -> list[CheckinAverage]: ...

    async def appointment_notes(self, user_id: int) -> AppointmentNotes | None: ...

    def appointment_notes_writer(
        self, user_id: int, worry: str, changed: str, questions: str, now: datetime
    ) -> Callable[[Tx], None]: ...

    async def delete_appointment_notes(self, user_id: int) -> bool: ...

    async def twitch_regions(self, user_id: int) -> list[RegionSpan]: ...

    async def guard_digest_parts(self, user_id: int) -> tuple[str | None, str | None, int]: ...

    async def guard_open_facts(self, user_id: int, since: datetime) -> tuple[str | None, bool]: ...

    async def twitch_logs_since(self, user_id: int, region: str, side: str, since: datetime) -> int: ...

    async def record_guard_event(
        self,
        user_id: int,
        kind: str,
        fingerprint: str,
        now: datetime,
        *,
        window_since: datetime,
        cooldown_since: datetime,
        forget_before: datetime,
        times: int,
        counted: int = 0,
    ) -> GuardCount: ...

    async def guard_answers_count(self, user_id: int) -> int: ...

    async def guard_events(self, user_id: int) -> list[GuardEvent]: ...


class TriageAPI(Protocol):
    """bot/store/triage.py (TriageStore)"""

    async def save_triage_result(
        self,
        user_id: int,
        at: datetime,
        level: str,
        *,
        reasons: list[dict[str, Any]],
        answers: dict[str, Any],
        unsure: Iterable[str],
        rules_version: str,
        details: dict[str, Any],
        also: Callable[[Tx], Any] | None = None,
    ) -> int: ...

    async def triage_results(
        self, user_id: int, *, newest_first: bool = False, limit: int | None = None
    ) -> list[TriageRecord]: ...

    async def triage_result(self, user_id: int, result_id: int | None = None) -> TriageRecord | None: ...

    async def triage_flags(self, user_id: int) -> frozenset[str]: ...

    async def add_triage_flags(self, user_id: int, flags: Iterable[str], now: datetime) -> None: ...


class LinksAPI(Protocol):
    """bot/store/links.py (LinksStore)"""

    async def create_link_code(self, code: str, user_id: int, platform: str, expires_at: int, now: int) -> None: ...

    async def link_code(self, code: str) -> LinkCode | None: ...

    async def withdraw_link_code(self, code: str) -> None: ...

    async def revoke_link_codes(self, user_id: int) -> int: ...

    async def recent_link_attempts(self, platform: str, external_id: str, since: int) -> LinkAttempts: ...

    async def link_attempts_since(self, since: int) -> int: ...

    async def record_link_attempt(self, platform: str, external_id: str, at: int, keep_since: int) -> None: ...

    async def merge_people(self, source: int, target: int, *, code: str | None = None) -> None: ...

    async def unlink(self, user_id: int, platform: str, external_id: str) -> int: ...


class SafetyAPI(Protocol):
    """bot/store/safety.py (SafetyStore)"""

    async def record_safety_event(self, user_id: int, at: datetime, category: str, rule: str) -> int: ...

    async def link_safety_event(self, user_id: int, event_id: int, entry_id: int) -> bool: ...

    async def safety_events(self, user_id: int) -> list[SafetyEvent]: ...


class InboxAPI(Protocol):
    """bot/store/inbox.py (InboxStore)"""

    async def record_update(
        self,
        update_id: int,
        received_at: int,
        body: str,
        *,
        drop_done_before: int | None,
        person: str | None = None,
    ) -> bool: ...

    async def mark_update_handled(self, update_id: int, replies: str) -> None: ...

    async def mark_update_sent(self, update_id: int, count: int) -> None: ...

    async def mark_update_done(self, update_id: int) -> None: ...

    def update_applied_write(self, update_id: int) -> Write: ...

    async def unfinished_updates(self, status: str = "received") -> list[InboxUpdate]: ...

    async def unsent_replies(self) -> list[InboxReplies]: ...

    async def open_updates_of(self, person: str) -> list[InboxOpen]: ...

    async def update_status(self, update_id: int) -> str | None: ...

    async def people_waiting(self, received_before: int, limit: int = 100) -> list[str]: ...

    async def count_message(self, platform: str, external_id: str, window_start: int) -> int: ...

    async def unowned_updates(self) -> list[InboxOpen]: ...

    async def own_update(self, update_id: int, person: str) -> None: ...


class StoreAPI(
    CoreAPI,
    UsersAPI,
    EntriesAPI,
    DaysAPI,
    ConversationsAPI,
    RemindersAPI,
    PlansAPI,
    TriageAPI,
    LinksAPI,
    SafetyAPI,
    InboxAPI,
    Protocol,
):
    """Everything a store offers: what handlers (`Context.store`), the engine and the scheduler take."""


if TYPE_CHECKING:  # mypy proves both backends provide the interface (the test checks it at run time)
    from bot.store import Store
    from bot.store.postgres import PostgresStore

    def _backends_conform(sqlite: Store, postgres: PostgresStore) -> tuple[StoreAPI, StoreAPI]:
        return sqlite, postgres
