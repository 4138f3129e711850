"""A person at the console: the real ConsoleAdapter loop in human mode, in-process.

Input goes through a blocking line feed (the adapter reads it in a worker thread, as it reads
stdin); output is what the person reads on stdout. Choices are printed as "  N) label" and
pressed by typing N; files are saved and announced as "  [file saved: PATH]"."""

from __future__ import annotations

import asyncio
import io
import queue
import re
import threading
import time
from pathlib import Path
from typing import Any

from bot.adapters.console import ConsoleAdapter
from bot.clock import FrozenClock
from bot.engine import Engine
from bot.scheduler import ReminderScheduler
from tests.support.driver import POLL_S, STEP_TIMEOUT_S, BaseDriver, File, Step, pick_label

_CHOICE = re.compile(r"^  (\d+)\) (.*)$")
_FILE = re.compile(r"^  \[file saved: (.*)\]$")
_PUSHED = "[reminder] "


class LineFeed:
    """stdin for the adapter: `readline` blocks until the test gives it a line; "" is end of input."""

    def __init__(self) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self._lock = threading.Lock()
        self._reads = 0

    @property
    def reads(self) -> int:
        with self._lock:
            return self._reads

    def readline(self) -> str:
        with self._lock:
            self._reads += 1
        return self._lines.get()

    def put(self, line: str) -> None:
        self._lines.put(line)


class ConsoleDriver(BaseDriver):
    platform = "console"

    def __init__(
        self, engine: Engine, clock: FrozenClock, scheduler: ReminderScheduler, user: str, out_dir: Path
    ) -> None:
        super().__init__(clock, scheduler)
        self.stdin = LineFeed()
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()
        stdin: Any = self.stdin  # a TextIO as far as the adapter reads it: readline() only
        self.adapter = ConsoleAdapter(
            engine, user, out_dir=out_dir, stdin=stdin, stdout=self.stdout, stderr=self.stderr
        )
        self._numbers: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> ConsoleDriver:
        self._task = asyncio.create_task(self.adapter.run())
        await self._wait_for_read(0, "start")
        return self

    async def _wait_for_read(self, seen: int, what: str) -> None:
        """Wait until the adapter asks for its next line: everything before it is answered."""
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while self.stdin.reads <= seen:
            if self._task is not None and self._task.done():
                raise AssertionError(f"{what}: the console loop ended") from self._task.exception()
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: no answer within {STEP_TIMEOUT_S} s")
            await asyncio.sleep(POLL_S)

    async def _type(self, line: str, did: str) -> Step:
        self._think()
        mark = self._mark()
        seen = self.stdin.reads
        self.stdin.put(line + "\n")
        await self._wait_for_read(seen, did)
        return self._record(await self._collect(did, mark))

    async def send(self, text: str) -> Step:
        return await self._type(text, f"text: {text}")

    async def send_unreadable(self) -> Step:
        return await self._type("", "nothing readable: an empty line")

    async def press(self, label: str) -> Step:
        chosen = pick_label(list(self._numbers), label)
        return await self._type(str(self._numbers[chosen]), f"press: {chosen}")

    def _mark(self) -> int:
        return len(self.stdout.getvalue())

    async def _collect(self, did: str, mark: int) -> Step:
        lines = self.stdout.getvalue()[mark:].splitlines()
        text: list[str] = []
        buttons: list[str] = []
        numbers: list[int] = []
        files: list[File] = []
        for line in lines:
            choice = _CHOICE.match(line)
            # numbered in order: a choice (a reminder's answers continue after the open question's)
            if choice is not None and (not numbers or int(choice[1]) == numbers[-1] + 1):
                buttons.append(choice[2])
                numbers.append(int(choice[1]))
                continue
            saved = _FILE.match(line)
            if saved is not None:
                path = Path(saved[1])
                files.append(File(path.name, await asyncio.to_thread(path.read_bytes)))
                continue
            text.append(line.removeprefix(_PUSHED))
        if buttons or lines:
            self._numbers = dict(zip(buttons, numbers, strict=True))
        body = "\n".join(text).strip()
        return Step(did, (body,) if body else (), tuple(buttons), tuple(files))

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self.stdin.put("")  # end of input: the loop returns
            await asyncio.wait_for(self._task, STEP_TIMEOUT_S)
