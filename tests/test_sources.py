"""rules/facts.toml ships every fact of the medical basis; loaders reject unknown source ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rules.sources import Numbering, SourceError, check_sources, cited_ids, load_facts, references

ALL_IDS = (
    [f"BG-{i}" for i in range(1, 6)]
    + [f"RF-{i}" for i in range(1, 6)]
    + [f"CL-{i}" for i in range(1, 7)]
    + ["CL-RULE"]
    + [f"EY-{i}" for i in range(1, 4)]
    + [f"SC-{i}" for i in range(1, 7)]
    + [f"FQ-{i}" for i in range(1, 4)]
    + ["WC-1"]
    + [f"RD-{i}" for i in range(1, 7)]
    + [f"SF-{i}" for i in range(1, 6)]
    + ["GS-1", "GS-2"]
)


def test_every_fact_of_the_medical_basis_ships_with_text_and_origin():
    facts = load_facts()
    assert sorted(facts) == sorted(ALL_IDS)
    for f in facts.values():
        assert f.title and len(f.text) > 20 and f.origin
    assert "article" in facts["RF-1"].origin
    assert "Act FAST" in facts["SF-1"].origin
    assert "Pre-eclampsia" in facts["SF-4"].origin


def test_no_fact_points_into_the_shared_folder():
    text = Path("rules/facts.toml").read_text(encoding="utf-8")
    assert "../shared" not in text and "medical-basis.md" not in text


def test_check_sources_names_the_file_and_the_bad_id():
    check_sources(["BG-2", "SF-1", "CL-RULE"], "rules/x.toml")
    with pytest.raises(SourceError, match=r"rules/safety.toml line 7: source 'XX-9'"):
        check_sources(["BG-2", "XX-9"], "rules/safety.toml line 7")


def test_numbered_references_follow_first_use():
    n = Numbering()
    assert n.cite("RF-1") == "[1]"
    assert n.cite("BG-2", "RF-1") == "[1, 2]"
    lines = references(n.ids)
    assert lines[0].startswith("[1] Spreading to several areas")
    assert lines[1].startswith("[2] Most twitches are harmless")
    assert all(not re.search(r"\bRF-1\b", line) for line in lines)


def test_cited_ids_reads_citations_in_text():
    assert cited_ids("harmless (BG-2); see (EY-1, EY-2) and CL-RULE") == ["BG-2", "EY-1", "EY-2", "CL-RULE"]


def test_every_source_cited_in_any_rules_file_is_a_fact_of_facts_toml():
    import tomllib

    facts = load_facts()

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("source", "sources"):
                    for fid in [value] if isinstance(value, str) else value:
                        yield fid, f"{where}.{key}"
                else:
                    yield from walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for n, item in enumerate(node):
                yield from walk(item, f"{where}[{n}]")

    for path in sorted(Path("rules").glob("*.toml")):
        if path.name == "facts.toml":
            continue
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for fid, where in walk(data, path.name):
            assert fid in facts, f"{where}: {fid}"


async def test_sources_command_is_listed_in_help(chat):
    await chat.send("/help")
    assert "/sources" in chat.text
