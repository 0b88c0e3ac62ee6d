"""`sounding report family`: the printable page from a store, dated like the plan."""

from __future__ import annotations

from sounding.cli import main
from sounding.planning.from_store import load_inputs
from tests.planning.test_store import base_store, db  # noqa: F401  (fixtures)


def test_family_page_is_dated_by_the_latest_evidence_unless_told(db, tmp_path, capsys):  # noqa: F811
    inputs = load_inputs(db)
    sid = str(inputs.students["student_id"].iloc[0])
    out = tmp_path / "family.html"
    assert main(["report", "family", "--student", sid, "--db", db, "-o", str(out)]) == 0
    assert inputs.latest_answer().strftime("%B %-d, %Y") in out.read_text()
    capsys.readouterr()
    assert main(["report", "family", "--student", sid, "--db", db, "--as-of", "2026-03-03"]) == 0
    assert "March 3, 2026" in capsys.readouterr().out
    assert main(["report", "family", "--student", sid, "--db", db, "--as-of", "soon"]) == 1
    assert "is not a date" in capsys.readouterr().err
