"""Several twitches in one message, each with its own details, are saved each as described."""

from __future__ import annotations


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
