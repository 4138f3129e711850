"""Several twitches in one message, each with its own details, are saved each as described."""

from __future__ import annotations

from tests.support.backends import backend  # noqa: F401


async def test_each_part_of_a_message_keeps_its_own_details(chat, store):
    await chat.send("left eyelid 2 mins, right calf a few secs, on the 20th thumb after 4 coffees")
    assert "each as you described it" in chat.text
    rows = await store.fetchall("SELECT region, duration_s, triggers, occurred_at FROM entries ORDER BY id")
    got = {r["region"]: (r["duration_s"], r["triggers"]) for r in rows}
    assert got == {"eyelid": (120, ""), "calf": (3, ""), "thumb": (None, "caffeine")}
    thumb = next(r for r in rows if r["region"] == "thumb")
    assert thumb["occurred_at"] < min(r["occurred_at"] for r in rows if r["region"] != "thumb")  # the 20th


async def test_places_sharing_their_details_still_share_them(chat, store):
    await chat.send("left calf and right arm, 30s after the gym")
    rows = await store.fetchall("SELECT region, duration_s, triggers FROM entries ORDER BY id")
    assert [(r["region"], r["duration_s"], r["triggers"]) for r in rows] == [
        ("calf", 30, "exercise"),
        ("arm", 30, "exercise"),
    ]


async def test_twitching_said_to_be_going_on_for_weeks_counts_as_lasting_weeks_in_triage(chat):
    await chat.send("left calf twitching for 3 weeks")
    await chat.send("/triage")
    import re

    calm = (r"^no\b", r"^me$", r"^18 or older")
    for _ in range(8):
        if "going on since" in chat.text:
            break
        labels = [c.label for r in chat.last for c in r.choices]
        pick = next((lab for pattern in calm for lab in labels if re.search(pattern, lab, re.I)), None)
        assert pick is not None, chat.text
        await chat.press(pick)
    assert "going on since about 3 Nov: about 22 days" in chat.text  # 3 weeks before the entry


async def test_the_summary_says_how_long_people_said_it_has_been_going_on(chat):
    await chat.send("left calf twitching for 3 weeks")
    await chat.send("/summary")
    assert "Going on, in your words: left calf going on for 3 weeks" in chat.text


async def test_a_worried_question_that_describes_twitches_keeps_them_and_answers(chat, store):
    await chat.send("im freaking out, left calf and my right thumb keep twitching since the 20th, is this als??")
    assert "rarely ALS" in chat.text
    rows = await store.fetchall("SELECT region, side FROM entries ORDER BY id")
    assert [(r["region"], r["side"]) for r in rows] == [("calf", "left"), ("thumb", "right")]
