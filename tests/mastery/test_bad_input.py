"""Bad evidence in the mastery path: clear errors naming file, line and the file's own field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sounding.cli import main
from sounding.errors import InvalidEvidence
from sounding.mastery.graph_model import GraphMastery, GraphParams
from sounding.mastery.pipeline import fit_files, responses_for_model
from sounding.progression import load_default
from sounding.testing import tiny_district, write_tiny_district

GRAPH = load_default().k8_algebra1()


@pytest.fixture(scope="module")
def model() -> GraphMastery:
    """A usable model without fitting (the documented defaults)."""
    return GraphMastery.from_params(GRAPH, GraphParams.default(GRAPH))


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return write_tiny_district(tmp_path_factory.mktemp("district"))


def _frame(**cols) -> pd.DataFrame:
    base = {"user_id": ["a", "a", "b"], "skill_name": ["4.NF.B.3", "4.NF.A.1", "4.NF.B.3"],
            "correct": [1, 0, 1], "order_id": [1, 2, 1]}
    base.update(cols)
    return pd.DataFrame(base)


def _problem(exc: pytest.ExceptionInfo) -> tuple:
    p = exc.value.problems[0]
    return p.file, p.line, p.field, p.message


# ============================================================================ files


def _write_bad(folder: Path, tmp: Path, edit) -> Path:
    df = pd.read_csv(folder / "responses.csv", dtype=str, keep_default_na=False)
    df = edit(df)
    out = tmp / "responses.csv"
    df.to_csv(out, index=False)
    return out


def test_a_blank_timestamp_is_rejected_with_its_file_line(folder, tmp_path, capsys):
    def blank(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[4, "timestamp"] = ""
        return df

    bad = _write_bad(folder, tmp_path, blank)
    for model in ("graph", "bkt"):
        with pytest.raises(InvalidEvidence) as exc:
            fit_files(bad, folder / "oneroster", GRAPH, model=model)
        file, line, field, msg = _problem(exc)
        assert (Path(file).name, line, field) == ("responses.csv", 6, "timestamp")
        assert "empty" in msg
        assert "nothing was written" in exc.value.hint
    code = main(["mastery", "fit", "--responses", str(bad), "--roster",
                 str(folder / "oneroster")])
    err = capsys.readouterr().err
    assert code == 1 and "line 6, field timestamp" in err and "nothing was written" in err
    assert "nothing was imported" not in err and "Traceback" not in err


def test_no_timestamp_column_is_rejected_for_both_models(folder, tmp_path):
    bad = _write_bad(folder, tmp_path, lambda df: df.drop(columns="timestamp"))
    for model in ("graph", "bkt"):
        with pytest.raises(InvalidEvidence) as exc:
            fit_files(bad, folder / "oneroster", GRAPH, model=model)
        assert _problem(exc)[1:3] == (1, "timestamp")
    frame = tiny_district().responses.drop(columns="timestamp")
    with pytest.raises(InvalidEvidence) as exc:
        responses_for_model(frame, GRAPH)
    assert exc.value.problems[0].field == "timestamp"


def test_unknown_standards_use_the_file_column_name(folder, tmp_path):
    def unknown(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[9, "standard"] = "9.ZZ.Q.1"
        return df

    bad = _write_bad(folder, tmp_path, unknown)
    with pytest.raises(InvalidEvidence) as exc:
        fit_files(bad, folder / "oneroster", GRAPH)
    file, line, field, msg = _problem(exc)
    assert (line, field) == (11, "standard") and "9.ZZ.Q.1" in msg and "skill_name" not in msg


# ============================================================================ frames


def test_true_false_text_is_rejected_everywhere(model):
    """The importer takes 0/1 (or booleans): "true" is an error in every path alike."""
    ev = tiny_district().responses.head(5).astype({"correct": object})
    ev.loc[2, "correct"] = "true"
    with pytest.raises(InvalidEvidence) as a:
        responses_for_model(ev, GRAPH)
    with pytest.raises(InvalidEvidence) as b:
        model.posterior(_frame(correct=[1, "true", 0]))
    assert _problem(a)[1:3] == (4, "correct") and _problem(b)[1:3] == (3, "correct")
    # booleans are fine in both
    ok = _frame(correct=[True, False, True])
    assert len(responses_for_model(ok)) == 3 and len(model.posterior(ok)) == 2 * 288


def test_numbers_in_messages_are_plain(model):
    with pytest.raises(InvalidEvidence) as exc:
        model.posterior(_frame(correct=np.array([1, 2, 0], dtype=np.int64)))
    msg = _problem(exc)[3]
    assert "got 2" in msg and "np.int64" not in msg


def test_missing_student_is_an_error_not_a_crash(model):
    with pytest.raises(InvalidEvidence) as exc:
        model.posterior(_frame(user_id=["a", None, "b"]))
    assert _problem(exc)[1:4] == (3, "user_id", "missing value")
    ev = tiny_district().responses.head(5).astype({"student_id": object})
    ev.loc[1, "student_id"] = None
    with pytest.raises(InvalidEvidence) as exc:
        model.fit(ev)
    assert _problem(exc)[1:3] == (3, "student_id")  # the frame's own column name
    with pytest.raises(InvalidEvidence) as exc:
        responses_for_model(ev, GRAPH)
    assert _problem(exc)[1:3] == (3, "student_id")


def test_order_is_required_to_fit_and_predict(model):
    no_order = _frame().drop(columns="order_id")
    nan_order = _frame(order_id=[1.0, np.nan, 2.0])
    for call in (lambda df: GraphMastery(GRAPH, max_iter=1).fit(df), model.predict_proba):
        with pytest.raises(InvalidEvidence) as exc:
            call(no_order)
        assert _problem(exc)[1:4] == (1, "order_id (or timestamp)",
                                      "required column is missing")
        with pytest.raises(InvalidEvidence) as exc:
            call(nan_order)
        assert _problem(exc)[1:4] == (3, "order_id", "missing value")
    ts = tiny_district().responses.head(4).astype({"timestamp": object})
    ts.loc[2, "timestamp"] = None
    with pytest.raises(InvalidEvidence) as exc:
        model.predict_proba(ts)
    assert _problem(exc)[1:3] == (4, "timestamp")
    # a snapshot posterior does not depend on the order: no order column is fine
    assert len(model.posterior(no_order)) == 2 * len(GRAPH.standard_codes)


def test_source_names_the_file(model):
    with pytest.raises(InvalidEvidence) as exc:
        model.fit(_frame(skill_name=["4.NF.B.3", "nope", "4.NF.B.3"]), source="my.csv")
    assert _problem(exc)[:3] == ("my.csv", 3, "skill_name")


# ============================================================================ AKT files


def test_akt_errors_give_the_real_line(tmp_path, capsys):
    """Two students in the 4-line format; the second has a skill that is not a standard:
    the graph model's error points at line 7 (the second record's skills line)."""
    f = tmp_path / "seq.csv"
    f.write_text("3,101\n1,2,3\n1,1,2\n1,0,1\n2,102\n4,5\n2,7\n0,1\n")
    (tmp_path / "skill.json").write_text('{"4.NF.B.3": 1, "4.NF.A.1": 2, "oops": 7}')
    code = main(["mastery", "evaluate", "--responses", str(f), "--model", "graph",
                 "--folds", "2"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{f}, line 7, field skill_name: unknown standard 'oops'" in err
