"""Run the diagnostic against simulated students and judge it against their true knowledge.

For every student the true placement of each strand is computed from the simulator's truth
with the same definition the engine estimates (:mod:`sounding.diagnostic.placement`), and
the engine's placement after every answer is kept, so one run gives the items used, the
exact-placement accuracy at the end, and the accuracy if the test had been cut at any
shorter length (the accuracy-against-length curve).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sounding.diagnostic.engine import DiagnosticEngine
from sounding.diagnostic.placement import BUCKETS
from sounding.diagnostic.students import SimulatedStudent


@dataclass
class SimulationReport:
    """Items used and placement accuracy of one strategy on a set of simulated students."""

    name: str
    n_students: int
    items: np.ndarray                 # (N,) items answered per student
    exact: np.ndarray                 # (pairs,) estimated bucket == true bucket
    within_one: np.ndarray
    true_bucket: np.ndarray
    est_bucket: np.ndarray
    strand: np.ndarray
    curve: dict[int, float] = field(default_factory=dict)   # length -> exact accuracy
    seconds: float = 0.0
    sessions: list = field(default_factory=list, repr=False)  # kept when asked
    #: other readouts of the same final posterior: the model's own MAP (no correction) and
    #: thresholding every standard's P(mastered) at 0.5 and applying the placement rule
    est_model_map: np.ndarray | None = None
    est_threshold: np.ndarray | None = None

    def summary(self) -> dict[str, Any]:
        by_strand = {}
        for s in np.unique(self.strand):
            m = self.strand == s
            by_strand[str(s)] = round(float(self.exact[m].mean()), 4)
        conf = np.zeros((len(BUCKETS), len(BUCKETS)), dtype=int)
        np.add.at(conf, (self.true_bucket, self.est_bucket), 1)
        other = {}
        for key, est in (("exact_placement_model_map", self.est_model_map),
                         ("exact_placement_threshold", self.est_threshold)):
            if est is not None and len(est) == len(self.true_bucket):
                other[key] = round(float((est == self.true_bucket).mean()), 4)
        return {
            "strategy": self.name, "students": self.n_students,
            "items_mean": round(float(self.items.mean()), 2),
            "items_p95": float(np.percentile(self.items, 95)),
            "items_max": int(self.items.max()),
            "placements": int(len(self.exact)),
            "exact_placement": round(float(self.exact.mean()), 4),
            "within_one_grade": round(float(self.within_one.mean()), 4),
            **other,
            "exact_by_strand": by_strand,
            "confusion_true_by_estimated": conf.tolist(),
            "curve": {str(k): round(v, 4) for k, v in sorted(self.curve.items())},
            "seconds": round(self.seconds, 1),
            "ms_per_item": round(1000 * self.seconds / max(1, int(self.items.sum())), 2),
        }


def true_buckets(engine: DiagnosticEngine, student: SimulatedStudent) -> dict[int, int]:
    """The student's true placement bucket in every applicable strand."""
    pm = engine.placement
    truth = np.array([1.0 if student.knows(c) else 0.0 for c in engine.codes])
    out = {}
    for sg in pm.strand_grades(student.grade):
        if sg.applicable:
            d = pm.level_buckets(truth[sg.cols][None, :], sg)[0]
            out[sg.strand] = int(np.argmax(d))
    return out


def run_students(engine: DiagnosticEngine, students: Sequence[SimulatedStudent], *,
                 name: str | None = None,
                 choose: Callable[[Any, SimulatedStudent], Any] | None = None,
                 progress: Callable[[int], None] | None = None,
                 keep_sessions: bool = False,
                 curve_points: Sequence[int] | None = None) -> SimulationReport:
    """Every student takes the test; placements are read after each answer.

    ``choose`` replaces the engine's item choice (the fixed form and the catsim peer use it):
    ``choose(session, student) -> iterator of standards or template ids`` (see
    ``bench/bench_diagnostic.py``).
    """
    t0 = time.perf_counter()
    pm = engine.placement
    L = engine.max_items
    points = set(range(L + 1)) if curve_points is None else {k for k in curve_points if k <= L}
    items, ex, w1, tb, eb, sn, em, et = [], [], [], [], [], [], [], []
    curve_hits = np.zeros(L + 1)
    curve_n = 0
    kept = []
    for i, st in enumerate(students):
        truth = true_buckets(engine, st)
        session = engine.start(st.student_id, st.grade, session_id=f"sim-{name}-{st.student_id}")
        history: dict[int, dict[int, int]] = {}

        def record(session=session, truth=truth, history=history,  # noqa: ANN001
                   last: bool = False) -> None:
            n = session.n_answered
            if last or n in points:
                cur = engine.current(session)
                history[n] = {s: int(np.argmax(cur.D[s])) for s in truth}

        record()
        if choose is None:
            item = engine.next_item(session)
            while item is not None:
                item = engine.answer(session, item.item_id, st.respond(item)).next_item
                record()
        else:
            for what in choose(session, st):
                seed = engine._seed(session, what)
                # a standard code, or a template id ("<code>/<n>") when the peer picks items
                item = (engine.bank.template(what).generate(seed) if "/" in what
                        else engine.bank.generate(what, seed))
                session.pending = item.item_id
                engine.answer_without_next(session, item, st.respond(item))
                record()
                if session.n_answered >= L:
                    break
        record(last=True)
        cur = engine.current(session)
        mastered = (cur.state.p_mastered >= 0.5).astype(float)
        for s in truth:
            em.append(int(np.argmax(cur.raw[s])))
            sg = next(r for r in cur.rows if r.strand == s)
            et.append(int(np.argmax(pm.level_buckets(mastered[sg.cols][None, :], sg)[0])))
        if keep_sessions:
            kept.append(session)
        else:
            engine.forget(session)
        n = session.n_answered
        items.append(n)
        final = history[n]
        for s, t in truth.items():
            ex.append(final[s] == t)
            w1.append(abs(final[s] - t) <= 1)
            tb.append(t)
            eb.append(final[s])
            sn.append(pm.strands[s])
        if truth:
            curve_n += len(truth)
            for k in sorted(points):
                h = history[min(k, n)]
                curve_hits[k] += sum(h[s] == t for s, t in truth.items())
        if progress is not None:
            progress(i + 1)
    curve = {k: float(curve_hits[k] / max(1, curve_n)) for k in sorted(points)}
    return SimulationReport(name or engine.strategy, len(students), np.array(items),
                            np.array(ex, dtype=bool), np.array(w1, dtype=bool),
                            np.array(tb), np.array(eb), np.array(sn, dtype=object), curve,
                            time.perf_counter() - t0, kept, np.array(em), np.array(et))
