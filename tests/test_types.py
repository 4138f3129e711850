"""mypy (config in pyproject.toml) reports no errors: bot/ and rules/ stay strictly typed."""

from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # mypy reads pyproject.toml and `files` from the working directory
    stdout, stderr, status = api.run([])
    assert status == 0, stdout + stderr
