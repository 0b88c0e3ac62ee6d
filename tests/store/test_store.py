"""The store: same behaviour on SQLite and PostgreSQL (``db_url`` runs each test on both)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from sounding.errors import InvalidInput, NotFound, SoundingError
from sounding.evidence.checks import RESPONSE_KEY
from sounding.store import SCHEMA_VERSION, Store, bulk_write, normalize_url
from sounding.store import tables as T


def fake_responses(n: int, n_students: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "student_id": [f"stu-{i % n_students:07d}" for i in range(n)],
        "item_id": [f"itm-{i:08d}" for i in range(n)],
        "standard": rng.choice(["4.NF.B.3a", "5.NF.A.1", "K.CC.A.1"], n),
        "correct": rng.integers(0, 2, n).astype("int8"),
        "timestamp": pd.Timestamp("2025-09-01 08:00") + pd.to_timedelta(
            rng.integers(0, 200 * 86400, n), unit="s"),
        "source": "classwork",
    })


def test_open_creates_sqlite_file_in_wal_mode(tmp_path):
    path = tmp_path / "new.db"
    with Store.open(path) as store:
        assert store.dialect == "sqlite"
        assert store.schema_version == SCHEMA_VERSION
        assert set(store.counts()) >= {"users", "responses", "mastery", "scope_sequence"}
    assert path.exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    with Store.open(path) as store, store.begin() as conn:
        conn.execute(T.schema_info.insert().values(version=SCHEMA_VERSION + 1,
                                                   applied_at=pd.Timestamp.now()))
    with pytest.raises(SoundingError, match="newer than this Sounding"):
        Store.open(path)


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_normalize_url(given, expected):
    assert normalize_url(given) == expected


def test_bad_locations_are_input_errors(tmp_path):
    with pytest.raises(InvalidInput, match="unsupported database URL"):
        Store.open("mysql://u@h/db")
    with pytest.raises(InvalidInput, match="is a folder"):
        Store.open(tmp_path)
    with pytest.raises(InvalidInput, match="does not exist"):
        Store.open(tmp_path / "no" / "such" / "x.db")


def test_unreachable_postgres_is_a_clean_error():
    with pytest.raises(SoundingError, match="cannot open database"):
        Store.open("postgresql://nobody:secret@127.0.0.1:1/none")


def test_bulk_responses_are_idempotent_and_filterable(db_url):
    df = fake_responses(100_000)
    with Store.open(db_url) as store:
        with store.begin() as conn:
            bulk_write(conn, T.responses, df, on_conflict="ignore", key_cols=list(RESPONSE_KEY))
        with store.begin() as conn:  # the same rows again: nothing new
            bulk_write(conn, T.responses, df, on_conflict="ignore", key_cols=list(RESPONSE_KEY))
        assert store.counts()["responses"] == 100_000
        got = store.responses()
        assert len(got) == 100_000
        assert got["correct"].dtype == "int8"
        assert got["timestamp"].dtype.kind == "M"
        assert got["timestamp"].is_monotonic_increasing is False  # sorted by student first
        first = got[got["student_id"] == "stu-0000000"]
        assert first["timestamp"].is_monotonic_increasing
        want = df.sort_values(["student_id", "timestamp", "item_id"]).reset_index(drop=True)
        pd.testing.assert_series_equal(got["timestamp"], want["timestamp"].astype(
            got["timestamp"].dtype), check_names=False)
        some = store.responses(student_ids=["stu-0000003", "stu-0000999", "nobody"])
        assert set(some["student_id"]) == {"stu-0000003", "stu-0000999"}
        assert len(some) == 200
        assert len(store.responses(student_ids=[])) == 0


def test_write_mastery_replaces_one_model_atomically(db_url):
    a = pd.DataFrame({"student_id": ["s1", "s1", "s2"], "standard": ["4.NF.B.3", "5.NF.A.1",
                                                                      "4.NF.B.3"],
                      "p_mastered": [0.9, 0.2, 0.5], "n_evidence": [4, 1, 0]})
    with Store.open(db_url) as store:
        assert store.write_mastery(a, "bkt") == 3
        store.write_mastery(a.iloc[:1], "graph")
        store.write_mastery(a.iloc[1:], "bkt")
        m = store.mastery()
        assert len(m) == 3
        assert sorted(store.mastery("bkt")["student_id"]) == ["s1", "s2"]
        assert store.mastery("graph")["p_mastered"].tolist() == [0.9]
        assert store.mastery("bkt")["as_of"].notna().all()
        bad = a.assign(p_mastered=[0.1, None, 0.3])  # NOT NULL violated mid-write
        with pytest.raises(InvalidInput, match="cannot write mastery"):
            store.write_mastery(bad, "bkt")
        assert len(store.mastery("bkt")) == 2  # the old rows survive a failed replace


def test_replace_rows_by_partition_and_whole(db_url):
    plan = pd.DataFrame({"district_id": [None, None, "d1"], "grade": [4, 4, 4],
                         "unit_id": ["u1", "u2", "u1"], "standard": ["4.NF.B.3", "4.NF.A.1",
                                                                     "4.OA.A.1"],
                         "start_date": pd.to_datetime(["2025-09-01", "2025-10-01",
                                                       "2025-09-01"])})
    with Store.open(db_url) as store:
        store.replace_rows("scope_sequence", plan, ["district_id"])
        assert store.counts()["scope_sequence"] == 3
        store.replace_rows("scope_sequence", plan.iloc[2:].assign(unit_id="u9"), ["district_id"])
        t = store.table("scope_sequence")
        assert sorted(t["unit_id"]) == ["u1", "u2", "u9"]
        assert str(t.loc[t["unit_id"] == "u9", "start_date"].iloc[0])[:10] == "2025-09-01"
        store.replace_rows("scope_sequence", plan.iloc[:1], ["district_id"])
        assert store.counts()["scope_sequence"] == 2  # the NULL-district rows were replaced
        pa = pd.DataFrame({"provider_id": ["p1", "p1"], "school_id": ["a", "b"]})
        store.replace_rows("provider_assignments", pa)
        store.replace_rows("provider_assignments", pa.iloc[:1])
        assert store.counts()["provider_assignments"] == 1
        with pytest.raises(NotFound):
            store.replace_rows("nope", pa)
        with pytest.raises(InvalidInput):
            store.replace_rows("provider_assignments", pa, ["nope"])
        with pytest.raises(InvalidInput, match="no column"):
            store.replace_rows("provider_assignments", pa.assign(extra=1))


def test_interventions_round_trip(db_url):
    iv = pd.DataFrame({"id": ["i1"], "student_id": ["s1"], "intervention": ["tutoring"],
                       "standards": ["4.NF.B.3,4.NF.A.1"], "start_date": ["2025-10-01"],
                       "end_date": [None], "minutes": [30], "provider": ["prv-01"]})
    with Store.open(db_url) as store:
        store.replace_rows("interventions", iv)
        got = store.table("interventions")
        assert got["standards"].iloc[0] == "4.NF.B.3,4.NF.A.1"
        assert int(got["minutes"].iloc[0]) == 30


def test_a_failed_transaction_leaves_nothing(db_url):
    with Store.open(db_url) as store:
        with pytest.raises(RuntimeError), store.begin() as conn:
            bulk_write(conn, T.responses, fake_responses(1000), on_conflict="ignore",
                       key_cols=list(RESPONSE_KEY))
            raise RuntimeError("boom")
        assert store.counts()["responses"] == 0


def test_scores_upsert(db_url):
    s = pd.DataFrame({"student_id": ["a", "b"], "year": [2025, 2025], "grade": [4, 5],
                      "subject": ["math", "math"], "scale_score": [400.0, 450.0],
                      "achievement_level": ["2", None]})
    with Store.open(db_url) as store:
        with store.begin() as conn:
            bulk_write(conn, T.scale_scores, s, on_conflict="update")
        with store.begin() as conn:
            bulk_write(conn, T.scale_scores, s.assign(scale_score=[410.0, 450.0]),
                       on_conflict="update")
        got = store.scores()
        assert got["scale_score"].tolist() == [410.0, 450.0]
        assert got["year"].dtype == "int64"


def test_packed_mastery_round_trips_sparse_sets_and_pages(db_url):
    """Students with different standard sets, shuffled input: the long table comes back
    sorted and exact (p float64; sd float32 precision), and a page of students reads alone."""
    rng = np.random.default_rng(3)
    rows = [("s2", "4.NF.B.3"), ("s1", "5.NF.A.1"), ("s1", "4.NF.B.3"), ("s3", "3.NF.A.1"),
            ("s2", "5.NF.A.1"), ("s2", "3.NF.A.1")]
    df = pd.DataFrame(rows, columns=["student_id", "standard"]).assign(
        p_mastered=rng.random(len(rows)), sd=[0.1, None, 0.2, 0.3, 0.05, 0.15],
        n_evidence=[1, 0, 2, 3, 0, 1])
    with Store.open(db_url) as store:
        by_student = [df[df["student_id"] == s] for s in ("s2", "s1", "s3")]
        assert store.write_mastery(iter([pd.concat(by_student[:2]), by_student[2]]),
                                   "graph") == 6
        m = store.mastery("graph")
        exp = df.sort_values(["student_id", "standard"]).reset_index(drop=True)
        assert m[["student_id", "standard"]].values.tolist() == \
            exp[["student_id", "standard"]].values.tolist()
        assert m["p_mastered"].tolist() == exp["p_mastered"].tolist()
        assert np.allclose(m["sd"], exp["sd"].astype(float), equal_nan=True, atol=1e-7)
        assert m["n_evidence"].tolist() == exp["n_evidence"].tolist()
        assert store.counts()["mastery"] == 6
        page = store.mastery("graph", student_ids=["s3"])
        assert page[["student_id", "standard"]].values.tolist() == [["s3", "3.NF.A.1"]]
        with pytest.raises(InvalidInput, match="twice"):
            store.write_mastery(pd.concat([df, df.iloc[:1]]), "graph")
        with pytest.raises(InvalidInput, match="more than one chunk"):
            store.write_mastery(iter([df.iloc[:3], df.iloc[3:]]), "graph")
        assert len(store.mastery("graph")) == 6


def test_version_1_database_is_upgraded(tmp_path):
    """A database from before packed mastery opens; its (derived) estimates are dropped."""
    import sqlalchemy as sa

    path = tmp_path / "v1.db"
    eng = sa.create_engine(f"sqlite:///{path}")
    with eng.begin() as c:
        c.execute(sa.text("CREATE TABLE schema_info (version INTEGER PRIMARY KEY, "
                          "applied_at DATETIME NOT NULL)"))
        c.execute(sa.text("INSERT INTO schema_info VALUES (1, '2026-01-01 00:00:00')"))
        c.execute(sa.text("CREATE TABLE mastery (student_id TEXT, standard TEXT, model TEXT, "
                          "p_mastered FLOAT, sd FLOAT, n_evidence INTEGER, as_of DATETIME)"))
        c.execute(sa.text("INSERT INTO mastery VALUES ('s1', '4.NF.B.3', 'graph', 0.5, 0.1, "
                          "1, NULL)"))
    eng.dispose()
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert len(store.mastery()) == 0
        store.write_mastery(pd.DataFrame({"student_id": ["s1"], "standard": ["4.NF.B.3"],
                                          "p_mastered": [0.7]}), "graph")
        assert store.mastery()["p_mastered"].tolist() == [0.7]
