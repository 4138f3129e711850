"""The free-text twitch parser: real phrasings people type, and properties that hold for any text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import parser
from rules.parser import (
    ParsedTwitch,
    match_region,
    match_side,
    match_triggers,
    parse_duration,
    parse_intensity,
    parse_twitch,
    parse_when,
)
from rules.vocabulary import VocabularyError, load_vocabulary

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# A Wednesday evening in June, in Berlin (UTC+2).
NOW = datetime(2025, 6, 11, 18, 30, tzinfo=BERLIN)


def day(offset: int, clock: str) -> datetime:
    h, m = map(int, clock.split(":"))
    d = NOW.date() + timedelta(days=offset)
    return datetime(d.year, d.month, d.day, h, m, tzinfo=BERLIN)


def ago(**kw: float) -> datetime:
    return (NOW.astimezone(UTC) - timedelta(**kw)).astimezone(BERLIN)


# text, region, side, duration_s, triggers, intensity, occurred_at, is_twitch_report
T = tuple
CASES: list[tuple] = [
    # the examples from the issue and the brief
    ("left eyelid 2 min after my third coffee", "eyelid", "left", 120, T(["caffeine"]), None, None, True),
    ("right calf 30s after the gym", "calf", "right", 30, T(["exercise"]), None, None, True),
    ("eye lid twitching again", "eyelid", None, None, (), None, None, True),
    ("both calves, half a minute, 3 espressos", "calf", "both", 30, T(["caffeine"]), None, None, True),
    ("bicep jumping 90s", "upper_arm", None, 90, (), None, None, True),
    ("thumb twitch yesterday at 9pm", "thumb", None, None, (), None, day(-1, "21:00"), True),
    ("my left eye has been twitching this morning", "eyelid", "left", None, (), None, day(0, "08:00"), True),
    ("2h ago right thigh for an hour", "thigh", "right", 3600, (), None, ago(hours=2), True),
    ("didn't sleep, eyelid flickering", "eyelid", None, None, T(["poor_sleep"]), None, None, True),
    ("right calf twitching after the gym", "calf", "right", None, T(["exercise"]), None, None, True),
    ("left eyelid 2 min after 3 espressos", "eyelid", "left", 120, T(["caffeine"]), None, None, True),
    # misspellings and everyday words
    ("eyelied twitching since lunch", "eyelid", None, None, (), None, day(0, "12:30"), True),
    ("calve twitching for 10 seconds", "calf", None, 10, (), None, None, True),
    ("forarm twitch 5 sec", "forearm", None, 5, (), None, None, True),
    ("thum jumping", "thumb", None, None, (), None, None, True),
    ("sholder twitching on and off", "shoulder", None, None, (), None, None, True),
    ("eylid flutter", "eyelid", None, None, (), None, None, True),
    ("twitch under my eye", "eyelid", None, None, (), None, None, True),
    ("under the left eye, a few seconds", "eyelid", "left", 3, (), None, None, True),
    ("lower lid quivering", "eyelid", None, None, (), None, None, True),
    ("quad twitching after leg day", "thigh", None, None, T(["exercise"]), None, None, True),
    ("hamstring twitch 2 mins", "thigh", None, 120, (), None, None, True),
    ("tricep twitching", "upper_arm", None, None, (), None, None, True),
    ("shin twitching, 1 min", "calf", None, 60, (), None, None, True),
    ("sole of my foot buzzing", "foot", None, None, (), None, None, True),
    ("toes twitching", "foot", None, None, (), None, None, True),
    ("ankle flickering", "foot", None, None, (), None, None, True),
    ("wrist twitch", "hand", None, None, (), None, None, True),
    ("palm twitching 20s", "hand", None, 20, (), None, None, True),
    ("pinky finger jumping", "fingers", None, None, (), None, None, True),
    ("lip twitching", "face", None, None, (), None, None, True),
    ("cheek twitch for a couple of minutes", "face", None, 120, (), None, None, True),
    ("jaw spasm", "face", None, None, (), None, None, True),
    ("eyebrow twitching", "face", None, None, (), None, None, True),
    ("back of my neck twitching", "neck", None, None, (), None, None, True),
    ("lower back twitching", "back", None, None, (), None, None, True),
    ("shoulder blade twitch", "back", None, None, (), None, None, True),
    ("stomach muscle twitching", "abdomen", None, None, (), None, None, True),
    ("abs twitching after the gym", "abdomen", None, None, T(["exercise"]), None, None, True),
    ("chest twitch 3 seconds", "chest", None, 3, (), None, None, True),
    ("glute twitching", "buttock", None, None, (), None, None, True),
    ("inner thigh, 45 seconds", "thigh", None, 45, (), None, None, True),
    ("back of the hand twitching", "hand", None, None, (), None, None, True),
    ("calf muscle fasciculations all evening", "calf", None, None, (), None, None, True),  # ongoing, not a time
    # sides
    ("L calf 30s", "calf", "left", 30, (), None, None, True),
    ("rt. thumb twitch", "thumb", "right", None, (), None, None, True),
    ("left and right calves twitching", "calf", "both", None, (), None, None, True),
    ("calves on both sides", "calf", "both", None, (), None, None, True),
    ("left calf then right calf", "calf", "left", None, (), None, None, True),  # and right: in places
    ("right after the gym my calf twitched", "calf", None, None, T(["exercise"]), None, None, True),
    ("eyelid, left side", "eyelid", "left", None, (), None, None, True),
    # durations
    ("thigh 1.5 minutes", "thigh", None, 90, (), None, None, True),
    ("thigh 1,5 min", "thigh", None, 90, (), None, None, True),
    ("calf 1 min 30 s", "calf", None, 90, (), None, None, True),
    ("calf 1m30s", "calf", None, 90, (), None, None, True),
    ("calf for an hour and a half", "calf", None, 5400, (), None, None, True),
    ("calf for half an hour", "calf", None, 1800, (), None, None, True),
    ("calf for ten seconds", "calf", None, 10, (), None, None, True),
    ("calf 10-20 seconds", "calf", None, 15, (), None, None, True),
    ("calf 2 or 3 minutes", "calf", None, 150, (), None, None, True),
    ("calf a split second", "calf", None, 1, (), None, None, True),
    ("calf for a minute", "calf", None, 60, (), None, None, True),
    ("calf twitching all day", "calf", None, None, (), None, None, True),
    ("calf for 3 days", "calf", None, None, (), None, None, True),
    ("calf 1e309 min", "calf", None, None, (), None, None, True),
    ("calf -5 min", "calf", None, None, (), None, None, True),
    ("calf 0 seconds", "calf", None, None, (), None, None, True),
    ("calf 99999999999 hours", "calf", None, None, (), None, None, True),
    ("calf 25 hours", "calf", None, None, (), None, None, True),
    # triggers
    ("eyelid, slept badly, anxious about work", "eyelid", None, None, T(["stress", "poor_sleep"]), None, None, True),
    ("calf after 4 hours of sleep", "calf", None, None, T(["poor_sleep"]), None, None, True),
    ("calf after 8 hours of sleep", "calf", None, None, (), None, None, True),
    ("eyelid from staring at my laptop all day", "eyelid", None, None, T(["eye_strain"]), None, None, True),
    ("eyelid, dry eyes", "eyelid", None, None, T(["eye_strain"]), None, None, True),
    ("thigh twitch, took sudafed", "thigh", None, None, T(["stimulant"]), None, None, True),
    ("calf, a red bull and a pre-workout", "calf", None, None, T(["caffeine"]), None, None, True),
    ("eyelid, hungover after beers", "eyelid", None, None, T(["alcohol"]), None, None, True),
    ("calf, thirsty, not enough water", "calf", None, None, T(["dehydration"]), None, None, True),
    ("so tired, thumb twitching", "thumb", None, None, T(["fatigue"]), None, None, True),
    ("eyelid, no coffee today", "eyelid", None, None, (), None, None, True),
    ("calf twitch, deadline stress and late nights", "calf", None, None, T(["stress", "poor_sleep"]), None, None, True),
    ("eyelid after a strong coffee", "eyelid", None, None, T(["caffeine"]), None, None, True),
    # strength
    ("left calf 3/5", "calf", "left", None, (), 3, None, True),
    ("calf intensity 4", "calf", None, None, (), 4, None, True),
    ("calf strength: 2", "calf", None, None, (), 2, None, True),
    ("calf 7/10", "calf", None, None, (), 4, None, True),
    ("calf 3 out of 5", "calf", None, None, (), 3, None, True),
    ("mild eyelid twitch", "eyelid", None, None, (), 2, None, True),
    ("very strong thigh twitch", "thigh", None, None, (), 5, None, True),
    ("barely noticeable eyelid flicker", "eyelid", None, None, (), 1, None, True),
    ("calf intensity 9", "calf", None, None, (), None, None, True),
    ("left calf for about 2 minutes, 3/5, after coffee", "calf", "left", 120, T(["caffeine"]), 3, None, True),
    ("stress level 4, calf", "calf", None, None, T(["stress"]), 4, None, True),
    ("eyelid - 20 sec - 2/5 - coffee", "eyelid", None, 20, T(["caffeine"]), 2, None, True),
    # times (now: Wednesday 18:30 in Berlin)
    ("calf 20 minutes ago", "calf", None, None, (), None, ago(minutes=20), True),
    ("calf an hour ago for 2 min", "calf", None, 120, (), None, ago(hours=1), True),
    ("calf at 7:30", "calf", None, None, (), None, day(0, "07:30"), True),
    ("calf at 9, after coffee", "calf", None, None, T(["caffeine"]), None, day(0, "09:00"), True),
    ("calf about 7", "calf", None, None, (), None, None, True),
    ("calf around 10 seconds", "calf", None, 10, (), None, None, True),
    ("calf at 11pm", "calf", None, None, (), None, day(-1, "23:00"), True),
    ("calf at 7", "calf", None, None, (), None, day(0, "07:00"), True),
    ("calf at 6", "calf", None, None, (), None, day(0, "18:00"), True),
    ("calf last night", "calf", None, None, (), None, day(-1, "23:00"), True),
    ("calf last night at 2", "calf", None, None, (), None, day(0, "02:00"), True),
    ("calf tonight", "calf", None, None, (), None, NOW, True),
    ("calf this afternoon", "calf", None, None, (), None, day(0, "15:00"), True),
    ("calf yesterday evening", "calf", None, None, (), None, day(-1, "19:00"), True),
    ("calf yesterday", "calf", None, None, (), None, day(-1, "18:30"), True),
    ("calf on monday morning", "calf", None, None, (), None, day(-2, "08:00"), True),
    ("calf last wednesday at 9", "calf", None, None, (), None, day(-7, "09:00"), True),
    ("calf 2 days ago", "calf", None, None, (), None, day(-2, "18:30"), True),
    ("calf at 21:15", "calf", None, None, (), None, day(-1, "21:15"), True),
    ("calf just now", "calf", None, None, (), None, NOW, True),
    # twitch words without a region
    ("twitching again", None, None, None, (), None, None, True),
    ("leg twitching", "leg", None, None, (), None, None, True),
    ("muscles twitching all over", "widespread", None, None, (), None, None, True),
    ("twitching after coffee", None, None, None, T(["caffeine"]), None, None, True),
    ("twitch for 30s", None, None, 30, (), None, None, True),
    # not twitch reports
    ("hello", None, None, None, (), None, None, False),
    ("what is ALS?", None, None, None, (), None, None, False),
    ("slept badly, anxious about work", None, None, None, T(["stress", "poor_sleep"]), None, None, False),
    ("thanks, that helps", None, None, None, (), None, None, False),
    ("why is my eyelid twitching", "eyelid", None, None, (), None, None, False),
    ("can caffeine cause twitching?", None, None, None, T(["caffeine"]), None, None, False),
    ("twitching?", None, None, None, (), None, None, False),
    ("it came back again today", None, None, None, (), None, None, False),
    ("I'll keep an eye on it", None, None, None, (), None, None, False),
    ("twitch", None, None, None, (), None, None, False),
    ("", None, None, None, (), None, None, False),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0][:40] or "empty" for c in CASES])
def test_real_world_phrasing(case):
    text, region, side, duration_s, triggers, intensity, occurred_at, report = case
    got = parse_twitch(text, NOW)
    expected = ParsedTwitch(region, side, duration_s, tuple(triggers), intensity, occurred_at, report)
    got = ParsedTwitch(*(getattr(got, f) for f in ("region", "side", "duration_s", "triggers", "intensity")),
                       got.occurred_at, got.is_twitch_report)  # fmt: skip
    assert got == expected
    if occurred_at is not None:  # same instant, and shown in the person's zone
        assert got.occurred_at.utcoffset() == occurred_at.utcoffset()


def test_table_is_big_enough():
    assert len(CASES) >= 80


# ---- zones and DST ------------------------------------------------------------------------------
def test_new_york_user_gets_new_york_times():
    now = datetime(2025, 6, 11, 8, 0, tzinfo=NEW_YORK)
    got = parse_twitch("thumb twitch yesterday at 9pm", now).occurred_at
    assert got == datetime(2025, 6, 10, 21, 0, tzinfo=NEW_YORK)
    assert got.utcoffset() == timedelta(hours=-4) and got.tzinfo == NEW_YORK


def test_yesterday_evening_across_spring_forward_has_that_days_offset():
    # Berlin moved to summer time on Sunday 2025-03-30; on Monday, "yesterday at 9pm" is CEST...
    monday = datetime(2025, 3, 31, 10, 0, tzinfo=BERLIN)
    got = parse_when("yesterday at 9pm", monday)
    assert got.isoformat() == "2025-03-30T21:00:00+02:00"
    # ...and on the Sunday itself, "yesterday at 9pm" is still winter time
    sunday = datetime(2025, 3, 30, 10, 0, tzinfo=BERLIN)
    assert parse_when("yesterday at 9pm", sunday).isoformat() == "2025-03-29T21:00:00+01:00"


def test_yesterday_across_fall_back_in_new_york():
    sunday = datetime(2025, 11, 2, 12, 0, tzinfo=NEW_YORK)  # EST since 02:00 today
    got = parse_when("yesterday at 9pm", sunday)
    assert got.isoformat() == "2025-11-01T21:00:00-04:00"
    monday = datetime(2025, 11, 3, 12, 0, tzinfo=NEW_YORK)
    assert parse_when("yesterday at 9pm", monday).isoformat() == "2025-11-02T21:00:00-05:00"


def test_hours_ago_counts_real_hours_across_a_dst_change():
    now = datetime(2025, 3, 30, 3, 30, tzinfo=BERLIN)  # 01:30 UTC, just after the clocks jumped
    got = parse_when("2h ago", now)
    assert got.astimezone(UTC) == datetime(2025, 3, 29, 23, 30, tzinfo=UTC)
    assert got.isoformat() == "2025-03-30T00:30:00+01:00"


def test_future_clock_time_means_the_day_before_in_any_zone():
    for zone in (BERLIN, NEW_YORK):
        now = datetime(2025, 6, 11, 21, 0, tzinfo=zone)
        assert parse_when("at 11pm", now) == datetime(2025, 6, 10, 23, 0, tzinfo=zone)


# ---- helpers for typed answers in the guided /log -----------------------------------------------
def test_typed_answers():
    assert match_region("Calves") == "calf"
    assert match_region("banana") is None
    assert match_side("L") == "left" and match_side("right") == "right" and match_side("both") == "both"
    assert match_side("middle") is None
    assert parse_duration("90s") == 90 and parse_duration("2 min") == 120
    assert parse_duration("half a minute") == 30 and parse_duration("an hour") == 3600
    assert parse_duration("banana") is None and parse_duration("30") is None
    assert parse_intensity("3") == 3 and parse_intensity("4/5") == 4 and parse_intensity("mild") == 2
    assert parse_intensity("9") is None and parse_intensity("0") is None
    assert match_triggers("coffee and stress") == ("caffeine", "stress")
    assert match_triggers("none") == ()


# ---- vocabulary ---------------------------------------------------------------------------------
def test_vocabulary_has_the_agreed_ids_and_groups():
    v = load_vocabulary()
    assert list(v.regions) == [
        "eyelid", "face", "tongue", "neck", "shoulder", "arm", "upper_arm", "forearm", "hand", "thumb",
        "fingers", "chest", "abdomen", "back", "buttock", "groin", "leg", "thigh", "knee", "calf", "foot",
        "widespread",
    ]  # fmt: skip
    assert v.region_groups == {
        "face": ("eyelid", "face", "tongue"),
        "arms": ("shoulder", "arm", "upper_arm", "forearm", "hand", "thumb", "fingers"),
        "trunk": ("neck", "chest", "abdomen", "back"),
        "legs": ("buttock", "groin", "leg", "thigh", "knee", "calf", "foot"),
        "everywhere": ("widespread",),
    }
    assert list(v.triggers) == [
        "caffeine", "stimulant", "stress", "fatigue", "poor_sleep", "dehydration", "exercise",
        "eye_strain", "alcohol",
    ]  # fmt: skip
    assert set(v.sides) == {"left", "right", "both"}
    assert v.region_label("upper_arm") == "Upper arm" and v.trigger_label("poor_sleep") == "Poor sleep"
    assert v.group_of("thumb") == "arms" and v.group_of("nowhere") is None


def _write(tmp_path, text: str):
    path = tmp_path / "vocab.toml"
    path.write_text(text)
    return path


GOOD_GROUP = '[[group]]\nid = "face"\nlabel = "Face"\n'


def test_vocabulary_refuses_a_synonym_for_two_regions(tmp_path):
    path = _write(
        tmp_path,
        GOOD_GROUP
        + '[[region]]\nid = "eyelid"\nlabel = "Eyelid"\ngroup = "face"\nsynonyms = ["eye lid"]\n'
        + '[[region]]\nid = "face"\nlabel = "Face"\ngroup = "face"\nsynonyms = ["eyelid"]\n'
        + '[duration.units]\nsecond = ["s"]\n',
    )
    with pytest.raises(VocabularyError, match="'eyelid'.*both 'eyelid' and 'face'"):
        load_vocabulary(path)


def test_vocabulary_refuses_an_unknown_group(tmp_path):
    path = _write(tmp_path, GOOD_GROUP + '[[region]]\nid = "calf"\nlabel = "Calf"\ngroup = "legs"\n')
    with pytest.raises(VocabularyError, match="unknown group 'legs'"):
        load_vocabulary(path)


def test_vocabulary_refuses_broken_toml(tmp_path):
    with pytest.raises(VocabularyError, match="cannot read"):
        load_vocabulary(_write(tmp_path, "[[region]\n"))


# ---- properties ---------------------------------------------------------------------------------
VOCAB = load_vocabulary()
REGION_WORDS = sorted({s for r in VOCAB.regions.values() for s in r.synonyms})
SOME_WORDS = (
    REGION_WORDS
    + [p for t in VOCAB.triggers.values() for p in t.phrases]
    + ["2 min", "90s", "3/5", "at 9pm", "yesterday", "2h ago", "left", "twitching", "?", "-", "1e309", "ago"]
)
any_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(SOME_WORDS) | st.text(max_size=8), max_size=20).map(" ".join),
)
zones = st.sampled_from([BERLIN, NEW_YORK, ZoneInfo("Asia/Kolkata"), ZoneInfo("Australia/Lord_Howe"), UTC])
moments = st.datetimes(min_value=datetime(2000, 1, 8), max_value=datetime(2100, 1, 1))
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(result: ParsedTwitch, now: datetime) -> None:
    assert isinstance(result, ParsedTwitch)
    assert result.region is None or result.region in VOCAB.regions
    assert result.side is None or result.side in VOCAB.sides
    assert all(t in VOCAB.triggers for t in result.triggers) and len(set(result.triggers)) == len(result.triggers)
    d = result.duration_s
    assert d is None or (type(d) is int and 0 < d <= VOCAB.duration_max_s)
    assert result.intensity is None or (type(result.intensity) is int and 1 <= result.intensity <= 5)
    if result.occurred_at is not None:
        assert result.occurred_at.tzinfo is now.tzinfo
        assert result.occurred_at <= now
        assert now - result.occurred_at <= timedelta(days=VOCAB.max_days_ago + 1)


@FAST
@given(text=any_text, naive=moments, zone=zones)
def test_any_text_gives_valid_fields(text, naive, zone):
    now = naive.replace(tzinfo=zone)
    _check(parser._scan(text, now), now)  # the unguarded path: no reliance on the safety net


@FAST
@given(text=any_text, word=st.sampled_from(REGION_WORDS))
def test_naming_a_region_makes_it_a_report(text, word):
    result = parser._scan(f"{word}: {text}.", NOW)
    assert result.region is not None and result.is_twitch_report


@pytest.mark.parametrize(
    "text",
    [
        "x" * 100_000,
        "left calf 2 min " * 7000,
        "\x00\x01\x1b[31m calf \u202e 2 min \ud800",
        "🦵" * 5000 + " calf",
        "İ" * 3000 + " calf",
        "9" * 5000 + " min",
        "at " + "9" * 5000 + "pm",
        "1" * 4300 + "/5",
    ],
)
def test_hostile_text_never_raises(text):
    _check(parser._scan(text, NOW), NOW)
    for fn in (match_region, match_side, match_triggers, parse_duration, parse_intensity):
        fn(text)
    assert isinstance(parse_twitch(text, NOW), ParsedTwitch)
