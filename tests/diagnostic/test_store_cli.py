"""Diagnostic evidence in the store, and the CLI commands."""

from __future__ import annotations

import json
import zipfile

from sounding.cli import main
from sounding.diagnostic import DiagnosticEngine, default_model
from sounding.diagnostic.evidence import write_sessions
from sounding.diagnostic.students import students_from_district
from sounding.items import ItemBank
from sounding.simulate import DistrictSpec, simulate_district
from sounding.store import Store


def test_sessions_are_written_as_diagnostic_evidence_once(tmp_path):
    eng = DiagnosticEngine(default_model(), ItemBank.default(), max_items=5)
    studs = students_from_district(simulate_district(DistrictSpec(n_students=12, seed=3)))[:3]
    sessions = []
    for st in studs:
        s = eng.start(st.student_id, st.grade)
        eng.run(s, st.respond)
        sessions.append(s)
    with Store.open(tmp_path / "s.db") as store:
        info = write_sessions(store, eng, sessions)
        n = sum(s.n_answered for s in sessions)
        assert info["responses_added"] == n
        r = store.responses()
        assert len(r) == n and set(r["source"]) == {"diagnostic"}
        assert r["correct"].sum() == sum(a.correct for s in sessions for a in s.answers)
        m = store.mastery(model="diagnostic")
        assert len(m) == 3 * 288
        again = write_sessions(store, eng, sessions[:1])
        assert again["responses_added"] == 0
        assert len(store.mastery(model="diagnostic")) == 3 * 288


def test_cli_simulate_and_items(tmp_path, capsys):
    db = tmp_path / "d.db"
    assert main(["diagnostic", "simulate", "--students", "8", "--seed", "2", "--max-items",
                 "6", "--format", "json", "--db", str(db)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["students"] == 8 and out["items_max"] <= 6 and 0 <= out["exact_placement"] <= 1
    with Store.open(db) as store:
        assert len(store.responses()) == out["store"]["responses_added"] > 0
    assert main(["items", "show", "5.NF.A.1", "--n", "2", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown) == 2 and "<math" in shown[0]["html"]
    pkg = tmp_path / "bank.zip"
    assert main(["items", "export", "--format", "qti", "-o", str(pkg), "--standard",
                 "3.NF.A.1", "--standard", "A-REI.B.4"]) == 0
    capsys.readouterr()
    with zipfile.ZipFile(pkg) as z:
        assert "imsmanifest.xml" in z.namelist() and len(z.namelist()) == 5
    assert main(["items", "import", str(pkg), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["items"] == 4 and info["standards"] == 2
    assert main(["items", "show", "NOPE.1"]) == 1
    bad = tmp_path / "bad.zip"
    bad.write_text("x")
    assert main(["items", "import", str(bad)]) == 1


def test_take_in_the_terminal_saves_after_every_answer_and_resumes(tmp_path):
    from typer.testing import CliRunner

    from sounding.cli import app
    from sounding.diagnostic import DiagnosticSession

    f = tmp_path / "s.json"
    runner = CliRunner()
    args = ["diagnostic", "take", "--grade", "5", "--student", "s1", "--session", str(f),
            "--max-items", "4"]
    r = runner.invoke(app, args, input="1\n2\n")  # the input ends: the terminal is closed
    assert r.exit_code != 0
    s = DiagnosticSession.from_json(f.read_text())
    assert s.n_answered == 2 and s.pending is not None and not s.done
    pending = s.pending
    r = runner.invoke(app, args + ["--db", str(tmp_path / "d.db")], input="3\n4\n5\n6\n")
    assert r.exit_code == 0, r.output
    assert "ready to learn next" in r.output and "Welcome back" in r.output
    s = DiagnosticSession.from_json(f.read_text())
    assert s.done and s.n_answered == 4 and s.answers[2].item_id == pending
    with Store.open(tmp_path / "d.db") as store:
        assert len(store.responses()) == 4
