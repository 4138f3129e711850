"""The engine's currency: the only values that cross between adapters and the engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: typed text or pressed a choice."""

    platform: str  # "console" | "telegram" | "discord"
    user_id: str  # the platform's user id, as text
    text: str | None = None
    choice: str | None = None  # id of a pressed choice, e.g. "log:region:eyelid"
    chat_id: str | None = None
    private: bool = True  # a private chat / DM, not a group or guild channel
    at: datetime | None = None  # when the platform says it happened (aware)
    display_name: str | None = None


@dataclass(frozen=True)
class Choice:
    id: str  # "namespace:payload"; adapters must round-trip it unchanged
    label: str


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    media_type: str  # "image/png" is sent as a photo, anything else as a document

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    attachment: Attachment | None = None
    private: bool = True  # health content: only ever shown in a private chat
    aloud: bool = False  # say it in the group too, to everyone there (an emergency instruction)


def choices(*pairs: tuple[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(id=i, label=label) for i, label in pairs)
