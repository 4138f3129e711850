"""The reminder scheduler: one APScheduler job ticks; reminders are rows, not jobs.

Each tick claims the due reminders in small slices. One transaction per slice selects the rows
with next_due <= now (an index), inserts a delivery row unique per (reminder, due time), and
moves next_due to the next time in the person's zone. A few sends run at a time; each
delivery is marked 'sending' just before its send and gets its outcome ('sent', 'failed',
'blocked', 'unreachable') just after, so the ledger always says which were delivered.

What a restart or crash can and cannot do (the delivery row is the proof):
- Died after the claim, before the send began (status 'claimed'): on the next start the
  reminder is handed over once, if it is still within the grace period; else it expires.
- Died during the send itself (status 'sending'): not sent again, and marked 'unknown' on
  the next start. We would rather miss one nudge than send it twice. An adapter marks a
  delivery 'sending' only when its request goes on the wire (`on_the_wire()`, after its rate
  limiter let it through), so a send still queued behind the limiter stays 'claimed' and is
  sent after a restart; at most `send_concurrency` sends are ever 'sending'.
- Stopping (SIGTERM): sends in flight finish, nothing new starts; the claimed rest waits as
  'claimed' for the next start, and what was not claimed is simply still due.
- Down for a while: a reminder that fell due less than the grace period ago is sent when
  the bot is back; older ones are skipped to their next time (no burst of stale nudges).
A platform answer that the person blocked the bot switches all their reminders off.

A scheduler can be limited to the people it can reach (`platforms`) or to one person
(`identity`, for `flicker console`): it never claims, recovers or moves anyone else's rows.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.config import Settings
from bot.engine import Engine, RecipientUnavailable
from bot.messages import Reply
from bot.reminders import _zone, in_quiet, next_due_ts, switch_all_off
from bot.store import to_ts

log = logging.getLogger(__name__)

BATCH_SIZE = 50  # claimed per transaction: a slice, handed over before the next is claimed
SEND_CONCURRENCY = 4  # sends in flight at once: the most a kill -9 can leave unknown
KEEP_DELIVERIES_S = 3 * 86400
CLEANUP_EVERY_S = 3600

_SELECT_DUE = (
    "SELECT r.id, r.user_id, r.kind, r.slot, r.minute, r.weekday, r.once, r.next_due, u.timezone, "
    "s.quiet_start, s.quiet_end, p.status, p.started_at, p.caffeine_start "
    "FROM reminders r JOIN users u ON u.id = r.user_id "
    "LEFT JOIN reminder_settings s ON s.user_id = r.user_id "
    "LEFT JOIN plans p ON p.user_id = r.user_id "
    "WHERE r.next_due <= ? {scope}ORDER BY r.next_due LIMIT ?"
)


@dataclass(frozen=True)
class Scope:
    """Whose reminders a scheduler may touch: everyone, people on some platforms, or one identity."""

    platforms: frozenset[str] | None = None
    identity: tuple[str, str] | None = None

    def sql(self, column: str) -> tuple[str, tuple]:
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

# Set by the scheduler around one person's send; an adapter awaits on_the_wire() right before a
# request leaves for the platform, which records the delivery as 'sending' (once).
_ON_THE_WIRE: contextvars.ContextVar[Callable[[], Awaitable[None]] | None] = contextvars.ContextVar(
    "reminder_on_the_wire", default=None
)


async def on_the_wire() -> None:
    """Called by an adapter just before a request leaves; marks the reminder being sent, if any."""
    hook = _ON_THE_WIRE.get()
    if hook is not None:
        _ON_THE_WIRE.set(None)  # once per send: the first request is what may reach the person
        await hook()


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
        return datetime.fromtimestamp(self.due_at, UTC).astimezone(_zone(self.tz))


Composer = Callable[[Engine, DueReminder], Awaitable[list[Reply]]]


def claim_due(
    conn: sqlite3.Connection, now_ts: int, grace_s: int, limit: int, scope: Scope = EVERYONE
) -> tuple[list[DueReminder], int, int]:
    """Claim up to `limit` due reminders in this transaction.

    Returns (claimed, rows looked at, skipped). Rows looked at < limit means nothing else is due.
    """
    where, params = scope.sql("r.user_id")
    rows = conn.execute(_SELECT_DUE.format(scope=where), (now_ts, *params, limit)).fetchall()
    claimed: list[DueReminder] = []
    moves: list[tuple[int | None, int]] = []
    finished: list[tuple[int]] = []
    skipped = 0
    cache: dict[tuple, int] = {}
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
                nxt = cache[key] = next_due_ts(minute, weekday, tz, now_ts)
            moves.append((nxt, rid))
            if due < oldest_ok:  # missed by more than the grace period: the latest time still in it
                key = (minute, weekday, tz, oldest_ok - 1)
                latest = cache.get(key)
                if latest is None:
                    latest = cache[key] = next_due_ts(minute, weekday, tz, oldest_ok - 1)
                if latest > now_ts:
                    skipped += 1
                    continue
                due = latest
        if q_start is not None and q_end is not None:
            local = datetime.fromtimestamp(due, UTC).astimezone(_zone(tz))
            if in_quiet(local.hour * 60 + local.minute, q_start, q_end):
                skipped += 1
                continue
        cur = conn.execute(
            "INSERT OR IGNORE INTO deliveries(reminder_id, user_id, due_at) VALUES (?,?,?)", (rid, uid, due)
        )
        if cur.rowcount != 1:
            continue  # already claimed once for this due time: never twice
        claimed.append(DueReminder(cur.lastrowid, rid, uid, kind, slot, due, tz, p_status, p_start, p_caf))
    if moves:
        conn.executemany("UPDATE reminders SET next_due = ? WHERE id = ?", moves)
    if finished:
        conn.executemany("UPDATE reminders SET next_due = NULL, enabled = 0 WHERE id = ?", finished)
    return claimed, len(rows), skipped


def recover_claimed(conn: sqlite3.Connection, now_ts: int, grace_s: int, scope: Scope = EVERYONE) -> list[DueReminder]:
    """Claims a previous run wrote but never handed over: still-fresh ones come back, older ones expire.

    Sends a previous run began but never recorded ('sending') become 'unknown': maybe delivered,
    maybe not, and never sent twice.
    """
    where, params = scope.sql("user_id")
    conn.execute(f"UPDATE deliveries SET status = 'unknown' WHERE status = 'sending' {where}", params)
    conn.execute(
        f"UPDATE deliveries SET status = 'expired' WHERE status = 'claimed' AND due_at < ? {where}",
        (now_ts - grace_s, *params),
    )
    conn.execute(  # a claim whose reminder is gone (switched off, erased) has nothing left to send
        "UPDATE deliveries SET status = 'expired' WHERE status = 'claimed' "
        f"AND reminder_id NOT IN (SELECT id FROM reminders) {where}",
        params,
    )
    where_d, params = scope.sql("d.user_id")
    rows = conn.execute(
        "SELECT d.id, d.reminder_id, d.user_id, r.kind, r.slot, d.due_at, u.timezone, p.status, p.started_at, "
        "p.caffeine_start FROM deliveries d JOIN reminders r ON r.id = d.reminder_id "
        "JOIN users u ON u.id = d.user_id LEFT JOIN plans p ON p.user_id = d.user_id "
        f"WHERE d.status = 'claimed' {where_d}ORDER BY d.due_at",
        params,
    ).fetchall()
    return [DueReminder(*r) for r in rows]


class ReminderScheduler:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        batch_size: int = BATCH_SIZE,
        composer: Composer | None = None,
        send_concurrency: int = SEND_CONCURRENCY,
        scope: Scope = EVERYONE,
    ) -> None:
        self.engine = engine
        self.store = engine.store
        self.clock = engine.clock
        self.tick_seconds = max(1, settings.tick_seconds)
        self.grace_s = max(0, settings.reminder_grace_minutes) * 60
        self.batch_size = batch_size
        # The composer comes from the handler module that declares REMINDER_COMPOSER (via the
        # engine's registry), so the scheduler never imports a handler.
        found = composer or engine.registry.reminder_composer
        if found is None:
            raise RuntimeError("no handler module declares REMINDER_COMPOSER")
        self.composer = found
        self.last_tick: datetime | None = None
        self._lock = asyncio.Lock()
        self._recovered = False
        self._stopping = False
        self._current: asyncio.Task | None = None
        self._last_cleanup = 0
        self._aps = None
        self.send_concurrency = max(1, send_concurrency)
        self.scope = scope

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        """Start the one APScheduler job that ticks every settings.tick_seconds (needs a running loop)."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        # APScheduler logs every run of the job at INFO: one line every few seconds is noise.
        aps_log = logging.getLogger("apscheduler")
        aps_log.setLevel(max(logging.WARNING, aps_log.getEffectiveLevel()))
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.add_job(
            self._tick_job,
            IntervalTrigger(seconds=self.tick_seconds, timezone=UTC),
            id="reminders-tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
        )
        self._aps.start()

    async def stop(self) -> None:
        self._stopping = True
        for _ in range(3):  # a job the executor already queued starts, sees _stopping and returns
            await asyncio.sleep(0)
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        if self._current is not None and not self._current.done():
            await self._current  # let a tick in flight finish its hand-over and bookkeeping

    async def _tick_job(self) -> None:
        if self._stopping:
            return
        try:
            # APScheduler cancels its job on shutdown; the tick itself runs on, shielded, so a
            # claimed batch is always handed over and recorded (stop() waits for it).
            self._current = asyncio.ensure_future(self.tick())
            await asyncio.shield(self._current)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.error("reminder tick failed")
            log.debug("reminder tick failure", exc_info=True)

    # ---- the tick --------------------------------------------------------------------------
    async def tick(self) -> int:
        """Claim what is due now, slice by slice, and hand it to the senders; returns how many were sent."""
        async with self._lock:
            now = self.clock.now()
            now_ts = to_ts(now)
            handed = 0
            if not self._recovered:
                recovered = await self.store.write(lambda conn: recover_claimed(conn, now_ts, self.grace_s, self.scope))
                self._recovered = True
                if recovered:
                    log.info("handing over %d reminders claimed before a restart", len(recovered))
                    handed += await self._hand_over(recovered)
            cleanup = now_ts - self._last_cleanup >= CLEANUP_EVERY_S
            while not self._stopping:
                claimed, looked, skipped = await self.store.write(
                    lambda conn, c=cleanup: self._claim_batch(conn, now_ts, c)
                )
                cleanup = False
                if skipped:
                    log.info("skipped %d reminders (missed beyond the grace period or in quiet hours)", skipped)
                if claimed:
                    handed += await self._hand_over(claimed)
                if looked < self.batch_size:
                    break
            self.last_tick = now
            return handed

    def _claim_batch(self, conn: sqlite3.Connection, now_ts: int, cleanup: bool) -> tuple[list, int, int]:
        if cleanup:
            self._last_cleanup = now_ts
            where, params = self.scope.sql("user_id")
            conn.execute(
                f"DELETE FROM deliveries WHERE due_at < ? AND status != 'claimed' {where}",
                (now_ts - KEEP_DELIVERIES_S, *params),
            )
            conn.execute(f"DELETE FROM reminders WHERE once = 1 AND next_due IS NULL {where}", params)
        if self.scope == EVERYONE or self.scope.identity is None:  # a console is not the bot's scheduler
            conn.execute(
                "INSERT INTO heartbeat(name, at) VALUES ('scheduler', ?) "
                "ON CONFLICT(name) DO UPDATE SET at = excluded.at",
                (now_ts,),
            )
        return claim_due(conn, now_ts, self.grace_s, self.batch_size, self.scope)

    async def _hand_over(self, claimed: list[DueReminder]) -> int:
        """Send a slice, a few people at a time, recording each delivery's state as it goes.

        Stops starting new sends once the scheduler is stopping; what is left stays 'claimed'.
        """
        per_user: dict[int, list[DueReminder]] = defaultdict(list)
        for d in claimed:
            per_user[d.user_id].append(d)
        queue = list(per_user.items())
        queue.reverse()
        handed = 0

        async def worker() -> None:
            nonlocal handed
            while queue and not self._stopping:
                uid, items = queue.pop()
                ids = [(d.delivery_id,) for d in items]

                async def mark_sending(ids=ids) -> None:
                    await self.store.write(
                        lambda conn: conn.executemany("UPDATE deliveries SET status = 'sending' WHERE id = ?", ids)
                    )

                status = await asyncio.create_task(self._send_one(uid, items), context=_wire_context(mark_sending))

                def record(conn: sqlite3.Connection, status=status, ids=ids, uid=uid) -> None:
                    conn.executemany(f"UPDATE deliveries SET status = '{status}' WHERE id = ?", ids)
                    if status == "blocked":
                        switch_all_off(conn, uid)

                await self.store.write(record)
                if status == "sent":
                    handed += len(items)
                elif status == "blocked":
                    log.warning("user %d cannot be reached (blocked the bot?): their reminders are now off", uid)

        await asyncio.gather(*(worker() for _ in range(min(self.send_concurrency, len(queue)))))
        return handed

    async def _send_one(self, user_id: int, items: list[DueReminder]) -> str:
        """Compose and send one person's reminders; the outcome for the ledger."""
        try:
            replies: list[Reply] = []
            for d in items:
                replies.extend(await self.composer(self.engine, d))
            if not replies:
                return "sent"  # nothing to say (e.g. a plan that already ended)
            ok = await self.engine.deliver(user_id, replies, platform=self._platform)
        except RecipientUnavailable:
            return "blocked"
        except Exception:
            log.warning("a reminder for user %d could not be sent", user_id)
            log.debug("send failure", exc_info=True)
            return "failed"
        return "sent" if ok else "unreachable"

    @property
    def _platform(self) -> str | None:
        return self.scope.identity[0] if self.scope.identity is not None else None


def _wire_context(hook: Callable[[], Awaitable[None]]) -> contextvars.Context:
    ctx = contextvars.copy_context()
    ctx.run(_ON_THE_WIRE.set, hook)
    return ctx
