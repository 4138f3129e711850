"""Insights checked against hand-computed values, and the files a person gets."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, date, datetime, timedelta

from PIL import Image
from pypdf import PdfReader

from bot.insights.charts import summary_chart, timeline_chart
from bot.insights.patterns import find_patterns
from bot.insights.report import ReportData, build_pdf
from bot.insights.stats import Period, summarize
from bot.insights.text import summary_text
from bot.messages import Incoming
from bot.store import Entry
from tests.support.backends import backend  # noqa: F401

_ids = itertools.count(1)


def twitch(
    at: datetime,
    tz: str = "Europe/Berlin",
    region="calf",
    side="left",
    duration=30,
    triggers=(),
    intensity=None,
) -> Entry:
    return Entry(
        next(_ids),
        1,
        "twitch",
        at.astimezone(UTC),
        tz,
        region,
        side,
        duration,
        tuple(triggers),
        intensity,
        "",
        at.astimezone(UTC),
    )


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_empty_journal_says_so_and_asks_for_nothing_alarming():
    s = summarize([], Period.ending(date(2026, 11, 24), 7))
    assert s.count == 0 and sum(s.per_day.values()) == 0 and len(s.per_day) == 7
    text = summary_text(s, [])
    assert "no twitches logged" in text


def test_single_entry_figures():
    e = twitch(utc(2026, 11, 23, 7, 15), duration=90, intensity=3, triggers=["caffeine"])
    s = summarize([e], Period.ending(date(2026, 11, 24), 7))
    assert s.count == 1 and s.per_day[date(2026, 11, 23)] == 1
    assert s.hours == {8: 1} and s.parts == {"morning": 1}  # 07:15 UTC is 08:15 in Berlin
    assert s.avg_duration_s == 90 and s.avg_intensity == 3
    text = summary_text(s, [])
    assert "1 twitch," in text and "0.1 a day" in text and "caffeine 1" in text and "1 min 30 s" in text


def test_days_and_hours_follow_local_time_across_the_autumn_dst_change():
    # Berlin leaves summer time at 01:00 UTC on 25 Oct 2026.
    entries = [
        twitch(utc(2026, 10, 24, 22, 30)),  # 00:30 CEST, 25 Oct
        twitch(utc(2026, 10, 25, 0, 30)),  # 02:30 CEST, 25 Oct
        twitch(utc(2026, 10, 25, 1, 30)),  # 02:30 CET, 25 Oct (the repeated hour)
        twitch(utc(2026, 10, 25, 23, 30)),  # 00:30 CET, 26 Oct
    ]
    s = summarize(entries, Period.ending(date(2026, 10, 26), 3))
    assert s.per_day == {date(2026, 10, 24): 0, date(2026, 10, 25): 3, date(2026, 10, 26): 1}
    assert s.hours == {0: 2, 2: 2}


def test_a_time_zone_change_does_not_move_old_twitches_to_another_day():
    berlin = twitch(utc(2026, 11, 20, 23, 30), tz="Europe/Berlin")  # 00:30 on 21 Nov where it happened
    new_york = twitch(utc(2026, 11, 23, 23, 30), tz="America/New_York")  # 18:30 on 23 Nov
    s = summarize([berlin, new_york], Period.ending(date(2026, 11, 24), 7))
    assert s.per_day[date(2026, 11, 21)] == 1 and s.per_day[date(2026, 11, 20)] == 0
    assert s.per_day[date(2026, 11, 23)] == 1 and s.hours == {0: 1, 18: 1}


def test_trend_compares_with_the_period_before():
    period = Period.ending(date(2026, 11, 24), 7)
    now = [twitch(utc(2026, 11, 20, 12)) for _ in range(5)]
    before = [twitch(utc(2026, 11, 14, 12)) for _ in range(2)]
    s = summarize(now + before, period)
    assert (s.count, s.previous_count, s.trend) == (5, 2, "more")
    assert summarize(before + before + now[:4], period).trend == "about the same"


def test_pattern_sentence_matches_hand_computed_rates():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(21)]
    coffee_days, other_days = days[:9], days[9:]
    per_day = {d: 0 for d in days}
    # 9 days with 3 cups: 22 twitches (2.4 a day); 12 days with 1 cup: 11 twitches (0.9 a day)
    for i, d in enumerate(coffee_days):
        per_day[d] = 3 if i < 4 else 2
    for i, d in enumerate(other_days):
        per_day[d] = 1 if i < 11 else 0
    checkins = {d: {"cups": 3} for d in coffee_days} | {d: {"cups": 1} for d in other_days}
    [p] = find_patterns(per_day, checkins, {})
    assert p.enough
    assert p.sentence() == (
        "On the 9 days with more than 1 cup of coffee (your usual) you logged 2.4 twitches a day; "
        "on the 12 other days 0.9 a day."
    )
    assert "cause" not in p.sentence()


def test_too_few_days_means_no_pattern_is_claimed():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(7)]
    per_day = dict.fromkeys(days, 1)
    checkins = {days[0]: {"sleep_hours": 5}, days[1]: {"sleep_hours": 8}, days[2]: {"sleep_hours": 8}}
    [p] = find_patterns(per_day, checkins, {})
    assert not p.enough and "not enough data" in p.sentence()


def test_spreading_is_visible_week_by_week():
    entries = [
        twitch(utc(2026, 11, 3, 12), region="forearm"),
        twitch(utc(2026, 11, 12, 12), region="shoulder"),
        twitch(utc(2026, 11, 20, 12), region="thigh"),
    ]
    s = summarize(entries, Period.ending(date(2026, 11, 24), 30))
    text = summary_text(s, [])
    assert "week of 2 Nov: arms" in text and "week of 16 Nov: legs" in text and "New areas joined" in text


def test_chart_is_a_phone_sized_png():
    s = summarize(
        [twitch(utc(2026, 11, 23, 7)), twitch(utc(2026, 11, 22, 19), region="eyelid")],
        Period.ending(date(2026, 11, 24), 7),
    )
    for png in (summary_chart(s), timeline_chart(s)):
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        img = Image.open(io.BytesIO(png))
        assert img.width == 1080 and 500 <= img.height <= 2000


def test_pdf_opens_and_names_the_period_regions_and_triage_levels():
    entries = [twitch(utc(2026, 11, 23, 7), region="eyelid"), twitch(utc(2026, 11, 2, 19), region="thigh")]
    s = summarize(entries, Period.ending(date(2026, 11, 24), 30))
    triage = [
        {
            "at": "2026-11-20T21:00:00+01:00",
            "level": "monitor",
            "reasons": [{"source": "EY-3", "text": "Eyelid twitching for more than two weeks"}],
        }
    ]
    pdf = build_pdf(
        ReportData(
            "Zoë 🤯", s, [], datetime(2026, 11, 24, 21, tzinfo=UTC), summary_chart(s), timeline_chart(s), triage=triage
        )
    )
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "26 Oct – 24 Nov 2026" in text
    assert "Eyelid" in text and "Thigh" in text
    assert "Keep an eye on it" in text and "EY-3" in text  # the chat's words for the level
    assert "(monitor)" not in text and "Monitor" not in text  # never the internal id
    assert "Zoë" in text


async def test_summary_and_report_through_the_engine(chat, clock):
    await chat.send("/summary 400d")
    assert "/summary 30d" in chat.text
    await chat.send("/log left eyelid 2 min after coffee")
    await chat.send("/note slept badly")
    await chat.send("/summary")
    assert "1 twitch" in chat.text
    [chart] = [r.attachment for r in chat.last if r.attachment]
    assert chart.media_type == "image/png"
    progress = []

    async def sink(reply):
        progress.append(reply.text)

    replies = await chat.engine.handle(Incoming("console", "alice", text="/report 90d"), on_progress=sink)
    assert progress and "Building your report" in progress[0]
    kinds = sorted(r.attachment.media_type for r in replies if r.attachment)
    assert kinds == ["application/pdf", "text/csv"]
    pdf = next(r.attachment.data for r in replies if r.attachment and r.attachment.media_type == "application/pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "slept badly" in text and "Eyelid" in text
