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
