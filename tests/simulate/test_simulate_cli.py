"""`sounding simulate` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sounding.cli import app, main
from sounding.cli.simulate import parse_grades
from sounding.errors import InvalidInput

runner = CliRunner()


def test_simulate_text(tmp_path: Path) -> None:
    res = runner.invoke(app, ["simulate", "--students", "300", "--seed", "5", "--out",
                              str(tmp_path)])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())  # Rich wraps to the terminal width
    assert "300 students" in out
    assert "Proficient on grade-level standards" in out
    assert (tmp_path / "oneroster" / "users.csv").is_file()
    assert (tmp_path / "truth" / "mastery.parquet").is_file()


def test_simulate_json_is_only_json(tmp_path: Path) -> None:
    res = runner.invoke(app, ["simulate", "-n", "240", "--seed", "1", "--out", str(tmp_path),
                              "--grades", "4,8", "--chunk", "100", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["n_students"] == 240
    assert set(data["students_by_grade"]) == {"4", "8"}
    assert 0 <= data["proficiency_by_grade"]["4"] <= 1
    assert "responses.parquet" in data["files"]


def test_simulate_deterministic_from_cli(tmp_path: Path) -> None:
    for sub in ("a", "b"):
        assert main(["simulate", "-n", "200", "--seed", "9", "--out", str(tmp_path / sub),
                     "--format", "json"]) == 0
    a = (tmp_path / "a" / "responses.csv").read_bytes()
    assert a == (tmp_path / "b" / "responses.csv").read_bytes()


def test_bad_grades_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["simulate", "-n", "100", "--out", str(tmp_path), "--grades", "3-12"]) == 1
    assert "Error:" in capsys.readouterr().err


@pytest.mark.parametrize("text,expected", [
    ("3-8", (3, 4, 5, 6, 7, 8)), ("K-2", (0, 1, 2)), ("4,8", (4, 8)), ("6", (6,)),
    ("kg-1, 5", (0, 1, 5)),
])
def test_parse_grades(text: str, expected: tuple[int, ...]) -> None:
    assert parse_grades(text) == expected


@pytest.mark.parametrize("text", ["", "8-3", "x", "3-9"])
def test_parse_grades_rejects(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_grades(text)
