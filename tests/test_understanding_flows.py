"""Issue 13 through the engine, written the way worried people write: dates, several places,
whole-body twitches, ongoing twitching, never mixing two messages, fear, questions, time zones.
Conftest's clock: Tue 24 Nov 2026 20:30 UTC, 21:30 in Europe/Berlin."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.format import entry_ongoing_s
from tests.support.backends import backend  # noqa: F401
from tests.support.citations import cites

BERLIN = ZoneInfo("Europe/Berlin")


async def entries(chat, store):
    user, _ = await store.user_for("console", chat.user, "UTC", chat.engine.clock.now())
    return sorted(await store.entries(user.id), key=lambda e: e.id)  # in the order they were saved


def local(e):
    return e.occurred_at.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")


# ---- dates and times ----------------------------------------------------------------------------
async def test_explicit_dates_are_saved_as_written(chat, store):
    await chat.send("left calf 30s 2026-11-20 18:00 after gym")
    await chat.send("right thumb twitch on 20 nov, 10s, no trigger")
    await chat.send("thigh twitch 20.11. at 7am, 5 s, stress")
    await chat.send("left calf 30s 3 days ago, coffee")
    saved = await entries(chat, store)
    assert [local(e) for e in saved] == ["2026-11-20 18:00", "2026-11-20 12:00", "2026-11-20 07:00", "2026-11-21 21:30"]
    assert saved[0].duration_s == 30 and saved[0].triggers == ("exercise",)
    assert saved[3].duration_s == 30  # "3 days ago" no longer swallows the "30s"


async def test_last_tuesday_evening_and_a_12h_clock(chat, store):
    await chat.send("calf twitch last tuesday evening, 20s, no trigger")
    await chat.send("left eyelid twitch yesterday at 9pm, 1 min, tired")
    assert [local(e) for e in await entries(chat, store)] == ["2026-11-17 19:00", "2026-11-23 21:00"]


async def test_a_future_date_is_asked_about_not_saved(chat, store):
    await chat.send("left calf 20s on 30 nov, coffee")
    assert "still to come" in chat.text and "When was it?" in chat.text
    assert await entries(chat, store) == []
    await chat.send("yesterday 9pm")
    assert "Saved #" in chat.text
    assert [local(e) for e in await entries(chat, store)] == ["2026-11-23 21:00"]


async def test_a_time_long_before_the_journal_began_is_asked_about(chat, store):
    await chat.send("left calf 20s on 2025-03-01, coffee")
    assert "long before your journal began" in chat.text
    await chat.press("Just now")
    assert "Saved #" in chat.text


# ---- places ---------------------------------------------------------------------------------
async def test_several_places_make_one_entry_each(chat, store):
    await chat.send("left calf, right calf and left arm today")
    assert "Saved 3 entries" in chat.text and "Undo all" in chat.labels
    saved = await entries(chat, store)
    assert [(e.region, e.side) for e in saved] == [("calf", "left"), ("calf", "right"), ("arm", "left")]
    await chat.press("Undo all")
    assert await entries(chat, store) == []


async def test_several_places_share_duration_and_triggers_stated_once(chat, store):
    await chat.send("left calf and right thumb 10s after coffee")
    assert chat.text.count("caffeine") == 1
    assert {(e.region, e.duration_s, e.triggers) for e in await entries(chat, store)} == {
        ("calf", 10, ("caffeine",)),
        ("thumb", 10, ("caffeine",)),
    }


async def test_both_calves_is_side_both(chat, store):
    await chat.send("both calves 10s after the gym")
    assert [(e.region, e.side) for e in await entries(chat, store)] == [("calf", "both")]


async def test_widespread_is_saved_and_points_to_triage_once(chat, store):
    await chat.send("twitches everywhere, arms legs")
    assert "Saved #1" in chat.text and cites(chat.text, "CL-4") and "Start /triage" in chat.labels
    assert "Where was the twitch" not in chat.text
    await chat.send("my whole body is twitching")
    assert "Saved #2" in chat.text and "CL-4" not in chat.text
    assert [e.region for e in await entries(chat, store)] == ["widespread", "widespread"]


async def test_tongue_is_saved_and_points_to_triage(chat, store):
    await chat.send("tongue twitching")
    assert "Saved #1" in chat.text and cites(chat.text, "CL-5") and "Start /triage" in chat.labels


async def test_arm_leg_knee_are_places_not_a_loop(chat, store):
    for text in ("arm twitching 5s, no trigger", "leg twitching 5s, no trigger", "left knee twitching 5s, no trigger"):
        await chat.send(text)
        assert "Where was the twitch" not in chat.text
    assert [e.region for e in await entries(chat, store)] == ["arm", "leg", "knee"]


async def test_place_question_has_a_way_out(chat, store):
    await chat.send("/log")
    assert "Somewhere else" in chat.labels
    await chat.press("Somewhere else")
    await chat.send("behind my ear lobe")
    await chat.press("Middle / no side") if "Which side?" in chat.text else None
    assert "Where was" not in chat.text
    await chat.send("/journal")
    assert "behind my ear lobe" in chat.text or "Where" not in chat.text


async def test_an_unknown_place_typed_is_kept_not_asked_again(chat, store):
    await chat.send("/log")
    await chat.send("the bony bit near my collarbone")
    assert "Where was the twitch" not in chat.text
    assert 'as you wrote it: "the bony bit near my collarbone"' in chat.text


# ---- ongoing twitching ------------------------------------------------------------------------
async def test_ongoing_is_kept_and_no_episode_length_is_asked(chat, store):
    await chat.send("left calf twitching for 3 weeks")
    assert "How long" not in chat.text and "Saved #1" in chat.text and "going on for 3 weeks" in chat.text
    (e,) = await entries(chat, store)
    assert e.duration_s is None and entry_ongoing_s(e) == 21 * 86400
    assert cites(chat.text, "CL-1")  # more than two weeks: the checklist item, pointed out once
    await chat.send("/journal")
    assert "going on for 3 weeks" in chat.text


async def test_eyelid_all_day_is_saved_with_short_advice(chat, store):
    await chat.send("my left eye has been jumping all day")
    assert "Saved #1" in chat.text and "left eyelid" in chat.text
    assert cites(chat.text, "EY-1") and "eye doctor" in chat.text
    assert [(e.region, e.side) for e in await entries(chat, store)] == [("eyelid", "left")]


async def test_eyelid_for_two_days_is_saved(chat, store):
    await chat.send("left eyelid twitching for 2 days")
    assert "Saved #1" in chat.text and "going on for 2 days" in chat.text and cites(chat.text, "EY-2")


async def test_eyelid_beyond_two_weeks_says_book_an_eye_doctor_first(chat, store):
    await chat.send("right eyelid has been twitching for 3 weeks")
    assert "Saved #1" in chat.text
    assert "book an eye doctor" in chat.text and cites(chat.text, "RD-3")
    assert "settle within a few days" not in chat.text


# ---- never mix two messages ------------------------------------------------------------------
async def test_a_new_report_closes_the_open_question(chat, store):
    await chat.send("left eyelid after coffee")
    assert "How long" in chat.text
    await chat.send("right thigh twitch 5 s, no trigger")
    assert "closed the earlier log" in chat.text
    saved = await entries(chat, store)
    assert [(e.region, e.triggers) for e in saved] == [("eyelid", ("caffeine",)), ("thigh", ())]
    assert saved[1].duration_s == 5


async def test_an_empty_note_question_does_not_swallow_later_messages(chat, store):
    await chat.send("/note")
    await chat.send("/journal")
    assert "nothing was noted" in chat.text
    await chat.send("/privacy")
    await chat.send("right calf 20s after coffee")
    (e,) = await entries(chat, store)
    assert (e.kind, e.region, e.duration_s, e.triggers) == ("twitch", "calf", 20, ("caffeine",))


async def test_a_question_closes_the_open_question_and_is_answered(chat, store):
    await chat.send("/log left calf")
    await chat.send("can anxiety cause twitching?")
    assert "closed the earlier log" in chat.text and cites(chat.text, "BG-3")
    assert [e.region for e in await entries(chat, store)] == ["calf"]


async def test_a_pending_question_expires_after_minutes_and_says_so(chat, store, clock):
    await chat.send("/log")
    assert "10 minutes" in chat.text
    await chat.press("Calf")
    clock.advance(minutes=11)
    await chat.send("hello")
    assert "waited more than 10 minutes" in chat.text
    assert [e.region for e in await entries(chat, store)] == ["calf"]


async def test_an_answer_is_still_an_answer(chat, store):
    await chat.send("right calf twitching after the gym")
    await chat.send("5")
    assert 'Reading "5" as 5 seconds' in chat.text and "Saved #1" in chat.text
    (e,) = await entries(chat, store)
    assert e.duration_s == 5


# ---- intent: feelings, greetings, questions, unknown -------------------------------------------
async def test_fear_gets_a_warm_factual_reply_and_a_next_step(chat):
    for text in ("I'm scared", "im worried", "Am I dying?"):
        await chat.send(text)
        assert cites(chat.text, "BG-2") and cites(chat.text, "FQ-3") and "/triage" in chat.text, text
        assert "not sure what you meant" not in chat.text


async def test_fear_with_a_report_saves_it_without_asking_the_side(chat, store):
    await chat.send("i'm terrified i have als, my calves twitch every night for 2 months")
    assert "Which side" not in chat.text and "Saved #1" in chat.text and cites(chat.text, "FQ-3")
    (e,) = await entries(chat, store)
    assert (e.region, e.side, entry_ongoing_s(e)) == ("calf", "both", 60 * 86400)


async def test_hello_as_first_message_is_a_greeting(make_chat):
    newbie = make_chat("new")
    await newbie.send("hello")
    assert "not sure what you meant" not in newbie.text and "Hello" in newbie.text
    await newbie.send("thanks")
    assert "welcome" in newbie.text


async def test_unknown_never_gives_the_same_hint_twice_in_a_row(chat):
    await chat.send("/help")  # not a first contact: only the hint answers below
    hints = []
    for text in ("asdf", "qwerty", "zzz"):
        await chat.send(text)
        hints.append(chat.last[0].text)
    assert all("not sure what you meant" in h for h in hints)
    assert hints[0] != hints[1] != hints[2]


async def test_questions_get_their_answer(chat):
    expected = {
        "can anxiety cause twitching?": "SC-4",
        "does stress cause twitching": "BG-3",
        "what causes twitching?": "BG-1",
        "what should I do": "SC-5",
        "should I see a neurologist": "CL-RULE",
        "will it go away?": "SC-6",
        "could this be MS?": "BG-5",
        "is it my thyroid": "thyroid",
        "b12 deficiency": "B12",
        "can it be lyme": "Lyme",
        "when should I worry?": "CL-3",
    }
    for question, cited in expected.items():
        await chat.send(question)
        assert cited in chat.text or ("-" in cited and cites(chat.text, cited)), question
        assert "not sure what you meant" not in chat.text


async def test_magnesium_is_not_overstated(chat):
    await chat.send("can magnesium help?")
    assert "Yes, it can" not in chat.text
    assert "nuts, seeds and dark chocolate" in chat.text and cites(chat.text, "SC-2")
    assert "does not say that supplements help" in chat.text


async def test_a_question_the_article_does_not_cover_says_so(chat):
    await chat.send("can it be cancer?")
    assert "doesn't cover that" in chat.text


async def test_journal_material_without_a_twitch_is_kept_as_a_note(chat, store):
    await chat.send("slept badly, anxious about work")
    assert "journal note" in chat.text
    (e,) = await entries(chat, store)
    assert e.kind == "note"


# ---- time zones -------------------------------------------------------------------------------
async def test_time_zones_people_type(chat, store):
    cases = {
        "UTC-12": "UTC-12",
        "UTC+14": "UTC+14",
        "UTC+5:30": "Asia/Kolkata",
        "UTC+5:45": "Asia/Kathmandu",
        "EST": "America/New_York",
        "PST": "America/Los_Angeles",
        "CET": "Europe/Berlin",
        "LA": "America/Los_Angeles",
        "Bombay": "Asia/Kolkata",
        "Wien": "Europe/Vienna",
        "Köln": "Europe/Berlin",
        "Paris, France": "Europe/Paris",
        "I live in Madrid": "Europe/Madrid",
        "IST, India": "Asia/Kolkata",
    }
    for typed, zone in cases.items():
        await chat.send(f"/timezone {typed}")
        assert f"Time zone set to {zone}" in chat.text, (typed, chat.text)


async def test_impossible_offsets_are_explained_not_crashing(chat):
    for typed in ("UTC-13", "UTC-14"):
        await chat.send(f"/timezone {typed}")
        assert "not an offset any place uses" in chat.text and "went wrong" not in chat.text


async def test_an_ambiguous_abbreviation_is_asked(chat):
    await chat.send("/timezone IST")
    assert {"Asia/Kolkata", "Europe/Dublin"} <= set(chat.labels)
    await chat.press("Asia/Kolkata")
    assert "Time zone set to Asia/Kolkata" in chat.text


async def test_the_export_carries_how_long_it_has_gone_on(chat):
    import json

    await chat.send("left calf twitching for 3 weeks")
    await chat.send("/export")
    data = next(r.attachment.data for r in chat.last if r.attachment and r.attachment.name.endswith(".json"))
    assert json.loads(data)["ongoing"] == [{"entry": 1, "ongoing_s": 21 * 86400, "ongoing": "going on for 3 weeks"}]


async def test_none_typed_answers_the_trigger_question(chat, store):
    await chat.send("left calf twitch 10s")
    assert "set it off" in chat.text
    await chat.send("none")
    assert "Saved #1" in chat.text


async def test_hello_with_a_question_mark_is_a_greeting(chat):
    await chat.send("hello?")
    assert "Hello" in chat.text and "doesn't cover" not in chat.text


async def test_an_unclear_place_is_asked_not_saved_twice(chat, store):
    await chat.send("calf or thigh, not sure, 10s after the gym")
    assert "Which place was it?" in chat.text and "All of them" in chat.labels
    await chat.press("thigh")
    await chat.press("Left") if "Which side" in chat.text else None
    assert "Saved #1" in chat.text
    assert [(e.region, e.duration_s) for e in await entries(chat, store)] == [("thigh", 10)]
