"""Test helpers for every package: a small simulated district, built by the real simulator.

    from sounding.testing import tiny_district, write_tiny_district
    d = tiny_district()                  # a few hundred students, cached per (seed, n)
    folder = write_tiny_district(tmp_path)

The district is cached, so treat it as read-only (copy a frame before changing it).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sounding.simulate import District, DistrictSpec, simulate_district, write_district


@lru_cache(maxsize=8)
def _tiny(seed: int, n_students: int) -> District:
    spec = DistrictSpec(n_students=n_students, seed=seed, elementary_grade_size=40,
                        middle_grade_size=60, n_providers=2, provider_school_share=0.6)
    return simulate_district(spec)


def tiny_district(seed: int = 0, n_students: int = 360) -> District:
    """A small district (grades 3-8, several schools, every feature present), cached.

    Schools are smaller than the default (40 students per grade in elementary schools, 60 in
    middle schools) so that even a few hundred students give several schools, weak classes,
    stale evidence, providers and an Algebra I class.
    """
    return _tiny(int(seed), int(n_students))


def write_tiny_district(path: str | Path, seed: int = 0, n_students: int = 360) -> Path:
    """Write :func:`tiny_district` to ``path`` (a folder, created) and return the folder."""
    out = Path(path)
    write_district(tiny_district(seed, n_students), out)
    return out


def estimated_posterior(district: District, graph, responses=None):  # noqa: ANN001, ANN201
    """The graph-aware model fitted on a simulated district's answers (or on ``responses``:
    its answers and more, e.g. to the plan's checks), and its posterior (``student_id,
    standard, p_mastered, ...``): what a district's mastery fit would give, for measuring
    decisions against the simulator's truth."""
    import numpy as np
    import pandas as pd

    from sounding.mastery.graph_model import GraphMastery

    r = district.responses if responses is None else responses
    resp = pd.DataFrame({"user_id": r.student_id, "skill_name": r.standard,
                         "correct": r.correct, "order_id": np.arange(len(r))})
    ts = district.truth_students
    grades = dict(zip(ts.student_id, np.where(ts["algebra1"], 9, ts.grade), strict=True))
    return (GraphMastery(graph).fit(resp, grades=grades).posterior(resp, grades=grades)
            .rename(columns={"user_id": "student_id"}))


def planning_tables(district: District):  # noqa: ANN201
    """(students, classes, student enrollments) of a simulated district, in the columns
    planning reads (one district ``d``, one placeholder teacher per class)."""
    students = district.truth_students.rename(
        columns={"economically_disadvantaged": "econ_disadvantaged"}).assign(district_id="d")
    classes = district.classes.rename(columns={"sourcedId": "class_id",
                                               "schoolSourcedId": "school_id",
                                               "grades": "grade"}).assign(teacher_ids="t")
    en = district.enrollments[district.enrollments["role"] == "student"].rename(
        columns={"classSourcedId": "class_id", "userSourcedId": "student_id"})
    return students, classes, en
