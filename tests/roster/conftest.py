"""Roster test fixtures: a tiny hand-written OneRoster 1.2 export (every line known), and
``db_url`` (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests._pg import db_url  # noqa: F401  (fixture)
from tests.roster.mini_roster import write_mini


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A valid OneRoster 1.2 folder: 1 state, 1 district, 2 schools, 2 classes, 2 teachers,
    4 students."""
    return write_mini(tmp_path / "oneroster")


@pytest.fixture
def edit() -> Callable[[Path, str, Callable[[list[str]], list[str]]], None]:
    """edit(folder, "enrollments.csv", fn): replace a file's lines (header first) by fn(lines)."""
    def _edit(folder: Path, name: str, fn: Callable[[list[str]], list[str]]) -> None:
        path = folder / name
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(fn(lines)) + "\n", encoding="utf-8")
    return _edit
