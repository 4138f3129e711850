"""What a person notices when chatting with the engine: logging, notes, journal, privacy."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.app import build_engine
from tests.conftest import Chat
from tests.support.backends import backend  # noqa: F401


async def test_start_introduces_and_sets_time_zone(chat):
    await chat.send("/start")
    assert "not a diagnosis" in chat.text
    assert "Keep Europe/Berlin" in chat.labels
    await chat.send("new york")
    assert "America/New_York" in chat.text
    assert "15:30" in chat.text  # 20:30 UTC is 15:30 in New York in November


async def test_timezone_accepts_cities_offsets_and_explains_bad_input(chat):
    await chat.send("/timezone UTC+2")
    assert "UTC+2" in chat.text and "22:30" in chat.text
    await chat.send("/timezone Atlantisville")
    assert "don't know the time zone" in chat.text and "Berlin" in chat.text
    await chat.send("Tokyo")  # the question stays open: a typed answer works
    assert "Asia/Tokyo" in chat.text and "05:30" in chat.text


async def test_one_line_log_is_saved_with_every_field(chat, store):
    await chat.send("/log left eyelid 2 min after my third coffee")
    assert "Saved #" in chat.text
    assert "Undo" in chat.labels
    entries = await store.entries((await store.user_for("console", "alice", "UTC", chat.engine.clock.now()))[0].id)
    e = entries[0]
    assert (e.region, e.side, e.duration_s, e.triggers) == ("eyelid", "left", 120, ("caffeine",))
    assert e.text == "left eyelid 2 min after my third coffee"


async def test_free_text_twitch_report_logs_and_asks_only_what_is_missing(chat):
    await chat.send("right calf twitching after the gym")
    # region, side and trigger were given: only the duration is asked
    assert "How long" in chat.text
    await chat.press("About 30 seconds")
    assert "Saved #" in chat.text and "right calf" in chat.text and "exercise" in chat.text


async def test_guided_log_by_buttons_then_undo(chat, store):
    await chat.send("/log")
    assert "Where was the twitch?" in chat.text
    await chat.press("Calf")
    await chat.press("Left")
    await chat.press("A few seconds")
    await chat.press("Caffeine")
    assert "✓ Caffeine" in chat.labels  # multi-select shows what is picked
    await chat.press("Stress")
    await chat.press("Done")
    assert "How strong" in chat.text
    await chat.press("3")
    assert "Saved #" in chat.text and "strength 3/5" in chat.text
    await chat.press("Undo")
    assert "Removed #" in chat.text
    user, _ = await store.user_for("console", "alice", "UTC", chat.engine.clock.now())
    assert await store.entries(user.id) == []


async def test_typed_answer_that_makes_no_sense_keeps_what_was_given(chat):
    await chat.send("/log left calf")
    await chat.send("banana")
    assert "didn't understand" in chat.text and "2 min" in chat.text
    await chat.send("90s")
    await chat.press("None of these")
    assert "left calf" in chat.text and "1 min 30 s" in chat.text


async def test_half_answered_flow_survives_a_restart(chat, store, clock):
    await chat.send("/log")
    await chat.press("Thumb")
    restarted = Chat(build_engine(store, clock=clock), "alice")
    restarted.last = chat.last
    store.evict((await store.user_for("console", "alice", "UTC", clock.now()))[0].id)
    await restarted.press("Right")
    assert "How long" in restarted.text


async def test_old_button_from_a_finished_flow_is_expired(chat):
    await chat.send("/log left thumb 10s no trigger")
    await chat.send("/log")
    first_question = chat.last
    await chat.press("Thumb")
    chat.last = first_question
    await chat.press("Calf")  # answers a question that was already answered
    assert "expired" in chat.text


async def test_note_limits_and_keeps_a_too_long_note(chat, store):
    await chat.send("/note slept badly, anxious about work")
    assert "Noted as #" in chat.text
    long = "x" * 1500
    await chat.send("/note " + long)
    assert "1,500 characters" in chat.text and "1,000" in chat.text
    user, _ = await store.user_for("console", "alice", "UTC", chat.engine.clock.now())
    assert len(await store.entries(user.id)) == 1  # nothing half-saved
    await chat.press("Save the first 1,000")
    notes = await store.entries(user.id, kind="note")
    assert len(notes[0].text) == 1000


async def test_journal_lists_newest_first_in_local_time_and_deletes(chat, clock):
    await chat.send("/note first")
    clock.advance(minutes=5)
    await chat.send("/note second")
    await chat.send("/journal")
    text = chat.text
    assert text.index("Note: second") < text.index("Note: first")
    assert "today 21:35" in text  # 20:35 UTC in Berlin
    await chat.send("/journal 7d")
    assert "second" in chat.text
    await chat.send("/journal lots")
    assert "/journal 20" in chat.text
    await chat.send("/undo")
    assert "Removed" in chat.text and "second" in chat.text
    await chat.send("/delete 999")
    assert "can't find entry #999" in chat.text


async def test_one_user_cannot_delete_another_users_entry(chat, make_chat, store):
    await chat.send("/note mine")
    entry_id = chat.text.split("#")[1].split(".")[0]
    mallory = make_chat("mallory")
    await mallory.send(f"/delete {entry_id}")
    assert "can't find" in mallory.text
    await mallory.press_id(f"log:undo:{entry_id}")
    user, _ = await store.user_for("console", "alice", "UTC", chat.engine.clock.now())
    assert len(await store.entries(user.id)) == 1


async def test_export_has_json_and_csv_with_the_journal(chat):
    await chat.send("/log left eyelid 2 min after my third coffee")
    await chat.send("/note =cmd|' /C calc'!A0")
    await chat.send("/export")
    files = {r.attachment.name.rsplit(".", 1)[1]: r.attachment for r in chat.last if r.attachment}
    data = json.loads(files["json"].data)
    assert data["user"]["timezone"] == "Europe/Berlin"
    twitch = [e for e in data["entries"] if e["kind"] == "twitch"][0]
    assert twitch["region"] == "eyelid" and twitch["duration_s"] == 120 and twitch["triggers"] == ["caffeine"]
    assert twitch["occurred_at"].endswith("+01:00")
    csv_text = files["csv"].data.decode("utf-8-sig")
    assert "eyelid" in csv_text and "'=cmd" in csv_text  # a formula is defused for spreadsheets


async def test_forget_erases_after_confirmation_and_starts_fresh(chat, store):
    await chat.send("/note private thought")
    await chat.send("/forget")
    await chat.press("No, keep it")
    assert "Nothing was erased" in chat.text
    await chat.send("/forget")
    await chat.press("Yes, erase everything")
    assert "erased" in chat.text
    assert await store.fetchone("SELECT 1 FROM entries WHERE text = 'private thought'") is None
    await chat.send("/journal")
    assert "no entries" in chat.text


async def test_unknown_command_and_gibberish_get_helpful_answers(chat):
    await chat.send("/jurnal")
    assert "Did you mean /journal" in chat.text
    await chat.send("hello there")
    assert "/help" in chat.text and "left eyelid" in chat.text


async def test_help_lists_every_command(chat):
    await chat.send("/help")
    for cmd in chat.engine.registry.menu():
        assert f"/{cmd.name}" in chat.text


async def test_cancel_leaves_a_flow(chat):
    await chat.send("/log")
    await chat.send("/cancel")
    assert "Cancelled" in chat.text
    await chat.send("calf")  # no longer an answer to a question; read as a fresh message
    assert "Where was the twitch" not in chat.text


async def test_stale_conversation_expires(chat, clock):
    await chat.send("/log")
    clock.advance(timedelta(hours=25))
    await chat.send("Left")
    assert "Which side" not in chat.text


async def test_a_flood_gets_a_calm_slow_down_and_others_are_unaffected(chat, make_chat, clock):
    for _ in range(20):
        await chat.send("/journal 1")
    await chat.send("/journal 1")
    assert "slow down" in chat.text
    other = make_chat("bob")
    await other.send("/journal 1")
    assert "slow down" not in other.text
    clock.advance(seconds=11)
    await chat.send("/journal 1")
    assert "slow down" not in chat.text


async def test_a_new_person_who_skips_start_is_welcomed_once(chat):
    await chat.send("left calf 30s after the gym")
    assert "not a diagnosis" in chat.text and "Europe/Berlin" in chat.text
    await chat.send("/journal")
    assert "not a diagnosis" not in chat.text


async def test_first_name_is_kept_for_reports_and_can_be_removed(chat, store):
    await chat.send("/name   Anna  ")
    assert "Thanks, Anna" in chat.text
    user, _ = await store.user_for("console", "alice", "UTC", chat.engine.clock.now())
    assert user.first_name == "Anna"
    await chat.send("/name 12345")
    assert "/name Anna" in chat.text and user.first_name == "Anna"
    await chat.send("/name -")
    assert user.first_name is None


async def test_saying_there_was_no_trigger_answers_that_question(chat, store):
    await chat.send("/log left thumb 10s, no trigger")
    assert "Saved #" in chat.text and "no trigger noted" in chat.text


async def test_keep_machine_zone_and_moving_on_to_a_twitch_report(make_chat, engine):
    engine.default_timezone["console"] = "Etc/UTC"
    newbie = make_chat("newbie")
    await newbie.send("/start")
    assert "Keep UTC" in newbie.labels
    await newbie.press("Keep UTC")
    assert "Time zone set to UTC" in newbie.text
    await newbie.send("/start")
    await newbie.send("left eyelid twitching since this morning after 3 espressos")
    assert "time zone" not in newbie.text.lower()
    # the logger took it: "since this morning" is how long it has gone on, so it is saved at once (issue 13)
    assert "Saved #1" in newbie.text and "going on all day" in newbie.text


async def test_a_message_that_waited_while_the_bot_was_down_is_logged_when_it_was_sent(engine, clock):
    from bot.messages import Incoming

    sent = clock.now() - timedelta(hours=3)  # Telegram kept it while the bot was down
    replies = await engine.handle(
        Incoming(
            "console", "waited", text="left eyelid twitching right now, 2 min, after coffee", chat_id="waited", at=sent
        )
    )
    assert "Saved #" in replies[0].text
    user, _ = await engine.store.user_for("console", "waited", "UTC", clock.now())
    [entry] = await engine.store.entries(user.id)
    assert entry.occurred_at == sent.replace(microsecond=0)
    # a time from the future, or days old, is not believed: the clock's now is used
    await engine.handle(Incoming("console", "waited", text="/note odd clock", at=clock.now() + timedelta(days=2)))
    note = (await engine.store.entries(user.id, kind="note"))[0]
    assert note.occurred_at == clock.now().replace(microsecond=0)
