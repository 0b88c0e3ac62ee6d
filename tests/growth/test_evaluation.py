"""WWC program evaluation: effect sizes by hand, attrition boundaries, simulated programs, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sounding.cli import main
from sounding.errors import InvalidInput
from sounding.growth.evaluation import (
    DOES_NOT_MEET,
    MEETS_WITH,
    MEETS_WITHOUT,
    attrition_boundary,
    attrition_is_low,
    cox_index,
    equivalence_status,
    evaluate_program,
    hedges_g,
    icc_anova,
    propensity_scores,
    simulate_program,
    small_sample_correction,
    wwc_cluster_correction,
)

DEMOGRAPHICS = ["english_learner", "disability", "economically_disadvantaged"]


def run(df: pd.DataFrame, **kw):
    kw.setdefault("baseline_cols", ["prior_score", "prior_score_2"])
    kw.setdefault("match_on", DEMOGRAPHICS)
    return evaluate_program(df, treatment_col="treated", outcome_col="outcome", **kw)


# --------------------------------------------------------------------------- by hand


def test_hedges_g_by_hand():
    # means 4 and 2; SDs 2 and 1; pooled sqrt((2*4 + 2*1) / 4) = sqrt(2.5);
    # omega = 1 - 3 / (4*6 - 9) = 0.8
    g = hedges_g([2, 4, 6], [1, 2, 3])
    assert small_sample_correction(6) == pytest.approx(0.8)
    assert g == pytest.approx(0.8 * 2 / math.sqrt(2.5))
    assert g == pytest.approx(1.011929, abs=1e-6)
    assert hedges_g([1, 2, 3], [2, 4, 6]) == pytest.approx(-g)
    # a regression-adjusted difference keeps the unadjusted pooled SD
    assert hedges_g([2, 4, 6], [1, 2, 3], difference=1.0) == pytest.approx(0.8 / math.sqrt(2.5))
    with pytest.raises(InvalidInput):
        hedges_g([1], [2, 3])


def test_cox_index_by_hand():
    t = [1] * 6 + [0] * 4   # 60 %
    c = [1] * 4 + [0] * 6   # 40 %
    lor = math.log(0.6 / 0.4) - math.log(0.4 / 0.6)
    assert cox_index(t, c) == pytest.approx((1 - 3 / (4 * 20 - 9)) * lor / 1.65)


def test_equivalence_categories():
    assert equivalence_status(0.05) == "satisfied"
    assert equivalence_status(-0.051) == "requires adjustment"
    assert equivalence_status(0.25) == "requires adjustment"
    assert equivalence_status(0.2501) == "not satisfied"


def test_attrition_boundaries():
    assert attrition_boundary(0.10) == pytest.approx(0.063)
    assert attrition_boundary(0.10, boundary="optimistic") == pytest.approx(0.109)
    assert attrition_boundary(0.0) == pytest.approx(0.057)
    assert attrition_boundary(0.30) == pytest.approx(0.041)
    # between anchors: linear, never above the tabulated value (12 % -> 6.2 in the table)
    assert attrition_boundary(0.12) == pytest.approx(0.0614)
    assert attrition_boundary(0.57) == pytest.approx(0.0)
    assert attrition_boundary(0.60) is None
    assert attrition_boundary(0.60, boundary="optimistic") == pytest.approx(0.014)
    assert attrition_is_low(0.08, 0.03)
    assert not attrition_is_low(0.30, 0.06)
    assert attrition_is_low(0.30, 0.06, boundary="optimistic")
    assert not attrition_is_low(0.70, 0.0, boundary="optimistic")
    with pytest.raises(InvalidInput):
        attrition_boundary(1.5)
    with pytest.raises(InvalidInput):
        attrition_boundary(0.1, boundary="liberal")  # type: ignore[arg-type]


def test_icc_and_cluster_correction():
    # two clusters, no variation within: ICC 1 (clipped just below)
    assert icc_anova([1, 1, 1, 5, 5, 5], [0, 0, 0, 1, 1, 1]) > 0.99
    # cluster means equal: ICC 0
    assert icc_anova([1, 2, 3, 1, 2, 3], [0, 0, 0, 1, 1, 1]) == 0.0
    rng = np.random.default_rng(0)
    u = np.repeat(rng.normal(0, math.sqrt(0.2), 400), 25)
    y = u + rng.normal(0, math.sqrt(0.8), len(u))
    assert icc_anova(y, np.repeat(np.arange(400), 25)) == pytest.approx(0.2, abs=0.04)
    # no clustering: the t statistic and N - 2 degrees of freedom are unchanged
    t, h = wwc_cluster_correction(2.5, 200, 10, 0.0)
    assert t == pytest.approx(2.5) and h == pytest.approx(198)
    t, _ = wwc_cluster_correction(2.5, 200, 10, 0.2)
    assert t < 2.5 / 2  # design effect about 1 + 19 * 0.2 = 4.8


def test_propensity_scores_recover_a_logistic_model():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4000, 1))
    p = 1 / (1 + np.exp(-(0.5 + 1.5 * x[:, 0])))
    t = rng.random(4000) < p
    est = propensity_scores(x, t)
    assert np.abs(est - p).max() < 0.08


# --------------------------------------------------------------------- simulated programs


def test_confidence_interval_covers_the_true_effect():
    covered = 0
    for seed in range(100):
        result = run(simulate_program(seed=seed, effect=0.2, n_schools=30,
                                      students_per_school=25))
        covered += result.effect.ci_low <= 0.2 <= result.effect.ci_high
    assert covered >= 85, covered


def test_point_estimate_is_close_on_a_large_sample():
    df = simulate_program(seed=11, n_schools=300, students_per_school=40, effect=0.2,
                          treated_share=0.3)
    result = run(df)
    assert result.effect.g == pytest.approx(0.2, abs=0.05)
    assert result.effect.significant
    assert result.verdict == MEETS_WITH
    assert result.effect.ci_high - result.effect.ci_low < 0.2
    assert all(b.status == "satisfied" for b in result.baseline)


def test_no_effect_is_not_significant_usually():
    significant = sum(run(simulate_program(seed=s, effect=0.0, n_schools=30,
                                           students_per_school=25)).effect.significant
                      for s in range(40))
    assert significant <= 6


def test_biased_comparison_does_not_meet_standards():
    df = simulate_program(seed=5, selection=3.0, treated_share=0.5)
    result = run(df, baseline_cols=["prior_score"], matching="none")
    check = result.baseline[0]
    assert abs(check.g) > 0.25 and check.status == "not satisfied"
    assert result.verdict == DOES_NOT_MEET
    assert "prior_score" in result.reasons[0]
    assert "0.25" in result.reasons[0]
    # matching on the propensity score (with a caliper) repairs the comparison group
    repaired = run(df, baseline_cols=["prior_score"], matching="propensity")
    assert abs(repaired.baseline[0].g) <= 0.25
    assert repaired.verdict == MEETS_WITH
    assert repaired.matching["unmatched"] > 0


def test_moderate_imbalance_needs_adjustment():
    df = simulate_program(seed=2, selection=0.6, treated_share=0.5)
    kw = {"baseline_cols": ["prior_score"], "matching": "none"}
    g = run(df, **kw).baseline[0].g
    assert 0.05 < abs(g) <= 0.25, g
    assert run(df, adjust="needed", **kw).verdict == MEETS_WITH
    unadjusted = run(df, adjust="none", **kw)
    assert unadjusted.verdict == DOES_NOT_MEET
    assert any("does not adjust" in r for r in unadjusted.reasons)


def test_randomized_design_and_attrition():
    df = simulate_program(seed=4, attrition_rate=0.05)
    rct = run(df, design="rct", baseline_cols=["prior_score"])
    assert rct.verdict == MEETS_WITHOUT
    assert rct.attrition.low and rct.attrition.overall == pytest.approx(
        df["outcome"].isna().mean())
    # program students leave far more often: high attrition, then baseline equivalence decides
    leaky = df.copy()
    rng = np.random.default_rng(0)
    leaky.loc[leaky["treated"] & (rng.random(len(df)) < 0.25), "outcome"] = np.nan
    high = run(leaky, design="rct", baseline_cols=["prior_score"])
    assert not high.attrition.low
    assert high.verdict in (MEETS_WITH, DOES_NOT_MEET)
    assert "high attrition" in " ".join(high.reasons)
    assert run(leaky, design="rct", baseline_cols=["prior_score"],
               attrition="optimistic").attrition.boundary == "optimistic"


def test_single_program_school_is_confounded():
    df = simulate_program(seed=1, n_schools=20)
    df["treated"] = df["school_id"] == "SCH000"
    result = run(df)
    assert result.verdict == DOES_NOT_MEET
    assert "single school" in result.reasons[0]


def test_result_to_dict_is_json_ready():
    result = run(simulate_program(seed=3))
    d = json.loads(json.dumps(result.to_dict()))
    assert d["verdict"] == result.verdict
    assert set(d["effect"]) >= {"g", "ci_low", "ci_high", "p_value", "icc", "significant"}
    assert [b["measure"] for b in d["baseline"]] == ["prior_score", "prior_score_2"]
    assert "Hedges' g" in result.to_text()


def test_bad_inputs():
    df = simulate_program(seed=0, n_schools=6)
    with pytest.raises(InvalidInput, match="missing"):
        run(df, baseline_cols=["prior_x"])
    with pytest.raises(InvalidInput, match="true/false"):
        run(df.assign(treated="maybe"))
    with pytest.raises(InvalidInput):
        run(df.assign(treated=False))


# ------------------------------------------------------------------------------------ CLI


def test_cli_program_json_and_text(tmp_path, capsys):
    path = tmp_path / "students.csv"
    simulate_program(seed=6).to_csv(path, index=False)
    args = ["evaluate", "program", "--students", str(path), "--outcome-col", "outcome",
            "--baseline-cols", "prior_score,prior_score_2", "--match-on",
            "english_learner,disability"]
    assert main([*args, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == MEETS_WITH and out["matching"]["method"] == "nearest"
    assert main(args) == 0
    assert "Verdict: Meets WWC standards with reservations" in capsys.readouterr().out

    parquet = tmp_path / "students.parquet"
    simulate_program(seed=6).to_parquet(parquet)
    assert main([*args[:3], str(parquet), *args[4:], "--design", "rct", "--matching",
                 "none", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["design"] == "rct"


def test_cli_reports_file_line_and_field(tmp_path, capsys):
    path = tmp_path / "students.csv"
    df = simulate_program(seed=6, n_schools=6)
    df["treated"] = df["treated"].astype(str)
    df.loc[4, "treated"] = "perhaps"
    df.to_csv(path, index=False)
    assert main(["evaluate", "program", "--students", str(path), "--outcome-col", "outcome",
                 "--baseline-cols", "prior_score"]) == 1
    err = capsys.readouterr().err
    assert "line 6" in err and "field treated" in err
    assert main(["evaluate", "program", "--students", str(path), "--outcome-col", "gain"]) == 1
    assert "field gain: required column is missing" in capsys.readouterr().err
