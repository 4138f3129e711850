"""Small faults from the audit (issue 16, finding 11) that live in the engine."""

from __future__ import annotations

from tests.support.backends import backend  # noqa: F401


async def test_a_very_long_note_is_reported_with_its_real_length(chat):
    await chat.send("/note " + "x" * 1_000_000)
    assert "1,000,000 characters" in chat.text


async def test_a_failing_handler_is_named_in_the_log(chat, engine, caplog, monkeypatch):
    from dataclasses import replace

    async def broken(ctx):
        raise RuntimeError("boom")

    monkeypatch.setitem(engine.registry.commands, "journal", replace(engine.registry.commands["journal"], run=broken))
    caplog.set_level("ERROR")
    await chat.send("/journal")
    assert "Sorry, something went wrong" in chat.text
    assert any("command:journal" in r.getMessage() for r in caplog.records)
