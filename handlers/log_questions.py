"""The questions /log asks, and what it says when a typed answer doesn't fit."""

from __future__ import annotations

from typing import Any

from bot.choice_ids import Log, LogDuration, LogIntensity, LogRegion, LogSide, LogStep, LogTrigger, LogWhen, LogWhich
from bot.handler_api import CONVERSATION_TTL
from bot.messages import Reply
from rules.texts import texts
from rules.vocabulary import load_vocabulary, region_label


def label_of(region: str) -> str:
    return region_label(region).lower()


CANCEL = Log("cancel").button("Cancel")
DURATIONS = (
    (5, "A few seconds"),
    (30, "About 30 seconds"),
    (60, "About a minute"),
    (180, "A few minutes"),
    (600, "10 minutes or more"),
)
SIDES = (("left", "Left"), ("right", "Right"), ("both", "Both sides"), ("none", "Middle / no side"))
WAIT_NOTE = f"(I'll keep this question open for {CONVERSATION_TTL.seconds // 60} minutes.)"


def question(step: str, fields: dict[str, Any], note: str = "", first: bool = False) -> Reply:
    vocab = load_vocabulary()
    lead = f"{note}\n" if note else ""
    tail = f" {WAIT_NOTE}" if first else ""
    if step == LogStep.WHEN:
        return Reply(
            f'{lead}{fields["when_doubt"]} When was it? Type a day or time (e.g. "yesterday 9pm", '
            f'"20 Nov"), or press one.{tail}',
            (LogWhen("now").button("Just now"), LogWhen("today").button("Earlier today"), CANCEL),
        )
    if step == LogStep.WHICH:
        places = fields.get("places") or []
        opts = tuple(
            LogWhich(i).button(f"{side + ' ' if side else ''}{label_of(region)}")
            for i, (region, side) in enumerate(places)
        )
        return Reply(f"{lead}Which place was it?{tail}", opts + (LogWhich("all").button("All of them"), CANCEL))
    if step == LogStep.REGION:
        opts = tuple(LogRegion(r.id).button(r.label) for r in vocab.regions.values())
        return Reply(
            f'{lead}Where was the twitch? Press one, or type it (e.g. "left calf").{tail}',
            opts + (LogRegion("other").button("Somewhere else"), CANCEL),
        )
    if step == LogStep.PLACE:
        return Reply(f"{lead}Where was it? Type it in a few words; I'll keep your words.{tail}", (CANCEL,))
    if step == LogStep.SIDE:
        opts = tuple(LogSide(v).button(label) for v, label in SIDES)
        return Reply(f"{lead}Which side?{tail}", opts + (CANCEL,))
    if step == LogStep.DURATION:
        opts = tuple(LogDuration(s).button(label) for s, label in DURATIONS)
        return Reply(
            f"{lead}How long did one twitch last? Press one, or type it "
            f'(e.g. "5" for 5 seconds, "90s", "2 min").{tail}',
            opts + (LogDuration("unknown").button("Not sure"), CANCEL),
        )
    if step == LogStep.TRIGGERS:
        picked = set(fields.get("picked") or ())
        opts = tuple(
            LogTrigger(t.id).button(("✓ " if t.id in picked else "") + t.label) for t in vocab.triggers.values()
        )
        done = LogTrigger("done").button("Done") if picked else LogTrigger("none").button("None of these")
        return Reply(
            f"{lead}{texts('log')['triggers_question']}{tail}",
            opts + (done, CANCEL),
        )
    opts = tuple(LogIntensity(i).button(str(i)) for i in range(1, 6))
    return Reply(
        f"{lead}How strong was it, from 1 (barely noticeable) to 5 (very strong)? This one is optional.{tail}",
        opts + (LogIntensity("skip").button("Skip"),),
    )


def not_understood(step: str, text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "..."
    examples = {
        "when": 'a day or time, e.g. "yesterday 9pm", "20 Nov" or "3 days ago"',
        "which": "one of the places, or press All of them",
        "region": 'a body part, e.g. "left calf" or "eyelid"',
        "place": "a few words for where it was",
        "side": "left, right, both, or press Middle / no side",
        "duration": 'a length of time, e.g. "30s", "2 min" or "an hour"',
        "triggers": 'e.g. "coffee and stress", or press None of these',
        "intensity": "a number from 1 to 5, or press Skip",
    }
    return (
        f'I didn\'t understand "{shown}" here. Please answer with {examples[step]}. Nothing you told me so far is lost.'
    )
