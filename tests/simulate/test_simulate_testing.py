"""`sounding.testing`: the small district other packages' tests use."""

from __future__ import annotations

from pathlib import Path

from sounding.testing import tiny_district, write_tiny_district


def test_tiny_district_has_every_feature() -> None:
    d = tiny_district()
    ts = d.truth_students
    assert len(ts) == 360
    assert sorted(ts["grade"].unique()) == [3, 4, 5, 6, 7, 8]
    assert ts["school_id"].nunique() >= 3
    assert len(d.weak_topics) > 0
    assert ts["stale_class"].any()
    assert ts["algebra1"].any()
    assert len(d.providers) >= 1
    assert len(d.responses) > 30 * len(ts)
    assert set(d.scores["year"]) == {2024, 2025, 2026}


def test_tiny_district_is_cached_per_seed_and_size() -> None:
    assert tiny_district() is tiny_district(0, 360)
    other = tiny_district(seed=1, n_students=200)
    assert other is not tiny_district()
    assert len(other.truth_students) == 200


def test_write_tiny_district(tmp_path: Path) -> None:
    out = write_tiny_district(tmp_path / "d")
    assert (out / "oneroster" / "manifest.csv").is_file()
    assert len((out / "truth" / "students.csv").read_text().splitlines()) == 361
