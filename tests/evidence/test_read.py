"""Responses and scale scores in: typed tables out, or every problem with its line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sounding.errors import InvalidEvidence, InvalidScores, Problem
from sounding.evidence import check_responses, import_responses, import_scores
from sounding.evidence.checks import Limits
from sounding.evidence.read import read_responses, read_scores
from sounding.progression import load_default
from sounding.roster import import_roster
from sounding.store import Store

HEADER = "student_id,item_id,standard,correct,timestamp,source\n"
STUDENTS = {"s-1", "s-2"}


@pytest.fixture(scope="module")
def graph():
    return load_default()


def write(tmp_path, text: str, name: str = "responses.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(fn, *args, **kw) -> list[Problem]:
    with pytest.raises((InvalidEvidence, InvalidScores)) as info:
        fn(*args, **kw)
    return info.value.problems


def test_csv_reads_typed(tmp_path, graph):
    path = write(tmp_path, HEADER + "s-1,007,4.NF.B.3a,1,2025-09-03T10:15:00,classwork\n"
                 "s-2,i2,5.NF.A.1,0,2025-09-03T10:15:00+02:00,\n")
    df = read_responses(path, graph=graph, student_ids=STUDENTS)
    assert df["item_id"].tolist() == ["007", "i2"]  # ids stay text
    assert df["correct"].dtype == "int8" and df["correct"].tolist() == [1, 0]
    assert df["timestamp"].tolist() == [pd.Timestamp("2025-09-03 10:15"),
                                        pd.Timestamp("2025-09-03 08:15")]  # offset -> UTC
    assert df["source"].tolist() == ["classwork", ""]


def test_every_kind_of_problem_with_its_line(tmp_path, graph):
    path = write(tmp_path, HEADER
                 + "s-1,i1,4.NF.B.3,1,2025-09-03T10:15:00,classwork\n"   # 2 ok
                 + "s-9,i1,4.NF.B.3,1,2025-09-03T10:15:00,classwork\n"   # 3 unknown student
                 + "s-1,i2,4.XX.B.3,1,2025-09-03T10:15:00,classwork\n"   # 4 unknown standard
                 + "s-1,i3,4.NF.B.3,yes,2025-09-03T10:15:00,classwork\n"  # 5 correct
                 + "s-1,i4,4.NF.B.3,0,03/09/2025,classwork\n"            # 6 timestamp
                 + "s-1,i1,4.NF.B.3,0,2025-09-03T10:15:00,classwork\n"   # 7 repeats line 2
                 + ",i5,4.NF.B.3,0,2025-09-03T10:15:00,classwork\n")     # 8 empty student
    got = problems(read_responses, path, graph=graph, student_ids=STUDENTS)
    assert [(p.line, p.field) for p in got] == [
        (8, "student_id"), (3, "student_id"), (4, "standard"), (5, "correct"),
        (6, "timestamp"), (7, "student_id")]
    msgs = [p.message for p in got]
    assert msgs[1] == "unknown student 's-9' (not in the roster; import the roster first)"
    assert msgs[2] == "unknown standard '4.XX.B.3' (not in the progression)"
    assert msgs[3] == "correct must be 0 or 1, not 'yes'"
    assert msgs[4] == "'03/09/2025' is not an ISO 8601 timestamp (e.g. 2025-09-03T10:15:00)"
    assert msgs[5].startswith("same student_id / item_id / timestamp / source as line 2")
    assert all(p.file == "responses.csv" for p in got)


def test_columns_missing_and_unknown(tmp_path):
    path = write(tmp_path, "student_id,item,standard,correct,timestamp\n"
                 "s-1,i1,4.NF.B.3,1,2025-09-03T10:15:00\n")
    got = problems(read_responses, path)
    assert got == [
        Problem("responses.csv", 1, "item", "unknown column 'item' (expected student_id, "
                "item_id, standard, correct, timestamp, source)"),
        Problem("responses.csv", 1, "item_id", "missing required column 'item_id'")]


def test_line_numbers_survive_quotes_blank_lines_and_bad_rows(tmp_path):
    path = write(tmp_path, HEADER
                 + '"s-1","i1","4.NF.B.3",1,"2025-09-03T10:15:00","a, b"\n'  # 2
                 + "\n"                                                       # 3 blank
                 + 's-1,"multi\nline",4.NF.B.3,1,2025-09-03T10:15:00,x\n'   # 4-5
                 + "s-1,i2,4.NF.B.3\n"                                        # 6 short
                 + "s-1,i3,4.NF.B.3,2,2025-09-03T10:15:00,x\n")              # 7 bad correct
    got = problems(read_responses, path)
    assert [(p.line, p.field) for p in got] == [(6, "correct"), (7, "correct")]
    assert got[0].message == ("row has 3 field(s), the header has 6: 'correct' and later "
                              "fields are missing")
    # quoted, well-formed file: the fast path, lines found only when needed
    path = write(tmp_path, HEADER
                 + '"s-1","i1","4.NF.B.3",1,"2025-09-03T10:15:00","a, b"\n\n'
                 + 's-1,"multi\nline",4.NF.B.3,7,2025-09-03T10:15:00,x\n')
    assert [(p.line, p.field) for p in problems(read_responses, path)] == [(4, "correct")]


def test_non_utf8_and_empty_files(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_bytes((HEADER + "s-1,i\xe91,4.NF.B.3,1,2025-09-03T10:15:00,x\n").encode("latin-1"))
    got = problems(read_responses, path)
    assert got[0] == Problem("responses.csv", 2, "item_id",
                             "not valid UTF-8 (byte 0xe9); save the file as UTF-8")
    empty = write(tmp_path, "", "empty.csv")
    assert {p.field for p in problems(read_responses, empty)} == {
        "student_id", "item_id", "standard", "correct", "timestamp"}
    only_header = write(tmp_path, HEADER, "header.csv")
    assert len(read_responses(only_header)) == 0


def test_many_bad_rows_are_summarised(tmp_path):
    rows = "".join(f"s-1,i{i},4.NF.B.3,5,2025-09-03T10:15:00,x\n" for i in range(100))
    got = problems(read_responses, write(tmp_path, HEADER + rows))
    assert len(got) == 21
    assert got[-1].message == "... 80 more row(s) with the same problem (100 in all)"
    assert got[-1].line == 101


def test_parquet_rows_are_numbered_from_one(tmp_path, graph):
    table = pa.table({"student_id": ["s-1", "s-2"], "item_id": ["i1", "i2"],
                      "standard": ["4.NF.B.3", "4.NF.B.9"], "correct": pa.array([1, 0], pa.int8()),
                      "timestamp": pa.array([pd.Timestamp("2025-09-03 10:15")] * 2,
                                            pa.timestamp("s")),
                      "source": pa.array(["a", "b"]).dictionary_encode()})
    pq.write_table(table, tmp_path / "r.parquet")
    got = problems(read_responses, tmp_path / "r.parquet", graph=graph)
    assert got == [Problem("r.parquet", 2, "standard",
                           "unknown standard '4.NF.B.9' (not in the progression)")]
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    got = problems(read_responses, tmp_path / "bad.parquet")
    assert got[0].file == "bad.parquet" and "Parquet" in got[0].message


def test_check_responses_on_a_frame():
    df = pd.DataFrame({"student_id": ["a"], "item_id": ["i"], "standard": ["4.NF.B.3"],
                       "correct": [True], "timestamp": [pd.Timestamp("2025-09-03")]})
    out = check_responses(df)
    assert out["correct"].tolist() == [1] and out["source"].tolist() == [""]
    with pytest.raises(InvalidEvidence, match="correct must be 0 or 1"):
        check_responses(df.assign(correct=[3]))


SCORES = "student_id,year,grade,subject,scale_score,achievement_level\n"


def test_scores_checks(tmp_path):
    path = write(tmp_path, SCORES
                 + "s-1,2026,4,math,455,3\n"        # 2 ok
                 + "s-1,2025,KG,math,380.5,\n"      # 3 ok: K is grade 0, level optional
                 + "s-2,2026,13,math,455,3\n"       # 4 grade out of range
                 + "s-2,1890,4,math,455,3\n"        # 5 year out of range
                 + "s-2,2024,4,math,high,3\n"       # 6 not a number
                 + "s-2,2023,4,math,1455,3\n"       # 7 out of range
                 + "s-1,2026,4,math,460,3\n"        # 8 same key as line 2, other score
                 + "s-3,2026,4.5,math,400,2\n",     # 9 unknown student, grade not whole
                 "scores.csv")
    got = problems(read_scores, path, student_ids=STUDENTS)
    assert [(p.line, p.field) for p in got] == [
        (9, "student_id"), (5, "year"), (9, "grade"), (4, "grade"),
        (6, "scale_score"), (7, "scale_score"), (8, "student_id")]
    ok = read_scores(write(tmp_path, SCORES + "s-1,2026,4,math,455,3\n"
                           + "s-1,2025,KG,math,380.5,\n", "ok.csv"), student_ids=STUDENTS)
    assert ok["grade"].tolist() == [4, 0]
    assert ok["scale_score"].tolist() == [455.0, 380.5]
    assert ok["achievement_level"].tolist() == ["3", None]
    with pytest.raises(InvalidScores, match="outside the plausible range 0..100"):
        read_scores(path.with_name("ok.csv"), limits=Limits(score=(0, 100)))


@pytest.fixture
def district(tmp_path_factory):
    from sounding.testing import write_tiny_district

    return write_tiny_district(tmp_path_factory.mktemp("district"))


def test_import_is_idempotent_across_formats_and_atomic(district, tmp_path):
    with Store.open(tmp_path / "e.db") as store:
        import_roster(store, district / "oneroster")
        first = import_responses(store, district / "responses.csv")
        n = store.counts()["responses"]
        assert first.written["responses"] == n > 10_000
        again = import_responses(store, district / "responses.parquet")
        assert again.written["responses"] == 0 and store.counts()["responses"] == n
        s1 = import_scores(store, district / "scores.csv")
        assert s1.written["scale_scores"] == store.counts()["scale_scores"] > 0
        assert import_scores(store, district / "scores.csv").written["scale_scores"] == 0
        before = store.counts()
        bad = pd.read_csv(district / "responses.csv", dtype=str)
        bad["timestamp"] = bad["timestamp"].str.replace("2025-", "2035-")  # all new rows...
        bad.loc[len(bad) - 1, "correct"] = "maybe"                         # ...but one bad
        bad.to_csv(tmp_path / "bad.csv", index=False)
        with pytest.raises(InvalidEvidence) as info:
            import_responses(store, tmp_path / "bad.csv")
        assert info.value.problems[0].line == len(bad) + 1
        assert store.counts() == before
        r = store.responses()
        assert r["student_id"].is_monotonic_increasing
        log = store.imports()
        assert list(log["kind"].iloc[-4:]) == ["responses", "responses", "scores", "scores"]
        assert log["sha256"].str.len().eq(64).all()


def test_responses_before_roster_say_so(tmp_path):
    path = write(tmp_path, HEADER + "s-1,i1,4.NF.B.3,1,2025-09-03T10:15:00,x\n")
    with Store.open(tmp_path / "e.db") as store:
        with pytest.raises(InvalidEvidence, match="import the roster first"):
            import_responses(store, path)


def test_large_file_checks_are_vectorised(tmp_path, graph):
    """200k rows with a few planted problems: all found, with their lines."""
    n = 200_000
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"student_id": rng.choice(["s-1", "s-2"], n),
                       "item_id": [f"i{i}" for i in range(n)],
                       "standard": "4.NF.B.3", "correct": rng.integers(0, 2, n).astype(str),
                       "timestamp": "2025-09-03T10:15:00", "source": "x"})
    df.loc[123_456, "correct"] = "7"
    df.loc[199_999, "standard"] = "nope"
    df.to_csv(tmp_path / "big.csv", index=False)
    got = problems(read_responses, tmp_path / "big.csv", graph=graph, student_ids=STUDENTS)
    assert [(p.line, p.field) for p in got] == [(200_001, "standard"), (123_458, "correct")]


def test_future_timestamp_is_rejected_with_its_line(tmp_path, graph):
    """One answer dated years ahead would make every class look stale; it is an error."""
    path = write(tmp_path, HEADER + "s-1,i1,4.NF.B.3,1,2025-09-03T10:15:00,\n"
                 "s-1,i2,4.NF.B.3,1,2036-01-05T10:15:00,\n")
    got = problems(read_responses, path, graph=graph, student_ids=STUDENTS)
    assert [(p.line, p.field) for p in got] == [(3, "timestamp")]
    assert "future" in got[0].message


def test_numbered_achievement_levels_must_be_in_range(tmp_path):
    path = write(tmp_path, "student_id,year,grade,subject,scale_score,achievement_level\n"
                 "s-1,2025,4,math,500,3\n"
                 "s-2,2025,4,math,520,7\n", "scores.csv")
    got = problems(read_scores, path, student_ids=STUDENTS)
    assert [(p.line, p.field) for p in got] == [(3, "achievement_level")]
    assert "1..5" in got[0].message


def test_named_achievement_levels_are_accepted_but_not_too_many(tmp_path):
    names = ["Did Not Yet Meet", "Partially Met", "Approached", "Met", "Exceeded"]
    rows = "".join(f"s-1,{2020 + i},4,math,{500 + i},{n}\n" for i, n in enumerate(names))
    ok = write(tmp_path, "student_id,year,grade,subject,scale_score,achievement_level\n" + rows,
               "ok.csv")
    assert read_scores(ok, student_ids=STUDENTS)["achievement_level"].tolist() == names
    shifted = rows + "".join(f"s-2,{2020 + i},4,math,{500 + i},{510 + i}x\n" for i in range(3))
    bad = write(tmp_path, "student_id,year,grade,subject,scale_score,achievement_level\n"
                + shifted, "bad.csv")
    got = problems(read_scores, bad, student_ids=STUDENTS)
    assert got and all(p.field == "achievement_level" for p in got)


def test_python_objects_in_a_frame_are_read_as_their_text(graph):
    """A frame built in Python (object columns holding ints) checks like a file would."""
    df = pd.DataFrame({"student_id": ["s-1", "s-2"], "item_id": pd.Series([7, 8], dtype=object),
                       "standard": ["4.NF.B.3", "5.NF.A.1"],
                       "correct": pd.Series([1, 0], dtype=object),
                       "timestamp": ["2025-09-03T10:15:00", "2025-09-04T10:15:00"]})
    out = check_responses(df, graph=graph, student_ids=STUDENTS)
    assert out["correct"].tolist() == [1, 0] and out["item_id"].tolist() == ["7", "8"]
