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
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bot.config import Settings
from bot.engine import Engine, RecipientUnavailable
from bot.messages import Reply
from bot.metrics import Metrics
from bot.reminders import next_due_ts
from bot.store import to_ts
from bot.store.records import Tx
from bot.store.reminders import EVERYONE as EVERYONE  # re-exported: adapters, cli and tests import them here
from bot.store.reminders import DueReminder as DueReminder
from bot.store.reminders import RemindersStore
from bot.store.reminders import Scope as Scope

log = logging.getLogger(__name__)

BATCH_SIZE = 50  # claimed per transaction: a slice, handed over before the next is claimed
SEND_CONCURRENCY = 4  # sends in flight at once: the most a kill -9 can leave unknown
KEEP_DELIVERIES_S = 3 * 86400
REPLICA_STALE_S = 30  # default: a replica whose heartbeat is older than this has stopped (its claims pass on)
REPLICA_BEAT_S = 5.0  # how often a replica says it lives, also while it hands a long burst over
CLEANUP_EVERY_S = 3600

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


Composer = Callable[[Engine, DueReminder], Awaitable[list[Reply]]]


async def claim_due(
    store: RemindersStore, now_ts: int, grace_s: int, limit: int, scope: Scope = EVERYONE
) -> tuple[list[DueReminder], int, int]:
    """Claim up to `limit` due reminders in one transaction.

    Returns (claimed, rows looked at, skipped). Rows looked at < limit means nothing else is due.
    """
    return await store.claim_due_reminders(now_ts, grace_s, limit, scope, next_due=next_due_ts)


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
        metrics: Metrics | None = None,
    ) -> None:
        self.engine = engine
        self.metrics = metrics  # counts only (bot/metrics.py); None counts nothing
        self.store = engine.store
        self.clock = engine.clock
        self.tick_seconds = max(1, settings.tick_seconds)
        self.grace_s = max(0, settings.reminder_grace_minutes) * 60
        self.replica_stale_s = settings.replica_stale_seconds
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
        # With replicas on one database each scheduler is one of several: its claims carry its
        # name, its heartbeat says it lives, and it takes over the claims of one that stopped.
        self.name = f"scheduler:{uuid.uuid4().hex[:12]}" if self.store.shared else None
        self._stopping = False
        self._current: asyncio.Task[int] | None = None
        self._last_cleanup = 0
        self._aps: Any = None  # an APScheduler AsyncIOScheduler (untyped) while started
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
        # ... and a tick still busy handing a burst over when the next is due is normal (max_instances=1
        # skips that one on purpose), not a warning worth a line every second.
        aps_scheduler_log = logging.getLogger("apscheduler.scheduler")
        if not any(isinstance(f, _NotSkippedRun) for f in aps_scheduler_log.filters):
            aps_scheduler_log.addFilter(_NotSkippedRun())
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
        if self.name is not None:
            self._aps.add_job(
                self._beat_job,
                IntervalTrigger(seconds=REPLICA_BEAT_S, timezone=UTC),
                id="replica-heartbeat",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        self._aps.start()

    async def _beat_job(self) -> None:
        if self._stopping or self.name is None:
            return
        try:
            await self.store.beat(self.name, to_ts(self.clock.now()))
        except Exception:
            log.warning("the replica heartbeat could not be written; next time")

    async def stop(self) -> None:
        self._stopping = True
        for _ in range(3):  # a job the executor already queued starts, sees _stopping and returns
            await asyncio.sleep(0)
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        if self._current is not None and not self._current.done():
            await self._current  # let a tick in flight finish its hand-over and bookkeeping
        if self.name is not None:  # a replica that stops cleanly hands its claims over at once
            try:
                await self.store.forget_beat(self.name)
            except Exception:
                log.warning("could not say this replica stopped; its claims pass on when its heartbeat ages")

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
            if self.name is not None:  # replicas: every tick, the claims of those whose heartbeat stopped
                recovered = await self.store.recover_claimed(
                    now_ts, self.grace_s, self.scope, me=self.name, alive_since=now_ts - self.replica_stale_s
                )
                if recovered:
                    log.info("taking over %d reminders claimed by a replica that stopped", len(recovered))
                    handed += await self._hand_over(recovered)
            elif not self._recovered:
                recovered = await self.store.recover_claimed(now_ts, self.grace_s, self.scope)
                self._recovered = True
                if recovered:
                    if self.metrics is not None:
                        self.metrics.reminder_due(len(recovered))
                    log.info("handing over %d reminders claimed before a restart", len(recovered))
                    handed += await self._hand_over(recovered)
            cleanup = now_ts - self._last_cleanup >= CLEANUP_EVERY_S
            while not self._stopping:
                claimed, looked, skipped = await self.store.write(self._claim_batch(now_ts, cleanup))
                cleanup = False
                if skipped:
                    log.info("skipped %d reminders (missed beyond the grace period or in quiet hours)", skipped)
                if claimed:
                    if self.metrics is not None:
                        self.metrics.reminder_due(len(claimed))
                    handed += await self._hand_over(claimed)
                if looked < self.batch_size:
                    break
            self.last_tick = now
            return handed

    def _claim_batch(self, now_ts: int, cleanup: bool) -> Callable[[Tx], tuple[list[DueReminder], int, int]]:
        """One transaction: old deliveries cleaned up (now and then), the heartbeat, one claimed slice."""
        store = self.store
        claim = store.claim_writer(now_ts, self.grace_s, self.batch_size, self.scope, next_due_ts, self.name)
        beats = self.scope == EVERYONE or self.scope.identity is None  # a console is not the bot's scheduler

        def run(tx: Tx) -> tuple[list[DueReminder], int, int]:
            if cleanup:
                self._last_cleanup = now_ts
                store.cleanup_writer(now_ts - KEEP_DELIVERIES_S, self.scope)(tx)
            if beats:
                store.beat_writer("scheduler", now_ts)(tx)
            if self.name is not None:
                store.beat_writer(self.name, now_ts)(tx)
            return claim(tx)

        return run

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
                ids = [d.delivery_id for d in items]

                async def mark_sending(ids: list[int] = ids) -> None:
                    await self.store.mark_deliveries(ids, "sending")

                status = await asyncio.create_task(self._send_one(uid, items), context=_wire_context(mark_sending))

                also = self.store.all_off_writer(uid) if status == "blocked" else None
                await self.store.mark_deliveries(ids, status, also)
                self._count(items, status)
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

    def _count(self, items: list[DueReminder], status: str) -> None:
        if self.metrics is None:
            return
        sent_at = to_ts(self.clock.now())
        for d in items:
            if status == "sent":
                self.metrics.reminder_sent(d.due_at, sent_at)
            else:  # failed, blocked, unreachable
                self.metrics.reminder_failed()

    @property
    def _platform(self) -> str | None:
        return self.scope.identity[0] if self.scope.identity is not None else None


class _NotSkippedRun(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


def _wire_context(hook: Callable[[], Awaitable[None]]) -> contextvars.Context:
    ctx = contextvars.copy_context()
    ctx.run(_ON_THE_WIRE.set, hook)
    return ctx
