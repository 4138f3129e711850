"""Each reading RD-1..RD-6 of the article, as a person meets it through the engine: the cases
the first rules got wrong (issue 12), plus who the questionnaire is for, the journal and /log."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import Chat
from tests.support.backends import backend  # noqa: F401
from tests.test_triage_flow import ADULT_SELF, ALL_NO, answer


async def log_days_ago(chat: Chat, clock, days_ago: float, line: str) -> None:
    clock.set(clock.now() - timedelta(days=days_ago))
    await chat.send(f"/log {line}")
    clock.set(clock.now() + timedelta(days=days_ago))


def result(chat: Chat) -> str:
    return next(r.text for r in chat.last if r.text.startswith("Result:"))


async def test_rd1_one_hand_for_11_days_with_stable_weakness_means_a_neurologist_soon(chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "2 weeks or less", "One spot", "No, not the face", "No", "No")
    await answer(chat, "Yes", "No")  # weaker grip, not getting worse
    await answer(chat, "No", "No", "No", "No", "Not yet")
    text = result(chat)
    assert text.startswith("Result: See a doctor soon.") and "neurologist within the next 2-3 weeks" in text
    assert "even if the weakness is not getting worse" in text
    assert "none of the warning signs" not in text and "usually harmless" not in text
    assert "Start the plan with reminders" not in chat.labels


async def test_rd1_fine_motor_trouble_is_part_of_the_weakness_question(chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "2 weeks or less", "One spot", "No, not the face", "No", "No")
    assert "buttons, writing" in chat.text


async def test_rd2_twitching_that_disrupts_life_means_booking_a_doctor(chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "2 weeks or less", "One spot", "No, not the face", "No")
    assert "disrupt your life" in chat.text
    await answer(chat, "Yes", "No", "No", "No", "No", "No", "Not yet")
    text = result(chat)
    assert text.startswith("Result: Book an appointment.") and "your GP" in text and "without delay" in text


async def test_rd3_eyelid_beyond_two_weeks_books_an_eye_doctor_and_14_days_is_not_beyond(chat, make_chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF)
    await chat.send("15 days")
    await answer(chat, "One spot", "Only an eyelid", *ALL_NO, "Not yet")
    text = result(chat)
    assert text.startswith("Result: Book an appointment.") and "eye doctor (ophthalmologist)" in text
    assert "Keep an eye on it" not in text
    other = make_chat("dora")
    await other.send("/triage")
    await answer(other, *ADULT_SELF)
    await other.send("14 days")
    await answer(other, "One spot", "Only an eyelid", *ALL_NO, "Not yet")
    assert result(other).startswith("Result: Self-care first.")
    assert "beyond two weeks" in other.text and "3-4 weeks, or it gets worse, book your GP" not in other.text


async def test_rd3_eyelid_with_other_face_muscles_books_an_eye_doctor(chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "2 weeks or less", "One spot", "Eyelid and other face muscles", *ALL_NO)
    await chat.press("Not yet")
    assert "eye doctor" in result(chat) and "Book an appointment" in result(chat)


async def test_rd4_self_care_that_failed_books_the_gp_not_monitor(chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "3 weeks to 3 months", "One spot", "No, not the face", *ALL_NO)
    await chat.press("Yes, 3-4 weeks, no change")
    text = result(chat)
    assert text.startswith("Result: Book an appointment.") and "with your GP" in text
    assert "Keep an eye on it" not in text and "professional evaluation" in text


async def test_rd4_nine_days_with_weeks_of_failed_self_care_is_asked_again(chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF)
    await chat.send("9 days")
    await answer(chat, "One spot", "No, not the face", *ALL_NO, "Yes, 3-4 weeks, no change")
    assert "Both can't be right" in chat.text and "Result" not in chat.text
    await chat.press("How long it has lasted")
    assert "How long has the twitching been going on" in chat.text
    await chat.send("about a month")
    text = result(chat)
    assert "Book an appointment" in text and "your GP" in text


async def test_rd4_the_self_care_answer_can_be_the_one_corrected(chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "2 weeks or less", "One spot", "No, not the face", *ALL_NO)
    await chat.press("Yes, 3-4 weeks, no change")
    await chat.send("the self-care answer")
    assert "tried 3-4 weeks of self-care" in chat.text
    await chat.send("partly")
    assert result(chat).startswith("Result: Self-care first.")


async def test_rd5_the_twitching_getting_worse_is_asked_and_counts(chat):
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "3 weeks to 3 months", "One spot", "No, not the face")
    assert "twitching itself getting worse" in chat.text
    await answer(chat, "Yes", "No", "No", "No", "No", "No", "No", "Not yet")
    text = result(chat)
    assert "Book an appointment" in text and "getting worse should be checked" in text


async def test_rd6_episodes_and_a_calf_after_a_run_are_not_persistence_or_spreading(chat, clock):
    await log_days_ago(chat, clock, 22, "left eyelid 1 min after coffee")
    await log_days_ago(chat, clock, 1, "right eyelid 30s, no trigger")
    await log_days_ago(chat, clock, 0.5, "right calf 20s after gym")
    assert "closer look" not in chat.text and "Start /triage" not in chat.labels
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF)
    assert "separate episodes" in chat.text and "not one twitch lasting weeks" in chat.text
    await chat.press("Yes, that's right")
    assert "different areas at different times" in chat.text and "not spreading" in chat.text
    await chat.press("Yes, that's right")
    assert "lasted weeks" not in chat.text and "spreading: yes" not in chat.text
    await answer(chat, "An eyelid and elsewhere", *ALL_NO, "Not yet")
    text = result(chat)
    assert "neurologist" not in text and "Self-care first" in text


async def test_rd6_day_one_eyelid_and_calf_do_not_suggest_a_closer_look_or_a_neurologist(chat, clock):
    await chat.send("left eyelid 1 min after coffee")
    clock.advance(hours=3)
    await chat.send("right calf 20s after gym")
    assert "closer look" not in chat.text
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF)
    assert "From your journal (1 of 1)" in chat.text and "not spreading" in chat.text
    await chat.press("Yes, that's right")
    await answer(chat, "2 weeks or less", "An eyelid and elsewhere", *ALL_NO, "Not yet")
    assert result(chat).startswith("Result: Self-care first.") and "neurologist" not in chat.text


async def test_the_journal_and_answers_disagreeing_is_named_with_the_one_used(chat, clock):
    # hand -> calf -> back over 41 days, the hand going on (the case of issue 12)
    logs = [(41, "left hand 20s"), (35, "left hand 10s"), (28, "right calf 30s"), (25, "left hand 10s")]
    logs += [(20, "left lower back 30s"), (13, "right calf 20s"), (6, "left hand 10s"), (1, "left lower back 1 min")]
    for days_ago, line in logs:
        await log_days_ago(chat, clock, days_ago, f"{line}, no trigger")
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF)
    assert "lasted weeks" not in chat.text
    await chat.press("No")  # "about 41 days": no
    await chat.press("No")  # spreading: no
    assert "Noted from your journal: lasted weeks: no, spreading: no" in chat.text
    await answer(chat, "2 weeks or less", "One spot, one side", "No, not the face", *ALL_NO, "Not yet")
    text = result(chat)
    assert "Your journal and your answer differ on how long it has lasted" in text
    assert "differ on where it twitches" in text and "This result uses your answer" in text
    assert 'the result would be "See a doctor soon"' in text


async def test_a_child_gets_no_adult_plan_and_the_childs_doctor(chat):
    await chat.send("/triage")
    await answer(chat, "No", "Someone else")
    assert "about them" in chat.text
    await chat.send("she is 9")
    await answer(chat, "No", "2 weeks or less", "One spot", "Only an eyelid", *ALL_NO, "Not yet")
    assert "child's doctor (GP or paediatrician)" in result(chat)
    assert "2 litres" not in chat.text and "Start the plan with reminders" not in chat.labels


async def test_pregnancy_asks_the_warning_signs_and_sends_to_the_midwife(chat, make_chat):
    await chat.send("/triage")
    await answer(chat, "No", "Me", "18 or older", "Yes")
    assert "severe headache" in chat.text and "swelling" in chat.text
    await chat.press("Yes")
    text = result(chat)
    assert text.startswith("Result: Get seen today.") and "midwife, maternity unit or doctor" in text
    calm = make_chat("erin")
    await calm.send("/triage")
    await answer(calm, "No", "Me", "18 or older", "Yes", "No", "2 weeks or less", "One spot", "No, not the face")
    await answer(calm, *ALL_NO, "Not yet")
    assert "In pregnancy: supplements and sleep aids are for your midwife" in calm.text
    assert "at least 2 litres" not in calm.text and "as your midwife or doctor advises" in calm.text


async def test_triage_during_an_unfinished_log_saves_it_and_says_so(chat):
    await chat.send("/log left calf")
    assert "Which side" not in chat.text  # the side came with it; the log asks how long
    await chat.send("/triage")  # a command closes the open log question (issue 13), saving what it has
    assert "I saved what you had told me" in chat.text and "left calf" in chat.text
    assert "safety check" in chat.text
    await chat.press("Not now")
    await chat.send("/journal")
    assert "calf" in chat.text.lower()


async def test_a_triage_button_during_an_unfinished_log_asks_and_can_go_back_to_it(chat):
    await chat.send("/log")
    await chat.press("Calf")
    await chat.press_id("triage:start")  # e.g. the "Start /triage" button under an earlier answer
    assert "middle of logging a twitch" in chat.text
    await chat.press("Back to my log")
    assert "kept as it was" in chat.text
    await chat.send("left")
    assert "How long did" in chat.text  # the log goes on where it was


async def test_sources_button_and_command_show_the_facts_in_words(chat):
    await chat.send("/sources")
    assert "No triage result yet" in chat.text
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "3 weeks to 3 months", "One spot", "Only an eyelid", *ALL_NO, "Not yet")
    assert "Sources (the article on muscle twitches unless named): [1]" in result(chat)
    await chat.press("Sources")
    assert "When to see an eye doctor" in chat.text and "ophthalmologist" in chat.text
    assert "Source: the article on muscle twitches" in chat.text and "Not a diagnosis" in chat.text
    shown = chat.text
    assert "this triage result" in shown
    await chat.send("/sources")
    assert "your latest triage result" in chat.text and chat.text.split("\n", 1)[1] == shown.split("\n", 1)[1]
    assert "../shared" not in shown and "medical-basis" not in shown


async def test_report_lists_the_sources_of_its_triage_results(chat):
    from io import BytesIO

    from pypdf import PdfReader

    await chat.send("/log left eyelid 2 min after coffee")
    await chat.send("/triage")
    await answer(chat, *ADULT_SELF, "3 weeks to 3 months", "One spot", "Only an eyelid", *ALL_NO, "Not yet")
    await chat.press("Make the report")
    pdf = next(r.attachment.data for r in chat.last if r.attachment and r.attachment.name.endswith(".pdf"))
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "Book an appointment" in text and "eye doctor" in text
    assert "Sources of the triage results" in text and "When to see an eye doctor" in text


async def test_pregnancy_warning_signs_end_the_questionnaire_at_once(chat):
    await chat.send("/triage")
    await answer(chat, "No", "Me", "18 or older", "Yes", "Yes")
    assert result(chat).startswith("Result: Get seen today.") and "How long" not in chat.text
