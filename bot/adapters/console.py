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
from typing import TextIO

from bot.engine import Engine
from bot.messages import Choice, Incoming, Reply
from bot.scheduler import on_the_wire

PLATFORM = "console"
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
        self._offered: list[Choice] = []
        self._write_lock = asyncio.Lock()
        engine.add_sender(PLATFORM, self)

    # ---- Sender: messages the bot sends on its own (reminders) --------------------------
    async def send(self, external_id: str, chat_id: str | None, replies: list[Reply]) -> None:
        if external_id != self.user:
            return  # another console user's reminder: nobody is at this terminal for them
        await on_the_wire()
        async with self._write_lock:
            if self.json_mode:
                for r in replies:
                    self._emit_line({"push": self._reply_json(r)})
            else:
                self._print_replies(replies, prefix="[reminder] ")
            self._remember_choices(replies)

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
                if self.json_mode:
                    self._emit_line({"replies": [self._reply_json(r) for r in replies]})
                else:
                    self._print_replies(replies)
                self._remember_choices(replies)

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

    def _match_choice(self, text: str) -> Choice | None:
        if not self._offered or not text or text.startswith("/"):
            return None
        if text.isdigit() and 1 <= int(text) <= len(self._offered):
            return self._offered[int(text) - 1]
        wanted = text.lower()
        for c in self._offered:
            if c.label.lower().removeprefix("✓ ") == wanted:
                return c
        return None

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

    def _reply_json(self, reply: Reply) -> dict:
        path = self._save(reply)
        attachment = None
        if isinstance(path, Path):
            attachment = {"name": reply.attachment.name, "path": str(path)}
        elif path is not None:
            attachment = {"name": reply.attachment.name, "path": None, "error": path}
        return {
            "text": reply.text,
            "choices": [{"id": c.id, "label": c.label} for c in reply.choices],
            "attachment": attachment,
        }

    def _print_replies(self, replies: list[Reply], prefix: str = "") -> None:
        number = 0
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
        self.stdout.write("\n")
        self.stdout.flush()

    def _emit_line(self, obj: dict) -> None:
        self.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.stdout.flush()

    def _banner(self, text: str) -> None:
        self.stderr.write(text + "\n")
        self.stderr.flush()
