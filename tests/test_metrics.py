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
