"""`sounding growth report` and the query layer give the same figures on the same store
(the HTML report's growth page is drawn from the same growth frames)."""

from __future__ import annotations

import json

import pytest

from sounding.access import Principal, Role
from sounding.cli import main
from sounding.errors import NotFound
from sounding.services import Context, district_growth, school_growth
from sounding.services.growth import growth_frames
from sounding.store import Store


@pytest.fixture(scope="module")
def scores_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("growth")
    dist = root / "dist"
    assert main(["simulate", "-n", "1600", "--seed", "11", "--out", str(dist),
                 "--format", "json"]) == 0
    db = str(root / "g.db")
    for kind, path in (("roster", dist / "oneroster"), ("scores", dist / "scores.csv")):
        assert main(["import", kind, str(path), "--db", db, "--format", "json"]) == 0
    return db


def test_growth_report_and_services_agree(scores_db, capsys):
    capsys.readouterr()
    assert main(["growth", "report", "--level", "school", "--db", scores_db,
                 "--format", "json"]) == 0
    cli_rows = json.loads(capsys.readouterr().out)["rows"]
    assert cli_rows
    with Store.open(scores_db) as store:
        ctx = Context.operator(store)
        schools = sorted({r["school_id"] for r in cli_rows if r["school_id"] in
                          set(store.orgs()["org_id"])})
        service_rows = [r for s in schools for r in school_growth(ctx, s)["rows"]]
        frames = growth_frames(ctx)
    cli_same = [r for r in cli_rows if r["school_id"] in schools]
    key = ("school_id", "subject", "subgroup_type", "subgroup")
    by_key = {tuple(r[k] for k in key): r for r in service_rows}
    assert len(by_key) == len(cli_same)
    for r in cli_same:
        assert by_key[tuple(r[k] for k in key)] == r
    assert frames["sgp"]["sgp"].notna().any()


def test_a_state_analyst_gets_suppressed_district_rows_only(scores_db):
    with Store.open(scores_db) as store:
        orgs = store.orgs()
        state = orgs[orgs["type"] == "state"]["org_id"].iloc[0]
        district = orgs[orgs["type"] == "district"]["org_id"].iloc[0]
        ctx = Context(store, Principal("s", Role.state))
        out = district_growth(ctx, district, public=False, min_n=1)  # the role overrides
        assert out["public"] is True and out["min_n"] == 10
        assert out["rows"] and '"student_id"' not in json.dumps(out)
        with pytest.raises(NotFound):
            district_growth(ctx, "org-nowhere")
        with pytest.raises(NotFound):
            school_growth(Context(store, Principal("p", Role.provider,
                                                   frozenset({"nobody"}))), "sch-0001")
        assert state in Context(store, Principal("s", Role.state)).reach.states
