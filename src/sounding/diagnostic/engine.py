"""The adaptive diagnostic: choose the next item, update the posterior, stop, report.

One answer at a time:

1. the session's answers are replayed (or taken from a cache) into the graph model's online
   state (:meth:`GraphMastery.update`: the posterior over every standard's mastery, which the
   result reports and the store receives);
2. each strand's placement posterior is read from the level model
   (:mod:`sounding.diagnostic.levels`: a discrete posterior over every strand's secure level,
   coupled across strands, fitted on calibration-district students); without one (another
   progression, or ``levels=None``) the graph model's exact placement posterior
   (:mod:`sounding.diagnostic.placement`) corrected by the shipped readout
   (:mod:`sounding.diagnostic.readout`) is used;
3. a strand whose most probable placement has probability >= ``stop_certainty`` is settled,
   but only once the student has answered at least ``min_per_strand`` items in it (the prior
   alone places most young students on grade with 0.9 certainty: a test that settles a strand
   without asking anything in it would tell a teacher nothing about that student);
   the test ends when every strand is settled or ``max_items`` (25) were answered;
4. otherwise the next standard is the one whose answer minimises the *expected entropy of the
   placements still open* (the default ``strategy="entropy"``; alternatives measured in
   ``notes/diagnostic.md``: ``"variance"`` -- the standard whose mastery is most uncertain,
   ``"half"`` -- the item a student gets right with probability closest to 50 %, and
   ``"random"``; ``loss="error"`` scores the expected probability of a wrong placement
   instead of the entropy, ``loss="gini"`` the Gini impurity), and an item is generated on
   it from the bank (a seed per session and position, so a resumed session serves the same
   item).

Only standards at or below the student's grade are asked: placement is about the grades
already taught, and the graph model carries what they say to the rest.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sounding.diagnostic.levels import LevelModel, default_levels
from sounding.diagnostic.model import grade_number, model_tables
from sounding.diagnostic.placement import BUCKETS, LOSSES, Current, PlacementModel, entropy
from sounding.diagnostic.readout import Readout, default_readout
from sounding.diagnostic.session import Answer, DiagnosticSession, now_iso
from sounding.errors import InvalidInput
from sounding.items.bank import ItemBank
from sounding.items.model import Item
from sounding.mastery.graph_model import GraphMastery, MasteryState
from sounding.mastery.profile import UNFINISHED, compute_icebergs
from sounding.progression import grade_label

STRATEGIES = ("entropy", "variance", "half", "random")
MAX_ITEMS = 25
STOP_CERTAINTY = 0.9
#: Answers per standard at most (a third answer on a key standard pays with the level
#: model: notes/diagnostic.md).
MAX_PER_STANDARD = 3
#: Answers a strand needs before its placement may settle (the prior never settles it alone).
MIN_PER_STRAND = 1
#: Candidate standards evaluated by the expected-entropy look-ahead at each step.
LOOKAHEAD = 40
#: Items for a student with no earlier grade to place (kindergarten): the grade's own check.
KINDERGARTEN_ITEMS = 10


@dataclass(frozen=True)
class StrandPlacement:
    """Where a student stands in one strand."""

    strand: str
    grades_below: int | None   # 0..3 (3 = "3 or more"); None when nothing is taught yet
    label: str
    certainty: float | None    # posterior probability of that placement
    distribution: tuple[float, ...]
    secure_through: int | None  # most probable secure grade (-1 = below K)
    n_items: int

    def to_dict(self) -> dict[str, Any]:
        return {"strand": self.strand, "grades_below": self.grades_below, "label": self.label,
                "certainty": self.certainty,
                "distribution": dict(zip(BUCKETS, self.distribution, strict=True))
                if self.distribution else None,
                "secure_through": self.secure_through,
                "secure_through_label": None if self.secure_through is None else (
                    "below K" if self.secure_through < 0
                    else f"grade {grade_label(self.secure_through)}"),
                "n_items": self.n_items}


@dataclass
class DiagnosticResult:
    """What the diagnostic found: placements, mastery of every standard, ready to learn."""

    student_id: str
    grade: int
    n_items: int
    done: bool
    placements: list[StrandPlacement]
    mastery: pd.DataFrame           # standard, p_mastered, sd, n_evidence
    ready_to_learn: list[dict[str, Any]]
    unfinished: list[dict[str, Any]] = field(default_factory=list)

    def placement(self, strand: str) -> StrandPlacement:
        for p in self.placements:
            if p.strand == strand:
                return p
        raise KeyError(strand)

    def to_dict(self) -> dict[str, Any]:
        return {
            "student_id": self.student_id, "grade": self.grade,
            "grade_label": grade_label(self.grade), "n_items": self.n_items, "done": self.done,
            "placements": [p.to_dict() for p in self.placements],
            "ready_to_learn": self.ready_to_learn, "unfinished": self.unfinished,
            "mastery": {r.standard: {"p_mastered": round(float(r.p_mastered), 4),
                                     "sd": round(float(r.sd), 4),
                                     "n_evidence": int(r.n_evidence)}
                        for r in self.mastery.itertuples(index=False)},
        }


@dataclass
class AnswerOutcome:
    """The reply to an answer: whether it was right (kept from the student during the test),
    and the next item, or None when the test is over."""

    correct: bool
    next_item: Item | None
    done: bool


class DiagnosticEngine:
    """Runs diagnostic sessions against one model and one item bank.

    The engine keeps no session state of its own beyond a cache of posteriors keyed by
    session id and answer count; every method takes the session, so sessions can live in a
    database and be served by any process.
    """

    def __init__(self, model: GraphMastery, bank: ItemBank, *, max_items: int = MAX_ITEMS,
                 stop_certainty: float = STOP_CERTAINTY, strategy: str = "entropy",
                 max_per_standard: int = MAX_PER_STANDARD, readout: Readout | None = None,
                 loss: str = "entropy", min_per_strand: int = MIN_PER_STRAND,
                 levels: LevelModel | None | str = "default") -> None:
        if strategy not in STRATEGIES:
            raise InvalidInput(f"unknown strategy {strategy!r}: one of {', '.join(STRATEGIES)}")
        if loss not in LOSSES:
            raise InvalidInput(f"unknown loss {loss!r}: one of {', '.join(LOSSES)}")
        if not 1 <= max_items <= 200:
            raise InvalidInput("max_items must be between 1 and 200")
        self.model = model
        self.bank = bank
        self.max_items = max_items
        self.stop_certainty = stop_certainty
        self.strategy = strategy
        self.max_per_standard = max_per_standard
        if not 0 <= min_per_strand <= max_items:
            raise InvalidInput("min_per_strand must be between 0 and max_items")
        self.min_per_strand = min_per_strand
        self.loss = loss
        self.lookahead = LOOKAHEAD
        if readout is None:
            readout = default_readout(tuple(model_tables(model).params.strands))
        self.placement = PlacementModel(model, readout=readout)
        #: the placement-level model that reports placements, stops strands and chooses
        #: items (:mod:`sounding.diagnostic.levels`); None: the graph model does (corrected
        #: by the readout)
        self.levels: LevelModel | None = (default_levels(self.placement)
                                          if isinstance(levels, str) else levels)
        self.codes = model.standards
        self._index = {c: j for j, c in enumerate(self.codes)}
        self._has_items = np.array([c in bank.templates for c in self.codes])
        self._cache: dict[str, tuple[int, MasteryState]] = {}
        self._cur: tuple[str, int, Current] | None = None

    # ------------------------------------------------------------------ sessions
    def start(self, student_id: str, grade: int | str, session_id: str | None = None
              ) -> DiagnosticSession:
        """A new session (its first item is served by :meth:`next_item`)."""
        g = grade_number(grade)
        kw = {"session_id": session_id} if session_id else {}
        return DiagnosticSession(student_id=str(student_id), grade=g, **kw)

    def state(self, session: DiagnosticSession) -> MasteryState:
        """The posterior after the session's answers (replayed when not cached)."""
        hit = self._cache.get(session.session_id)
        n = session.n_answered
        if hit is not None and hit[0] == n:
            return hit[1]
        if hit is not None and hit[0] < n:
            st, start = hit[1], hit[0]
        else:
            st, start = self.model.initial_state(session.grade), 0
        for a in session.answers[start:]:
            st = self.model.update(st, a.standard, a.correct)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[session.session_id] = (n, st)
        return st

    def forget(self, session: DiagnosticSession) -> None:
        self._cache.pop(session.session_id, None)
        self._cur = None

    def current(self, session: DiagnosticSession) -> Current:
        """The placement posterior of the session now (the last one is cached)."""
        c = self._cur
        if c is not None and c[0] == session.session_id and c[1] == session.n_answered:
            return c[2]
        cur = self.placement_now(self.state(session))
        self._cur = (session.session_id, session.n_answered, cur)
        return cur

    def placement_now(self, st: MasteryState) -> Current:
        """The placement posterior of a state: the graph model's, with ``D`` replaced by the
        level model's buckets when the engine has one."""
        cur = self.placement.current(st)
        if self.levels is not None:
            lp = self.levels.posterior(st.grade, st.n_correct, st.n_wrong)
            cur.levels = lp
            for s in lp.strands:
                if s in cur.D:
                    cur.D[s] = lp.bucket(s)
        return cur

    def next_item(self, session: DiagnosticSession) -> Item | None:
        """The item to serve now (the pending one if any); None when the test is over."""
        if session.done:
            return None
        if session.pending:
            return self.bank.item(session.pending)
        standard = self._choose(session)
        if standard is None:
            session.done = True
            session.finished_at = now_iso()
            return None
        item = self.bank.generate(standard, self._seed(session, standard))
        session.pending = item.item_id
        return item

    def answer(self, session: DiagnosticSession, item_id: str, response: str,
               answered_at: str | None = None) -> AnswerOutcome:
        """Record an answer to the pending item, update, and serve the next item."""
        if session.done:
            raise InvalidInput("this diagnostic is finished")
        if session.pending is None or item_id != session.pending:
            raise InvalidInput(f"item {item_id!r} is not the item being asked")
        if not isinstance(response, str):
            raise InvalidInput("response must be text")
        item = self.bank.item(item_id)
        ok = item.check(response)
        session.answers.append(Answer(item_id, item.standard, response[:200], ok,
                                      answered_at or now_iso()))
        session.pending = None
        nxt = self.next_item(session)
        return AnswerOutcome(ok, nxt, session.done)

    def answer_without_next(self, session: DiagnosticSession, item: Item, response: str
                            ) -> bool:
        """Record an answer to ``item`` without choosing the next one (a fixed form, or a
        peer's item selection, drives the test instead)."""
        ok = item.check(response)
        session.answers.append(Answer(item.item_id, item.standard, response[:200], ok,
                                      now_iso()))
        session.pending = None
        return ok

    def run(self, session: DiagnosticSession, respond) -> DiagnosticSession:  # noqa: ANN001
        """Take the whole test with ``respond(item) -> str`` (simulations, tests)."""
        item = self.next_item(session)
        while item is not None:
            item = self.answer(session, item.item_id, respond(item)).next_item
        return session

    # ------------------------------------------------------------------ selection
    def _seed(self, session: DiagnosticSession, standard: str) -> int:
        h = hashlib.sha256(f"{session.session_id}:{session.n_answered}:{standard}".encode())
        return int(h.hexdigest()[:12], 16)

    def open_strands(self, cur: Current, counts: np.ndarray | None = None,
                     grade: int | None = None) -> list[int]:
        """Strands whose placement is still uncertain, or not yet asked about.

        With ``counts`` (answers per standard) and ``grade``, a strand with fewer than
        ``min_per_strand`` answers on its askable standards stays open whatever the prior says.
        """
        asked = None
        if counts is not None and grade is not None and self.min_per_strand:
            askable = (self.placement.std_grade <= grade) & self._has_items
            n_strands = len(cur.D)
            asked = np.bincount(self.placement.sidx[askable], weights=counts[askable],
                                minlength=n_strands)
            has_askable = np.bincount(self.placement.sidx[askable], minlength=n_strands) > 0
        out = []
        for sg in cur.rows:
            if not sg.applicable:
                continue
            if cur.D[sg.strand].max() < self.stop_certainty:
                out.append(sg.strand)
            elif (asked is not None and has_askable[sg.strand]
                  and asked[sg.strand] < self.min_per_strand):
                out.append(sg.strand)
        return out

    def _choose(self, session: DiagnosticSession) -> str | None:
        if session.n_answered >= self.max_items:
            return None
        st = self.state(session)
        cur = self.current(session)
        G = session.grade
        counts = st.n_correct + st.n_wrong
        active = self.open_strands(cur, counts, G)
        if not any(sg.applicable for sg in cur.rows):
            # kindergarten: no earlier grade to place; a short check of the grade's own
            # standards (the most uncertain first) so the result still says what is secure
            if session.n_answered >= KINDERGARTEN_ITEMS:
                return None
            cand = np.flatnonzero((self.placement.std_grade <= G) & self._has_items
                                  & (counts < 1))
            if not len(cand):
                return None
            p = st.p_mastered[cand]
            return self.codes[int(cand[np.argmax(p * (1 - p))])]
        if not active:
            return None
        cand = np.flatnonzero(
            np.isin(self.placement.sidx, active) & (self.placement.std_grade <= G)
            & self._has_items & (counts < self.max_per_standard))
        if not len(cand):
            return None
        rng = random.Random(f"{session.session_id}:{session.n_answered}")
        if self.strategy == "random":
            return self.codes[int(cand[rng.randrange(len(cand))])]
        if self.strategy == "variance":
            p = st.p_mastered[cand]
            score = -(p * (1 - p))
        elif self.strategy == "half":
            pm = st.p_mastered[cand]
            g, s = self.placement.guess[cand], self.placement.slip[cand]
            score = np.abs(pm * (1 - s) + (1 - pm) * g - 0.5)
        elif cur.levels is not None:
            # the level model's look-ahead is cheap: every candidate is scored
            score = self.levels.expected_loss(cur.levels, st.n_correct, st.n_wrong, cand,
                                              active, LOSSES[self.loss])
        else:
            if len(cand) > self.lookahead:
                # look ahead only on the standards whose answer is least predictable (the
                # others cannot move a placement much): bounds the cost per item
                pm = st.p_mastered[cand]
                pc = pm * (1 - self.placement.slip[cand]) + (1 - pm) * self.placement.guess[cand]
                cand = cand[np.argsort(-(pc * (1 - pc)), kind="stable")[:self.lookahead]]
            score = self.placement.expected_entropy(cur, cand, active, loss=self.loss)
        best = np.flatnonzero(score <= score.min() + 1e-12)
        return self.codes[int(cand[best[rng.randrange(len(best))]])]

    # ------------------------------------------------------------------ results
    def result(self, session: DiagnosticSession) -> DiagnosticResult:
        st = self.state(session)
        cur = self.current(session)  # usually cached: the last item choice computed it
        per_strand = {}
        for a in session.answers:
            s = self.placement.strands[self.placement.sidx[self._index[a.standard]]]
            per_strand[s] = per_strand.get(s, 0) + 1
        placements = []
        for sg in cur.rows:
            name = self.placement.strands[sg.strand]
            if not sg.applicable:
                placements.append(StrandPlacement(name, None, "n/a", None, (), None,
                                                  per_strand.get(name, 0)))
                continue
            D = cur.D[sg.strand]
            b = int(np.argmax(D))
            if cur.levels is not None and sg.strand in cur.levels.strands:
                lv = cur.levels.level(sg.strand)
            else:
                lv = self.placement.level_distribution(cur.pi, cur.m[sg.strand], sg)
            levels = np.concatenate([[sg.grades[0] - 1], sg.grades])
            h = int(len(lv) - 1 - np.argmax(lv[::-1]))
            placements.append(StrandPlacement(name, b, BUCKETS[b], round(float(D[b]), 4),
                                              tuple(round(float(x), 4) for x in D),
                                              int(levels[h]), per_strand.get(name, 0)))
        mastery = st.to_frame()
        return DiagnosticResult(
            student_id=session.student_id, grade=session.grade, n_items=session.n_answered,
            done=session.done, placements=placements, mastery=mastery,
            ready_to_learn=self.ready_to_learn(st), unfinished=self._unfinished(session, st))

    def ready_to_learn(self, state: MasteryState, limit: int = 8) -> list[dict[str, Any]]:
        """The outer fringe: standards not yet mastered whose prerequisites all are.

        Up to the student's grade (the next steps, not next year's course), lowest grade
        first, major work first.
        """
        graph = self.model.graph
        p = state.p_mastered
        out = []
        for j, code in enumerate(self.codes):
            if p[j] >= UNFINISHED or graph[code].grade_num > state.grade:
                continue
            pre = graph.prerequisites(code)
            if all(p[self._index[q]] >= UNFINISHED for q in pre if q in self._index):
                s = graph[code]
                out.append({"standard": code, "grade": s.grade_num, "strand": s.strand,
                            "is_major": s.emphasis == "major", "p_mastered": round(float(p[j]), 4),
                            "text": s.text})
        out.sort(key=lambda r: (r["grade"], not r["is_major"], -r["p_mastered"]))
        return out[:limit]

    def _unfinished(self, session: DiagnosticSession, st: MasteryState, limit: int = 10
                    ) -> list[dict[str, Any]]:
        post = st.to_frame().assign(user_id=session.student_id)
        t = compute_icebergs(post, pd.DataFrame({"student_id": [session.student_id],
                                                 "grade": [session.grade]}),
                             self.model.graph)
        return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                for r in t.unfinished.head(limit).drop(columns="student_id")
                .to_dict(orient="records")]

    def placement_entropy(self, session: DiagnosticSession) -> float:
        cur = self.current(session)
        return float(sum(entropy(cur.D[sg.strand]) for sg in cur.rows if sg.applicable))
