"""bot/metrics.py: counts and timings per app, served as Prometheus text on GET /metrics, never a person's words."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics, serve_metrics


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _http(port: int, request: bytes) -> tuple[str, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return status, headers, body


def _record_some(m: Metrics) -> None:
    m.message_handled("telegram", 0.004)
    m.message_handled("telegram", 0.3)
    with m.timing_reply("discord"):
        pass
    m.reminder_due(3)
    m.reminder_sent(due_at=1_000, sent_at=1_030)  # on time
    m.reminder_sent(due_at=1_000, sent_at=1_061)  # late
    m.reminder_failed()
    m.store_error()
    m.safety_hit("crisis")
    m.safety_hit("crisis")
    m.safety_hit("red_flag")
    m.safety_hit("my chest hurts and my arm is numb")  # a caller's mistake must not put words in a label


@pytest.fixture
async def served():
    metrics = Metrics()
    server = await serve_metrics(metrics, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield metrics, port
    finally:
        server.close()
        await server.wait_closed()


async def test_get_metrics_serves_the_counters_with_their_labels_and_no_health_text(served):
    metrics, port = served
    _record_some(metrics)
    status, headers, body = await _http(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n")
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    assert int(headers["content-length"]) == len(body)
    text = body.decode()
    s = _samples(text)
    assert s[("flicker_messages_handled_total", (("platform", "telegram"),))] == 2
    assert s[("flicker_messages_handled_total", (("platform", "discord"),))] == 1
    assert s[("flicker_messages_handled_total", (("platform", "console"),))] == 0
    assert s[("flicker_reply_latency_seconds_count", (("platform", "telegram"),))] == 2
    assert s[("flicker_reply_latency_seconds_bucket", (("le", "0.005"), ("platform", "telegram")))] == 1
    assert s[("flicker_reply_latency_seconds_bucket", (("le", "0.5"), ("platform", "telegram")))] == 2
    assert s[("flicker_reply_latency_seconds_bucket", (("le", "0.001"), ("platform", "discord")))] == 1
    assert s[("flicker_reminders_due_total", ())] == 3
    assert s[("flicker_reminders_sent_total", ())] == 2
    assert s[("flicker_reminders_late_total", ())] == 1
    assert s[("flicker_reminders_failed_total", ())] == 1
    assert s[("flicker_store_errors_total", ())] == 1
    assert s[("flicker_safety_screen_hits_total", (("category", "crisis"),))] == 2
    assert s[("flicker_safety_screen_hits_total", (("category", "red_flag"),))] == 1
    assert s[("flicker_safety_screen_hits_total", (("category", "emergency"),))] == 0
    assert s[("flicker_safety_screen_hits_total", (("category", "other"),))] == 1
    for word in ("chest", "numb", "arm"):
        assert word not in text
    categories = {dict(k[1]).get("category") for k in s if k[0] == "flicker_safety_screen_hits_total"}
    assert categories == {
        "emergency",
        "crisis",
        "pregnancy",
        "red_flag",
        "second_opinion",
        "urgent_gp",
        "check_emergency",
        "check_crisis",
        "other",
    }


async def test_buckets_span_a_millisecond_to_five_seconds(served):
    metrics, port = served
    metrics.message_handled("console", 4.9)
    metrics.message_handled("console", 7.0)
    _, _, body = await _http(port, b"GET /metrics HTTP/1.0\r\n\r\n")
    s = _samples(body.decode())
    buckets = sorted(
        float(dict(k[1])["le"])
        for k in s
        if k[0] == "flicker_reply_latency_seconds_bucket" and dict(k[1])["platform"] == "console"
    )
    assert buckets[0] == 0.001 and buckets[-2] == 5.0 and buckets[-1] == float("inf")
    assert s[("flicker_reply_latency_seconds_bucket", (("le", "5.0"), ("platform", "console")))] == 1
    assert s[("flicker_reply_latency_seconds_bucket", (("le", "+Inf"), ("platform", "console")))] == 2


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET /metricsx HTTP/1.1\r\n\r\n",
        b"GET /metrics/ HTTP/1.1\r\n\r\n",
        b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        b"garbage\r\n\r\n",
    ],
)
async def test_anything_but_get_metrics_is_a_404(served, request_bytes):
    metrics, port = served
    metrics.store_error()
    status, _, body = await _http(port, request_bytes)
    assert status == "HTTP/1.1 404 Not Found"
    assert b"flicker_" not in body


async def test_a_query_string_is_ignored(served):
    _, port = served
    status, _, body = await _http(port, b"GET /metrics?name[]=x HTTP/1.1\r\n\r\n")
    assert status == "HTTP/1.1 200 OK" and b"flicker_messages_handled_total" in body


def test_each_app_has_its_own_registry_and_the_global_one_is_untouched():
    a, b = Metrics(), Metrics()
    a.store_error()
    a.store_error()
    assert _samples(a.render().decode())[("flicker_store_errors_total", ())] == 2
    assert _samples(b.render().decode())[("flicker_store_errors_total", ())] == 0
    assert a.registry is not b.registry and a.registry is not REGISTRY
    assert REGISTRY.get_sample_value("flicker_store_errors_total") is None


def test_a_failing_block_still_counts_and_times_the_reply():
    m = Metrics()
    with pytest.raises(RuntimeError), m.timing_reply("telegram"):
        raise RuntimeError("boom")
    s = _samples(m.render().decode())
    assert s[("flicker_messages_handled_total", (("platform", "telegram"),))] == 1
    assert s[("flicker_reply_latency_seconds_count", (("platform", "telegram"),))] == 1


# ---- wired: the engine and the scheduler count into an app's Metrics ---------------------------------------

SECRET_WORDS = ("calf", "gym", "kill", "breathe", "everyone would be fine", "alice-4711", "bob-0815")


async def test_a_run_of_messages_and_a_reminder_tick_show_up_on_get_metrics(store, clock):
    from datetime import timedelta

    from bot.app import build_engine, build_scheduler
    from bot.config import Settings
    from bot.engine import RecipientUnavailable
    from bot.messages import Incoming
    from bot.store import StoreError, to_ts

    metrics = Metrics()
    engine = build_engine(store, clock=clock, default_timezone={"console": "UTC"}, metrics=metrics, flood_limit=None)

    async def say(user: str, text: str, platform: str = "console") -> None:
        await engine.handle(Incoming(platform, user, text=text, private=True, chat_id=user, at=clock.now()))

    await say("alice-4711", "left calf 30s after the gym")
    await say("alice-4711", "honestly i want to kill myself if this is als")  # crisis
    await say("bob-0815", "cant breathe properly, throat feels like its closing")  # emergency
    await say("bob-0815", "honestly i just feel like everyone would be fine without me around")  # 2nd opinion
    await say("carol-1", "/help", platform="telegram")

    real_user_for = store.user_for

    async def broken(*args, **kwargs):
        raise StoreError("disk I/O error")

    store.user_for = broken  # the database is away for one message
    await say("alice-4711", "left calf again")
    store.user_for = real_user_for

    # Reminders: one due just now (on time), one due 5 minutes ago (late), one for someone blocked (failed).
    class Sender:
        async def send(self, external_id, chat_id, replies) -> None:
            if external_id == "blocked-9":
                raise RecipientUnavailable(external_id)

    engine.add_sender("console", Sender())
    now = to_ts(clock.now())
    for name, due in (("alice-4711", now), ("bob-0815", now - 300), ("blocked-9", now - 10)):
        user, _ = await store.user_for("console", name, "UTC", clock.now())
        await store.execute(
            "INSERT INTO reminders(user_id, kind, slot, minute, enabled, next_due) "
            "VALUES (?, 'hydration', 0, 600, 1, ?)",
            (user.id, due),
        )
    scheduler = build_scheduler(engine, Settings(tick_seconds=5), metrics=metrics)
    assert scheduler is not None
    clock.advance(timedelta(seconds=1))
    assert await scheduler.tick() == 2

    server = await serve_metrics(metrics, "127.0.0.1", 0)
    try:
        status, _, body = await _http(server.sockets[0].getsockname()[1], b"GET /metrics HTTP/1.1\r\n\r\n")
    finally:
        server.close()
        await server.wait_closed()
    assert status == "HTTP/1.1 200 OK"
    text = body.decode()
    s = _samples(text)
    assert s[("flicker_messages_handled_total", (("platform", "console"),))] == 5
    assert s[("flicker_messages_handled_total", (("platform", "telegram"),))] == 1
    assert s[("flicker_messages_handled_total", (("platform", "discord"),))] == 0
    assert s[("flicker_reply_latency_seconds_count", (("platform", "console"),))] == 5
    assert s[("flicker_reply_latency_seconds_count", (("platform", "telegram"),))] == 1
    assert s[("flicker_safety_screen_hits_total", (("category", "crisis"),))] == 1
    assert s[("flicker_safety_screen_hits_total", (("category", "emergency"),))] == 1
    assert s[("flicker_safety_screen_hits_total", (("category", "check_crisis"),))] == 1  # what it asked about
    assert s.get(("flicker_safety_screen_hits_total", (("category", "other"),)), 0) == 0
    assert s[("flicker_store_errors_total", ())] == 1
    assert s[("flicker_reminders_due_total", ())] == 3
    assert s[("flicker_reminders_sent_total", ())] == 2
    assert s[("flicker_reminders_late_total", ())] == 1
    assert s[("flicker_reminders_failed_total", ())] == 1
    for secret in SECRET_WORDS:
        assert secret not in text
    user_ids = [r[0] for r in await store.fetchall("SELECT id FROM users")]
    labels = {v for (_, lbls) in s for _, v in lbls}
    assert not labels & {str(i) for i in user_ids}  # no database ids as label values either
    assert labels <= {"console", "telegram", "discord", "other", *SAFETY_LABELS, *BUCKET_LABELS}


SAFETY_LABELS = (
    "emergency",
    "crisis",
    "pregnancy",
    "red_flag",
    "second_opinion",
    "urgent_gp",
    "check_emergency",
    "check_crisis",
)
BUCKET_LABELS = tuple(str(b) for b in (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)) + (
    "+Inf",
)


async def test_an_engine_and_scheduler_without_metrics_count_nothing_and_still_work(store, clock):
    from bot.app import build_engine
    from bot.messages import Incoming

    engine = build_engine(store, clock=clock)
    assert engine.metrics is None
    replies = await engine.handle(Incoming("console", "x", text="/help", private=True, chat_id="x", at=clock.now()))
    assert replies
