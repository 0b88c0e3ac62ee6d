"""From a district's store: `import providers`, `growth report`, `evaluate program --provider`."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from sounding.cli import main
from sounding.store import Store


@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    """A simulated district (roster and three years of scores) in a store, no mastery yet."""
    root = tmp_path_factory.mktemp("district")
    dist = root / "dist"
    assert main(["simulate", "-n", "1600", "--seed", "11", "--out", str(dist),
                 "--format", "json"]) == 0
    db = root / "base.db"
    assert main(["import", "roster", str(dist / "oneroster"), "--db", str(db),
                 "--format", "json"]) == 0
    assert main(["import", "scores", str(dist / "scores.csv"), "--db", str(db),
                 "--format", "json"]) == 0
    with Store.open(str(db)) as store:
        schools = sorted(store.orgs().query("type == 'school'")["org_id"])
    return db, schools


@pytest.fixture
def db(base_db, tmp_path):
    path = tmp_path / "district.db"
    shutil.copy(base_db[0], path)
    return str(path), base_db[1]


def write_mapping(tmp_path, schools, name="providers.csv"):
    path = tmp_path / name
    path.write_text("provider_id,school_id\n"
                    f"PA,{schools[0]}\nPB,{schools[1]}\nPB,{schools[2]}\n")
    return path


def test_import_providers_validates_and_is_idempotent(db, tmp_path, capsys):
    url, schools = db
    good = write_mapping(tmp_path, schools)
    capsys.readouterr()
    assert main(["import", "providers", str(good), "--db", url, "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)["import"]
    assert (first["rows"], first["providers"], first["added"], first["in_store"]) == (3, 2, 3, 3)
    assert main(["import", "providers", str(good), "--db", url, "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)["import"]
    assert (again["added"], again["removed"], again["in_store"]) == (0, 0, 3)
    with Store.open(url) as store:
        stored = store.table("provider_assignments").sort_values(["provider_id", "school_id"])
    assert stored.values.tolist() == [["PA", schools[0]], ["PB", schools[1]],
                                      ["PB", schools[2]]]

    bad = tmp_path / "bad.csv"
    bad.write_text(f"provider_id,school_id\nPC,{schools[0]}\nPC,sch-nope\n,{schools[1]}\n")
    assert main(["import", "providers", str(bad), "--db", url]) == 1
    err = capsys.readouterr().err
    assert "bad.csv, line 3, field school_id" in err and "unknown school" in err
    assert "line 4, field provider_id" in err
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("provider,school\nPC,x\n")
    assert main(["import", "providers", str(nocol), "--db", url]) == 1
    assert "line 1, field provider_id" in capsys.readouterr().err
    with Store.open(url) as store:  # a rejected file changes nothing
        assert len(store.table("provider_assignments")) == 3
    # a smaller mapping replaces the stored one
    one = tmp_path / "one.csv"
    one.write_text(f"provider_id,school_id\nPA,{schools[0]}\n")
    assert main(["import", "providers", str(one), "--db", url, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["import"]["removed"] == 2


def test_growth_report_by_provider_uses_the_stored_mapping(db, tmp_path, capsys):
    url, schools = db
    capsys.readouterr()
    assert main(["growth", "report", "--level", "provider", "--db", url]) == 1
    assert "needs --providers" in capsys.readouterr().err
    assert main(["import", "providers", str(write_mapping(tmp_path, schools)), "--db", url,
                 "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["growth", "report", "--level", "provider", "--db", url, "--format",
                 "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["providers"] == "the store"
    assert doc["released_together"] == ["school", "district", "provider"]
    rows = pd.DataFrame(doc["rows"])
    assert set(rows["provider_id"]) == {"PA", "PB", "none", "ALL"}
    assert {"subject", "catch_up_n", "catch_up_share", "keep_up_n", "keep_up_suppression"} <= set(
        rows.columns)
    # the provider rows are sums of schools: PB's all-students n is its two schools' n
    assert main(["growth", "report", "--level", "school", "--db", url, "--format",
                 "json", "--internal"]) == 0
    school = pd.DataFrame(json.loads(capsys.readouterr().out)["rows"])
    allst = school[school["subgroup"] == "All students"].set_index("school_id")["n"]
    assert main(["growth", "report", "--level", "provider", "--db", url, "--format",
                 "json", "--internal"]) == 0
    internal = pd.DataFrame(json.loads(capsys.readouterr().out)["rows"])
    pb = internal[(internal["provider_id"] == "PB")
                  & (internal["subgroup"] == "All students")]["n"].iloc[0]
    assert pb == allst[schools[1]] + allst[schools[2]]
    published = rows[(rows["provider_id"] == "PB") & (rows["subgroup"] == "All students")]
    assert published["n"].iloc[0] in (pb, "*")
    # hidden statistics read as "*", in every table
    hidden = rows[rows["catch_up_suppression"] != ""]
    assert len(hidden) and (hidden["catch_up_share"] == "*").all()


def _snapshot(students: pd.DataFrame, standards: dict[int, list[str]], rng, *, shift: float
              ) -> pd.DataFrame:
    rows = []
    for sid, grade in zip(students["student_id"], students["grade"], strict=True):
        for g in (int(grade) - 1, int(grade)):
            for code in standards.get(g, [])[:4]:
                rows.append((sid, code, float(np.clip(rng.uniform(0.3, 0.95) + shift, 0, 1))))
    return pd.DataFrame(rows, columns=["student_id", "standard", "p_mastered"])


def test_growth_report_grade_span_from_mastery_snapshots(db, capsys):
    url, _ = db
    capsys.readouterr()
    assert main(["growth", "report", "--db", url, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["grade_span"]["available"] is False
    assert "no mastery estimates" in doc["grade_span"]["message"]

    rng = np.random.default_rng(0)
    with Store.open(url) as store:
        graph = store.progression().k8_algebra1()
        students = store.students().dropna(subset=["grade"])
        standards: dict[int, list[str]] = {}
        for code in graph.standard_codes:
            standards.setdefault(graph[code].grade_num, []).append(code)
        spring = _snapshot(students, standards, rng, shift=0.1)
        store.write_mastery(spring.assign(as_of=pd.Timestamp("2026-05-20")), "graph")
    assert main(["growth", "report", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "only one mastery snapshot" in " ".join(out.split())  # said plainly, not omitted

    with Store.open(url) as store:
        fall = spring.assign(p_mastered=(spring["p_mastered"] - 0.3).clip(0, 1))
        store.write_mastery(fall.assign(as_of=pd.Timestamp("2025-09-15")), "graph_fall")
    assert main(["growth", "report", "--db", url, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    span = doc["grade_span"]
    assert span["available"] is True
    assert (span["before"]["model"], span["after"]["model"]) == ("graph_fall", "graph")
    rows = pd.DataFrame(doc["rows"])
    top = rows[(rows["school_id"] == "ALL") & (rows["district_id"] == "ALL")
               & (rows["subgroup"] == "All students")].iloc[0]
    # published means are coded: one decimal, "<0.5" near zero (0.0 would say "none")
    assert top["mean_secured_above"] == "<0.5"
    assert float(top["mean_secured_below"]) > 0 and top["grade_span_n"] > 0
    assert main(["growth", "report", "--db", url, "--format", "json", "--internal"]) == 0
    rows = pd.DataFrame(json.loads(capsys.readouterr().out)["rows"])
    top = rows[(rows["school_id"] == "ALL") & (rows["district_id"] == "ALL")
               & (rows["subgroup"] == "All students")].iloc[0]
    # below/on/above beside proficiency; standards one grade down count as below grade
    assert top["mean_secured_below"] > 0 and top["mean_secured_on"] > 0
    assert top["mean_secured_above"] == 0
    assert top["mean_grade_span_growth"] == pytest.approx(
        top["mean_secured_below"] + top["mean_secured_on"])
    assert 0 < top["proficient_share"] < 1 and top["grade_span_n"] > 0
    assert main(["growth", "report", "--db", url]) == 0
    assert "standards newly secured between 2025-09-15" in " ".join(
        capsys.readouterr().out.split())


def test_evaluate_a_provider_from_the_store(db, tmp_path, capsys):
    url, schools = db
    capsys.readouterr()
    assert main(["evaluate", "program", "--db", url, "--provider", "PA"]) == 1
    assert "import providers" in capsys.readouterr().err
    assert main(["import", "providers", str(write_mapping(tmp_path, schools)), "--db", url,
                 "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "program", "--db", url, "--provider", "PB", "--format",
                 "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["program"]["schools"] == sorted([schools[1], schools[2]])
    assert doc["program"]["baseline_year"] == doc["program"]["outcome_year"] - 1
    assert doc["program"]["matched_exactly_on"][:2] == ["grade", "english_learner"]
    assert doc["n_treatment"] > 20 and doc["n_treatment"] == doc["n_comparison"]
    assert doc["clusters_treatment"] == 2 and doc["clusters_comparison"] >= 1
    assert doc["baseline"][0]["measure"] == "baseline" and doc["effect"]["g"] is not None
    assert main(["evaluate", "program", "--db", url, "--provider", "PZ"]) == 1
    assert "not in the stored mapping" in capsys.readouterr().err
    assert main(["evaluate", "program", "--db", url, "--provider", "PB", "--subject",
                 "reading"]) == 1
    assert "no 'reading' scores" in capsys.readouterr().err
    assert main(["evaluate", "program", "--db", url]) == 1  # neither route


def test_program_students_sample(db):
    from sounding.growth.evaluation import program_students
    from sounding.mastery.pipeline import normalize_students

    url, schools = db
    with Store.open(url) as store:
        scores, students = store.scores(), normalize_students(store.students())
    df = program_students(scores, students, [schools[0]])
    y = int(scores["year"].max())
    assert df.attrs["year"] == y and df.attrs["baseline_year"] == y - 1
    base = scores[(scores["year"] == y - 1)]
    assert len(df) == base["student_id"].isin(students["student_id"]).sum()
    assert df["treated"].sum() == (df["school_id"] == schools[0]).sum() > 0
    # standardised within grade: every baseline grade has mean 0 and sd 1
    by = df.groupby("grade")["baseline"]
    assert np.allclose(by.mean(), 0, atol=1e-9) and np.allclose(by.std(), 1)
    # a student without this year's score stays in the sample with a missing outcome
    gone = set(base["student_id"]) - set(scores.loc[scores["year"] == y, "student_id"])
    assert df.loc[df["student_id"].isin(gone), "outcome"].isna().all()
    assert df["outcome"].notna().mean() > 0.8


def test_growth_report_spring_to_spring_is_the_html_reports_number(base_db, db, capsys):
    """`growth report --spring-windows` and the pipeline's grade-span step call one function
    (grade_span_for_release): the report prints the same growth the HTML report shows."""
    from sounding.growth.grade_span import grade_span_for_release

    url, _ = db
    windows = base_db[0].parent / "dist" / "spring_windows.csv"
    assert windows.is_file()  # `sounding simulate` writes two springs of evidence
    capsys.readouterr()
    assert main(["growth", "report", "--db", url, "--spring-windows", str(windows),
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    span = doc["grade_span"]
    assert span["available"] and span["method"] == "spring_windows"
    assert (span["from_year"], span["to_year"]) == (2025, 2026)
    assert [r["grade"] for r in span["by_grade"]] == [3, 4, 5, 6, 7, 8]
    assert all("median_sgp" in r for r in span["by_grade"][1:])  # grade 3: no prior year
    rows = pd.DataFrame(doc["rows"])
    top = rows[(rows["school_id"] == "ALL") & (rows["district_id"] == "ALL")
               & (rows["subgroup"] == "All students")].iloc[0]
    with Store.open(url) as store:
        frame, info = grade_span_for_release(store, store.progression().k8_algebra1(),
                                             windows=windows)
    assert info["mean_span_growth"] == span["mean_span_growth"] > 5
    # the table's mean is over the growth population (students with an SGP: no grade 3)
    assert abs(float(top["mean_span_growth"]) - frame["span_growth"].mean()) < 2.0
    assert main(["growth", "report", "--db", url, "--spring-windows", str(windows)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "from the spring 2025 window to the spring 2026 window" in out
    assert "scale-score view" in out
