"""Mangled response and score files: import cleanly or fail with located problems (never
another exception), and a rejected file changes nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sounding.errors import InvalidData
from sounding.evidence import import_responses, import_scores
from sounding.progression import load_default
from sounding.store import Store, bulk_write
from sounding.store import tables as T

RESPONSES = (b"student_id,item_id,standard,correct,timestamp,source\n"
             b"s-1,i1,4.NF.B.3,1,2025-09-03T10:15:00,classwork\n"
             b"s-1,i2,4.NF.B.3a,0,2025-09-04T10:15:00,classwork\n"
             b's-2,i1,K.CC.A.1,1,2025-09-05T10:15:00+02:00,"diag, fall"\n'
             b"s-2,i3,5.NF.A.1,0,2025-09-06,interim\n")
SCORES = (b"student_id,year,grade,subject,scale_score,achievement_level\n"
          b"s-1,2026,4,math,455,3\n"
          b"s-1,2025,3,math,430.5,2\n"
          b"s-2,2026,KG,math,300,\n")

NASTY = st.one_of(
    st.sampled_from([b",", b'"', b"\n", b"\xff", b"\xe9", b"\x00", b"", b"-1", b"1e9", b"NaN",
                     b"2", b"s-9", b"9.ZZ.A.1", b"2025-02-30", b"KG", b" "]),
    st.binary(min_size=1, max_size=6),
)


def mangle(data: bytes, draw) -> bytes:
    lines = data.rstrip(b"\n").split(b"\n")
    kind = draw(st.sampled_from(["drop_col", "extra_col", "truncate", "bytes", "dup_row",
                                 "replace_field", "drop_header", "blank"]))
    n = len(lines)
    if kind == "drop_col":
        i = draw(st.integers(0, 6))
        lines = [b",".join(f for j, f in enumerate(ln.split(b",")) if j != i) for ln in lines]
    elif kind == "extra_col":
        lines = [lines[0] + b"," + draw(st.sampled_from([b"extra", b""]))] + [
            ln + b",v" for ln in lines[1:]]
    elif kind == "truncate":
        k = draw(st.integers(0, n - 1))
        lines[k] = lines[k][:draw(st.integers(0, max(0, len(lines[k]) - 1)))]
    elif kind == "bytes":
        k = draw(st.integers(0, n - 1))
        pos = draw(st.integers(0, len(lines[k])))
        lines[k] = lines[k][:pos] + draw(NASTY) + lines[k][pos:]
    elif kind == "dup_row":
        k = draw(st.integers(1, n - 1))
        row = lines[k]
        if draw(st.booleans()):  # same key, another value
            row = row.replace(b",1,", b",0,", 1) if b",1," in row else row + b"0"
        lines.insert(k, row)
    elif kind == "replace_field":
        k = draw(st.integers(1, n - 1))
        fields = lines[k].split(b",")
        i = draw(st.integers(0, len(fields) - 1))
        fields[i] = draw(NASTY)
        lines[k] = b",".join(fields)
    elif kind == "drop_header":
        lines = lines[1:]
    elif kind == "blank":
        lines.insert(draw(st.integers(1, n)), b"")
    return b"\n".join(lines) + b"\n"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    with Store.open(base / "fuzz.db") as s:
        with s.begin() as conn:
            bulk_write(conn, T.users, pd.DataFrame({"user_id": ["s-1", "s-2"],
                                                    "given_name": ["A", "B"]}))
            bulk_write(conn, T.roles, pd.DataFrame({
                "role_id": ["r1", "r2"], "user_id": ["s-1", "s-2"], "role_type": "primary",
                "role": "student", "org_id": "sch-1"}))
        yield s


@pytest.fixture(scope="module")
def graph():
    return load_default()


def check(store, importer, data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        before = store.counts()
        try:
            importer(store, path)
            event("accepted")
        except InvalidData as exc:
            event("rejected")
            assert exc.problems and all(p.file == name for p in exc.problems)
            assert any(p.line is not None and p.field for p in exc.problems), exc.problems
            assert store.counts() == before


SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@SETTINGS
@given(data=st.data())
def test_mangled_responses(store, graph, data):
    mangled = RESPONSES
    for _ in range(data.draw(st.integers(1, 2))):
        mangled = mangle(mangled, data.draw)
    check(store, lambda s, p: import_responses(s, p, graph=graph), mangled, "responses.csv")


@SETTINGS
@given(data=st.data())
def test_mangled_scores(store, data):
    mangled = SCORES
    for _ in range(data.draw(st.integers(1, 2))):
        mangled = mangle(mangled, data.draw)
    check(store, import_scores, mangled, "scores.csv")


def test_clean_files_import(store, graph, tmp_path):
    (tmp_path / "r.csv").write_bytes(RESPONSES)
    (tmp_path / "s.csv").write_bytes(SCORES)
    import_responses(store, tmp_path / "r.csv", graph=graph)
    import_scores(store, tmp_path / "s.csv")
    assert store.counts()["scale_scores"] >= 3
