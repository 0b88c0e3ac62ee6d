"""Measure the plan's decisions against the simulator's truth (issue 14).

Simulates a district (``--seed``, ``--students``), fits the graph-aware mastery model on its
answers (the estimate planning sees in production, never the truth), plans it, and scores:

1. **level agreement** -- for every classroom- and student-level finding, the CDE rule applied
   to the *true* mastery of the class's enrolled students on the finding's standards (more than
   the threshold share not mastered on at least one of them -> classroom, else student); the
   share of findings whose level agrees (also per (finding, standard) pair, and for the classes
   listed by district-/school-wide findings: share truly over the threshold);
2. **stands out** -- precision and recall, at class level, of the classroom findings marked
   ``distinctive`` (the class stands out from its grade) against the classes the simulator
   made weak (``truth/weak_topics.csv``);
3. **pathway precision** -- share of recommended standards truly not mastered with every
   direct prerequisite truly mastered: pathway steps (``planning.pathways``), the family
   report's "working on next" (its first ``n_next`` steps), the groups' focus standards
   (checked for every member of the group), and ``ready_to_learn`` of the student view
   (``sounding mastery show``), on a sample of students;
4. **tier shares** among students with recent evidence;
5. **after the checks** (``--check-rounds N``, default 3) -- the plan's unsure findings ask
   for short checks (``TriagePlan.checks``: a few items per standard for every student of the
   class); the simulated students answer them from their truth
   (:func:`sounding.simulate.checks.answer_checks`), the model is refitted on all the
   answers, the district planned again, and the level agreement measured again, round after
   round, with what the checks cost (answers per student).

Usage::

    PYTHONPATH=src .venv/bin/python bench/measure_triage_truth.py --seed 11 --students 3000

``--cache DIR`` keeps each fitted posterior (pickle) so reruns skip the fit.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sounding.planning import default_scope_sequence, evidence_summary, small_groups, triage
from sounding.planning.class_effects import answer_counts, class_effects, shifted_p
from sounding.planning.frames import (
    GraphArrays,
    MasteryMatrix,
    check_classes,
    check_enrollments,
    check_mastery,
    check_students,
    eligible_columns,
    plan_grades,
)
from sounding.planning.pathways import pathways_from_matrix
from sounding.planning.triage import TriageConfig
from sounding.progression import load_default
from sounding.simulate import DistrictSpec, simulate_district
from sounding.simulate.checks import answer_checks
from sounding.testing import estimated_posterior, planning_tables


def fitted(seed: int, n_students: int, graph, cache: Path | None) -> tuple[Any, pd.DataFrame]:
    """(district, estimated posterior), from the cache when there."""
    key = cache / f"district_{seed}_{n_students}.pkl" if cache else None
    if key is not None and key.exists():
        with key.open("rb") as f:
            return pickle.load(f)
    d = simulate_district(DistrictSpec(n_students=n_students, seed=seed))
    post = estimated_posterior(d, graph)
    if key is not None:
        key.parent.mkdir(parents=True, exist_ok=True)
        with key.open("wb") as f:
            pickle.dump((d, post), f)
    return d, post


def truth_matrix(d, graph, student_ids) -> np.ndarray:
    """(n, J) bool: truly mastered, rows in ``student_ids`` order, standard-level columns."""
    ga = GraphArrays.of(graph)
    wide = d.truth_mastery.set_index("student_id")
    out = np.zeros((len(student_ids), len(ga.codes)), dtype=bool)
    rows = wide.index.get_indexer(pd.Index(student_ids))
    for j, code in enumerate(ga.codes):
        if code in wide.columns:
            out[:, j] = wide[code].to_numpy(dtype=bool)[rows]
        else:  # a standard split into parts in the truth: mastered when every part is
            parts = [c for c in wide.columns if c != "student_id" and graph.rollup(c) == code]
            if parts:
                out[:, j] = wide[parts].to_numpy(dtype=bool)[rows].all(axis=1)
    return out


def oracle_calibrated(post: pd.DataFrame, other: tuple[Any, pd.DataFrame], graph
                      ) -> pd.DataFrame:
    """``post`` with P(mastered) recalibrated by a map fitted on *another* district's posterior
    against its truth (200 quantile bins, monotone; answered and inferred cells apart): what
    planning would decide if the mastery model were calibrated in every bin. A measuring
    device only (planning never sees a truth)."""
    ga = GraphArrays.of(graph)
    d2, post2 = other
    sids = d2.truth_students["student_id"].to_numpy()
    truth = truth_matrix(d2, graph, sids)
    row = pd.Index(sids).get_indexer(post2["student_id"])
    col = np.array([ga.index.get(graph.rollup(c), -1) for c in post2["standard"].astype(str)])
    ok = (row >= 0) & (col >= 0)
    q = 1 - post2["p_mastered"].to_numpy(dtype=float)[ok]
    t = ~truth[row[ok], col[ok]]
    answered = post2["n_evidence"].to_numpy()[ok] > 0
    q_new = 1 - post["p_mastered"].to_numpy(dtype=float)
    ans_new = post["n_evidence"].to_numpy() > 0
    out = q_new.copy()
    for a in (False, True):
        qa, ta = q[answered == a], t[answered == a]
        edges = np.quantile(qa, np.linspace(0, 1, 201))
        b = np.clip(np.digitize(qa, edges) - 1, 0, 199)
        cnt = np.bincount(b, minlength=200)
        keep = cnt > 0
        mq = (np.bincount(b, qa, 200) / np.maximum(cnt, 1))[keep]
        mt = np.maximum.accumulate((np.bincount(b, ta, 200) / np.maximum(cnt, 1))[keep])
        sel = ans_new == a
        out[sel] = np.interp(q_new[sel], mq, mt)
    return post.assign(p_mastered=1 - out)


def check_rounds(d, plan, plan_of, truth, row_of, ga, thr: float, rounds: int,
                 graph, **sizes: int) -> list[dict[str, Any]]:
    """Starting from ``plan``, give the checks the plan asks for, refit, plan again:
    ``rounds`` times. Each round's level agreement (the same measure as the first plan's)
    and what it cost."""
    out = []
    responses = d.responses
    n_students = len(row_of)
    total = 0
    checks = plan.checks(**sizes)
    for k in range(rounds):
        if not checks:
            break
        day = (pd.Timestamp(responses["timestamp"].max()).normalize()
               + pd.offsets.BDay(1)).date()
        new = answer_checks(d, checks, on=day, seed=1000 * (k + 1) + d.spec.seed)
        total += len(new)
        responses = pd.concat([responses, new], ignore_index=True)
        t0 = time.perf_counter()
        post = estimated_posterior(d, graph, responses)
        plan = plan_of(post, responses)
        lv = level_agreement(plan, truth, row_of, ga, thr)
        given, checks = checks, plan.checks(**sizes)
        out.append({"round": k + 1, "classes_checked": len(given),
                    "standards_checked": sum(len(c.standards) for c in given),
                    "answers": len(new),
                    "answers_per_checked_student": round(len(new) / max(
                        new["student_id"].nunique(), 1), 1),
                    "answers_per_student_so_far": round(total / max(n_students, 1), 2),
                    "refit_plan_s": round(time.perf_counter() - t0, 1),
                    "checks_left": len(checks), **lv})
    return out


def level_agreement(plan, truth: np.ndarray, row_of: dict, ga, thr: float) -> dict[str, Any]:
    agree = n = 0
    pair_agree = pair_n = 0
    by_level: dict[str, list[int]] = {"classroom": [0, 0], "student": [0, 0]}
    confirm = [0, 0]
    hedged = [0, 0]  # near the threshold (interval across it) or confirm first
    plain = [0, 0]  # stated without a hedge
    for r in plan.recommendations:
        if r.level not in ("classroom", "student") or r.class_id is None:
            continue
        rows = [row_of[s] for s in plan.class_members.get(r.class_id, []) if s in row_of]
        if not rows:
            continue
        cols = [ga.index[c] for c in r.standards]
        true_share = 1 - truth[np.ix_(rows, cols)].mean(axis=0)
        true_level = "classroom" if (true_share > thr + 1e-9).any() else "student"
        ok = true_level == r.level
        agree += ok
        n += 1
        by_level[r.level][0] += ok
        by_level[r.level][1] += 1
        for s in true_share:
            pair_agree += (s > thr + 1e-9) == (r.level == "classroom")
            pair_n += 1
        if r.numbers.get("confirm_first"):
            confirm[0] += ok
            confirm[1] += 1
        h = hedged if (r.numbers.get("confirm_first") or r.numbers.get("near_threshold")) \
            else plain
        h[0] += ok
        h[1] += 1
    sys_over = sys_n = 0
    for r in plan.recommendations:
        if r.kind not in ("district_wide", "school_wide"):
            continue
        cols = [ga.index[c] for c in r.standards]
        for cid in r.classes:
            rows = [row_of[s] for s in plan.class_members.get(cid, []) if s in row_of]
            if rows:
                sys_over += bool((1 - truth[np.ix_(rows, cols)].mean(axis=0) > thr).any())
                sys_n += 1
    n_direct = n - confirm[1]
    return {"n_findings": n, "agreement": agree / max(n, 1),
            "agreement_acted_on": (agree - confirm[0]) / max(n_direct, 1),
            "pair_agreement": pair_agree / max(pair_n, 1),
            "classroom": f"{by_level['classroom'][0]}/{by_level['classroom'][1]}",
            "student": f"{by_level['student'][0]}/{by_level['student'][1]}",
            "confirm_first": f"{confirm[0]}/{confirm[1]}",
            "hedged": f"{hedged[0]}/{hedged[1]}", "plain": f"{plain[0]}/{plain[1]}",
            "plain_agreement": plain[0] / max(plain[1], 1),
            "system_classes_truly_over": sys_over / max(sys_n, 1), "system_class_pairs": sys_n}


def all_pairs(plan, m: MasteryMatrix, truth: np.ndarray, row_of: dict, ga, cl: pd.DataFrame,
              scope, graph, responses: pd.DataFrame | None = None) -> dict[str, Any]:
    """The estimated rule against the truth on every (class, taught standard) pair a class is
    judged on (classes of 5+ students without a stale-class finding), findings or not; the
    share's error (RMSE) and its calibration (mean truth per bin of the estimate). With
    ``responses``, the estimate is shifted by the empirical-Bayes class effect (what triage
    does with ``TriageConfig(class_effects=True)``)."""
    thr = plan.config.threshold
    taught = {g: scope.taught_by(g, plan.as_of) for g in scope.grades}
    elig = eligible_columns(ga.codes, ga.grade, taught)
    stale = {r.class_id for r in plan.select(kind="stale_class")}
    pg = dict(zip(cl["class_id"], cl["plan_grade"], strict=True))
    judged = [(cid, ids) for cid, ids in plan.class_members.items()
              if len(ids) >= plan.config.min_class_size and cid not in stale]
    shift = None
    if responses is not None:
        n_c = len(judged)
        r_idx = [row_of[s] for _, ids in judged for s in ids]
        c_idx = [ci for ci, (_, ids) in enumerate(judged) for _ in ids]
        emat = sp.csr_matrix((np.ones(len(r_idx)), (c_idx, r_idx)), shape=(n_c, len(m.p)))
        pgr = np.array([int(pg[cid]) for cid, _ in judged])
        allowed = elig[pgr] & (ga.grade[None, :] >= pgr[:, None] - plan.config.grades_back)
        right, total = answer_counts(responses, m.student_ids, ga.codes, graph.rollup)
        shift = class_effects(emat, m.p, right, total,
                              np.unique(ga.cluster, return_inverse=True)[1], allowed,
                              np.maximum(pgr[:, None] - ga.grade[None, :], 0)).shift
    ests, trues = [], []
    for ci, (cid, ids) in enumerate(judged):
        rows = np.array([row_of[s] for s in ids])
        g = int(pg[cid])
        cols = np.flatnonzero(elig[g] & (ga.grade >= g - plan.config.grades_back))
        p = m.p[np.ix_(rows, cols)].astype(np.float64)
        if shift is not None:
            p = shifted_p(p, shift[ci, cols][None, :])
        ests.append(np.nanmean(1 - p, axis=0))
        trues.append(1 - truth[np.ix_(rows, cols)].mean(axis=0))
    est, true = np.concatenate(ests), np.concatenate(trues)
    ok = (est > thr + 1e-6) == (true > thr + 1e-9)
    near = np.abs(est - thr) < 0.05
    edges = [0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.6, 1.0]
    b = np.clip(np.digitize(est, edges[1:-1]), 0, len(edges) - 2)
    calib = {f"{edges[k]:.2f}-{edges[k + 1]:.2f}": [round(float(est[b == k].mean()), 3),
                                                   round(float(true[b == k].mean()), 3),
                                                   int((b == k).sum())]
             for k in range(len(edges) - 1) if (b == k).any()}
    return {"pairs": int(ok.size), "agreement": float(ok.mean()) if ok.size else 0.0,
            "near_threshold": float(ok[near].mean()) if near.any() else 0.0,
            "near_pairs": int(near.sum()),
            "rmse": float(np.sqrt(np.mean((est - true) ** 2))) if ok.size else 0.0,
            "calibration": calib}


def stands_out(plan, d) -> dict[str, Any]:
    weak = set(d.weak_topics["class_id"])
    flagged = {r.class_id for r in plan.select(level="classroom")
               if r.numbers.get("distinctive")}
    hit = len(flagged & weak)
    return {"flagged": len(flagged), "weak": len(weak),
            "precision": hit / max(len(flagged), 1), "recall": hit / max(len(weak), 1)}


def pathway_ok(truth: np.ndarray, rows: np.ndarray, cols: np.ndarray, ga) -> np.ndarray:
    """Per (row, col): truly not mastered and every direct prerequisite truly mastered."""
    not_m = ~truth[rows, cols]
    pre = ga.prereq[:, cols].T  # (k, J)
    pre_ok = ~(pre & ~truth[rows]).any(axis=1)
    return not_m & pre_ok


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--students", type=int, default=3000)
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--sample", type=int, default=300,
                    help="students sampled for family report and ready_to_learn")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--oracle-calibration", type=int, default=None, metavar="SEED",
                    help="recalibrate the posterior with a map fitted on seed SEED's truth "
                         "(a measuring device: planning if the model were calibrated)")
    ap.add_argument("--check-rounds", type=int, default=3, metavar="N",
                    help="rounds of plan -> the checks it asks for -> refit -> plan "
                         "(0: the first plan only)")
    ap.add_argument("--check-items", type=int, default=None, metavar="K",
                    help="items per standard in a check (default: the plan's, 3)")
    ap.add_argument("--check-max-standards", type=int, default=None, metavar="S",
                    help="standards per sitting of a check (default: the plan's, 6)")
    ap.add_argument("--class-effects", action="store_true",
                    help="shift class estimates by the empirical-Bayes class effect "
                         "(TriageConfig.class_effects)")
    a = ap.parse_args(argv)
    graph = load_default().k8_algebra1()
    ga = GraphArrays.of(graph)
    t0 = time.perf_counter()
    d, post = fitted(a.seed, a.students, graph, a.cache)
    if a.oracle_calibration is not None:
        post = oracle_calibrated(post, fitted(a.oracle_calibration, a.students, graph, a.cache),
                                 graph)
    t_fit = time.perf_counter() - t0
    students, classes, en = planning_tables(d)
    scope = default_scope_sequence()
    ev = evidence_summary(d.responses)

    def plan_of(p, responses, evidence=None):
        if evidence is None:
            evidence = evidence_summary(responses)
        return triage(p, students, classes, en, evidence=evidence,
                      graph=graph, responses=responses, scope=scope,
                      config=TriageConfig(class_effects=a.class_effects))

    t0 = time.perf_counter()
    plan = plan_of(post, d.responses, ev)
    t_plan = time.perf_counter() - t0
    st = check_students(students)
    sids = st["student_id"].to_numpy()
    row_of = {s: i for i, s in enumerate(sids)}
    truth = truth_matrix(d, graph, sids)
    out: dict[str, Any] = {"seed": a.seed, "students": a.students, "as_of": str(plan.as_of),
                           "fit_s": round(t_fit, 1), "plan_s": round(t_plan, 1)}
    out["summary"] = plan.summary()["by_level"]
    out["levels"] = level_agreement(plan, truth, row_of, ga, plan.config.threshold)
    first_checks = plan.checks()
    out["first_plan_checks"] = {"classes": len(first_checks),
                                "standards": sum(len(c.standards) for c in first_checks)}

    sizes = {k: v for k, v in (("items_per_standard", a.check_items),
                                ("max_standards", a.check_max_standards)) if v is not None}
    out["after_checks"] = check_rounds(d, plan, plan_of, truth, row_of, ga,
                                       plan.config.threshold, a.check_rounds, graph, **sizes)
    out["stands_out"] = stands_out(plan, d)
    s = plan.summary()
    out["tiers"] = s["tier_shares"]
    # how long a class's plan is, and what it leads with
    seen, jit, lead_jit = [], [], []
    for cid in (plan.class_members if hasattr(plan, "teacher_plan") else []):
        tp = plan.teacher_plan(cid)
        n_topics = len(tp["lead"]) + len(tp["more"])
        if not n_topics:
            continue
        seen.append(n_topics)
        jit.append(tp["n_just_in_time"])
        lead_jit.append(sum(bool(r.numbers.get("priority", {}).get("just_in_time"))
                            for r in tp["lead"]))
    out["class_plans"] = {"classes": len(seen),
                          "median_findings": float(np.median(seen)) if seen else None,
                          "max_findings": int(max(seen)) if seen else None,
                          "median_just_in_time": float(np.median(jit)) if jit else None,
                          "share_lead_all_just_in_time": float(np.mean(
                              [a == min(3, b) for a, b in zip(lead_jit, jit, strict=True)]))
                          if jit else None}

    # pathways (and the family report's first steps)
    ms = check_mastery(post, graph)
    m = MasteryMatrix.build(ms, st, graph)
    cl, en_c = check_classes(classes), check_enrollments(en)
    pg = plan_grades(st, cl, en_c)
    out["all_pairs"] = all_pairs(plan, m, truth, row_of, ga, cl, scope, graph,
                                 d.responses if a.class_effects else None)
    lv = out["levels"]
    n_cls = lv["n_findings"] + lv["system_class_pairs"]
    out["levels"]["with_system_listed"] = (lv["agreement"] * lv["n_findings"]
                                           + lv["system_classes_truly_over"]
                                           * lv["system_class_pairs"]) / max(n_cls, 1)
    recent = st["student_id"].isin(ev["student_id"]).to_numpy()
    table = pathways_from_matrix(m, graph, pg, scope, plan.as_of)
    steps = table.steps[table.steps["student_id"].isin(sids[recent])]
    rows = np.array([row_of[s] for s in steps["student_id"]], dtype=np.int64)
    cols = np.array([ga.index[c] for c in steps["standard"]], dtype=np.int64)
    ok = pathway_ok(truth, rows, cols, ga)
    out["pathways"] = {"n": int(len(ok)), "precision": float(ok.mean()) if len(ok) else None,
                       "jit_precision": float(ok[steps["kind"].to_numpy() == "just_in_time"]
                                              .mean()) if len(ok) else None,
                       "median_p": float(np.median(steps["p_mastered"])) if len(ok) else None,
                       "students_with_steps": int(steps["student_id"].nunique()),
                       "students": int(recent.sum())}
    first = steps[steps["rank"] <= 3]
    ok3 = ok[steps["rank"].to_numpy() <= 3]
    out["family_next"] = {"n": int(len(first)),
                          "precision": float(ok3.mean()) if len(ok3) else None}

    # groups' focus: the focus standards of a group, for every member
    groups = small_groups(post, students, classes, en, graph=graph, scope=scope,
                          as_of=plan.as_of, evidence=ev)
    g_rows, g_cols = [], []
    for cg in groups.values():
        for g in cg.groups:
            for code in g.focus:
                for sid in g.students:
                    g_rows.append(row_of[sid])
                    g_cols.append(ga.index[code])
    gok = pathway_ok(truth, np.array(g_rows, dtype=np.int64), np.array(g_cols, dtype=np.int64),
                     ga) if g_rows else np.zeros(0, bool)
    out["groups_focus"] = {"n": int(len(gok)),
                           "precision": float(gok.mean()) if len(gok) else None}

    # ready_to_learn of the student view, on a sample
    from sounding.mastery.view_source import ready_to_learn as _ready_to_learn
    rng = np.random.default_rng(a.seed)
    sample = rng.choice(np.flatnonzero(recent), size=min(a.sample, int(recent.sum())),
                        replace=False)
    pm = post.assign(standard=post["standard"].astype(str))
    by_student = {s: dict(zip(g["standard"], g["p_mastered"].astype(float), strict=True))
                  for s, g in pm[pm["student_id"].isin(sids[sample])].groupby("student_id")}
    r_rows, r_cols, r_p = [], [], []
    for i in sample:
        pmap = by_student.get(sids[i])
        if not pmap:
            continue
        for rec in _ready_to_learn(pmap, int(pg[i]), graph, 5):
            r_rows.append(i)
            r_cols.append(ga.index[graph.rollup(rec["standard"])])
            r_p.append(rec["p_mastered"])
    rok = pathway_ok(truth, np.array(r_rows, dtype=np.int64), np.array(r_cols, dtype=np.int64),
                     ga) if r_rows else np.zeros(0, bool)
    out["ready_to_learn"] = {"n": int(len(rok)),
                             "precision": float(rok.mean()) if len(rok) else None,
                             "truly_not_mastered": float((~truth[r_rows, r_cols]).mean())
                             if r_rows else None,
                             "median_p": float(np.median(r_p)) if r_p else None,
                             "students": int(len(sample))}
    if a.json:
        print(json.dumps(out, indent=1, default=str))
    else:
        lv = out["levels"]
        so = out["stands_out"]
        print(f"seed {a.seed}, {a.students} students, as of {out['as_of']} (fit "
              f"{out['fit_s']} s, plan {out['plan_s']} s); findings by level {out['summary']}")
        print(f"  level agreement {lv['agreement']:.1%} of {lv['n_findings']} findings "
              f"(classroom {lv['classroom']}, student {lv['student']}, confirm-first "
              f"{lv['confirm_first']}; the others {lv['agreement_acted_on']:.1%}; hedged (near "
              f"the threshold or confirm first) {lv['hedged']}, stated plainly {lv['plain']} = "
              f"{lv['plain_agreement']:.1%}); per (finding, "
              f"standard) {lv['pair_agreement']:.1%}; "
              f"classes listed by system findings truly over: "
              f"{lv['system_classes_truly_over']:.1%} of {lv['system_class_pairs']}")
        ap = out["all_pairs"]
        print(f"  every class decision (classroom/student findings + classes listed by system "
              f"findings): {lv['with_system_listed']:.1%}; every judged (class, taught "
              f"standard) pair: {ap['agreement']:.1%} of {ap['pairs']} (within 5 points of "
              f"the threshold: {ap['near_threshold']:.1%} of {ap['near_pairs']}); share RMSE "
              f"{ap['rmse']:.4f}")
        print("  share calibration (bin: mean estimate, mean truth, pairs): "
              + "; ".join(f"{k}: {v[0]:.3f} {v[1]:.3f} {v[2]}"
                          for k, v in ap["calibration"].items()))
        print(f"  stands out: {so['flagged']} classes flagged, {so['weak']} weak, precision "
              f"{so['precision']:.2f} recall {so['recall']:.2f}")
        for k in ("pathways", "family_next", "groups_focus", "ready_to_learn"):
            v = out[k]
            prec = "n/a" if v["precision"] is None else f"{v['precision']:.1%}"
            extra = {x: (round(y, 3) if isinstance(y, float) else y) for x, y in v.items()
                     if x not in ("n", "precision")}
            print(f"  {k}: precision {prec} of {v['n']} {extra}")
        for rd in out["after_checks"]:
            print(f"  after check round {rd['round']}: level agreement {rd['agreement']:.1%} "
                  f"of {rd['n_findings']} findings (classroom {rd['classroom']}, student "
                  f"{rd['student']}; hedged {rd['hedged']}, stated plainly {rd['plain']}); "
                  f"classes listed by system findings truly over "
                  f"{rd['system_classes_truly_over']:.1%}; checks given to "
                  f"{rd['classes_checked']} classes on {rd['standards_checked']} (class, "
                  f"standard) pairs, {rd['answers']} answers "
                  f"({rd['answers_per_checked_student']} per checked student; "
                  f"{rd['answers_per_student_so_far']} per student of the district so far); "
                  f"{rd['checks_left']} checks asked for next")
        print(f"  tiers 1/2/3: {out['tiers']}")
        print(f"  class plans: {out['class_plans']}")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
