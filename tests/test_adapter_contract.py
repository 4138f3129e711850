"""The adapter contract: the same conversation through the console, the Telegram fake and the
Discord fake, checked from the person's side, and then compared across the three.

The conversation: a one-line twitch log, a note full of characters that need escaping (read
back with /journal), a triage questionnaire answered by buttons only, daily reminders switched
on, a reminder that arrives with Snooze (pressed), /export with a JSON attachment, an unknown
command and a time that can't be read. Separately: an emergency as a first message, a journal
longer than one message, progress during slow work, and input without text. Every platform must
behave the same; a difference is a failure, never a looser assertion.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.driver import Driver, Step
from tests.support.harness import PLATFORMS, START, open_harness

# Characters each platform must escape (HTML on Telegram, Markdown on Discord) to show as typed.
NOTE = "slept badly & stressed <3 *again* _sigh_ ~ok~ | 50% > yesterday `x`"
MAX_TRIAGE_STEPS = 25
# The journal shows each note cut to a line: 36 make about 5,500 characters, over both platforms' limits.
LONG_NOTES = 36
# The answer a person with a mild, recent, single twitch picks, most specific first. Matching
# on the meaning of the label, not the question, keeps this working when the wording changes.
CALM_ANSWERS = (
    r"^no\b",
    r"^me$",
    r"^18 or older",
    r"^2 weeks or less",
    r"^less than\b",
    r"^one\b",
    r"^only\b",
    r"^not yet\b",
    r"^never\b",
    r"^none\b",
)
# Well after the bot is set up at about 21:40 Berlin, and past the 22:15 sleep wind-down.
REMINDERS_UNTIL = START + timedelta(hours=1, minutes=50)


def calm_answer(labels: tuple[str, ...]) -> str | None:
    for pattern in CALM_ANSWERS:
        for label in labels:
            if re.search(pattern, label, re.IGNORECASE):
                return label
    return None


def where(step: Step, platform: str) -> str:
    return f"on {platform}, after {step.did!r} the person saw {list(step.texts)} with buttons {list(step.buttons)}"


async def have_the_conversation(driver: Driver) -> list[Step]:
    """Run the conversation, asserting what the person must see at each step; return every step."""
    p = driver.platform

    logged = await driver.send("left calf 30s after the gym")
    assert "Saved #1" in logged.text and "left calf twitch, 30 s" in logged.text, where(logged, p)

    noted = await driver.send(f"/note {NOTE}")
    assert "Noted as #2" in noted.text, where(noted, p)
    journal = await driver.send("/journal")
    assert NOTE in journal.text and "left calf" in journal.text.lower(), where(journal, p)

    step = await driver.send("/triage")
    assert step.buttons, where(step, p)
    for _ in range(MAX_TRIAGE_STEPS):
        answer = None if "Result:" in step.text else calm_answer(step.buttons)
        if answer is None:
            break
        step = await driver.press(answer)
    else:
        raise AssertionError(f"triage did not finish within {MAX_TRIAGE_STEPS} presses; " + where(step, p))
    assert "not a diagnosis" in step.text and "Result" in step.text, where(step, p)

    step = await driver.send("/reminders")
    step = await driver.press("Switch on")
    step = await driver.press("7:00")
    step = await driver.press("23:00")
    assert "reminders are on" in step.text, where(step, p)

    arrived = await driver.fire_reminders(REMINDERS_UNTIL)
    assert arrived.texts, f"on {p}, no reminder arrived by {REMINDERS_UNTIL}"
    assert any(b.lower().startswith("snooze") for b in arrived.buttons), where(arrived, p)
    snoozed = await driver.press("Snooze")
    assert "Snoozed" in snoozed.text, where(snoozed, p)

    exported = await driver.send("/export")
    documents = [json.loads(f.data) for f in exported.files if f.data.lstrip().startswith(b"{")]
    assert len(documents) == 1, f"on {p}, /export sent {[(f.name, f.data[:40]) for f in exported.files]}"
    json_names = [f.name for f in exported.files if f.data.lstrip().startswith(b"{")]
    assert json_names[0] is None or json_names[0].endswith(".json"), json_names  # None: the fake can't tell
    entries = documents[0]["entries"]
    assert [(e["id"], e["kind"]) for e in entries] == [(1, "twitch"), (2, "note")], entries
    assert (entries[0]["region"], entries[0]["side"], entries[0]["duration_s"]) == ("calf", "left", 30)
    assert entries[1]["text"] == NOTE

    unknown = await driver.send("/frobnicate")
    assert "/frobnicate" in unknown.text and "/help" in unknown.text, where(unknown, p)
    bad = await driver.send("/wake 25:00")  # names what was wrong and shows what works
    assert "25:00" in bad.text and re.search(r"/wake \d{1,2}:\d\d", bad.text), where(bad, p)
    return list(driver.steps)


async def say_an_emergency_first(driver: Driver) -> list[Step]:
    step = await driver.send("my face is drooping on one side and I can't lift my arm")
    assert step.texts and step.texts[0].startswith("Please call"), where(step, driver.platform)
    assert "Hi, I'm Flicker" not in step.text and "Which side" not in step.text, where(step, driver.platform)
    return [step]


async def read_a_long_journal(driver: Driver) -> list[Step]:
    """A reply longer than one message allows (4,096 on Telegram, 2,000 on Discord) arrives whole."""
    for i in range(LONG_NOTES):
        await driver.send(f"/note {i:02d} " + "slept badly again, eyelid going, " * 7)
    step = await driver.send(f"/journal {LONG_NOTES}")
    missing = [i for i in range(LONG_NOTES) if f"Note: {i:02d} slept" not in step.flat]
    assert not missing, f"on {driver.platform}, notes {missing} are missing from the long journal"
    if driver.platform != "console":
        assert len(step.texts) > 1, f"on {driver.platform}, {len(step.flat)} characters came as one message"
    return list(driver.steps)


SCENARIOS = {
    "conversation": have_the_conversation,
    "emergency": say_an_emergency_first,
    "long reply": read_a_long_journal,
}


async def run_scenario(name: str, platform: str, tmp_path: Path) -> list[Step]:
    async with open_harness(platform, tmp_path) as h:
        return await SCENARIOS[name](await h.person(0))


@pytest.fixture(scope="module")
def transcripts() -> dict[tuple[str, str], list[Step]]:
    """What each scenario showed on each platform, kept for the cross-checks at the end."""
    return {}


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_the_conversation_reads_right(platform: str, tmp_path: Path, transcripts) -> None:
    transcripts["conversation", platform] = await run_scenario("conversation", platform, tmp_path)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_an_emergency_as_a_first_message_is_answered_first(platform: str, tmp_path: Path, transcripts) -> None:
    transcripts["emergency", platform] = await run_scenario("emergency", platform, tmp_path)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_long_reply_arrives_whole(platform: str, tmp_path: Path, transcripts) -> None:
    transcripts["long reply", platform] = await run_scenario("long reply", platform, tmp_path)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_button_press_shows_the_answer_picked(platform: str, tmp_path: Path) -> None:
    """Where choices are buttons, the question is edited to show the answer (at the console, the typed number stays)."""
    async with open_harness(platform, tmp_path) as h:
        person = await h.person(0)
        await person.send("/log")
        pressed = await person.press("Calf")
        assert "Which side" in pressed.text, pressed
        if platform != "console":
            assert any(m.rstrip().endswith("✓ Calf") for m in pressed.marked), pressed.marked


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_slow_work_shows_progress_and_the_chart_arrives(platform: str, tmp_path: Path) -> None:
    async with open_harness(platform, tmp_path) as h:
        person = await h.person(0)
        await person.send("left calf 30s after the gym")
        step = await person.send("/summary")
        assert any(f.data.startswith(b"\x89PNG") for f in step.files), where(step, platform)
        assert step.text.startswith("Drawing your chart"), where(step, platform)  # shown first, while it draws


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_something_without_text_gets_an_answer_that_says_what_works(platform: str, tmp_path: Path) -> None:
    async with open_harness(platform, tmp_path) as h:
        person = await h.person(0)
        step = await person.send_unreadable()
        assert step.texts, f"on {platform}, {step.did} got no answer at all"
        assert "/help" in step.text or "e.g." in step.text or "for example" in step.text, where(step, platform)


def comparable(step: Step) -> tuple[str, str, tuple[str, ...], list]:
    """What the person saw in one step, minus platform rendering: the text with whitespace
    collapsed (message splits differ), the button labels, and any exported journal entries."""
    entries = [json.loads(f.data)["entries"] for f in step.files if f.data.lstrip().startswith(b"{")]
    return step.did, step.flat, step.buttons, entries


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_the_same_scenario_reads_the_same_everywhere(scenario: str, tmp_path: Path, transcripts) -> None:
    for platform in PLATFORMS:  # run alone (-k), it has the scenarios itself
        if (scenario, platform) not in transcripts:
            transcripts[scenario, platform] = await run_scenario(scenario, platform, tmp_path / platform)
    reference = [comparable(s) for s in transcripts[scenario, "console"]]
    differences = []
    for platform in PLATFORMS[1:]:
        seen = [comparable(s) for s in transcripts[scenario, platform]]
        assert [s[0] for s in seen] == [s[0] for s in reference], f"{platform} took other steps"
        for (did, text, buttons, entries), (_, other_text, other_buttons, other_entries) in zip(
            reference, seen, strict=True
        ):
            if text != other_text:
                differences.append(f"{did!r}: console saw {text!r}, {platform} saw {other_text!r}")
            if buttons != other_buttons:
                differences.append(f"{did!r}: console offered {buttons}, {platform} offered {other_buttons}")
            if entries != other_entries:
                differences.append(f"{did!r}: console exported {entries}, {platform} exported {other_entries}")
    assert not differences, "\n".join(differences)
