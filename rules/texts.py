"""Texts Flicker says that rest on the medical basis, from rules/texts.toml, checked on load.

Replies written in handlers/ and bot/ read their health sentences here instead of keeping them
as Python strings, so every sentence that cites a fact ("(BG-2)") lives in rules/*.toml and is
checked against rules/facts.toml. Each table is named after the module that reads it; a text
may hold `{placeholders}` that the reader fills with `str.format`.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from rules.sources import SourceError, check_text_cites

TEXTS_PATH = Path(__file__).with_name("texts.toml")


class TextsError(ValueError):
    """rules/texts.toml is malformed or cites an unknown fact; the message says where."""


@lru_cache(maxsize=2)
def load_texts(path: Path | str = TEXTS_PATH) -> dict[str, dict[str, str]]:
    """Every table of the file -> its texts, each checked: non-empty, citing only known facts."""
    name = Path(path).name
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TextsError(f"rules/{name}: {exc}") from exc
    out: dict[str, dict[str, str]] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise TextsError(f"rules/{name}: {section!r} must be a [table] of texts")
        texts: dict[str, str] = {}
        for key, value in table.items():
            where = f"rules/{name} [{section}].{key}"
            if not isinstance(value, str) or not value.strip():
                raise TextsError(f"{where} must be a non-empty text")
            try:
                check_text_cites(value, where)
            except SourceError as exc:
                raise TextsError(str(exc)) from exc
            texts[key] = value
        out[section] = texts
    return out


def texts(section: str) -> dict[str, str]:
    """The texts of one table of rules/texts.toml ("log_advice", "chat", ...)."""
    try:
        return load_texts()[section]
    except KeyError:
        raise TextsError(f"rules/texts.toml has no [{section}] table") from None
