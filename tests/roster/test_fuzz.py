"""Mangled roster files: import cleanly or fail with located problems, never crash, and a
rejected import changes nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sounding.errors import InvalidData
from sounding.roster import import_roster
from sounding.store import Store
from tests.roster.mini_roster import MINI, write_mini

FILES = sorted(k for k in MINI if k != "manifest.csv")

# small alphabet of troublemakers plus arbitrary bytes
NASTY = st.one_of(
    st.sampled_from([b",", b'"', b"\n", b"\r\n", b"\xff", b"\xe9", b"\x00", b"", b"x" * 50,
                     b"tobedeleted", b"2025-13-45", b"c-999", b"metadata.x", b"true"]),
    st.binary(min_size=1, max_size=6),
)


def mangle(data: bytes, draw) -> bytes:
    """Apply one random, realistic corruption to a CSV file's bytes."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    kind = draw(st.sampled_from(["drop_col", "extra_col", "truncate", "bytes", "dup_row",
                                 "swap_ref", "drop_header", "blank"]))
    n = len(lines)
    if kind == "drop_col":
        i = draw(st.integers(0, 30))
        lines = [b",".join(f for j, f in enumerate(ln.split(b",")) if j != i) for ln in lines]
    elif kind == "extra_col":
        name = draw(st.sampled_from([b"extra", b"metadata.extra", b""]))
        lines = [lines[0] + b"," + name] + [ln + b",v" for ln in lines[1:]]
    elif kind == "truncate":
        k = draw(st.integers(0, n - 1))
        lines[k] = lines[k][:draw(st.integers(0, max(0, len(lines[k]) - 1)))]
    elif kind == "bytes":
        k = draw(st.integers(0, n - 1))
        pos = draw(st.integers(0, len(lines[k])))
        lines[k] = lines[k][:pos] + draw(NASTY) + lines[k][pos:]
    elif kind == "dup_row" and n > 1:
        k = draw(st.integers(1, n - 1))
        lines.insert(k, lines[k])
    elif kind == "swap_ref" and n > 1:
        k = draw(st.integers(1, n - 1))
        fields = lines[k].split(b",")
        i = draw(st.integers(0, len(fields) - 1))
        fields[i] = draw(st.sampled_from([b"nobody", b"c-999", b"org-x", b"", b"KG"]))
        lines[k] = b",".join(fields)
    elif kind == "drop_header":
        lines = lines[1:]
    elif kind == "blank":
        lines.insert(draw(st.integers(0, n)), b"")
    return b"\n".join(lines) + b"\n"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    with Store.open(base / "fuzz.db") as s:
        import_roster(s, write_mini(base / "good"))
        yield s


def assert_located(exc: InvalidData) -> None:
    assert exc.problems, "a rejection must list problems"
    assert all(p.file for p in exc.problems)
    assert any(p.line is not None and p.field for p in exc.problems), exc.problems


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mangled_roster(store, data):
    n_files = data.draw(st.integers(1, 2))
    targets = data.draw(st.lists(st.sampled_from(FILES), min_size=n_files, max_size=n_files,
                                 unique=True))
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_mini(Path(tmp) / "oneroster")
        for name in targets:
            path = folder / name
            path.write_bytes(mangle(path.read_bytes(), data.draw))
        before = store.counts()
        try:
            import_roster(store, folder)
            event("accepted")
        except InvalidData as exc:
            event("rejected")
            assert_located(exc)
            assert store.counts() == before
