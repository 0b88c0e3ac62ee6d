"""Hand-made classes on the real progression graph, shared by the planning tests."""

from __future__ import annotations

import pandas as pd
import pytest

from sounding.progression import StandardsGraph, load_default


@pytest.fixture(scope="session")
def graph() -> StandardsGraph:
    return load_default().k8_algebra1()


def make_class(
    graph: StandardsGraph,
    *,
    n: int = 20,
    grade: int = 5,
    low: dict[str, int] | None = None,
    class_id: str = "c1",
    school_id: str = "sch1",
    n_evidence: int = 3,
    p_low: float = 0.2,
    prefix: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One class of ``n`` students, secure (0.95, ``n_evidence`` answers) on everything up to
    their grade; ``low[code] = k`` makes the first ``k`` students not secure (``p_low``) on
    ``code``. Returns (mastery, students, classes)."""
    prefix = prefix or f"{class_id}-s"
    ids = [f"{prefix}{i:02d}" for i in range(n)]
    codes = list(graph.standard_codes)
    rows = []
    for s in ids:
        for c in codes:
            if graph[c].grade_num <= grade:
                rows.append((s, c, 0.95, n_evidence))
            else:
                rows.append((s, c, 0.05, 0))
    m = pd.DataFrame(rows, columns=["student_id", "standard", "p_mastered", "n_evidence"])
    for code, k in (low or {}).items():
        hit = m["student_id"].isin(ids[:k]) & (m["standard"] == code)
        m.loc[hit, "p_mastered"] = p_low
    st = pd.DataFrame({"student_id": ids, "grade": grade, "school_id": school_id,
                       "district_id": "d1", "class_id": class_id})
    cl = pd.DataFrame({"class_id": [class_id], "school_id": [school_id], "grade": [grade],
                       "title": [f"Math {grade}"], "teacher_ids": ["t1"]})
    return m, st, cl


def combine(*parts: tuple[pd.DataFrame, ...]) -> tuple[pd.DataFrame, ...]:
    """Concatenate several make_class results table by table."""
    return tuple(pd.concat(list(t), ignore_index=True) for t in zip(*parts, strict=True))


@pytest.fixture
def build_class(graph: StandardsGraph):
    """``build_class(**kw)`` -> (mastery, students, classes), see :func:`make_class`."""

    def build(**kw):
        return make_class(graph, **kw)

    return build


@pytest.fixture
def combined():
    """``combined(part, part, ...)`` -> the parts concatenated table by table."""
    return combine
