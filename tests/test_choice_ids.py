"""The typed choice-id codec (bot/choice_ids.py): round trips, errors, size limits, the old formats."""

from __future__ import annotations

import typing
from enum import Enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import choice_ids as c
from bot.choice_ids import MAX_BYTES, MAX_CHARS, ChoiceId, ChoiceIdError
from tests.support.backends import backend  # noqa: F401

DECLARED = sorted(ChoiceId.registry().values(), key=lambda cls: cls.prefix)

# The ids as the handlers built them by hand before the codec: buttons already sent carry these.
OLD_FORMATS = [
    (c.Appointment("report"), "appt:report"),
    (c.AppointmentSkip("worry"), "appt:skip:worry"),
    (c.LinkDeliver("telegram"), "link:deliver:telegram"),
    (c.Log("start"), "log:start"),
    (c.Log("cancel"), "log:cancel"),
    (c.LogUndo("12,13"), "log:undo:12,13"),
    (c.LogWhen("now"), "log:when:now"),
    (c.LogWhich(2), "log:which:2"),
    (c.LogWhich("all"), "log:which:all"),
    (c.LogRegion("eyelid"), "log:region:eyelid"),
    (c.LogSide("left"), "log:side:left"),
    (c.LogDuration(30), "log:duration:30"),
    (c.LogDuration("unknown"), "log:duration:unknown"),
    (c.LogTrigger("caffeine"), "log:trig:caffeine"),
    (c.LogIntensity(3), "log:int:3"),
    (c.LogIntensity("skip"), "log:int:skip"),
    (c.Note("trim"), "note:trim"),
    (c.Triage("start"), "triage:start"),
    (c.TriageAnswer("duration", "weeks"), "triage:a:duration:weeks"),
    (c.TriageExplain("duration"), "triage:x:duration"),
    (c.TriageEvidence(1, "unsure"), "triage:ev:1:unsure"),
    (c.TriageReask("side"), "triage:re:side"),
    (c.TriageLog("save"), "triage:log:save"),
    (c.TriageSources(42), "triage:sources:42"),
    (c.Plan("start"), "plan:start"),
    (c.Absent("on"), "absent:on"),
    (c.AbsentAnswer("weakness", "no", "20240311"), "absent:a:weakness:no:20240311"),
    (c.Forget("yes"), "forget:yes"),
    (c.Guard("dayoff"), "rguard:dayoff"),
    (c.Reminder("note"), "rem:note"),
    (c.ReminderSnooze(7), "rem:snz:7"),
    (c.ReminderStop("caffeine"), "rem:stop:caffeine"),
    (c.ReminderGlass("20240311"), "rem:glass:20240311"),
    (c.ReminderNone("20240311"), "rem:none:20240311"),
    (c.ReminderCups("20240310", 6), "rem:cups:20240310:6"),
    (c.ReminderSleep("20240311", 7), "rem:sleep:20240311:7"),
    (c.ReminderStress("20240311", 2), "rem:stress:20240311:2"),
    (c.ReminderSet("setup"), "rset:setup"),
    (c.ReminderWake(420), "rset:wake:420"),
    (c.ReminderBed(1380), "rset:bed:1380"),
    (c.ReminderToggle("sleep"), "rset:tog:sleep"),
    (c.ReminderTimes("sleep"), "rset:time:sleep"),
    (c.ReminderQuiet("1320-420"), "rset:q:1320-420"),
    (c.ReminderQuiet("off"), "rset:q:off"),
    (c.ReminderPause(3), "rset:pause:3"),
    (c.Safety("called"), "safety:called"),
    (c.Timezone("cancel"), "tz:cancel"),
    (c.TimezoneKeep("Europe/Berlin"), "tz:keep:Europe/Berlin"),
    (c.TimezoneSet("America/Argentina/Buenos_Aires"), "tz:set:America/Argentina/Buenos_Aires"),
]


def test_the_budget_is_what_the_platforms_leave():
    assert MAX_BYTES == 64  # Telegram callback_data
    assert MAX_CHARS == 100 - len("fl:") - 20 - len(":") == 76  # Discord custom_id after "fl:{owner}:"


@pytest.mark.parametrize(("cid", "old"), OLD_FORMATS, ids=[old for _, old in OLD_FORMATS])
def test_each_id_encodes_as_the_hand_built_string_it_replaces(cid, old):
    assert cid.encode() == old
    assert ChoiceId.parse(old) == cid


def test_every_declared_class_has_an_old_format_sample():
    assert {type(cid) for cid, _ in OLD_FORMATS} == set(DECLARED)


# ---- round trips ----------------------------------------------------------------------------------
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)


def _values(tp) -> st.SearchStrategy:
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return st.sampled_from(typing.get_args(tp))
    if origin is not None:  # a union
        return st.one_of(*(st.none() if a is type(None) else _values(a) for a in typing.get_args(tp)))
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(-(10**6), 10**9)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return st.sampled_from(list(tp))
    return _TEXT


def _instances(cls) -> st.SearchStrategy:
    return st.builds(cls, **{name: _values(tp) for name, tp in cls._fields})


@pytest.mark.parametrize("cls", DECLARED, ids=[cls.__name__ for cls in DECLARED])
def test_every_declared_id_round_trips(cls):
    @given(_instances(cls))
    def check(cid):
        try:
            text = cid.encode()
        except ChoiceIdError:
            return  # too long for the platforms: refused, never sent
        assert len(text.encode()) <= MAX_BYTES and len(text) <= MAX_CHARS
        assert type(cid).decode(text) == cid
        assert ChoiceId.parse(text) == cid

    check()


def test_a_separator_inside_a_value_is_escaped_and_comes_back():
    cid = c.TriageAnswer("a:b", "50%")
    assert cid.encode() == "triage:a:a%3Ab:50%25"
    assert ChoiceId.parse(cid.encode()) == cid


# ---- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        "",
        "nope:1",  # no such prefix
        "rset:pause",  # a field missing
        "rset:pause:1:2",  # one too many
        "rset:pause:soon",  # not an int
        "rset:bogus",  # not one of the actions
        "log:which:some",  # neither an index nor "all"
        "triage:ev:1:maybe",  # not a Literal value
        "log:start:extra",
    ],
)
def test_malformed_ids_raise_a_clear_error(bad):
    with pytest.raises(ChoiceIdError):
        ChoiceId.parse(bad)
    assert ChoiceId.read(bad) is None


def test_decoding_with_the_wrong_class_names_the_class():
    with pytest.raises(ChoiceIdError, match="ReminderPause"):
        c.ReminderPause.decode("rset:wake:420")


def test_a_value_of_the_wrong_type_is_refused_at_encode():
    with pytest.raises(ChoiceIdError):
        c.ReminderPause("3").encode()  # type: ignore[arg-type]
    with pytest.raises(ChoiceIdError):
        c.Safety("maybe").encode()  # type: ignore[arg-type]


def test_too_long_ids_are_refused_at_encode():
    with pytest.raises(ChoiceIdError, match="bytes"):
        c.TriageAnswer("x" * 40, "y" * 20).encode()
    with pytest.raises(ChoiceIdError, match="bytes"):
        c.TriageAnswer("ü" * 30, "y").encode()  # 60 characters' worth of bytes
    assert len(c.TriageAnswer("x" * 25, "y" * 25).encode()) <= MAX_BYTES


def test_the_registry_is_read_only_and_prefixes_are_unique():
    with pytest.raises(TypeError):
        ChoiceId.registry()["x"] = c.Safety  # type: ignore[index]
    with pytest.raises(TypeError, match="already"):

        class Again(ChoiceId, prefix="safety"):
            action: str

    assert ChoiceId.registry()["safety"] is c.Safety


def test_ids_are_immutable():
    cid = c.ReminderPause(3)
    with pytest.raises(AttributeError):
        cid.days = 4  # type: ignore[misc]


# ---- the ids real conversations offer ---------------------------------------------------------------
def _offered(chat) -> list[str]:
    return [choice.id for r in chat.last for choice in r.choices]


async def test_every_choice_offered_in_real_conversations_decodes(chat):
    seen: list[str] = []

    async def say(text: str) -> None:
        await chat.send(text)
        seen.extend(_offered(chat))

    async def press(label: str) -> None:
        await chat.press(label)
        seen.extend(_offered(chat))

    await say("/start")
    await say("/timezone")
    await say("/cancel")
    await say("/log")
    for _ in range(8):  # the guided log: press the first answer offered until it's saved
        offered = [ch for r in chat.last for ch in r.choices if not ch.id.endswith((":cancel", ":other"))]
        if not offered:
            break
        await press(offered[0].id)
    await say("left eyelid twitching for 30 seconds after coffee")
    await say("/reminders")
    await say("/triage")
    for _ in range(30):  # answer every question with its first option
        offered = [ch for r in chat.last for ch in r.choices if ch.id.startswith(("triage:a:", "triage:ev:"))]
        if not offered:
            break
        await press(offered[0].id)
    await say("/plan")
    await say("/guard")
    await say("/forget")
    await say("no")

    prefixes = {ChoiceId.parse(i).prefix for i in seen}
    expected = {"log:region", "log:undo", "rset:wake", "triage:a", "triage:sources", "forget", "tz:keep"}
    assert expected <= prefixes, " ".join(sorted(prefixes))
    for i in seen:
        cid = ChoiceId.parse(i)  # raises ChoiceIdError on one the codec doesn't know
        assert cid.encode() == i
        assert len(i.encode()) <= MAX_BYTES and len(i) <= MAX_CHARS


def test_the_log_steps_keep_the_strings_conversations_were_stored_with():
    from bot.choice_ids import LogStep

    stored = ["when", "which", "region", "place", "side", "duration", "triggers", "intensity"]
    assert [step.value for step in LogStep] == stored
    assert all(LogStep(s) == s for s in stored)  # a step read back from the database compares equal
