"""reminders, reminder_settings, deliveries and the scheduler's heartbeat.

The arithmetic of next times (APScheduler triggers, default slots) lives in bot/reminders.py;
operations that need it take it as a parameter (`next_due(minute, weekday, tz, after_ts)`,
`layout(kind, weekday)`), so this package never imports the bot's modules.

The claim's SELECT names only `reminders` in its FROM (the rest comes from scalar subqueries),
so a backend can append a row lock to it (`_LOCK_CLAUSE`, e.g. " FOR UPDATE SKIP LOCKED").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from bot.store.base import StoreCore
from bot.store.records import Tx, Write

# next_due(minute, weekday, tz, after_ts): the first due time (unix s) strictly after after_ts
NextDue = Callable[[int, int | None, str, int], int]
# layout(kind, weekday): the (slot, minute, weekday) rows of a kind at its default times
Layout = Callable[[str, int | None], list[tuple[int, int, int | None]]]


@lru_cache(maxsize=4096)
def zone(name: str) -> ZoneInfo:
    """The IANA zone of that name (UTC for a name this system doesn't know)."""
    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo("UTC")


def in_quiet(minute: int, start: int | None, end: int | None) -> bool:
    """Is a local time of day inside quiet hours (which may wrap past midnight)?"""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


# ---- records ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReminderSettings:
    wake: int | None = None
    bedtime: int | None = None
    quiet_start: int | None = None
    quiet_end: int | None = None
    paused_until: int | None = None

    @property
    def has_times(self) -> bool:
        return self.wake is not None and self.bedtime is not None


@dataclass(frozen=True)
class Reminder:
    id: int
    kind: str
    slot: int
    minute: int
    weekday: int | None
    enabled: bool
    next_due: int | None


@dataclass(frozen=True)
class Followup:
    """A one-off check-in still to come (e.g. the one-week triage follow-up)."""

    kind: str
    due: int  # unix seconds


@dataclass(frozen=True)
class KindState:
    """What a person has of one reminder kind."""

    enabled: bool
    custom: bool
    weekday: int | None


@dataclass(frozen=True)
class ReminderPlan:
    """The plan fields reminders and their export read."""

    started_at: int
    status: str
    caffeine_start: int | None
    ended_at: int | None


@dataclass(frozen=True)
class CheckinAnswer:
    day: str  # local date YYYY-MM-DD
    kind: str
    value: int


@dataclass(frozen=True)
class DayMark:
    day: str
    mark: str  # "none" | "off"


@dataclass(frozen=True)
class DueReminder:
    """One reminder claimed for one due time: everything needed to word it."""

    delivery_id: int
    reminder_id: int
    user_id: int
    kind: str
    slot: int
    due_at: int  # unix seconds
    tz: str
    plan_status: str | None = None
    plan_started: int | None = None
    caffeine_start: int | None = None

    @property
    def local_due(self) -> datetime:
        return datetime.fromtimestamp(self.due_at, UTC).astimezone(zone(self.tz))


@dataclass(frozen=True)
class Scope:
    """Whose reminders a scheduler may touch: everyone, people on some platforms, or one identity."""

    platforms: frozenset[str] | None = None
    identity: tuple[str, str] | None = None

    def sql(self, column: str) -> tuple[str, tuple[Any, ...]]:
        """An `AND ...` fragment (from constants only) and its parameters."""
        if self.identity is not None:
            return (
                f"AND {column} IN (SELECT user_id FROM identities WHERE platform = ? AND external_id = ?) ",
                self.identity,
            )
        if self.platforms is not None:
            marks = ",".join("?" * len(self.platforms))
            return (
                f"AND {column} IN (SELECT user_id FROM identities WHERE platform IN ({marks})) ",
                tuple(sorted(self.platforms)),
            )
        return "", ()


EVERYONE = Scope()

_SETTINGS_UPSERT = (
    "INSERT INTO reminder_settings(user_id, wake, bedtime, quiet_start, quiet_end, paused_until) "
    "VALUES (?,?,?,?,?,?) ON CONFLICT (user_id) DO UPDATE SET wake = excluded.wake, bedtime = excluded.bedtime, "
    "quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, paused_until = excluded.paused_until"
)
_SELECT_DUE = (
    "SELECT r.id, r.user_id, r.kind, r.slot, r.minute, r.weekday, r.once, r.next_due, "
    "(SELECT u.timezone FROM users u WHERE u.id = r.user_id), "
    "(SELECT s.quiet_start FROM reminder_settings s WHERE s.user_id = r.user_id), "
    "(SELECT s.quiet_end FROM reminder_settings s WHERE s.user_id = r.user_id), "
    "(SELECT p.status FROM plans p WHERE p.user_id = r.user_id), "
    "(SELECT p.started_at FROM plans p WHERE p.user_id = r.user_id), "
    "(SELECT p.caffeine_start FROM plans p WHERE p.user_id = r.user_id) "
    "FROM reminders r WHERE r.next_due <= ? {scope}ORDER BY r.next_due LIMIT ?"
)


def _kind_state(tx: Tx, user_id: int, kind: str) -> KindState | None:
    row = tx.execute(
        "SELECT max(enabled), max(custom), max(weekday) FROM reminders WHERE user_id = ? AND kind = ? AND once = 0",
        (user_id, kind),
    ).fetchone()
    return None if row is None or row[0] is None else KindState(bool(row[0]), bool(row[1]), row[2])


def _put_kind(
    tx: Tx, user_id: int, kind: str, rows: Sequence[tuple[int, int, int | None]], enabled: bool, custom: bool
) -> None:
    tx.execute("DELETE FROM reminders WHERE user_id = ? AND kind = ?", (user_id, kind))
    tx.executemany(
        "INSERT INTO reminders(user_id, kind, slot, minute, weekday, enabled, custom) VALUES (?,?,?,?,?,?,?)",
        [(user_id, kind, slot, m, wd, int(enabled), int(custom)) for slot, m, wd in rows],
    )


def _set_enabled(tx: Tx, user_id: int, kind: str, enabled: bool) -> int:
    n = tx.execute(
        "UPDATE reminders SET enabled = ? WHERE user_id = ? AND kind = ? AND once = 0", (int(enabled), user_id, kind)
    ).rowcount
    if not enabled:
        tx.execute("DELETE FROM reminders WHERE user_id = ? AND kind = ? AND once = 1", (user_id, kind))
    return int(n)


class RemindersStore(StoreCore):
    # Appended to the claim's SELECT: PostgreSQL sets " FOR UPDATE SKIP LOCKED" so that two
    # schedulers never claim the same rows; SQLite's write lock already serialises claims.
    _LOCK_CLAUSE = ""

    # ---- settings ------------------------------------------------------------------------
    async def reminder_settings(self, user_id: int) -> ReminderSettings:
        row = await self.fetchone(
            "SELECT wake, bedtime, quiet_start, quiet_end, paused_until FROM reminder_settings WHERE user_id = ?",
            (user_id,),
        )
        return ReminderSettings(*row) if row else ReminderSettings()

    @staticmethod
    def settings_writer(user_id: int, s: ReminderSettings) -> Write:
        """A write function that stores a person's reminder settings."""
        values = (user_id, s.wake, s.bedtime, s.quiet_start, s.quiet_end, s.paused_until)
        return lambda tx: tx.execute(_SETTINGS_UPSERT, values)

    # ---- a person's reminders ------------------------------------------------------------------
    async def reminders_of(self, user_id: int) -> list[Reminder]:
        """A person's repeating reminders, by kind and slot (snoozed copies left out)."""
        rows = await self.fetchall(
            "SELECT id, kind, slot, minute, weekday, enabled, next_due FROM reminders "
            "WHERE user_id = ? AND once = 0 ORDER BY kind, slot",
            (user_id,),
        )
        return [Reminder(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]

    async def first_journal_minute(self, user_id: int) -> int | None:
        """The local time of day of the person's (first) evening journal reminder, if they have one."""
        row = await self.fetchone(
            "SELECT minute FROM reminders WHERE user_id = ? AND kind = 'journal' AND once = 0 ORDER BY slot LIMIT 1",
            (user_id,),
        )
        return None if row is None else int(row[0])

    async def next_checkin_reminder(self, user_id: int) -> Reminder | None:
        """The weekly check-in reminder, when it is on and has a next time."""
        row = await self.fetchone(
            "SELECT id, kind, slot, minute, weekday, enabled, next_due FROM reminders WHERE user_id = ? "
            "AND kind = 'checkin' AND once = 0 AND enabled = 1 AND next_due IS NOT NULL",
            (user_id,),
        )
        return None if row is None else Reminder(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6])

    async def pending_followups(self, user_id: int) -> list[Followup]:
        """One-off check-ins still to come, of kinds the person has no repeating reminder of."""
        rows = await self.fetchall(
            "SELECT kind, next_due FROM reminders WHERE user_id = ? AND once = 1 AND enabled = 1 "
            "AND next_due IS NOT NULL AND kind NOT IN (SELECT kind FROM reminders WHERE user_id = ? AND once = 0) "
            "ORDER BY next_due",
            (user_id, user_id),
        )
        return [Followup(r[0], r[1]) for r in rows]

    async def add_once_reminder(self, user_id: int, kind: str, minute: int, due_ts: int) -> None:
        """A one-off reminder (e.g. a triage follow-up), due at `due_ts`."""
        await self.execute(
            "INSERT INTO reminders(user_id, kind, slot, minute, enabled, once, next_due) VALUES (?, ?, 0, ?, 1, 1, ?)",
            (user_id, kind, minute, due_ts),
        )

    async def snooze_reminder(self, user_id: int, reminder_id: int, until_ts: int) -> bool:
        """A one-off copy of a reminder at `until_ts` (replacing an earlier one); False if it is gone or off."""

        def run(tx: Tx) -> bool:
            row = tx.execute(
                "SELECT kind, slot, minute, weekday FROM reminders WHERE id = ? AND user_id = ? AND enabled = 1",
                (reminder_id, user_id),
            ).fetchone()
            if row is None:
                return False
            tx.execute("DELETE FROM reminders WHERE user_id = ? AND kind = ? AND once = 1", (user_id, row[0]))
            tx.execute(
                "INSERT INTO reminders(user_id, kind, slot, minute, weekday, enabled, once, next_due) "
                "VALUES (?,?,?,?,?,1,1,?)",
                (user_id, row[0], row[1], row[2], row[3], until_ts),
            )
            return True

        return await self.write(run)

    async def rearm_once_reminder(self, user_id: int, reminder_id: int, until_ts: int) -> bool:
        """Bring a sent one-off check-in back at `until_ts`; False if there is no such one."""
        changed = await self.execute(
            "UPDATE reminders SET enabled = 1, next_due = ? WHERE id = ? AND user_id = ? AND once = 1 "
            "AND kind NOT IN (SELECT kind FROM reminders WHERE user_id = ? AND once = 0)",
            (until_ts, reminder_id, user_id, user_id),
        )
        return changed > 0

    # ---- write functions (run several in one transaction, then reschedule) ----------------------
    @staticmethod
    def kind_writer(
        user_id: int,
        kind: str,
        rows: Sequence[tuple[int, int, int | None]],
        enabled: bool = True,
        custom: bool = False,
    ) -> Write:
        """Put a kind's (slot, minute, weekday) rows in place, replacing its slots; next_due is
        set by rescheduling."""
        rows = list(rows)
        return lambda tx: _put_kind(tx, user_id, kind, rows, enabled, custom)

    @staticmethod
    def kind_enabled_writer(user_id: int, kind: str, enabled: bool) -> Callable[[Tx], int]:
        """Switch one kind on or off (off also drops its snoozed copy); the write returns rows changed."""
        return lambda tx: _set_enabled(tx, user_id, kind, enabled)

    @staticmethod
    def kinds_enabler(user_id: int, kinds: Iterable[str], layout: Layout, weekday: int | None = None) -> Write:
        """Switch kinds on: times the person chose are kept, the others get `layout(kind, weekday)`."""
        kinds = list(kinds)

        def run(tx: Tx) -> None:
            for kind in kinds:
                state = _kind_state(tx, user_id, kind)
                if state is not None and state.custom:
                    _set_enabled(tx, user_id, kind, True)
                else:
                    _put_kind(tx, user_id, kind, layout(kind, weekday), True, False)

        return run

    @staticmethod
    def relayout_writer(user_id: int, kinds: Iterable[str], layout: Layout) -> Write:
        """Move every kind whose times were not chosen by hand to `layout(kind, its weekday)`."""
        kinds = list(kinds)

        def run(tx: Tx) -> None:
            for kind in kinds:
                state = _kind_state(tx, user_id, kind)
                if state is not None and not state.custom:
                    _put_kind(tx, user_id, kind, layout(kind, state.weekday), state.enabled, False)

        return run

    @staticmethod
    def minutes_writer(user_id: int, minutes: dict[int, int]) -> Write:
        """Move reminders (by id) to new times of day, which count as chosen by hand."""
        values = [(m, rid, user_id) for rid, m in minutes.items()]
        return lambda tx: tx.executemany(
            "UPDATE reminders SET minute = ?, custom = 1 WHERE id = ? AND user_id = ?", values
        )

    @staticmethod
    def kind_off_writer(user_id: int, kind: str) -> Write:
        """Switch one kind off and clear its next time at once (no rescheduling needed after it)."""

        def run(tx: Tx) -> None:
            _set_enabled(tx, user_id, kind, False)
            tx.execute("UPDATE reminders SET next_due = NULL WHERE user_id = ? AND kind = ?", (user_id, kind))

        return run

    @staticmethod
    def kind_minute_writer(user_id: int, kind: str, minute: int) -> Write:
        """Move a kind's repeating reminders to `minute`; a real move counts as chosen by hand."""
        return lambda tx: tx.execute(
            "UPDATE reminders SET minute = ?, custom = CASE WHEN minute = ? THEN custom ELSE 1 END "
            "WHERE user_id = ? AND kind = ? AND once = 0",
            (minute, minute, user_id, kind),
        )

    @staticmethod
    def all_off_writer(user_id: int) -> Write:
        """Switch every reminder of a person off (and drop snoozed copies)."""

        def run(tx: Tx) -> None:
            tx.execute("UPDATE reminders SET enabled = 0, next_due = NULL WHERE user_id = ? AND once = 0", (user_id,))
            tx.execute("DELETE FROM reminders WHERE user_id = ? AND once = 1", (user_id,))

        return run

    @staticmethod
    def reschedule_writer(user_id: int, tz: str, now_ts: int, next_due: NextDue) -> Callable[[Tx], int]:
        """Recompute next_due of every enabled reminder of a person; the write returns how many."""

        def run(tx: Tx) -> int:
            row = tx.execute("SELECT paused_until FROM reminder_settings WHERE user_id = ?", (user_id,)).fetchone()
            paused_until = row[0] if row else None
            after = max(now_ts, paused_until or 0)
            rows = tx.execute(
                "SELECT id, minute, weekday FROM reminders WHERE user_id = ? AND enabled = 1 AND once = 0", (user_id,)
            ).fetchall()
            tx.executemany(
                "UPDATE reminders SET next_due = ? WHERE id = ?",
                [(next_due(m, wd, tz, after), rid) for rid, m, wd in rows],
            )
            tx.execute("UPDATE reminders SET next_due = NULL WHERE user_id = ? AND enabled = 0", (user_id,))
            if paused_until and paused_until > now_ts:  # paused: a pending snooze would break the pause
                tx.execute("DELETE FROM reminders WHERE user_id = ? AND once = 1", (user_id,))
            return len(rows)

        return run

    async def reschedule_reminders(
        self, user_id: int, tz: str, now_ts: int, next_due: NextDue, change: Write | None = None
    ) -> int:
        """Run `change(tx)` and recompute the person's next times in the same transaction;
        returns how many reminders are on."""
        reschedule = self.reschedule_writer(user_id, tz, now_ts, next_due)

        def run(tx: Tx) -> int:
            if change is not None:
                change(tx)
            return reschedule(tx)

        return await self.write(run)

    # ---- the scheduler -----------------------------------------------------------------------
    def _select_due(self, tx: Tx, now_ts: int, limit: int, scope: Scope) -> list[Any]:
        """The due reminders, oldest first (one method, so a backend can lock what it selects)."""
        where, params = scope.sql("r.user_id")
        sql = _SELECT_DUE.format(scope=where) + self._LOCK_CLAUSE
        return list(tx.execute(sql, (now_ts, *params, limit)).fetchall())

    def claim_writer(
        self, now_ts: int, grace_s: int, limit: int, scope: Scope, next_due: NextDue, owner: str | None = None
    ) -> Callable[[Tx], tuple[list[DueReminder], int, int]]:
        """A write function claiming up to `limit` due reminders: a delivery row each (unique per
        reminder and due time, marked with the claiming replica), next_due moved on. It returns
        (claimed, rows looked at, skipped); rows looked at < limit means nothing else is due."""

        def run(tx: Tx) -> tuple[list[DueReminder], int, int]:
            rows = self._select_due(tx, now_ts, limit, scope)
            claimed: list[DueReminder] = []
            moves: list[tuple[int | None, int]] = []
            finished: list[tuple[int]] = []
            skipped = 0
            cache: dict[tuple[Any, ...], int] = {}
            oldest_ok = now_ts - grace_s
            for rid, uid, kind, slot, minute, weekday, once, due, tz, q_start, q_end, p_status, p_start, p_caf in rows:
                if once:
                    finished.append((rid,))
                    if due < oldest_ok:
                        skipped += 1
                        continue
                else:
                    key = (minute, weekday, tz, now_ts)
                    nxt = cache.get(key)
                    if nxt is None:
                        nxt = cache[key] = next_due(minute, weekday, tz, now_ts)
                    moves.append((nxt, rid))
                    if due < oldest_ok:  # missed by more than the grace period: the latest time still in it
                        key = (minute, weekday, tz, oldest_ok - 1)
                        latest = cache.get(key)
                        if latest is None:
                            latest = cache[key] = next_due(minute, weekday, tz, oldest_ok - 1)
                        if latest > now_ts:
                            skipped += 1
                            continue
                        due = latest
                if q_start is not None and q_end is not None:
                    local = datetime.fromtimestamp(due, UTC).astimezone(zone(tz))
                    if in_quiet(local.hour * 60 + local.minute, q_start, q_end):
                        skipped += 1
                        continue
                row = tx.execute(
                    "INSERT INTO deliveries(reminder_id, user_id, due_at, claimed_by) VALUES (?,?,?,?) "
                    "ON CONFLICT (reminder_id, due_at) DO NOTHING RETURNING id",
                    (rid, uid, due, owner),
                ).fetchone()
                if row is None:
                    continue  # already claimed once for this due time: never twice
                claimed.append(DueReminder(row[0], rid, uid, kind, slot, due, tz, p_status, p_start, p_caf))
            if moves:
                tx.executemany("UPDATE reminders SET next_due = ? WHERE id = ?", moves)
            if finished:
                tx.executemany("UPDATE reminders SET next_due = NULL, enabled = 0 WHERE id = ?", finished)
            return claimed, len(rows), skipped

        return run

    async def claim_due_reminders(
        self, now_ts: int, grace_s: int, limit: int, scope: Scope = EVERYONE, *, next_due: NextDue
    ) -> tuple[list[DueReminder], int, int]:
        """Claim up to `limit` due reminders in one transaction (see claim_writer)."""
        return await self.write(self.claim_writer(now_ts, grace_s, limit, scope, next_due))

    async def recover_claimed(
        self,
        now_ts: int,
        grace_s: int,
        scope: Scope = EVERYONE,
        *,
        me: str | None = None,
        alive_since: int | None = None,
    ) -> list[DueReminder]:
        """Claims a previous run wrote but never handed over: still-fresh ones come back, older ones expire.

        Sends a previous run began but never recorded ('sending') become 'unknown': maybe delivered,
        maybe not, and never sent twice.

        With replicas (`me` and `alive_since` given), only the claims of replicas whose heartbeat
        stopped before `alive_since` are touched, and the fresh ones become `me`'s in the same
        statement, so two live replicas never both take one over.
        """
        where, params = scope.sql("user_id")
        dead = ""
        dead_params: tuple[int, str] | tuple[()] = ()
        if me is not None and alive_since is not None:
            dead = (
                "AND (claimed_by IS NULL OR claimed_by NOT IN (SELECT name FROM heartbeat WHERE at >= ?)) "
                "AND (claimed_by IS NULL OR claimed_by <> ?) "
            )
            dead_params = (alive_since, me)

        def run(tx: Tx) -> list[DueReminder]:
            tx.execute(
                f"UPDATE deliveries SET status = 'unknown' WHERE status = 'sending' {dead}{where}",
                (*dead_params, *params),
            )
            tx.execute(
                f"UPDATE deliveries SET status = 'expired' WHERE status = 'claimed' AND due_at < ? {dead}{where}",
                (now_ts - grace_s, *dead_params, *params),
            )
            tx.execute(  # a claim whose reminder is gone (switched off, erased) has nothing left to send
                "UPDATE deliveries SET status = 'expired' WHERE status = 'claimed' "
                f"AND reminder_id NOT IN (SELECT id FROM reminders) {dead}{where}",
                (*dead_params, *params),
            )
            taken = tx.execute(
                f"UPDATE deliveries SET claimed_by = ? WHERE status = 'claimed' {dead}{where}RETURNING id",
                (me, *dead_params, *params),
            ).fetchall()
            ids = sorted(r[0] for r in taken)
            if not ids:
                return []
            found: list[DueReminder] = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" for _ in chunk)
                rows = tx.execute(
                    "SELECT d.id, d.reminder_id, d.user_id, r.kind, r.slot, d.due_at, u.timezone, p.status, "
                    "p.started_at, p.caffeine_start FROM deliveries d JOIN reminders r ON r.id = d.reminder_id "
                    "JOIN users u ON u.id = d.user_id LEFT JOIN plans p ON p.user_id = d.user_id "
                    f"WHERE d.id IN ({marks})",
                    chunk,
                ).fetchall()
                found.extend(DueReminder(*r) for r in rows)
            return sorted(found, key=lambda d: (d.due_at, d.delivery_id))

        return await self.write(run)

    @staticmethod
    def cleanup_writer(before_ts: int, scope: Scope = EVERYONE) -> Write:
        """Drop finished deliveries older than `before_ts` and sent one-off reminders."""
        where, params = scope.sql("user_id")

        def run(tx: Tx) -> None:
            tx.execute(f"DELETE FROM deliveries WHERE due_at < ? AND status != 'claimed' {where}", (before_ts, *params))
            tx.execute(f"DELETE FROM reminders WHERE once = 1 AND next_due IS NULL {where}", params)
            if not params:  # replicas' heartbeats that stopped long ago (a console's scope never cleans them)
                tx.execute("DELETE FROM heartbeat WHERE name LIKE 'scheduler:%' AND at < ?", (before_ts,))

        return run

    @staticmethod
    def beat_writer(name: str, at: int) -> Write:
        """Record that `name` (the scheduler) was alive at `at`."""
        return lambda tx: tx.execute(
            "INSERT INTO heartbeat(name, at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET at = excluded.at",
            (name, at),
        )

    async def beat(self, name: str, at: int) -> None:
        await self.write(self.beat_writer(name, at))

    async def forget_beat(self, name: str) -> None:
        """`name` stopped: its claims may be taken over now (recover_claimed), not once its beat ages."""
        await self.execute("DELETE FROM heartbeat WHERE name = ?", (name,))

    async def mark_deliveries(self, ids: Iterable[int], status: str, also: Write | None = None) -> None:
        """Give deliveries a status ('sending', 'sent', ...), with whatever `also` writes alongside."""
        values = [(status, i) for i in ids]

        def run(tx: Tx) -> None:
            tx.executemany("UPDATE deliveries SET status = ? WHERE id = ?", values)
            if also is not None:
                also(tx)

        await self.write(run)

    # ---- what reminders read and write of check-ins, day marks and the plan --------------------
    async def reminder_plan(self, user_id: int) -> ReminderPlan | None:
        row = await self.fetchone(
            "SELECT started_at, status, caffeine_start, ended_at FROM plans WHERE user_id = ?", (user_id,)
        )
        return None if row is None else ReminderPlan(row[0], row[1], row[2], row[3])

    async def start_caffeine_taper(self, user_id: int, cups: int) -> bool:
        """Set the active plan's starting cups, once; False if there is no active plan or it had them."""
        changed = await self.execute(
            "UPDATE plans SET caffeine_start = ? WHERE user_id = ? AND status = 'active' AND caffeine_start IS NULL",
            (cups, user_id),
        )
        return changed > 0

    async def save_checkin_answer(
        self, user_id: int, day: str, kind: str, value: int, now_ts: int, add: bool = False
    ) -> int:
        """Store one daily answer (added to the day's count with add=True); returns the stored value."""
        sql = (
            "INSERT INTO checkins(user_id, day, kind, value, updated_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT (user_id, day, kind) DO UPDATE SET value = "
            + ("checkins.value + excluded.value" if add else "excluded.value")
            + ", updated_at = excluded.updated_at RETURNING value"
        )
        params = (user_id, day, kind, value, now_ts)
        return int(await self.write(lambda tx: tx.execute(sql, params).fetchone()[0]))

    async def checkin_answers(self, user_id: int) -> list[CheckinAnswer]:
        rows = await self.fetchall(
            "SELECT day, kind, value FROM checkins WHERE user_id = ? ORDER BY day, kind", (user_id,)
        )
        return [CheckinAnswer(r[0], r[1], r[2]) for r in rows]

    async def day_marks_of(self, user_id: int) -> list[DayMark]:
        rows = await self.fetchall("SELECT day, mark FROM day_marks WHERE user_id = ? ORDER BY day", (user_id,))
        return [DayMark(r[0], r[1]) for r in rows]

    # ---- benchmarks ------------------------------------------------------------------------------
    async def seed_due_reminders(
        self, people: int, per_user: int, kinds: Sequence[str], tz: str, platform: str, due_from: int
    ) -> int:
        """Fill an EMPTY database with `people` people (ids 1..people, identities "u1"...), each with
        `per_user` reminders all due within the minute from `due_from` (bench/reminders.py).
        One transaction; returns how many reminders it wrote."""

        def run(tx: Tx) -> int:
            users = range(1, people + 1)
            tx.executemany(
                "INSERT INTO users(id, timezone, created_at) VALUES (?, ?, ?)", [(u, tz, due_from) for u in users]
            )
            tx.executemany(
                "INSERT INTO identities(platform, external_id, user_id, chat_id, last_seen) VALUES (?, ?, ?, ?, ?)",
                [(platform, f"u{u}", u, f"u{u}", due_from) for u in users],
            )
            rows = [
                (u, kinds[k % len(kinds)], due_from + (u * per_user + k) % 60) for u in users for k in range(per_user)
            ]
            tx.executemany(
                "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) VALUES (?, ?, 0, 420, 1, ?)",
                rows,
            )
            return len(rows)

        return int(await self.write(run))

    async def count_due_reminders(self, at_ts: int) -> int:
        """How many reminders are due at `at_ts` (not yet claimed)."""
        row = await self.fetchone("SELECT count(*) FROM reminders WHERE next_due <= ?", (at_ts,))
        return int(row[0]) if row else 0
