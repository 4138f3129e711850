"""The safety screen through the engine: wherever danger is typed, its answer comes first."""

from __future__ import annotations

import json

import pytest

from bot.store import StoreError
from tests.support.backends import backend  # noqa: F401

EMERGENCY = "my face is drooping on one side"
NO_LOG_HINT = "To log a twitch"


def first_text(replies) -> str:
    return replies[0].text


async def journal_count(store, chat) -> int:
    rows = await store.fetchall(
        "SELECT COUNT(*) AS n FROM entries e JOIN identities i ON i.user_id = e.user_id WHERE i.external_id = ?",
        (chat.user,),
    )
    return rows[0]["n"]


@pytest.mark.parametrize(
    "text",
    [
        "my face is drooping on one side",
        "I can't swallow properly",
        "my speech is slurred since this morning",
        "I suddenly can't move my left arm",
        "it's hard to breathe and my chest muscles are twitching",
        "my dad's face is drooping and he cant lift his arm",
    ],
)
async def test_an_emergency_as_a_first_message_is_answered_first_and_starts_no_log(chat, store, text):
    replies = await chat.send(text)
    assert first_text(replies).startswith("Please call 112 now"), chat.text  # Berlin: 112
    assert "Don't drive yourself" in first_text(replies)
    assert "Which side" not in chat.text and "How long" not in chat.text and NO_LOG_HINT not in chat.text
    assert "Hi, I'm Flicker" not in chat.text  # nothing competes with it
    assert await journal_count(store, chat) == 0


async def test_a_twitch_described_with_an_emergency_is_offered_for_later_and_logged_only_when_asked(chat, store):
    await chat.send("it's hard to breathe and my chest muscles are twitching")
    assert "Your twitch can wait" in chat.text
    await chat.press("I've called / help is here")
    assert "Stay with the person" in chat.text
    await chat.press("Log the twitch I mentioned")
    assert "Please call" not in chat.text  # not screened twice
    assert "Where was the twitch" not in chat.text  # the chest was understood; only what's missing is asked
    for label in ("Middle / no side", "Not sure", "None of these", "Skip"):
        if label in chat.labels:
            await chat.press(label)
    rows = await store.fetchall("SELECT region FROM entries")
    assert [r["region"] for r in rows] == ["chest"]


async def test_the_next_messages_after_an_emergency_stay_consistent(chat):
    await chat.send(EMERGENCY)
    await chat.send("I'm alone, can I drive to the hospital?")
    assert "don't drive" in chat.text.lower() and "112" in chat.text and NO_LOG_HINT not in chat.text
    await chat.send("im so scared")
    assert "scared" in chat.text and "112" in chat.text
    await chat.send("it's getting better now")
    assert "Even if it is getting better" in chat.text
    await chat.send("left calf 30s")
    assert "Your safety comes first" in chat.text
    await chat.send("ok I called, ambulance is coming")
    assert "Stay with the person" in chat.text


async def test_the_after_emergency_state_ends_after_a_while(chat, clock):
    await chat.send(EMERGENCY)
    clock.advance(minutes=90)
    await chat.send("left calf 30s after the gym")
    assert "Your safety comes first" not in chat.text


async def test_an_emergency_in_the_middle_of_a_guided_log_comes_first_and_the_log_resumes(chat, store):
    await chat.send("/log")
    await chat.press("Calf")
    assert "Which side" in chat.text
    await chat.send("wait my husband cant speak properly all of a sudden")
    assert first_text(chat.last).startswith("Please call 112 now")
    await chat.press("I've called / help is here")
    await chat.send("left")  # the log's question was kept
    assert "How long" in chat.text


@pytest.mark.parametrize("answered", [0, 1, 2, 3])
async def test_an_emergency_typed_at_any_triage_question_comes_first(chat, answered):
    await chat.send("/triage")
    for _ in range(answered):
        options = [c for r in chat.last for c in r.choices if c.id.startswith("triage:a:")]
        no = next((c for c in options if c.label.lower().startswith("no")), options[-1])
        await chat.press_id(no.id)
    await chat.send("yes, I can't get my breath since an hour ago")
    assert first_text(chat.last).startswith("Please call 112 now"), chat.text
    assert "didn't catch" not in chat.text


async def test_an_emergency_as_a_note_is_answered_first_and_the_note_is_kept_for_later(chat, store):
    await chat.send("/note my wife's speech went all garbled ten minutes ago")
    assert first_text(chat.last).startswith("Please call 112 now")
    assert await journal_count(store, chat) == 0
    await chat.press("I've called / help is here")
    await chat.press("Save my note")
    assert await journal_count(store, chat) == 1


async def test_an_emergency_typed_after_a_reminder_comes_first(chat, engine, clock):
    from bot.config import Settings
    from bot.scheduler import ReminderScheduler

    pushed = []

    class Sender:
        async def send(self, external_id, chat_id, replies):
            pushed.extend(replies)

    engine.add_sender("console", Sender())
    await chat.send("/plan")
    for label in ("7:00", "22:30"):
        if any(c.label == label for r in chat.last for c in r.choices):
            await chat.press(label)
    scheduler = ReminderScheduler(engine, Settings())
    for _ in range(48):
        clock.advance(minutes=30)
        await scheduler.tick()
        if pushed:
            break
    assert pushed, "a reminder should have fired within a day"
    await chat.send("cant breathe properly, throat feels like its closing")
    assert first_text(chat.last).startswith("Please call 112 now")


async def test_signs_that_came_and_went_today_still_get_the_emergency_advice(chat):
    await chat.send("my arm went numb and heavy for 10 minutes this morning, it's fine now")
    assert "even though it has passed" in first_text(chat.last)
    assert "mini-stroke" in first_text(chat.last)


async def test_signs_from_days_ago_never_checked_get_an_urgent_gp_visit(chat):
    await chat.send("last week my face drooped for a few minutes, it went away and i never saw anyone")
    assert "see a GP urgently" in first_text(chat.last)
    assert "If it happens again, call 112" in first_text(chat.last)


@pytest.mark.parametrize(
    "zone, lines",
    [("America/New_York", "988"), ("Europe/London", "116 123"), ("Europe/Berlin", "112"), ("UTC", "988")],
)
async def test_a_crisis_gets_a_warm_reply_with_the_crisis_lines_of_the_country(chat, store, zone, lines):
    await chat.send("hi")
    user = await store.user_for("console", chat.user, "UTC", chat.engine.clock.now())
    await store.set_timezone(user[0], zone)
    await chat.send("honestly i want to kill myself if this is als")
    text = first_text(chat.last)
    assert text.startswith("I'm really glad you told me")
    assert lines in text
    for pitch in ("/triage", "log", "checklist", "Most twitches"):
        assert pitch not in chat.text


@pytest.mark.parametrize(
    "zone, number",
    [
        ("America/Chicago", "911"),
        ("Europe/London", "999"),
        ("Australia/Sydney", "000"),
        ("Europe/Paris", "112"),
        ("Asia/Tokyo", "119"),
        ("UTC", "your local emergency number"),
    ],
)
async def test_the_emergency_number_follows_the_time_zone(chat, store, zone, number):
    await chat.send("hi")
    user = await store.user_for("console", chat.user, "UTC", chat.engine.clock.now())
    await store.set_timezone(user[0], zone)
    await chat.send("I think my mum is having a stroke")
    assert first_text(chat.last).startswith(f"Please call {number} now")


@pytest.mark.parametrize(
    "text, words",
    [
        ("my right hand looks thinner than the left", "looks thinner or hollow should be checked by a doctor"),
        ("is this ALS? the muscle in my hand looks hollow", "looks thinner or hollow should be checked by a doctor"),
        ("my grip is getting weaker and i keep dropping things", "getting worse should be checked by a doctor"),
        ("numb feet and i keep tripping over nothing", "coordination trouble should be checked by a doctor"),
    ],
)
async def test_red_flags_outside_triage_say_to_see_a_doctor_and_never_open_with_reassurance(chat, text, words):
    await chat.send(text)
    first = first_text(chat.last)
    assert words in first, chat.text
    assert not first.startswith("Most twitches")
    assert "How long" not in chat.text and "Which side" not in chat.text
    assert "Start /triage" in chat.labels and "Save it as a note" in chat.labels


async def test_a_red_flag_offers_triage_with_what_was_said_counted(chat):
    await chat.send("my right hand looks thinner than the left")
    await chat.press("Start /triage")
    assert "Please call" not in chat.text  # the questionnaire starts
    assert "thinner" not in chat.text.lower() or "already" in chat.text.lower() or "?" in chat.text


async def test_a_red_flag_kept_as_a_note_on_request(chat, store):
    await chat.send("my right calf looks smaller than the left one")
    await chat.press("Save it as a note")
    assert await journal_count(store, chat) == 1


async def test_a_red_flag_in_a_note_still_saves_the_note_and_the_hit_points_at_it(chat, store):
    await chat.send("/note my left hand looks thinner than the right and it twitches")
    assert "should be checked by a doctor" in first_text(chat.last)
    assert await journal_count(store, chat) == 1
    rows = await store.fetchall("SELECT category, entry_id FROM safety_events")
    assert [(r["category"], r["entry_id"] is not None) for r in rows] == [("red_flag", True)]


async def test_pregnancy_warning_signs_go_to_the_midwife_now(chat):
    await chat.send("im 32 weeks pregnant and have a terrible headache and blurry vision, also eyelid twitching")
    assert first_text(chat.last).startswith("Please contact your midwife, maternity unit or doctor now")


@pytest.mark.parametrize(
    "text",
    [
        "I can breathe fine, just my left eyelid twitching 2 min",
        "no trouble swallowing, calf twitch after the gym",
        "breathing exercises helped with the twitching",
        "what a stroke of luck, no twitches today",
        "I'm dying to know if coffee matters",
        "my heart skipped when I saw the bill",
        "my face isn't drooping, i checked in the mirror",
    ],
)
async def test_benign_text_is_untouched(chat, text):
    await chat.send(text)
    assert "Please call" not in chat.text and "glad you told me" not in chat.text
    assert "should be checked by a doctor" not in chat.text


async def test_other_languages_get_one_friendly_line_and_still_the_emergency_advice(chat):
    await chat.send("mein augenlid zuckt seit gestern ständig, ist das schlimm?")
    assert "nur Englisch" in chat.text and "Please call" not in chat.text
    await chat.send("mein vater kann nicht mehr richtig atmen")
    assert first_text(chat.last).startswith("Bitte ruf sofort den Notruf an (112)")
    assert "Please call 112 now" in chat.text
    await chat.send("no puedo respirar")
    assert "Llama ahora mismo" in chat.text


async def test_in_a_group_the_instruction_is_public_without_the_persons_words(make_chat):
    group = make_chat("carol", private=False)
    await group.send("/log my dad's face is drooping and his speech is slurred")
    public = [r for r in group.last if not r.private]
    assert public and "call 112 now" in public[0].text
    assert "dad" not in public[0].text and "slurred" not in public[0].text


async def test_an_emergency_is_answered_even_when_the_database_fails(chat, engine, monkeypatch):
    async def broken(*args, **kwargs):
        raise StoreError("disk full")

    monkeypatch.setattr(engine.store, "user_for", broken)
    replies = await chat.send("i cant breathe")
    assert replies[0].text.startswith("Please call 112 now")


async def test_an_emergency_is_answered_even_in_a_flood(chat, engine):
    for _ in range(40):
        await chat.send("left calf 5s")
    replies = await chat.send("my wife suddenly cant move her right arm")
    assert replies[0].text.startswith("Please call 112 now")


async def test_hits_are_exported_without_the_words_and_erased_by_forget(chat, engine, tmp_path):
    await chat.send("grandpa Otto's face is drooping on one side")
    await chat.press("I've called / help is here")
    await chat.send("my right hand looks thinner than the left")
    await chat.send("/export")
    data = next(r.attachment for r in chat.last if r.attachment and r.attachment.name.endswith(".json"))
    exported = json.loads(data.data)
    cats = [s["category"] for s in exported["safety"]]
    assert cats == ["emergency", "red_flag"]
    assert "Otto" not in json.dumps(exported["safety"]) and "grandpa" not in json.dumps(exported["safety"])
    await chat.send("/forget")
    await chat.press_id(next(c.id for r in chat.last for c in r.choices if "forget" in c.id and "yes" in c.id))
    rows = await engine.store.fetchall("SELECT COUNT(*) AS n FROM safety_events")
    assert rows[0]["n"] == 0


async def test_the_screen_never_logs_what_was_typed(chat, caplog):
    caplog.set_level("DEBUG")
    await chat.send("I want to end my life tonight")
    for record in caplog.records:
        if record.levelno > 10:
            assert "end my life" not in record.getMessage()


async def test_every_choice_the_screen_offers_fits_the_platform_limits(chat):
    offered = []
    for text in (EMERGENCY, "my right hand looks thinner than the left", UNSURE):
        await chat.send(text)
        offered += [c.id for r in chat.last for c in r.choices]
        await chat.send("/cancel")
    assert {"safety:called", "safety:triage", "safety:yes"} <= set(offered)
    assert all(len(i.encode()) <= 64 for i in offered)  # Telegram's callback_data limit (Discord: 100)


async def test_the_screen_runs_through_the_console_process(tmp_path):
    from tests.test_console import run_console  # the console as a person runs it

    proc = run_console(tmp_path / "c.db", ["my face is drooping on one side", "can i drive?"], "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows[0]["replies"][0]["text"].startswith("Please call")
    assert "drive" in rows[1]["replies"][0]["text"]


async def test_after_the_triage_emergency_answer_the_next_messages_stay_consistent(chat):
    await chat.send("/triage")
    await chat.press("Yes")
    assert "Call 112 now" in chat.text
    await chat.send("I'm alone, can I drive to the hospital?")
    assert "don't drive" in chat.text.lower() and NO_LOG_HINT not in chat.text


async def test_triage_started_from_a_red_flag_counts_what_was_said_and_still_asks_the_safety_question(chat):
    await chat.send("my right hand looks thinner than the left")
    await chat.press("Start /triage")
    assert "I've counted" in chat.text and "I won't ask those again" in chat.text
    options = [c.label for r in chat.last for c in r.choices]
    assert "Yes" in options  # the safety question comes first
    await chat.press("No")  # no emergency signs: what was said is enough for a result, nothing asked twice
    assert chat.text.startswith("Result: Get seen today") and "loss of muscle bulk" in chat.text


UNSURE = "honestly i just feel like everyone would be fine without me around"


def test_the_example_is_one_the_rules_leave_to_the_second_opinion():
    from rules.safety import load_safety_screen

    finding = load_safety_screen().screen(UNSURE).finding
    assert finding is not None and finding.category == "check_crisis" and finding.rule == "second_opinion"


async def test_words_the_rules_miss_but_that_sound_like_a_crisis_get_a_gentle_question(chat):
    await chat.send(UNSURE)
    assert "are you having thoughts of ending your life" in chat.text
    assert {"Yes", "No, I'm okay"} <= set(chat.labels)
    await chat.send("yes")
    assert chat.last[0].text.startswith("I'm really glad you told me")


async def test_no_to_the_gentle_question_lets_the_message_go_on_and_loses_nothing(chat, store):
    await chat.send("/note " + UNSURE)
    assert "are you having thoughts of ending your life" in chat.text
    assert await journal_count(store, chat) == 0
    await chat.press("No, I'm okay")
    assert chat.last[0].text.startswith("Thank you for telling me")
    assert await journal_count(store, chat) == 1  # the note was kept and saved


def test_the_second_opinion_reads_the_model_like_scikit_learn_did():
    from rules.safety import load_second_opinion

    model = load_second_opinion()
    assert model is not None and all(0 < t < 1 for t in model.thresholds.values())
    calm = model.scores("left calf twitching 30s after the gym")
    assert calm["crisis"] < model.thresholds["crisis"] and calm["emergency"] < model.thresholds["emergency"]
    worried = model.scores("i have been looking up how many pills it would take")
    assert worried["crisis"] >= model.thresholds["crisis"]


async def test_the_report_lists_the_warning_signs_of_its_period_without_the_words(chat):
    import io

    from pypdf import PdfReader

    await chat.send("my right hand looks thinner than the left, says Gertrude")
    await chat.send("/report")
    pdf = next(r.attachment for r in chat.last if r.attachment and r.attachment.name.endswith(".pdf"))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Warning signs noticed in messages" in text
    assert "advised to see a doctor" in text and "Gertrude" not in text


async def test_a_hedged_false_alarm_keeps_the_instruction(chat):
    await chat.send(EMERGENCY)
    await chat.send("its probably a false alarm right")
    assert "please call 112 anyway" in chat.text
    await chat.send("can i drive myself there")
    assert "don't drive" in chat.text.lower()
    await chat.send("ok it really was a false alarm, my dad is fine")
    assert "glad it's a false alarm" in chat.text


async def test_after_a_crisis_a_frightened_message_gets_the_lines_again_not_twitch_facts(chat):
    await chat.send("i have pills saved up and i want to end my life")
    await chat.send("im scared")
    assert "You don't have to get through tonight alone" in chat.text and "Most twitches" not in chat.text
    await chat.send("left calf 30s after the gym")
    assert "Saved #" in chat.text  # everyday messages still work


async def test_after_pregnancy_signs_an_unreachable_midwife_gets_a_next_step(chat):
    await chat.send("im 33 weeks pregnant with the worst headache and sparkly vision")
    await chat.send("the midwife line isnt answering")
    assert "call the maternity unit or your doctor now" in chat.text


async def test_a_warning_sign_typed_at_another_triage_question_is_counted_not_misread(chat):
    await chat.send("/triage")
    await chat.press("No")  # the safety question
    while "pregnant" not in chat.text.lower():
        options = [c for r in chat.last for c in r.choices if c.id.startswith("triage:a:")]
        await chat.press_id(options[0].id)
    await chat.send("yes it feels weaker when i climb stairs and i keep dropping things")
    assert "counted it in the questionnaire" in chat.text
    conv = await chat.engine.store.conversation(
        (await chat.engine.store.user_for("console", chat.user, "UTC", chat.engine.clock.now()))[0].id
    )
    assert "pregnant" not in conv.data["answers"] and conv.data["answers"].get("weakness") == "yes"


async def test_its_probably_nothing_right_keeps_the_instruction(chat):
    await chat.send("my speech went weird and slurry 10 min ago")
    await chat.send("its probably nothing right?")
    assert "please call 112 anyway" in chat.text


async def test_nothing_said_in_passing_does_not_end_the_instruction(chat):
    await chat.send("my speech went weird and slurry 10 min ago")
    await chat.send("nothing is helping, he still cant talk properly")
    assert "false alarm" not in chat.text.lower() or "press that instead" in chat.text
    assert "112" in chat.text


async def test_after_a_crisis_reply_thanks_and_a_question_get_the_answer_and_the_unclear_gets_the_lines(chat):
    # a tester wrote this and got "I'm not sure what you meant" twice, coldly, after the 988 reply
    await chat.send("my calf twitches and honestly i dont want to live anymore if it is als")
    assert "988" in chat.text or "116 123" in chat.text or "emergency number" in chat.text
    await chat.send("thank you. can you just tell me if its als")
    assert "ALS" in chat.text and "not sure what you meant" not in chat.text
    await chat.send("no")
    assert "not sure what you meant" not in chat.text
    assert "I'm still here" in chat.text and "If you might act on these thoughts" in chat.text


async def test_a_courtesy_before_a_question_still_gets_the_answer(chat):
    await chat.send("thanks! does caffeine cause twitching?")
    assert "not sure what you meant" not in chat.text and "caffeine" in chat.text.lower()
    await chat.send("thank you")
    assert "welcome" in chat.text  # thanks alone is still thanks
