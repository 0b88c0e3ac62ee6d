"""`sounding import ...` from the command line: counts on success, one clear line on error."""

from __future__ import annotations

import json

from sounding.cli import main
from sounding.store import Store
from tests.roster.mini_roster import DLM


def test_import_roster_prints_counts_and_quality(mini, tmp_path, capsys):
    db = tmp_path / "cli.db"
    assert main(["import", "roster", str(mini), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "enrollments" in out and "Data quality" in out
    assert main(["import", "roster", str(mini), "--db", str(db), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["import"]["counts"]["users"] == 6
    assert payload["import"]["written"] == {}
    assert payload["quality"]["counts"]["students with no evidence"] == 4


def test_bad_enrollment_is_one_error_line_and_nothing_changes(mini, tmp_path, capsys, edit):
    db = tmp_path / "cli.db"
    assert main(["import", "roster", str(mini), "--db", str(db)]) == 0
    with Store.open(db) as store:
        before = store.counts()
    capsys.readouterr()
    edit(mini, "enrollments.csv", lambda ls: ls + [
        f"e-x,,{DLM},c-999,sch-1,s-1,student,false,,"])
    assert main(["import", "roster", str(mini), "--db", str(db)]) == 1
    captured = capsys.readouterr()
    err = captured.err
    assert err.splitlines()[0] == ("Error: enrollments.csv, line 8, field classSourcedId: "
                                   "unknown class 'c-999'")
    assert "Traceback" not in err + captured.out
    assert "nothing was imported" in err
    with Store.open(db) as store:
        assert store.counts() == before


def test_responses_and_scores_commands(mini, tmp_path, capsys):
    db = tmp_path / "cli.db"
    resp = tmp_path / "r.csv"
    resp.write_text("student_id,item_id,standard,correct,timestamp,source\n"
                    "s-1,i1,4.NF.B.3,1,2026-04-01T10:00:00,classwork\n")
    scores = tmp_path / "s.csv"
    scores.write_text("student_id,year,grade,subject,scale_score,achievement_level\n"
                      "s-1,2026,4,math,455,3\n")
    assert main(["import", "roster", str(mini), "--db", str(db)]) == 0
    assert main(["import", "responses", str(resp), "--db", str(db), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index('{\n  "import": {\n    "kind": "responses"'):])[
        "import"]["written"] == {"responses": 1}
    assert main(["import", "scores", str(scores), "--db", str(db), "--max-score", "400"]) == 1
    assert "scale_score 455 is outside the plausible range 0..400" in capsys.readouterr().err
    assert main(["import", "scores", str(scores), "--db", str(db)]) == 0
    with Store.open(db) as store:
        assert store.counts()["scale_scores"] == 1


def test_missing_file_is_an_error_not_a_traceback(tmp_path, capsys):
    assert main(["import", "responses", str(tmp_path / "none.csv"), "--db",
                 str(tmp_path / "x.db")]) == 1
    assert "Error: file not found" in capsys.readouterr().err


def test_rejected_first_import_leaves_no_database_behind(tmp_path, capsys):
    bad = tmp_path / "roster.zip"
    bad.write_bytes(b"not a zip")
    db = tmp_path / "new.db"
    assert main(["import", "roster", str(bad), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "not a folder or a zip file" in err
    assert "Fix the file named above" in err  # no rows to fix: the hint says so
    assert not any(tmp_path.glob("new.db*"))


def test_roster_unchanged_row_by_row_after_rejection(mini, tmp_path, capsys, edit):
    """Counts alone could hide an in-place change: compare every stored row."""
    db = tmp_path / "cli.db"
    assert main(["import", "roster", str(mini), "--db", str(db)]) == 0
    tables = ("orgs", "classes", "users", "roles", "enrollments", "demographics")
    with Store.open(db) as store:
        before = {t: store.table(t).to_csv(index=False) for t in tables}
    edit(mini, "users.csv", lambda ls: [ls[0], *[ln.replace(",Ava,", ",Avery,") for ln in ls[1:]]])
    edit(mini, "enrollments.csv", lambda ls: ls + [f"e-x,,{DLM},c-999,sch-1,s-1,student,false,,"])
    assert main(["import", "roster", str(mini), "--db", str(db)]) == 1
    with Store.open(db) as store:
        assert {t: store.table(t).to_csv(index=False) for t in tables} == before
