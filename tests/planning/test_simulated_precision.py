"""Triage and pathways on simulated districts, against the simulator's truth (issue 14).

Mastery is *estimated* by the graph-aware model from the simulated answers (not the truth), on
two 3,000-student districts (seeds 11 and 12; grades 3-8 and Algebra I, ~128 classes each).
The simulator makes ~15% of classes weak on one cluster of their grade (``weak_topics``) and
knows every student's true mastery (``truth_mastery``). Measured here
(``.venv/bin/pytest tests/planning/test_simulated_precision.py -s``) and, for four seeds with
the command in notes/planning.md, by ``bench/measure_triage_truth.py``:

=====  ===========================  ============================  =====================
seed   level agrees with the truth  "stands out" P / R (classes)  pathway steps correct
=====  ===========================  ============================  =====================
11     83% of 183 findings          0.84 / 0.66                   87%
12     87% of 204 findings          0.87 / 0.72                   87%
=====  ===========================  ============================  =====================

Level agreement: for every classroom- and student-level finding, the CDE rule (more than 20%
of the class) applied to the class's *true* mastery on the finding's standards gives the same
level (it was 19-22% when levels were decided on confirmed counts). Findings sit where the
estimate is close to the threshold (the clear cases are rolled into district-/school-wide
findings, whose listed classes are truly over the threshold 96-97% of the time), so this is
below the issue's 90% target: near 20% a class of 24 is one student either way. Pathway steps
are correct when the standard is truly not mastered and its prerequisites truly are (it was
23%). Before the redesign of issue 4 the plain rule flagged almost every class; the "stands
out" comparison keeps that signal as information on classroom findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sounding.planning import evidence_summary, triage
from sounding.progression import load_default
from sounding.simulate import DistrictSpec, simulate_district
from sounding.testing import estimated_posterior, planning_tables

SEEDS = (11, 12)
plan_post: dict[int, pd.DataFrame] = {}


def _plan(seed: int, graph):
    d = simulate_district(DistrictSpec(n_students=3000, seed=seed))
    r = d.responses
    post = estimated_posterior(d, graph)
    students, classes, en = planning_tables(d)
    plan = triage(post, students, classes, en, evidence=evidence_summary(r), graph=graph,
                  responses=r)
    plan_post[seed] = post
    return d, plan, classes


@pytest.fixture(scope="module")
def planned():
    graph = load_default().k8_algebra1()
    return {seed: _plan(seed, graph) for seed in SEEDS}


def _scores(d, plan) -> dict[str, float]:
    """Precision and recall of the "stands out" signal against the weak classrooms."""
    weak_pairs = set(map(tuple, d.weak_topics[["class_id", "standard"]].to_numpy()))
    weak_classes = set(d.weak_topics["class_id"])
    found = [r for r in plan.select(level="classroom") if r.numbers["distinctive"]]
    classes = {r.class_id for r in found}
    pairs = {(r.class_id, s) for r in found for s in r.standards}
    return {
        "P": len(classes & weak_classes) / max(len(classes), 1),
        "R": len(classes & weak_classes) / len(weak_classes),
        "pair_P": len(pairs & weak_pairs) / max(len(pairs), 1),
        "pair_R": len(pairs & weak_pairs) / len(weak_pairs),
        "n_classes": len(classes),
    }


def _truth(d):
    return d.truth_mastery.set_index("student_id")


def test_levels_agree_with_the_truth(planned):
    for seed, (d, plan, _classes) in planned.items():
        truth = _truth(d)
        thr = plan.config.threshold
        agree = n = 0
        for r in plan.recommendations:
            if r.level not in ("classroom", "student"):
                continue
            ids = plan.class_members[r.class_id]
            true_share = 1 - truth.loc[ids, r.standards].to_numpy(dtype=bool).mean(axis=0)
            agree += ("classroom" if (true_share > thr).any() else "student") == r.level
            n += 1
        listed = over = 0
        for r in plan.recommendations:
            if r.kind in ("district_wide", "school_wide"):
                for cid in r.classes:
                    ids = plan.class_members[cid]
                    t = 1 - truth.loc[ids, r.standards].to_numpy(dtype=bool).mean(axis=0)
                    over += bool((t > thr).any())
                    listed += 1
        print(f"seed {seed}: level agrees with the truth for {agree / n:.1%} of {n} classroom "
              f"and student findings; classes listed by system findings truly over the "
              f"threshold: {over / listed:.1%} of {listed}")
        assert agree / n >= 0.78  # 83% and 87% measured; 19-22% on confirmed counts
        assert over / listed >= 0.9


def test_stands_out_points_at_the_weak_classrooms(planned):
    all_scores = []
    for seed, (d, plan, classes) in planned.items():
        s = _scores(d, plan)
        all_scores.append(s)
        print(f"seed {seed}: {len(classes)} classes, {d.weak_topics['class_id'].nunique()} "
              f"weak; stands out in {s['n_classes']} classes: class level precision "
              f"{s['P']:.2f} recall {s['R']:.2f}; pairs precision {s['pair_P']:.2f} recall "
              f"{s['pair_R']:.2f}")
        assert s["P"] >= 0.7 and s["R"] >= 0.55
        assert s["pair_P"] >= 0.6 and s["pair_R"] >= 0.55
        bases = {r.numbers["basis"] for r in plan.select(level="classroom")}
        assert bases <= {"stands_out", "confirmed", "above_threshold", "lone_class",
                         "small_class"}
        # a classroom finding is never demoted, and never decided on the comparison
        for r in plan.select(level="student"):
            assert r.share <= plan.config.threshold + 1e-6
    assert np.mean([s["P"] for s in all_scores]) >= 0.75
    assert np.mean([s["R"] for s in all_scores]) >= 0.6


def test_pathway_steps_are_truly_next_steps(planned):
    from sounding.planning import default_scope_sequence
    from sounding.planning.frames import (
        GraphArrays,
        MasteryMatrix,
        check_mastery,
        check_students,
    )
    from sounding.planning.pathways import pathways_from_matrix

    graph = load_default().k8_algebra1()
    ga = GraphArrays.of(graph)
    for seed, (d, plan, _classes) in planned.items():
        st = check_students(d.truth_students.assign(district_id="d"))
        m = MasteryMatrix.build(check_mastery(plan_post[seed], graph), st, graph)
        table = pathways_from_matrix(m, graph, st["grade"].to_numpy().copy(),
                                     default_scope_sequence(), plan.as_of)
        truth = _truth(d).loc[st["student_id"], list(ga.codes)].to_numpy(dtype=bool)
        row = pd.Index(st["student_id"]).get_indexer(table.steps["student_id"])
        col = np.array([ga.index[c] for c in table.steps["standard"]])
        ready = ~(ga.prereq[:, col].T & ~truth[row]).any(axis=1)
        ok = ~truth[row, col] & ready
        print(f"seed {seed}: {ok.mean():.1%} of {len(ok)} pathway steps truly not mastered "
              "with every prerequisite mastered")
        assert ok.mean() >= 0.8  # 23% when the fringe was "not secure, prerequisites secure"


def test_the_plain_rule_alone_would_flag_nearly_every_class(planned):
    for seed, (d, plan, classes) in planned.items():
        system = [r for r in plan.select(level="system")
                  if r.kind in ("district_wide", "school_wide")]
        covered = {c for r in system for c in r.classes}
        over = covered | {r.class_id for r in plan.select(level="classroom")}
        weak = set(d.weak_topics["class_id"])
        plain_p = len(over & weak) / len(over)
        print(f"seed {seed}: above the threshold somewhere: {len(over)} of {len(classes)} "
              f"classes (plain-rule precision {plain_p:.2f}); {len(system)} district/school-"
              "wide findings list them once")
        assert len(over) >= 0.8 * len(classes)
        assert plain_p < 0.35
        assert system and all(r.level == "system" and len(r.classes) >= 2 for r in system)


def test_nothing_planted_is_lost(planned):
    for seed, (d, plan, _classes) in planned.items():
        weak = set(map(tuple, d.weak_topics[["class_id", "standard"]].to_numpy()))
        inside = {(r.class_id, s) for r in plan.select(level="classroom") for s in r.standards}
        inside |= {(c, s) for r in plan.select(level="system") for c in r.classes
                   for s in r.standards}
        coverage = len(weak & inside) / len(weak)
        print(f"seed {seed}: weak pairs inside a classroom or system finding: {coverage:.2f}")
        assert coverage >= 0.9


def test_tier_shares(planned):
    for seed, (d, plan, _classes) in planned.items():
        s = plan.summary()
        shares = s["tier_shares"]
        print(f"seed {seed}: tiers 1/2/3 {shares['1']:.0%} / {shares['2']:.0%} / "
              f"{shares['3']:.0%} of {s['n_students'] - s['no_tier']} students with recent "
              f"evidence; unknown (no recent evidence) {s['no_tier']}")
        # the summary rounds each share to 4 decimals: three roundings may add 1.5e-4
        assert abs(sum(shares.values()) - 1) <= 1.5e-4
        assert 0.4 <= shares["1"] <= 0.9 and shares["3"] <= 0.15
        # students of the simulator's stale classes get no tier
        stale = set(d.truth_students.loc[d.truth_students["stale_class"], "student_id"])
        t = plan.tiers.set_index("student_id")
        assert stale and t.loc[sorted(stale), "tier"].isna().mean() > 0.9
