"""Prometheus metrics: counts and timings only, never a person's words, ids or health details.

One `Metrics` per app, each with its own `CollectorRegistry` (not the process-wide default), so two apps in one
process (tests, several replicas in a bench) never share or double-register anything. `serve_metrics` answers
`GET /metrics` on a small asyncio server; everything else is a 404.

Labels take a fixed set of values (platform names, safety categories); anything else is counted as "other",
so a label can never carry free text and the number of series stays bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

try:  # generate_latest writes the classic text format, 0.0.4; newer clients call "latest" 1.0.0
    from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4 as TEXT_CONTENT_TYPE
except ImportError:  # pragma: no cover - older prometheus-client, where latest is 0.0.4
    from prometheus_client import CONTENT_TYPE_LATEST as TEXT_CONTENT_TYPE

PLATFORMS = ("console", "telegram", "discord")
SAFETY_CATEGORIES = (
    "emergency",
    "crisis",
    "pregnancy",
    "red_flag",
    "second_opinion",
    "urgent_gp",
    "check_emergency",
    "check_crisis",
)
OTHER = "other"
LATE_AFTER_S = 60  # a reminder sent more than this after it was due counts as late
# 1 ms to 5 s: a reply worked out in memory takes milliseconds, one waiting on the database or a report longer.
REPLY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
REQUEST_TIMEOUT_S = 5.0
MAX_REQUEST_LINE = 8192
MAX_HEADER_LINES = 100


def _known(value: str, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else OTHER


class Metrics:
    content_type = TEXT_CONTENT_TYPE

    def __init__(self, namespace: str = "flicker") -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r, ns = self.registry, namespace
        self.messages = Counter("messages_handled", "Messages handled", ["platform"], namespace=ns, registry=r)
        self.reply_latency = Histogram(
            "reply_latency_seconds",
            "Time from a message arriving to its replies being ready",
            ["platform"],
            namespace=ns,
            registry=r,
            buckets=REPLY_BUCKETS,
        )
        self.reminders_due = Counter("reminders_due", "Reminders that came due", namespace=ns, registry=r)
        self.reminders_sent = Counter("reminders_sent", "Reminders sent", namespace=ns, registry=r)
        self.reminders_failed = Counter(
            "reminders_failed", "Reminders that could not be sent", namespace=ns, registry=r
        )
        self.reminders_late = Counter(
            "reminders_late", f"Reminders sent more than {LATE_AFTER_S} s after they were due", namespace=ns, registry=r
        )
        self.store_errors = Counter("store_errors", "Database operations that failed", namespace=ns, registry=r)
        self.safety_hits = Counter(
            "safety_screen_hits", "Safety screen hits by category (counts only)", ["category"], namespace=ns, registry=r
        )
        # Every known label value shows up at 0 from the start, so a rate() has a baseline.
        for platform in PLATFORMS:
            self.messages.labels(platform=platform)
            self.reply_latency.labels(platform=platform)
        for category in SAFETY_CATEGORIES:
            self.safety_hits.labels(category=category)

    # --- recording ------------------------------------------------------------------------------------------

    def message_handled(self, platform: str, seconds: float | None = None) -> None:
        label = _known(platform, PLATFORMS)
        self.messages.labels(platform=label).inc()
        if seconds is not None:
            self.reply_latency.labels(platform=label).observe(seconds)

    @contextlib.contextmanager
    def timing_reply(self, platform: str) -> Iterator[None]:
        """Count one handled message and time the block as its reply latency (also when it raises)."""
        began = time.perf_counter()
        try:
            yield
        finally:
            self.message_handled(platform, time.perf_counter() - began)

    def reminder_due(self, count: int = 1) -> None:
        self.reminders_due.inc(count)

    def reminder_sent(self, due_at: float, sent_at: float) -> None:
        """A reminder went out; `due_at` and `sent_at` in unix seconds."""
        self.reminders_sent.inc()
        if sent_at - due_at > LATE_AFTER_S:
            self.reminders_late.inc()

    def reminder_failed(self) -> None:
        self.reminders_failed.inc()

    def store_error(self) -> None:
        self.store_errors.inc()

    def safety_hit(self, category: str) -> None:
        self.safety_hits.labels(category=_known(category, SAFETY_CATEGORIES)).inc()

    # --- output -----------------------------------------------------------------------------------------------

    def render(self) -> bytes:
        """Everything in the Prometheus text exposition format (serve it with `content_type`)."""
        return generate_latest(self.registry)


def _response(status: str, body: bytes, content_type: str) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _read_request_line(reader: asyncio.StreamReader) -> bytes:
    line = await reader.readuntil(b"\n")
    for _ in range(MAX_HEADER_LINES):  # headers are read and ignored: nothing here depends on them
        if (await reader.readuntil(b"\n")) in (b"\r\n", b"\n"):
            return line
    raise ValueError("too many header lines")


async def serve_metrics(metrics: Metrics, host: str, port: int) -> asyncio.Server:
    """Answer `GET /metrics` with the current metrics; any other request gets a 404. Port 0 picks a free one."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                line = await asyncio.wait_for(_read_request_line(reader), REQUEST_TIMEOUT_S)
            except (TimeoutError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                return
            parts = line.decode("latin-1").split()
            path = parts[1].split("?", 1)[0] if len(parts) == 3 else ""
            if parts[:1] == ["GET"] and path == "/metrics":
                writer.write(_response("200 OK", metrics.render(), metrics.content_type))
            else:
                writer.write(_response("404 Not Found", b"not found\n", "text/plain; charset=utf-8"))
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    return await asyncio.start_server(handle, host, port, limit=MAX_REQUEST_LINE)
