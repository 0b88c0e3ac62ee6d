"""CASE 1.1 export and import give back the same graph."""

from __future__ import annotations

import json

import pytest

from sounding.cli import main
from sounding.errors import InvalidFramework
from sounding.progression import from_case, load_default, read_case, to_case, write_case


def test_export_then_import_reproduces_the_graph(tmp_path):
    g = load_default()
    path = write_case(g, tmp_path / "ccss.case.json")
    back = read_case(path)
    assert set(back.codes) == set(g.codes)
    assert set(back.edges("substandard")) == set(g.edges("substandard"))
    assert set(back.edges("standard")) == set(g.edges("standard"))
    assert back == g  # every node field too (grade, domain, cluster, emphasis, parent, text)


def test_package_shape_follows_case(tmp_path):
    pkg = to_case(load_default())
    assert {"CFDocument", "CFItems", "CFAssociations"} <= pkg.keys()
    kinds = {a["associationType"] for a in pkg["CFAssociations"]}
    assert kinds == {"isChildOf", "precedes"}
    precedes = [a for a in pkg["CFAssociations"] if a["associationType"] == "precedes"]
    assert len(precedes) == 757
    by_id = {i["identifier"]: i for i in pkg["CFItems"]}
    a = next(
        a for a in precedes
        if by_id[a["originNodeURI"]["identifier"]]["humanCodingScheme"] == "4.NF.A.1"
        and by_id[a["destinationNodeURI"]["identifier"]]["humanCodingScheme"] == "5.NF.A.1"
    )
    assert a["CFDocumentURI"]["identifier"] == pkg["CFDocument"]["identifier"]
    assert by_id[a["originNodeURI"]["identifier"]]["educationLevel"] == ["04"]


def test_foreign_framework_without_extensions_still_loads():
    pkg = to_case(load_default())
    for it in pkg["CFItems"]:
        it.pop("extensions", None)
    g = from_case(pkg)
    assert set(g.edges()) == set(load_default().edges())
    s = g["4.NF.B.3a"]
    assert (s.grade, s.domain_code, s.cluster_code, s.parent) == ("4", "NF", "B", "4.NF.B.3")


def test_bad_framework_errors_name_the_problem(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(InvalidFramework, match="bad.json, line 1: not valid JSON"):
        read_case(p)
    pkg = to_case(load_default())
    pkg["CFAssociations"][-1]["destinationNodeURI"]["identifier"] = "nope"
    with pytest.raises(InvalidFramework, match="precedes association"):
        from_case(pkg)


def test_cli_export_and_check(tmp_path, capsys):
    out = tmp_path / "p.json"
    assert main(["progression", "export", "--format", "case", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["CFDocument"]["title"].startswith("Achieve the Core")
    capsys.readouterr()
    assert main(["progression", "check", str(out), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"] == 480
