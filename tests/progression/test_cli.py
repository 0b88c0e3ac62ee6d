"""`sounding progression show|stats` for people and scripts."""

from __future__ import annotations

import json

from sounding.cli import main


def test_show_json_lists_direct_and_all_prerequisites(capsys):
    assert main(["progression", "show", "5.NF.A.1", "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["prerequisites"] == ["4.NF.A.1", "4.NF.B.3"]
    assert any(c.startswith("3.NF") for c in info["all_prerequisites"])
    assert "6.NS.B.4" in info["all_unlocks"] or info["unlocks"]


def test_show_text_draws_the_tree(capsys):
    assert main(["progression", "show", "5.NF.A.1"]) == 0
    out = capsys.readouterr().out
    assert "Rests on" in out and "4.NF.A.1" in out and "3.NF.A.3" in out and "Unlocks" in out


def test_show_unknown_standard_is_one_line_error(capsys):
    assert main(["progression", "show", "9.XX.A.1"]) == 1
    err = capsys.readouterr().err
    assert "Error: unknown standard '9.XX.A.1'" in err
    assert "Traceback" not in err


def test_stats_json(capsys):
    assert main(["progression", "stats", "--format", "json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["nodes"] == 480 and st["is_dag"] is True


def test_export_json_to_stdout_is_the_graph(capsys):
    from sounding.progression import load_default

    assert main(["progression", "export", "--format", "json", "-o", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    g = load_default()
    assert len(data["standards"]) == len(g)
    assert {(e["from"], e["to"]) for e in data["edges"]} == set(g.edges())
    assert {(e["from"], e["to"]) for e in data["edges_standard_level"]} == set(
        g.edges(level="standard"))


def test_export_case_file_then_check(tmp_path, capsys):
    out = tmp_path / "p.case.json"
    assert main(["progression", "export", "--format", "case", "-o", str(out)]) == 0
    assert main(["progression", "check", str(out), "--format", "json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["nodes"] == 480


def test_imported_framework_is_the_progression_of_the_database(tmp_path, capsys):
    """A district's own framework, once imported, is what every command uses; evidence on a
    standard it lacks is refused, and a framework that would orphan stored evidence is too."""
    from sounding.progression import load_default, write_case
    from sounding.store import Store

    g = load_default()
    no_k = tmp_path / "no_k.json"
    write_case(g.restrict([c for c in g.codes if not c.startswith("K.")]), no_k)
    db = str(tmp_path / "s.db")
    assert main(["import", "framework", str(no_k), "--db", db, "--format", "json"]) == 0
    rep = json.loads(capsys.readouterr().out)["import"]
    assert rep["written"] == {"frameworks": 1} and rep["rows"]["standards"] == len(g) - 22 - 3
    assert main(["import", "framework", str(no_k), "--db", db, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["import"]["written"] == {"frameworks": 0}
    assert main(["progression", "stats", "--db", db, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"] == rep["rows"]["standards"]
    assert main(["progression", "show", "K.CC.A.1", "--db", db]) == 1
    assert "unknown standard" in capsys.readouterr().err
    with Store.open(db) as store:
        assert "K.CC.A.1" not in store.progression()
    assert main(["import", "framework", "--reset", "--db", db]) == 0
    with Store.open(db) as store:
        assert "K.CC.A.1" in store.progression()


def test_framework_that_would_orphan_evidence_is_refused(tmp_path, capsys):
    from sounding.progression import load_default, write_case
    from sounding.store import Store
    from tests.roster.mini_roster import write_mini

    g = load_default()
    db = str(tmp_path / "s.db")
    roster = write_mini(tmp_path / "roster")
    assert main(["import", "roster", str(roster), "--db", db]) == 0
    with Store.open(db) as store:
        sid = sorted(store.student_ids())[0]
    (tmp_path / "r.csv").write_text("student_id,item_id,standard,correct,timestamp\n"
                                    f"{sid},i1,K.CC.A.1,1,2025-10-01T09:00:00\n")
    assert main(["import", "responses", str(tmp_path / "r.csv"), "--db", db]) == 0
    no_k = tmp_path / "no_k.json"
    write_case(g.restrict([c for c in g.codes if not c.startswith("K.")]), no_k)
    capsys.readouterr()
    assert main(["import", "framework", str(no_k), "--db", db]) == 1
    err = capsys.readouterr().err
    assert "K.CC.A.1" in err and "Traceback" not in err
    with Store.open(db) as store:
        assert store.framework() is None
