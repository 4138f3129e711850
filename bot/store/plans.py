"""plans, check-ins, appointment notes and the reassurance guard's events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from bot.store.base import StoreCore
from bot.store.records import (
    AppointmentNotes,
    Checkin,
    CheckinAverage,
    GuardCount,
    GuardEvent,
    Plan,
    RegionSpan,
    Tx,
    from_ts,
    to_ts,
)

_PLAN_COLUMNS = "user_id, started_at, status, caffeine_start, weeks_checked, ended_at"


def _plan(row: Any) -> Plan:
    ended = row[5]
    return Plan(row[0], from_ts(row[1]), row[2], row[3], row[4], from_ts(ended) if ended is not None else None)


class PlansStore(StoreCore):
    # ---- plans -------------------------------------------------------------------------------------
    async def current_plan(self, user_id: int) -> Plan | None:
        """This person's plan, whatever its status (active, stopped, done); None if never started."""
        row = await self.fetchone(f"SELECT {_PLAN_COLUMNS} FROM plans WHERE user_id = ?", (user_id,))
        return _plan(row) if row else None

    async def start_plan(self, user_id: int, now: datetime, caffeine_start: int | None) -> None:
        """Start (or start again) the plan now: active, no week checked yet."""
        await self.execute(
            "INSERT INTO plans(user_id, started_at, status, caffeine_start) VALUES (?, ?, 'active', ?) "
            "ON CONFLICT(user_id) DO UPDATE SET started_at = excluded.started_at, status = 'active', "
            "caffeine_start = excluded.caffeine_start, weeks_checked = 0, ended_at = NULL",
            (user_id, to_ts(now), caffeine_start),
        )

    async def stop_plan(self, user_id: int, now: datetime) -> bool:
        """Stop an active plan; False if none was active."""
        changed = await self.execute(
            "UPDATE plans SET status = 'stopped', ended_at = ? WHERE user_id = ? AND status = 'active'",
            (to_ts(now), user_id),
        )
        return changed > 0

    async def set_caffeine_start(self, user_id: int, cups: int) -> bool:
        """Record the cups a day an active plan starts from, unless known already; False if not set."""
        changed = await self.execute(
            "UPDATE plans SET caffeine_start = ? WHERE user_id = ? AND status = 'active' AND caffeine_start IS NULL",
            (cups, user_id),
        )
        return changed > 0

    def plan_week_writer(self, user_id: int, week: int, ended_at: datetime | None = None) -> Callable[[Tx], None]:
        """A write function recording that `week` was checked; with `ended_at`, the plan is done
        then and its weekly check-in reminder has no next time."""
        ended_ts = to_ts(ended_at) if ended_at is not None else None

        def record(tx: Tx) -> None:
            tx.execute("UPDATE plans SET weeks_checked = ? WHERE user_id = ?", (week, user_id))
            if ended_ts is not None:
                tx.execute("UPDATE plans SET status = 'done', ended_at = ? WHERE user_id = ?", (ended_ts, user_id))
                tx.execute("UPDATE reminders SET next_due = NULL WHERE user_id = ? AND kind = 'checkin'", (user_id,))

        return record

    def checkin_minute_writer(self, user_id: int, minute: int) -> Callable[[Tx], None]:
        """A write function putting the plan's weekly check-in at a local minute of the day (a time
        that differs from the one it had counts as the person's choice: a new bedtime leaves it)."""
        return lambda tx: tx.execute(
            "UPDATE reminders SET minute = ?, custom = CASE WHEN minute = ? THEN custom ELSE 1 END "
            "WHERE user_id = ? AND kind = 'checkin' AND once = 0",
            (minute, minute, user_id),
        )

    # ---- checkins ----------------------------------------------------------------------------------
    async def checkin_value(self, user_id: int, kind: str, day: date) -> int | None:
        row = await self.fetchone(
            "SELECT value FROM checkins WHERE user_id = ? AND kind = ? AND day = ?", (user_id, kind, day.isoformat())
        )
        return row[0] if row else None

    async def save_checkin(
        self, user_id: int, day: date, kind: str, value: int, now: datetime, *, add: bool = False
    ) -> int:
        """Keep one daily answer (with add=True, added to the day's count); the day's value now."""
        value_sql = "checkins.value + excluded.value" if add else "excluded.value"
        sql = (
            "INSERT INTO checkins(user_id, day, kind, value, updated_at) VALUES (?,?,?,?,?) "
            f"ON CONFLICT(user_id, day, kind) DO UPDATE SET value = {value_sql}, "
            "updated_at = excluded.updated_at RETURNING value"
        )
        params = (user_id, day.isoformat(), kind, value, to_ts(now))
        return int(await self.write(lambda tx: tx.execute(sql, params).fetchone()[0]))

    async def checkins(self, user_id: int, first: date | None = None, last: date | None = None) -> list[Checkin]:
        """Check-in answers (about the local days [first, last] when given), by day and kind."""
        params: list[Any]
        sql, params = "SELECT day, kind, value FROM checkins WHERE user_id = ?", [user_id]
        if first is not None and last is not None:
            sql += " AND day BETWEEN ? AND ?"
            params += [first.isoformat(), last.isoformat()]
        rows = await self.fetchall(sql + " ORDER BY day, kind", params)
        return [Checkin(date.fromisoformat(d), k, v) for d, k, v in rows]

    async def checkin_days_since(self, user_id: int, first: date) -> int:
        """On how many local days from `first` on the person answered a check-in."""
        row = await self.fetchone(
            "SELECT count(DISTINCT day) FROM checkins WHERE user_id = ? AND day >= ?", (user_id, first.isoformat())
        )
        return int(row[0]) if row else 0

    async def checkin_averages(self, user_id: int, since: date) -> list[CheckinAverage]:
        """Per kind of check-in, the average answer and how many, from the local day `since` on."""
        rows = await self.fetchall(
            "SELECT kind, avg(value), count(*) FROM checkins WHERE user_id = ? AND day >= ? "
            "GROUP BY kind ORDER BY kind",
            (user_id, since.isoformat()),
        )
        return [CheckinAverage(k, float(v), int(n)) for k, v, n in rows]

    # ---- appointment_notes -------------------------------------------------------------------------
    async def appointment_notes(self, user_id: int) -> AppointmentNotes | None:
        row = await self.fetchone(
            "SELECT worry, changed, questions, updated_at FROM appointment_notes WHERE user_id = ?", (user_id,)
        )
        return AppointmentNotes(row[0], row[1], row[2], from_ts(row[3])) if row else None

    def appointment_notes_writer(
        self, user_id: int, worry: str, changed: str, questions: str, now: datetime
    ) -> Callable[[Tx], None]:
        """A write function that keeps the notes, replacing earlier ones."""
        values = (user_id, worry, changed, questions, to_ts(now))
        return lambda tx: tx.execute(
            "INSERT INTO appointment_notes(user_id, worry, changed, questions, updated_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(user_id) DO UPDATE SET worry = excluded.worry, changed = excluded.changed, "
            "questions = excluded.questions, updated_at = excluded.updated_at",
            values,
        )

    async def delete_appointment_notes(self, user_id: int) -> bool:
        return await self.execute("DELETE FROM appointment_notes WHERE user_id = ?", (user_id,)) > 0

    async def twitch_regions(self, user_id: int) -> list[RegionSpan]:
        """Per region, the first and last twitch logged and how many; in the order the regions began."""
        rows = await self.fetchall(
            "SELECT region, min(occurred_at), max(occurred_at), count(*) FROM entries "
            "WHERE user_id = ? AND kind = 'twitch' GROUP BY region ORDER BY 2",
            (user_id,),
        )
        return [RegionSpan(r[0], from_ts(r[1]), from_ts(r[2]), int(r[3])) for r in rows]

    # ---- guard_events (the reassurance guard) ------------------------------------------------------
    async def guard_digest_parts(self, user_id: int) -> tuple[str | None, str | None, int]:
        """What would make "nothing has changed" untrue, in one round trip: the twitch areas
        ("region/side", sorted, comma-joined), the journal flags pointed out (sorted, comma-joined),
        each None when there are none, and how many weekly answers were not "no"."""
        sides = "SELECT DISTINCT region, coalesce(side, '-') FROM entries WHERE user_id = ? AND kind = 'twitch'"

        def read(tx: Tx) -> tuple[str | None, str | None, int]:
            # NULL regions leave no area, as a concatenation with NULL is NULL
            areas = sorted({f"{r}/{s}" for r, s in tx.execute(sides, (user_id,)).fetchall() if r is not None})
            flagged = tx.execute("SELECT flag FROM triage_flags WHERE user_id = ?", (user_id,)).fetchall()
            flags = sorted(r[0] for r in flagged)
            said = tx.execute(
                "SELECT count(*) FROM absent_answers WHERE user_id = ? AND answer != 'no'", (user_id,)
            ).fetchone()[0]
            return (",".join(areas) or None, ",".join(flags) or None, int(said))

        return await self.read(read)

    async def guard_open_facts(self, user_id: int, since: datetime) -> tuple[str | None, bool]:
        """In one round trip: the latest triage level (None before any), and whether a weekly
        answer other than "no" was given since `since`."""

        def read(tx: Tx) -> tuple[str | None, bool]:
            latest = tx.execute(
                "SELECT level FROM triage_results WHERE user_id = ? ORDER BY at DESC, id DESC LIMIT 1", (user_id,)
            ).fetchone()
            answer = tx.execute(
                "SELECT 1 FROM absent_answers WHERE user_id = ? AND answer != 'no' AND at >= ? LIMIT 1",
                (user_id, to_ts(since)),
            ).fetchone()
            return (latest[0] if latest else None, answer is not None)

        return await self.read(read)

    async def twitch_logs_since(self, user_id: int, region: str, side: str, since: datetime) -> int:
        """Twitches of one region and side ("-" for none) logged (created) since `since`."""
        row = await self.fetchone(
            "SELECT count(*) FROM entries WHERE user_id = ? AND kind = 'twitch' AND region = ? "
            "AND coalesce(side, '-') = ? AND created_at >= ?",
            (user_id, region, side, to_ts(since)),
        )
        return int(row[0]) if row else 0

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
    ) -> GuardCount:
        """Record one occurrence of a worry and count those of the same kind and fingerprint since
        `window_since` (at least `counted`). When there are `times` or more and none was answered
        since `cooldown_since`, this one is marked answered. Occurrences before `forget_before` go."""
        now_ts, since_ts, cool_ts = to_ts(now), to_ts(window_since), to_ts(cooldown_since)
        forget_ts = to_ts(forget_before)

        def record(tx: Tx) -> tuple[int, int, bool]:
            tx.execute("DELETE FROM guard_events WHERE user_id = ? AND at < ?", (user_id, forget_ts))
            event_id = tx.execute(
                "INSERT INTO guard_events(user_id, kind, fingerprint, at) VALUES (?,?,?,?) RETURNING id",
                (user_id, kind, fingerprint, now_ts),
            ).fetchone()[0]
            n, first = tx.execute(
                "SELECT count(*), min(at) FROM guard_events WHERE user_id = ? AND kind = ? AND fingerprint = ? "
                "AND at >= ?",
                (user_id, kind, fingerprint, since_ts),
            ).fetchone()
            answered = tx.execute(
                "SELECT 1 FROM guard_events WHERE user_id = ? AND kind = ? AND fingerprint = ? AND answered = 1 "
                "AND at >= ?",
                (user_id, kind, fingerprint, cool_ts),
            ).fetchone()
            n = max(int(n), counted)
            if n >= times and answered is None:
                tx.execute("UPDATE guard_events SET answered = 1 WHERE id = ?", (event_id,))
            return n, int(first), answered is not None

        n, first_ts, answered_before = await self.write(record)
        return GuardCount(n, from_ts(first_ts), answered_before)

    async def guard_answers_count(self, user_id: int) -> int:
        """How many times the guard has answered this person."""
        row = await self.fetchone("SELECT count(*) FROM guard_events WHERE user_id = ? AND answered = 1", (user_id,))
        return int(row[0]) if row else 0

    async def guard_events(self, user_id: int) -> list[GuardEvent]:
        rows = await self.fetchall(
            "SELECT kind, at, answered FROM guard_events WHERE user_id = ? ORDER BY at, id", (user_id,)
        )
        return [GuardEvent(k, from_ts(at), bool(a)) for k, at, a in rows]
