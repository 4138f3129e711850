"""Moving a FrozenClock through time with the reminder scheduler ticking, as it would in production."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.clock import FrozenClock
from bot.scheduler import ReminderScheduler

NextDue = Callable[[], Awaitable[datetime | None]]


async def run_to(
    scheduler: ReminderScheduler,
    clock: FrozenClock,
    end: datetime,
    *,
    step: timedelta | None = timedelta(minutes=1),
    next_due: NextDue | None = None,
) -> int:
    """Tick the scheduler from the clock's time up to `end` (inclusive) and leave the clock at `end`.

    With `step`, it ticks every `step` like the real tick job does (keep it below the grace
    period, or reminders are skipped as missed). With `next_due` (a function giving the earliest
    due time still pending), it jumps straight from one due time to the next instead, which is what
    weeks of simulated time need. Returns how many reminders were handed over.
    """
    if step is None and next_due is None:
        raise ValueError("run_to needs a step or a next_due function")
    if step is not None and step <= timedelta(0):
        raise ValueError("step must be positive")
    handed = 0
    last: datetime | None = None
    while True:
        if next_due is not None:
            due = await next_due()
            if due is None or due > end:
                break
            at = max(clock.now(), due)
            if at == last:
                break  # the tick at this time left it pending (e.g. paused): don't spin
        else:
            assert step is not None
            at = clock.now() + step
            if at > end:
                break
        clock.set(at)
        handed += await scheduler.tick()
        last = at
    clock.set(end)
    handed += await scheduler.tick()
    return handed
