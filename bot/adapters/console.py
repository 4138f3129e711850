"""The console adapter: one message a line on stdin, replies on stdout; no account needed.

Human mode prints replies with numbered choices; `--json` prints exactly one JSON line per
input line, and one `{"push": ...}` line for anything the bot sends on its own. Banners go
to stderr so piped output stays clean.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.engine import Engine
from bot.messages import Choice, Incoming, Reply
from bot.scheduler import on_the_wire

PLATFORM = "console"
# Questions whose answer is itself a number: a typed number is the answer, not a choice
# ("How long did it last?" reads "5" as 5 seconds).
NUMBER_VALUED = ("log:duration:",)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# C0 controls but tab and newline, DEL, C1 controls: ESC sequences could clear the screen,
# retitle the window or plant links in the person's terminal.
_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """Text as it may reach a terminal: control characters shown as visible escapes."""
    return _TERMINAL_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def valid_text(line: str) -> str:
    """Input bytes that were not UTF-8 (kept as surrogates by the reader) become U+FFFD."""
    return line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class ConsoleAdapter:
    def __init__(
        self,
        engine: Engine,
        user: str,
        *,
        json_mode: bool = False,
        out_dir: str | Path = "flicker-out",
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.engine = engine
        self.user = user
        self.json_mode = json_mode
        self.out_dir = Path(out_dir)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._offered: list[Choice] = []  # choices of the last reply, numbered from 1
        self._pushed: list[list[Choice]] = []  # each reminder's quick answers, open until one is used
        self._write_lock = asyncio.Lock()
        engine.add_sender(PLATFORM, self)

    # ---- Sender: messages the bot sends on its own (reminders) --------------------------
    async def send(self, external_id: str, chat_id: str | None, replies: list[Reply]) -> None:
        if external_id != self.user:
            return  # another console user's reminder: nobody is at this terminal for them
        await on_the_wire()
        async with self._write_lock:
            first = len(self._menu()) + 1
            group = [c for r in replies for c in r.choices]
            if group:
                self._pushed.append(group)
            if self.json_mode:
                for r in replies:
                    self._emit_line({"push": self._reply_json(r)})
            else:
                self._print_replies(replies, prefix="[reminder] ", first=first)

    # ---- the loop --------------------------------------------------------------------------
    async def run(self) -> None:
        if not self.json_mode:
            self._banner(
                "Flicker console. Type a message, a number to pick a choice, /help for commands, Ctrl-D to quit."
            )
        while True:
            line = await asyncio.to_thread(self.stdin.readline)
            if line == "":
                break
            line = valid_text(line.rstrip("\r\n"))
            incoming = self._incoming(line)
            replies = await self.engine.handle(incoming, on_progress=self._progress)
            async with self._write_lock:
                self._remember_choices(replies)
                if self.json_mode:
                    self._emit_line({"replies": [self._reply_json(r) for r in replies]})
                else:
                    self._print_replies(replies)

    async def _progress(self, reply: Reply) -> None:
        # In JSON mode each input line gets exactly one output line, so progress goes to stderr.
        stream = self.stderr if self.json_mode else self.stdout
        stream.write(terminal_safe(reply.text) + "\n")
        stream.flush()

    def _incoming(self, line: str) -> Incoming:
        choice = self._match_choice(line.strip())
        now = self.engine.clock.now()
        if choice is not None:
            return Incoming(PLATFORM, self.user, choice=choice.id, chat_id=self.user, at=now)
        return Incoming(PLATFORM, self.user, text=line, chat_id=self.user, at=now)

    def _menu(self) -> list[Choice]:
        """Every choice a number picks now: the last reply's, then open reminder answers."""
        return [*self._offered, *(c for group in self._pushed for c in group)]

    def _match_choice(self, text: str) -> Choice | None:
        menu = self._menu()
        if not menu or not text or text.startswith("/"):
            return None
        chosen = None
        numeric = any(c.id.startswith(NUMBER_VALUED) for c in self._offered)
        if text.isdigit() and not numeric and 1 <= int(text) <= len(menu):
            chosen = menu[int(text) - 1]
        wanted = text.lower()
        for c in menu if chosen is None else ():
            if c.label.lower().removeprefix("✓ ") == wanted:
                chosen = c
                break
        if chosen is not None:
            self._pushed = [g for g in self._pushed if chosen not in g]  # that reminder is answered
        return chosen

    def _remember_choices(self, replies: list[Reply]) -> None:
        offered = [c for r in replies for c in r.choices]
        if offered or replies:
            self._offered = offered

    # ---- output ------------------------------------------------------------------------------
    def _save(self, reply: Reply) -> Path | str | None:
        """Write an attachment (owner-only, never over an earlier file); the error text if it can't be."""
        if reply.attachment is None:
            return None
        name = _SAFE_NAME.sub("_", reply.attachment.name).lstrip(".") or "attachment"
        try:
            self.out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
            for n in range(1, 1000):
                candidate = self.out_dir / (name if n == 1 else f"{stem}-{n}{dot}{ext}")
                try:
                    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:
                    continue
                with os.fdopen(fd, "wb") as f:
                    f.write(reply.attachment.data)
                return candidate.resolve()
            raise FileExistsError(f"too many files named like {name}")
        except OSError as exc:
            return f"could not save {name} in {self.out_dir}: {exc.strerror or exc}"

    def _reply_json(self, reply: Reply) -> dict[str, Any]:
        path = self._save(reply)
        attachment: dict[str, Any] | None = None
        name = reply.attachment.name if reply.attachment is not None else None  # _save: no attachment, no path
        if isinstance(path, Path):
            attachment = {"name": name, "path": str(path)}
        elif path is not None:
            attachment = {"name": name, "path": None, "error": path}
        return {
            "text": reply.text,
            "choices": [{"id": c.id, "label": c.label} for c in reply.choices],
            "attachment": attachment,
        }

    def _print_replies(self, replies: list[Reply], prefix: str = "", first: int = 1) -> None:
        number = first - 1
        for r in replies:
            self.stdout.write(f"{prefix}{terminal_safe(r.text)}\n")
            path = self._save(r)
            if isinstance(path, Path):
                self.stdout.write(f"  [file saved: {terminal_safe(str(path))}]\n")
            elif path is not None:
                self.stdout.write(f"  [{terminal_safe(path)}; choose another folder with --out]\n")
            for c in r.choices:
                number += 1
                self.stdout.write(f"  {number}) {terminal_safe(c.label)}\n")
        if not prefix and self._pushed:
            # reminders still waiting for an answer keep working, by number or by label
            open_ = [c for group in self._pushed for c in group]
            start = sum(len(r.choices) for r in replies) + 1
            listed = " ".join(f"{start + i}) {terminal_safe(c.label)}" for i, c in enumerate(open_))
            self.stdout.write(f"  (reminder answers still open: {listed})\n")
        self.stdout.write("\n")
        self.stdout.flush()

    def _emit_line(self, obj: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.stdout.flush()

    def _banner(self, text: str) -> None:
        self.stderr.write(text + "\n")
        self.stderr.flush()
