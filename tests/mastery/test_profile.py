"""The iceberg profile: secure levels per strand, ranked unfinished standards, group views."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sounding.errors import InvalidInput
from sounding.mastery.graph_model import PosteriorMatrix
from sounding.mastery.profile import (
    BELOW_BUCKETS,
    compute_icebergs,
    group_distribution,
    iceberg_profiles,
)
from sounding.progression import StandardsGraph, load_default


@pytest.fixture(scope="module")
def graph() -> StandardsGraph:
    return load_default().k8_algebra1()


def _posterior(graph: StandardsGraph, grade: int, overrides: dict[str, float],
               student: str = "stu", sure: float = 0.995) -> pd.DataFrame:
    """Secure (``sure``) below ``grade``, unsure (0.3) from ``grade`` on, with overrides."""
    codes = list(graph.standard_codes)
    p = [overrides.get(c, sure if graph[c].grade_num < grade else 0.3) for c in codes]
    return pd.DataFrame({"user_id": student, "standard": codes, "p_mastered": p})


GAPS = {"4.NF.B.3": 0.02, "3.OA.A.1": 0.03, "2.NBT.A.1": 0.04}


def _strand_codes(graph: StandardsGraph, strand: str, max_grade: int) -> list[str]:
    return [c for c in graph.standard_codes
            if graph[c].strand == strand and graph[c].grade_num <= max_grade]


def test_hand_made_student_secure_levels(graph):
    post = _posterior(graph, 5, GAPS)
    t = compute_icebergs(post, pd.DataFrame({"student_id": ["stu"], "grade": ["5"]}), graph,
                         tolerance=0.0)
    prof = t.profile("stu")
    assert prof.grade == 5
    assert prof.strand("fractions").secure_through == 3
    assert prof.strand("fractions").label == "grade 3"
    assert prof.strand("fractions").grades_below == 1
    assert prof.strand("algebraic").secure_through == 2
    assert prof.strand("algebraic").grades_below == 2
    assert prof.strand("number").secure_through == 1
    assert prof.strand("number").grades_below == 3
    for s in ("geometry", "data"):  # everything below grade 5 secure, grade 5 itself not
        assert prof.strand(s).secure_through == 4 and prof.strand(s).grades_below == 0
    fn = prof.strand("functions")  # no functions standards at or below grade 5
    assert fn.secure_through is None and fn.label == "n/a" and fn.grades_below == 0
    # p_secure is the probability of the placement: every fraction standard up to grade 3
    # mastered (independent here: sd 0), and not every one up to grade 4
    frac3 = _strand_codes(graph, "fractions", 3)
    frac4 = [c for c in _strand_codes(graph, "fractions", 4) if c not in frac3]
    p4 = np.prod([GAPS.get(c, 0.995) for c in frac4])
    assert prof.strand("fractions").n_standards == len(frac3)
    assert prof.strand("fractions").p_secure == pytest.approx(0.995 ** len(frac3) * (1 - p4))


def test_likely_mastered_standards_are_not_held_against_a_placement(graph):
    """Two grade-4 fraction standards at P = 0.75 (likely mastered, under the old 0.8 bar):
    the old threshold counted both as not secure (two exceptions, one tolerated) and placed
    the student a grade below; the most probable placement is on grade."""
    frac4 = [c for c in _strand_codes(graph, "fractions", 4) if graph[c].grade_num == 4]
    post = _posterior(graph, 5, {c: 0.75 for c in frac4[:2]}, sure=0.97)
    st = pd.DataFrame({"student_id": ["stu"], "grade": [5]})
    f = compute_icebergs(post, st, graph).profile("stu").strand("fractions")
    assert f.secure_through == 4 and f.grades_below == 0
    assert 0.5 < f.p_secure < 1.0


def _exact_levels(p: np.ndarray, sd: np.ndarray, grades: np.ndarray, top: int, tol: float,
                  nodes: np.ndarray) -> dict[int, float]:
    """Distribution of the secure level by enumerating every mastery state (small strands)."""
    from itertools import product

    from sounding.mastery import _profile_kernels as pk

    gs = np.unique(grades[grades <= top])
    out: dict[int, float] = {}
    V = pk.coupled_values(p, sd, nodes, pk.RHO)
    for q in range(len(nodes)):
        v = V[:, q]
        for state in product((0, 1), repeat=len(p)):
            m = np.array(state, dtype=bool)
            w = float(np.prod(np.where(m, v, 1 - v)))
            level = gs[0] - 1
            for h in gs:
                cols = grades <= h
                if (~m[cols]).sum() <= np.floor(tol * cols.sum() + 0.5):
                    level = h
                else:
                    break
            out[int(level)] = out.get(int(level), 0.0) + w / len(nodes)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_secure_level_distribution_is_exact(seed):
    """The kernel's dynamic programme against brute-force enumeration of all 2^n states."""
    from sounding.mastery import _profile_kernels as pk
    from sounding.mastery.profile import _NODES

    rng = np.random.default_rng(seed)
    n = 9
    grades = np.sort(rng.integers(2, 6, n))
    p = rng.uniform(0.05, 0.99, n)
    sd = rng.uniform(0, 0.3, n) * (seed % 2)  # odd seeds: coupled standards
    p[rng.random(n) < 0.2] = np.nan if seed == 3 else p[0]  # seed 3: unknown standards
    tol = 0.2
    G = np.array([5, 4, 3], dtype=np.int64)
    P = np.tile(p, (3, 1))
    SD = np.tile(sd, (3, 1))
    gs = np.unique(grades)
    outs = [np.empty(3) for _ in range(2)] + [np.empty(3, dtype=np.int64) for _ in range(3)]
    pk.strand_levels(P, SD, G, np.arange(n, dtype=np.int64), grades.astype(np.int64),
                     gs.astype(np.int64), tol, _NODES, pk.RHO, *outs)
    level, p_level = outs[0], outs[1]
    for i, top in enumerate(G):
        known = ~np.isnan(p)
        dist = _exact_levels(p[known], sd[known], grades[known], int(top), tol, _NODES)
        best = max(sorted(dist), key=lambda k: (dist[k], k))
        assert level[i] == best
        assert p_level[i] == pytest.approx(dist[best], abs=1e-9)


def test_nothing_secure_is_a_claim_with_its_own_probability(graph):
    """Nothing secure in a strand: "below grade 3", with the probability of THAT claim and
    the standards it rests on (never certainty from no standards)."""
    frac = {c: 0.1 for c in graph.standard_codes if graph[c].strand == "fractions"}
    post = _posterior(graph, 5, frac)
    prof = compute_icebergs(post, pd.DataFrame({"student_id": ["stu"], "grade": [5]}),
                            graph).profile("stu")
    f = prof.strand("fractions")
    assert f.secure_through == 2 and f.label == "below grade 3" and f.grades_below == 2
    n3 = len(_strand_codes(graph, "fractions", 3))
    assert f.n_standards == n3
    # not secure at grade 3: more than round(0.1 * n3) = 0 of its standards unmastered
    assert f.p_secure == pytest.approx(1 - 0.1**n3)
    assert f.p_secure < 1.0
    number = {c: 0.1 for c in graph.standard_codes if graph[c].strand == "number"}
    prof = compute_icebergs(_posterior(graph, 4, number),
                            pd.DataFrame({"student_id": ["stu"], "grade": [4]}),
                            graph).profile("stu")
    assert prof.strand("number").secure_through == -1
    assert prof.strand("number").label == "below K"
    assert prof.strand("number").grades_below == 4
    assert 0 < prof.strand("number").p_secure < 1 and prof.strand("number").n_standards > 0


def test_untested_standards_are_unknown_not_unsecured(graph):
    """A per-standard model's posterior (BKT): only tested standards have estimates."""
    tested = {"3.NF.A.1": 0.97, "3.NF.A.2": 0.96, "3.NF.A.3": 0.95, "4.NF.A.1": 0.9,
              "3.OA.A.1": 0.1}
    post = pd.DataFrame({"user_id": "stu", "standard": list(tested),
                         "p_mastered": list(tested.values())})
    st = pd.DataFrame({"student_id": ["stu", "none"], "grade": [5, 5]})
    t = compute_icebergs(post, st, graph)
    prof = t.profile("stu")
    f = prof.strand("fractions")
    # placed on the tested ones (grade 5 has none: passed over)
    assert f.secure_through == 5 and f.grades_below == 0
    assert f.n_standards == 4
    assert f.n_unknown == len(_strand_codes(graph, "fractions", 5)) - 4
    geo = prof.strand("geometry")  # nothing tested: unknown, not "below K"
    assert geo.label == "unknown" and geo.secure_through is None and geo.grades_below is None
    assert [u.standard for u in prof.unfinished] == ["3.OA.A.1"]
    # a student with no answers at all: every strand with standards is unknown
    nobody = t.profile("none")
    assert {s.label for s in nobody.strands} == {"unknown", "n/a"}
    assert all(s.grades_below is None for s in nobody.strands if s.label == "unknown")
    # group distributions leave unknown placements out of the buckets
    dist = group_distribution(t, st, graph)
    geo_n = dist.levels[dist.levels["strand"] == "geometry"]["n_students"].sum()
    assert geo_n == 0


def test_a_strand_that_ends_before_the_current_grade_counts_as_on_grade(graph):
    """Number (CC, NBT) stops at grade 5: a grade-8 student secure through 5 is not behind."""
    post = _posterior(graph, 8, {})
    t = compute_icebergs(post, pd.DataFrame({"student_id": ["stu"], "grade": ["8"]}), graph,
                         tolerance=0.0)
    number = t.profile("stu").strand("number")
    assert number.secure_through == 5 and number.grades_below == 0
    post = _posterior(graph, 8, {"4.NBT.B.5": 0.01})  # a real grade-4 gap is still 2 below 5
    t = compute_icebergs(post, pd.DataFrame({"student_id": ["stu"], "grade": ["8"]}), graph,
                         tolerance=0.0)
    number = t.profile("stu").strand("number")
    assert number.secure_through == 3 and number.grades_below == 2


def test_hand_made_student_unfinished_order_and_depth(graph):
    post = _posterior(graph, 5, GAPS)
    t = compute_icebergs(post, pd.DataFrame({"student_id": ["stu"], "grade": [5]}), graph)
    prof = t.profile("stu")
    got = [u.standard for u in prof.unfinished]
    assert set(got) == set(GAPS)

    def weight(c: str) -> tuple[int, bool]:
        deps = [s for s in graph.successors(c, transitive=True) if graph[s].grade_num >= 5]
        return (len(deps), graph[c].is_major)

    expected = sorted(GAPS, key=lambda c: (-weight(c)[0], not weight(c)[1], GAPS[c]))
    assert got == expected
    assert [u.rank for u in prof.unfinished] == [1, 2, 3]
    for u in prof.unfinished:
        assert u.n_dependents == weight(u.standard)[0]
        assert u.p_mastered == pytest.approx(GAPS[u.standard])
    majors = [5 - graph[c].grade_num for c in GAPS if graph[c].is_major]
    assert prof.depth == max(majors)
    json.dumps(prof.to_dict())
    assert list(prof.to_frame()["standard"]) == got


def test_tolerance_forgives_one_exception(graph):
    post = _posterior(graph, 5, {"4.NF.B.3": 0.02})
    n4 = len(_strand_codes(graph, "fractions", 4))
    assert np.floor(0.1 * n4 + 0.5) >= 1  # one exception out of n4 is within 10 %
    st = pd.DataFrame({"student_id": ["stu"], "grade": [5]})
    strict = compute_icebergs(post, st, graph, tolerance=0.0).profile("stu")
    lenient = compute_icebergs(post, st, graph, tolerance=0.1).profile("stu")
    assert strict.strand("fractions").secure_through == 3
    assert lenient.strand("fractions").secure_through == 4
    assert lenient.strand("fractions").grades_below == 0
    # still listed as unfinished: tolerance is about the placement, not the list
    assert [u.standard for u in lenient.unfinished] == ["4.NF.B.3"]


def _random_population(graph: StandardsGraph, n: int, seed: int):
    rng = np.random.default_rng(seed)
    codes = list(graph.standard_codes)
    grade = rng.integers(3, 9, n)
    ability = rng.normal(0, 1.2, n)
    sg = np.array([graph[c].grade_num for c in codes])
    logit = 2.0 + ability[:, None] + 0.3 * (grade[:, None] - sg[None, :]) \
        + rng.normal(0, 1.0, (n, len(codes)))
    P = 1.0 / (1.0 + np.exp(-logit))
    ids = np.array([f"s{i:04d}" for i in range(n)], dtype=object)
    students = pd.DataFrame({"student_id": ids, "grade": grade,
                             "school_id": rng.choice(["a", "b", "c"], n),
                             "english_learner": rng.random(n) < 0.2})
    pm = PosteriorMatrix(ids, tuple(codes), P.astype(np.float32), np.zeros_like(P),
                         np.zeros(P.shape, np.int32), grade)
    return students, pm


def test_matrix_and_frame_inputs_agree(graph):
    students, pm = _random_population(graph, 60, 1)
    a = compute_icebergs(pm, students, graph)
    b = compute_icebergs(pm.to_frame(), students, graph)
    pd.testing.assert_frame_equal(a.strands, b.strands)
    pd.testing.assert_frame_equal(a.unfinished, b.unfinished)
    pd.testing.assert_frame_equal(a.students, b.students)


def test_profiles_frame_shape_and_consistency(graph):
    students, pm = _random_population(graph, 80, 2)
    df = iceberg_profiles(pm, students, graph)
    n_strands = len({graph[c].strand for c in graph.standard_codes})
    assert len(df) == 80 * n_strands
    for col in ("student_id", "grade", "strand", "secure_through", "label", "grades_below",
                "p_secure", "n_unfinished", "depth", "n_unfinished_total", "top_unfinished"):
        assert col in df.columns
    assert df.groupby("student_id")["n_unfinished"].sum().equals(
        df.groupby("student_id")["n_unfinished_total"].first())
    assert (df["grades_below"] >= 0).all()
    applies = df["label"] != "n/a"
    assert df.loc[applies, "p_secure"].between(0, 1).all()
    assert (df.loc[applies, "n_standards"] > 0).all()
    t = compute_icebergs(pm, students, graph)
    # unfinished rows are below grade, under the threshold, ranked 1..n per student
    u = t.unfinished.merge(students[["student_id", "grade"]], on="student_id",
                           suffixes=("", "_student"))
    assert (u["grade"] < u["grade_student"]).all() and (u["p_mastered"] < 0.5).all()
    ranks = u.groupby("student_id")["rank"].apply(list)
    assert all(r == list(range(1, len(r) + 1)) for r in ranks)
    nd = u.groupby("student_id")["n_dependents"].apply(lambda s: list(s) == sorted(s)[::-1])
    assert nd.all()


def test_group_distributions_sum(graph):
    students, pm = _random_population(graph, 300, 3)
    t = compute_icebergs(pm, students, graph)
    total = group_distribution(t, students, graph)
    by_school = group_distribution(t, students, graph, by="school_id")
    sizes = students.groupby("school_id").size()
    n_strands = t.strands["strand"].nunique()
    lv = by_school.levels
    per = lv.groupby(["group", "strand"])["n_students"].sum()
    assert len(per) == len(sizes) * n_strands
    # every student counts once per strand that reaches their grade ("n/a" strands do not)
    applies = t.strands[t.strands["secure_through"].notna()].merge(
        students[["student_id", "school_id"]], on="student_id")
    expected = applies.groupby(["school_id", "strand"]).size()
    for (grp, strand), n in per.items():
        assert n == expected.get((grp, strand), 0)
    assert t.strands["secure_through"].isna().any()  # some strands do not apply
    sums = lv.groupby(["group", "strand"])["share"].sum()
    np.testing.assert_allclose(sums[per > 0], 1.0)
    assert set(lv["grades_below"].astype(str)) <= set(BELOW_BUCKETS)
    # the district is the sum of its schools
    a = total.levels.groupby(["strand", "grades_below"], observed=True)["n_students"].sum()
    b = lv.groupby(["strand", "grades_below"], observed=True)["n_students"].sum()
    pd.testing.assert_series_equal(a, b)
    un = by_school.unfinished
    assert (un["n_unfinished"] <= un["n_below_grade"]).all()
    assert un["n_unfinished"].sum() == len(t.unfinished)
    # denominators: students in the group whose grade is above the standard's
    row = un[(un["group"] == "a") & (un["standard"] == "3.OA.A.1")].iloc[0]
    assert row["n_below_grade"] == ((students["school_id"] == "a") & (students["grade"] > 3)).sum()
    assert row["share"] == pytest.approx(row["n_unfinished"] / row["n_below_grade"])
    json.dumps(by_school.to_dict())
    flags = group_distribution(t, students, graph, by="english_learner")
    assert flags.sizes["n_students"].sum() == 300


def test_bad_inputs(graph):
    students, pm = _random_population(graph, 5, 4)
    with pytest.raises(InvalidInput):
        compute_icebergs(pm, students.drop(columns="grade"), graph)
    with pytest.raises(InvalidInput):
        compute_icebergs(pm, students, graph, tolerance=1.5)
    t = compute_icebergs(pm, students, graph)
    with pytest.raises(InvalidInput):
        group_distribution(t, students, graph, by="nope")


def test_the_coupling_keeps_each_standards_mean_and_sd():
    """The probit coupling ``Phi(a + b t)`` is moment-matched: over the ability quantile ``t``
    it has the posterior mean ``p`` and sd ``sd`` the store keeps (so the placement changes
    nothing a standard's own readout says), is skewed towards the nearer end (a likely-mastered
    standard is near 1 at most abilities), and is the plain ``p`` where ``sd`` is 0 or
    unknown. The straight line it replaced, ``clip(p + sd t)``, lowered the mean of such a
    standard by the clipping."""
    from scipy.stats import norm

    from sounding.mastery import _profile_kernels as pk

    rng = np.random.default_rng(7)
    p = rng.uniform(0.002, 0.998, 400)
    sd = rng.uniform(0.0, 0.9, 400) * np.sqrt(p * (1 - p))
    t = norm.ppf((np.arange(4000) + 0.5) / 4000)
    V = pk.coupled_values(p, sd, t, pk.RHO)
    assert np.all(np.diff(V, axis=1) >= 0)  # comonotone: every standard rises with t
    assert np.abs(V.mean(axis=1) - p).max() < 2e-3
    assert np.abs(V.std(axis=1) - sd).max() < 5e-3
    skewed = V[(p > 0.8) & (sd > 0.1)]
    assert skewed.size and (np.median(skewed, axis=1) > skewed.mean(axis=1)).all()
    line = np.clip(0.9 + 0.15 * t, 0, 1).mean()
    assert line < 0.89  # what the clipped line did to a P = 0.9 standard
    flat = pk.coupled_values(np.array([0.3, 0.7, 0.0]), np.array([0.0, np.nan, 0.2]), t, pk.RHO)
    assert np.all(flat == np.array([[0.3], [0.7], [0.0]]))
