"""Same seed, same files; the streaming writer writes what the in-memory path writes."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sounding.errors import InvalidInput
from sounding.simulate import DistrictSpec, simulate_district, simulate_to_dir, write_district

SPEC = DistrictSpec(n_students=900, seed=42, elementary_grade_size=50, middle_grade_size=80)


def _files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file()}


def _same(a: Path, b: Path) -> None:
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys()
    for rel in fa:
        if rel.endswith(".parquet"):
            assert pq.read_table(fa[rel]).equals(pq.read_table(fb[rel])), rel
        else:
            assert fa[rel].read_bytes() == fb[rel].read_bytes(), rel


def test_same_seed_same_files(tmp_path: Path) -> None:
    write_district(simulate_district(SPEC), tmp_path / "a")
    write_district(simulate_district(SPEC), tmp_path / "b")
    _same(tmp_path / "a", tmp_path / "b")


def test_other_seed_other_district() -> None:
    a = simulate_district(SPEC)
    b = simulate_district(DistrictSpec(n_students=900, seed=43, elementary_grade_size=50,
                                       middle_grade_size=80))
    assert not a.responses.equals(b.responses)
    assert not a.truth_mastery.equals(b.truth_mastery)


@pytest.mark.parametrize("chunk", [1, 150, 400])
def test_chunked_writer_identical_to_in_memory(tmp_path: Path, chunk: int) -> None:
    write_district(simulate_district(SPEC), tmp_path / "memory")
    summary = simulate_to_dir(SPEC, tmp_path / "chunked", chunk_students=chunk)
    assert summary.n_students == SPEC.n_students
    _same(tmp_path / "memory", tmp_path / "chunked")


def test_chunked_reports_progress(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    simulate_to_dir(SPEC, tmp_path, chunk_students=200, progress=lambda d, t: seen.append((d, t)))
    assert len(seen) > 1
    assert seen[-1] == (SPEC.n_students, SPEC.n_students)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_rewrite_replaces_previous_output(tmp_path: Path) -> None:
    simulate_to_dir(SPEC, tmp_path)
    small = DistrictSpec(n_students=120, seed=1, elementary_grade_size=20, middle_grade_size=20)
    simulate_to_dir(small, tmp_path)
    lines = (tmp_path / "truth" / "students.csv").read_text().splitlines()
    assert len(lines) == 121


def test_bad_specs_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        DistrictSpec(grades=(3, 9))
    with pytest.raises(InvalidInput):
        DistrictSpec(n_students=2, grades=(3, 4, 5))
    with pytest.raises(InvalidInput):
        simulate_to_dir(SPEC, tmp_path, chunk_students=0)
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InvalidInput):
        simulate_to_dir(SPEC, f)
