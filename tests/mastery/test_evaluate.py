"""Cross-validation: AUC by hand, student folds, given folds, pluggable models, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sounding.cli import main
from sounding.errors import InvalidEvidence, InvalidInput
from sounding.evidence.kt_sequences import is_kt_sequences, read_akt_folder, read_kt_sequences
from sounding.mastery import BKT, auc_score, cross_validate, simulate_bkt
from sounding.mastery.evaluate import accuracy, rmse, student_folds

PARAMS = pd.DataFrame({"prior": [0.3, 0.5], "learn": [0.2, 0.1], "guess": [0.15, 0.2],
                       "slip": [0.1, 0.15]}, index=["a", "b"])


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return simulate_bkt(PARAMS, n_students=300, n_answers=12, seed=2)


def test_auc_hand_computed_with_ties() -> None:
    # positives 0.35, 0.8, 0.4 vs negatives 0.1, 0.4:
    # (0.35>0.1) 1, (0.35<0.4) 0, (0.8>0.1) 1, (0.8>0.4) 1, (0.4>0.1) 1, (0.4=0.4) 1/2
    # -> 4.5 / 6 = 0.75
    assert auc_score([0, 0, 1, 1, 1], [0.1, 0.4, 0.35, 0.8, 0.4]) == pytest.approx(0.75)
    assert auc_score([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8]) == 1.0
    assert auc_score([0, 1, 0, 1], [0.9, 0.1, 0.8, 0.2]) == 0.0
    assert auc_score([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert np.isnan(auc_score([1, 1], [0.2, 0.3]))
    with pytest.raises(InvalidInput):
        auc_score([0, 1], [0.5])


def test_auc_equals_pair_count_on_random_data() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(300) < 0.4
    s = np.round(rng.random(300), 1)  # many ties
    pos, neg = s[y], s[~y]
    pairs = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert auc_score(y, s) == pytest.approx(pairs / (len(pos) * len(neg)))


def test_rmse_and_accuracy() -> None:
    assert rmse([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    assert rmse([1, 0, 1], [1.0, 0.0, 0.4]) == pytest.approx(np.sqrt(0.36 / 3))
    assert accuracy([1, 0, 1, 0], [0.7, 0.2, 0.4, 0.5]) == pytest.approx(0.5)


def test_student_folds_partition_students() -> None:
    users = np.repeat(np.arange(23), 3)
    f = student_folds(users, 5, seed=1)
    assert f.index.is_unique and len(f) == 23
    sizes = f.value_counts()
    assert set(sizes.index) == {1, 2, 3, 4, 5} and sizes.max() - sizes.min() <= 1
    assert not student_folds(users, 5, seed=2).equals(f)
    with pytest.raises(InvalidInput, match="cannot be split"):
        student_folds(np.arange(3), 5)


class Spy:
    """A model recording who it was fitted on and asked about; predicts a constant."""

    log: list[tuple[set, set]] = []

    def fit(self, responses: pd.DataFrame) -> Spy:
        self.train = set(responses.user_id)
        return self

    def predict_proba(self, responses: pd.DataFrame) -> np.ndarray:
        Spy.log.append((self.train, set(responses.user_id)))
        return np.full(len(responses), 0.5)


def test_folds_never_share_students(sim: pd.DataFrame) -> None:
    Spy.log = []
    res = cross_validate(sim, folds=4, model_factory=Spy, seed=3, model_name="spy")
    assert len(Spy.log) == 4
    tested: set = set()
    for train, test in Spy.log:
        assert not train & test
        assert train | test == set(sim.user_id)
        assert not tested & test  # each student tested once
        tested |= test
    assert tested == set(sim.user_id)
    # a constant prediction has no discrimination at all
    assert res.overall.auc == 0.5
    assert res.overall.n_predictions == len(sim)
    assert res.model == "spy"


def test_bkt_cross_validation_scores(sim: pd.DataFrame) -> None:
    res = cross_validate(sim, folds=3, seed=0)
    assert [f.fold for f in res.folds] == [1, 2, 3]
    assert sum(f.n_test_students for f in res.folds) == 300
    assert res.overall.auc > 0.7
    assert 0 < res.overall.rmse < 0.5
    # the pooled scores are the scores of the pooled predictions
    p = res.predictions
    assert res.overall.auc == pytest.approx(auc_score(p.correct, p.p_correct))
    d = res.to_dict()
    assert set(d) == {"model", "folds", "overall"} and len(d["folds"]) == 3
    json.dumps(d)


def test_given_folds_by_column_and_mapping(sim: pd.DataFrame) -> None:
    users = np.sort(sim.user_id.unique())
    mapping = pd.Series(np.where(users < 100, 0, users % 2 + 1), index=users)
    res = cross_validate(sim, folds=mapping, seed=0)
    assert [f.fold for f in res.folds] == [1, 2]
    # fold 0 students are always trained on, never tested
    assert res.overall.n_test_students == 200
    by_col = cross_validate(sim.assign(fold=sim.user_id.map(mapping)), folds="fold", seed=0)
    assert by_col.overall.auc == res.overall.auc
    with pytest.raises(InvalidInput, match="more than one fold"):
        cross_validate(sim.assign(fold=np.arange(len(sim)) % 2 + 1), folds="fold")


def test_unseen_skills_are_counted_not_scored(sim: pd.DataFrame) -> None:
    rare = pd.DataFrame({"user_id": [0], "skill_name": ["only-one-student"], "correct": [1],
                         "order_id": [10**9]})
    res = cross_validate(pd.concat([sim, rare], ignore_index=True), folds=3, seed=0)
    assert res.overall.n_unseen_skill == 1
    assert res.overall.n_predictions == len(sim)


def test_bad_rows_are_reported_before_fitting(sim: pd.DataFrame) -> None:
    bad = sim.copy()
    bad.loc[5, "correct"] = 3
    with pytest.raises(InvalidEvidence, match="line 7, field correct"):
        cross_validate(bad, folds=3, model_factory=Spy)


# ---------------------------------------------------------------- AKT 4-line format

AKT = """1,501
11,12,12
3,4,3
1,0,1
2,502
11,13
3,3
0,1
"""


def _akt_folder(tmp_path: Path) -> Path:
    d = tmp_path / "toy_pid"
    d.mkdir()
    rng = np.random.default_rng(0)
    for k in (1, 2):
        lines = []
        for u in range(30):
            n = 8
            lines += [f"{u},{1000 * k + u}", ",".join(str(10 + i) for i in range(n)),
                      ",".join(str(1 + i % 2) for i in range(n)),
                      ",".join(str(int(x)) for x in rng.random(n) < np.linspace(0.3, 0.9, n))]
        (d / f"toy_pid_test{k}.csv").write_text("\n".join(lines) + "\n")
    (d / "toy_pid_train1.csv").write_text("99,4242\n10,11\n1,2\n1,1\n")
    (d / "skill.json").write_text(json.dumps({"Fractions": 1, "Decimals": 2}))
    return d


def test_read_kt_sequences(tmp_path: Path) -> None:
    f = tmp_path / "x_test1.csv"
    f.write_text(AKT)
    assert is_kt_sequences(f)
    df = read_kt_sequences(f, skill_names={3: "Fractions"})
    assert list(df.columns) == ["user_id", "skill_name", "problem_id", "correct", "order_id"]
    assert df.user_id.tolist() == [501, 501, 501, 502, 502]
    assert df.skill_name.tolist() == ["Fractions", "4", "Fractions", "Fractions", "Fractions"]
    assert df.correct.tolist() == [1, 0, 1, 0, 1]
    assert df.order_id.tolist() == [0, 1, 2, 0, 1]
    csv = tmp_path / "r.csv"
    csv.write_text("user_id,skill_name,correct,order_id\n1,a,1,1\n")
    assert not is_kt_sequences(csv)


def test_read_kt_sequences_errors(tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("1,501\n11,12,12\n3,4\n1,0,1\n")
    with pytest.raises(InvalidEvidence) as e:
        read_kt_sequences(f)
    assert str(e.value) == f"{f}, line 1: student 501: 3 problems, 2 skills, 3 answers"
    f.write_text("1,501\n11,12\n3,4\n1,2\n")
    with pytest.raises(InvalidEvidence) as e:
        read_kt_sequences(f)
    assert str(e.value) == f"{f}, line 4, field correct: must be 0 or 1"
    f.write_text("1,501\n11,12\n3,4\n")
    with pytest.raises(InvalidEvidence, match="not a multiple of 4"):
        read_kt_sequences(f)


def test_read_akt_folder(tmp_path: Path) -> None:
    d = _akt_folder(tmp_path)
    df = read_akt_folder(d)
    assert set(df.fold) == {0, 1, 2}
    assert df[df.fold == 0].user_id.unique().tolist() == [4242]
    assert set(df.skill_name) == {"Fractions", "Decimals"}
    assert df.groupby("user_id").fold.nunique().max() == 1


def test_cli_evaluate_json_on_csv(tmp_path: Path, sim: pd.DataFrame,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "responses.csv"
    sim.to_csv(path, index=False)
    code = main(["mastery", "evaluate", "--responses", str(path), "--folds", "3", "--format",
                 "json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"] == "best-lr" and len(out["folds"]) == 3
    assert out["overall"]["auc"] > 0.7
    assert out["overall"]["n_test_students"] == 300


def test_cli_evaluate_text_on_akt_folder(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    d = _akt_folder(tmp_path)
    assert main(["mastery", "evaluate", "--responses", str(d), "--folds", "2"]) == 0
    out = capsys.readouterr().out
    assert "overall" in out and "AUC" in out
    # the folder defines 2 folds: asking for 5 is an error unless random folds are requested
    assert main(["mastery", "evaluate", "--responses", str(d), "--folds", "5"]) == 1
    assert "defines 2 test folds" in capsys.readouterr().err
    assert main(["mastery", "evaluate", "--responses", str(d), "--folds", "3",
                 "--random-folds", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["folds"]) == 3


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mastery", "evaluate", "--responses", str(tmp_path / "nope.csv")]) == 1
    assert "no such file" in capsys.readouterr().err
    path = tmp_path / "r.csv"
    path.write_text("user_id,skill_name,correct\n1,a,1\n")
    assert main(["mastery", "evaluate", "--responses", str(path), "--model", "dkt"]) == 1
    assert "unknown model 'dkt'" in capsys.readouterr().err
    assert main(["mastery", "evaluate", "--responses", str(path)]) == 1
    assert "line 1, field order_id: required column is missing" in capsys.readouterr().err


def test_model_is_pluggable_by_factory(sim: pd.DataFrame) -> None:
    res_bkt = cross_validate(sim, folds=3, seed=0,
                             model_factory=lambda: BKT(n_restarts=2, random_state=0))
    res_spy = cross_validate(sim, folds=3, seed=0, model_factory=Spy)
    assert res_bkt.overall.auc > res_spy.overall.auc
