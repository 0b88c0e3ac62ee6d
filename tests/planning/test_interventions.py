"""Intervention logs: validation, and mastery change since each intervention started."""

from __future__ import annotations

import pandas as pd
import pytest

from sounding.errors import InvalidData, NotFound
from sounding.planning import bkt_estimator, progress_monitoring, read_intervention_log

HEADER = "student_id,intervention,standards,start_date,end_date,minutes,provider\n"


def _log(tmp_path, body):
    p = tmp_path / "log.csv"
    p.write_text(HEADER + body)
    return p


def test_reads_lists_and_rolls_up(tmp_path):
    p = _log(tmp_path, 's1,Fraction tutoring,4.NF.B.3a;4.NF.A.1,2025-10-01,2025-11-30,600,Acme\n'
                       's2,Fraction tutoring,"4.NF.B.3, 4.NF.A.1",2025-10-01,,,Acme\n')
    log = read_intervention_log(p)
    assert list(log["record_id"]) == [2, 3]
    assert log["standards"].iloc[0] == ("4.NF.B.3", "4.NF.A.1")
    assert log["standards"].iloc[1] == ("4.NF.B.3", "4.NF.A.1")
    assert log["end_date"].iloc[1] is None and pd.isna(log["minutes"].iloc[1])


def test_validation_names_file_line_field(tmp_path):
    p = _log(tmp_path, "s1,Tutoring,4.NF.A.1,2025-10-01,2025-11-30,60,Acme\n"
                       ",,4.NF.Z.1,2025-13-01,,ten,Acme\n"
                       "s3,Tutoring,,2025-10-01,2025-09-01,5,Acme\n")
    with pytest.raises(InvalidData) as err:
        read_intervention_log(p)
    got = {(pr.line, pr.field) for pr in err.value.problems}
    assert got == {(3, "student_id"), (3, "intervention"), (3, "standards"), (3, "start_date"),
                   (3, "minutes"), (4, "standards"), (4, "end_date")}
    assert all(pr.file == str(p) for pr in err.value.problems)
    with pytest.raises(NotFound):
        read_intervention_log(tmp_path / "missing.csv")
    (tmp_path / "bad.csv").write_text("student_id,intervention\ns1,x\n")
    with pytest.raises(InvalidData, match="standards"):
        read_intervention_log(tmp_path / "bad.csv")


def _responses():
    rows = []
    for day in pd.date_range("2025-09-01", "2025-12-01", freq="7D"):
        after = day >= pd.Timestamp("2025-10-01")
        rows.append(("s1", "4.NF.B.3a", int(after), day.isoformat()))  # improves once started
        rows.append(("s2", "4.NF.B.3", 0, day.isoformat()))  # no change
    return pd.DataFrame(rows, columns=["student_id", "standard", "correct", "timestamp"])


def test_progress_since_start(tmp_path):
    log = read_intervention_log(_log(
        tmp_path, "s1,Tutoring,4.NF.B.3;4.NF.A.1,2025-10-01,2025-11-30,600,Acme\n"
                  "s2,Tutoring,4.NF.B.3,2025-10-01,,,Acme\n"))
    rep = progress_monitoring(log, _responses())
    d = rep.detail.set_index(["student_id", "standard"])
    assert d.loc[("s1", "4.NF.B.3"), "change"] > 0.5
    assert d.loc[("s1", "4.NF.B.3"), "n_before"] == 5
    # no answers on 4.NF.A.1, but the graph-aware model reads it from its successor 4.NF.B.3
    assert d.loc[("s1", "4.NF.A.1"), "n_before"] == 0
    assert d.loc[("s1", "4.NF.A.1"), "change"] > 0
    assert abs(d.loc[("s2", "4.NF.B.3"), "change"]) < 0.05
    r = rep.records.set_index("student_id")
    assert r.loc["s1", "status"] == "improving"
    assert r.loc["s1", "n_answers_since_start"] == 8  # weekly, Oct 6 .. Nov 24
    assert r.loc["s2", "status"].startswith("little change")
    by = rep.by_intervention()
    assert by["n_records"].iloc[0] == 2 and by["minutes"].iloc[0] == 600
    assert rep.to_dict()["records"][0]["standards"] == ["4.NF.B.3", "4.NF.A.1"]


def test_estimator_is_pluggable(tmp_path):
    log = read_intervention_log(_log(tmp_path, "s1,Tutoring,4.NF.B.3,2025-10-01,,,Acme\n"))

    def share_correct(resp: pd.DataFrame) -> pd.DataFrame:
        out = resp.groupby(["student_id", "standard"])["correct"].mean().reset_index()
        return out.rename(columns={"correct": "p_mastered"})

    rep = progress_monitoring(log, _responses(), estimator=share_correct)
    row = rep.detail.iloc[0]
    assert row["p_before"] == 0.0 and row["p_after"] == pytest.approx(9 / 14)


def test_bkt_estimator_moves_with_answers():
    resp = pd.DataFrame({"student_id": ["a"] * 4 + ["b"] * 4, "standard": "x",
                         "correct": [0, 0, 1, 1, 1, 1, 1, 1],
                         "timestamp": list(range(4)) * 2})
    est = bkt_estimator(resp).set_index("student_id")
    assert est.loc["b", "p_mastered"] > est.loc["a", "p_mastered"] > 0.3
    assert est.loc["a", "n_evidence"] == 4


def test_progress_is_the_mastery_models_own_estimate(tmp_path):
    from sounding.mastery.graph_model import GraphMastery
    from sounding.progression import load_default

    graph = load_default().k8_algebra1()
    resp = _responses()
    extra = pd.DataFrame({"student_id": "s1", "standard": ["4.OA.A.1", "3.NF.A.1"],
                          "correct": [1, 0],
                          "timestamp": ["2025-09-10T00:00:00", "2025-11-15T00:00:00"]})
    resp = pd.concat([resp, extra], ignore_index=True)
    frame = pd.DataFrame({"user_id": resp["student_id"], "skill_name": resp["standard"],
                          "correct": resp["correct"],
                          "order_id": pd.to_datetime(resp["timestamp"])})
    grades = {"s1": 4, "s2": 4}
    model = GraphMastery(graph, max_iter=5).fit(frame, grades=grades)
    log = read_intervention_log(_log(tmp_path, "s1,Tutoring,4.NF.B.3,2025-10-01,2025-11-30,,A\n"))
    rep = progress_monitoring(log, resp, model=model, grades=grades, graph=graph)
    row = rep.detail.iloc[0]
    ts = frame["order_id"]
    s1 = frame["user_id"] == "s1"

    def p(mask) -> float:
        post = model.posterior(frame[s1 & mask], grades={"s1": 4})
        return float(post.loc[post["standard"] == "4.NF.B.3", "p_mastered"].iloc[0])

    # before: every answer of s1 (on any standard) before the start; after: up to the end date
    assert row["p_before"] == pytest.approx(p(ts < pd.Timestamp("2025-10-01")))
    assert row["p_after"] == pytest.approx(p(ts < pd.Timestamp("2025-12-01")))
    assert row["n_before"] == 5 and row["n_after"] == 13
