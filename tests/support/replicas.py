"""Several `flicker run` processes on one PostgreSQL database, with the loopback Telegram fake
in webhook mode: what an operator runs behind a load balancer, started by a test or a bench.

The harness plays Telegram's side of the webhook: it POSTs updates (with the secret token
header) to whichever replica it picks, and the replicas answer through the fake Bot API.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent.parent
TOKEN = "123456789:AAReplicaTestTokenOnly_abcdefghijklmnop"


def seed_due_reminders(tx: Any, n: int, first_uid: int, due: int) -> None:
    """`n` Telegram people (ids from `first_uid`), each with one water reminder due at `due`."""
    for i in range(n):
        uid = tx.execute("INSERT INTO users(timezone, created_at) VALUES ('UTC', ?) RETURNING id", (due,)).fetchone()[0]
        tx.execute(
            "INSERT INTO identities(platform, external_id, user_id, last_seen) VALUES ('telegram', ?, ?, ?)",
            (str(first_uid + i), uid, due),
        )
        tx.execute(
            "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) "
            "VALUES (?, 'hydration', 0, 600, 1, ?)",
            (uid, due),
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def secret(token: str = TOKEN) -> str:
    from bot.adapters.telegram import _secret

    return _secret(token)


@dataclass
class Replica:
    index: int
    port: int
    proc: asyncio.subprocess.Process | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None


@dataclass
class Replicas:
    database_url: str
    fake: FakeTelegram
    workdir: Path
    count: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    replicas: list[Replica] = field(default_factory=list)
    http: aiohttp.ClientSession | None = None

    def env(self, replica: Replica) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_TOKEN": TOKEN,
            "FLICKER_TELEGRAM_API_URL": self.fake.url,
            "FLICKER_DATABASE_URL": self.database_url,
            "FLICKER_DB": str(self.workdir / f"unused-{replica.index}.db"),
            "FLICKER_WEBHOOK_URL": "https://example.invalid/hook",
            "FLICKER_WEBHOOK_LISTEN": "127.0.0.1",
            "FLICKER_WEBHOOK_PORT": str(replica.port),
            "FLICKER_TICK_SECONDS": "1",
            "FLICKER_LOG_LEVEL": "WARNING",
            **self.extra_env,
        }

    async def start(self) -> None:
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=400))
        for i in range(self.count):
            await self.start_one(Replica(i, free_port()))
        await asyncio.gather(*(self.wait_ready(r) for r in self.replicas))

    async def start_one(self, replica: Replica) -> None:
        replica.log = self.workdir / f"replica-{replica.index}.log"
        with replica.log.open("ab") as out:
            replica.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=self.env(replica), stdout=out, stderr=out
            )
        self.replicas.append(replica)

    async def wait_ready(self, replica: Replica, within: float = 60) -> None:
        """Until the replica's webhook answers (a GET is refused with 405, not a connection error)."""
        assert self.http is not None
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            if not replica.alive:
                raise RuntimeError(f"replica {replica.index} exited:\n{self.tail(replica)}")
            try:
                async with self.http.get(replica.url) as r:
                    if r.status in (200, 403, 405):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise TimeoutError(f"replica {replica.index} never listened:\n{self.tail(replica)}")

    def tail(self, replica: Replica) -> str:
        return replica.log.read_text(errors="replace")[-3000:] if replica.log and replica.log.exists() else ""

    async def post(self, replica: Replica, update: dict) -> int:
        """Deliver an update as Telegram's webhook does; the HTTP status (200 once recorded)."""
        assert self.http is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret()}
        async with self.http.post(replica.url, json=update, headers=headers) as r:
            return r.status

    def kill(self, replica: Replica) -> None:
        assert replica.proc is not None
        replica.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        for r in self.replicas:
            if r.alive and r.proc is not None:
                r.proc.send_signal(signal.SIGTERM)
        for r in self.replicas:
            if r.proc is not None:
                try:
                    await asyncio.wait_for(r.proc.wait(), 20)
                except TimeoutError:
                    r.proc.kill()
                    await r.proc.wait()
        if self.http is not None:
            await self.http.close()
