"""The iceberg profile: how deep a student's unfinished learning goes, strand by strand.

Grade-level tests show the tip: a grade-7 student "not proficient". The profile shows what lies
under it, in the terms teachers plan with:

* per strand (number, algebraic, fractions, functions, data, geometry), the grade up to which
  the foundations are **secure** -- "secure through grade 4 in fractions" -- meaning every
  grade up to it has (nearly) all of the strand's standards mastered, with a tolerated share
  of exceptions (``tolerance``, 10 %, rounded: one shaky standard out of five to fourteen does
  not reset a placement), and the probability that this placement is the right one;
* the **unfinished standards** below the current grade (P(mastered) < ``unfinished``, 0.5),
  ordered by how much current-grade and later work rests on them (transitive successors in the
  progression at the student's grade or above), major work first when tied -- the order in which
  "accelerate, don't remediate" would pick them up;
* the **depth** of the iceberg: how many grades below the current one the deepest unfinished
  major standard sits.

Definitions (kept here so every report says the same thing):

secure level (of a true mastery state)
    The highest grade ``h <= current grade`` such that, for every grade ``h' <= h`` where the
    strand has standards, at most ``round(tolerance * n')`` of the ``n'`` standards of the
    strand at grades ``<= h'`` are unmastered; when even the strand's first grade fails, that
    grade minus one ("below grade 3" in fractions, "below K").
``secure_through``
    The **most probable** secure level under the posterior (the maximum a posteriori
    placement; ties go to the higher grade). NaN when the strand has no standards at or below
    the current grade (label ``n/a``) or none of them has an estimate (label ``unknown``).
``p_secure``
    The posterior probability of that placement -- the claim "secure through ``h`` and not
    through the next grade", or for "below grade 3" the claim that not even grade 3 is secure.
    It is never a certainty drawn from no standards: ``n_standards`` counts the estimated
    standards the claim rests on (those up to ``max(h, first grade)``).
``grades_below``
    ``max(0, last grade taught in the strand before the current one - secure_through)``
    (the last taught grade is ``current grade - 1``, or earlier where the strand ends, as
    number does after grade 5): how many of the grades the student has already been through
    are not secure (0 = "on grade"). NA when the placement is ``unknown``.
``n_unknown``
    Standards of the strand at or below the current grade without an estimate. A per-standard
    model (BKT) knows nothing about a standard nobody tested: such standards are left out --
    neither secure nor unsecured -- and the placement rests on the tested ones only (a grade
    with none is passed over).

Why the most probable level, computed this way. The first version placed a student by a
threshold per standard (secure = P(mastered) >= 0.8) and multiplied probabilities as if the
standards were independent. On a simulated district (2,000 students, seed 0, the graph model
fitted on it) that placed students too deep: estimated ``grades_below`` averaged 2.02 against
a true 1.49 (exact agreement 0.66; 16 % of students truly on grade came out 1+ below). Two
causes: a standard at P = 0.7 -- likely mastered -- counted as not secure, and independence
turns "all 30 standards up to grade 5 are mastered" into a product of 30 probabilities, far
smaller than the truth, because a student's standards of one strand rise and fall together
with the strand ability. Now the posterior distribution of the secure level is computed
exactly by a dynamic programme over the number of unmastered standards
(:mod:`sounding.mastery._profile_kernels`), with the standards of a strand coupled through
a common ability quantile: each standard's mastery probability is a probit-normal
``Phi(a + b t)`` of a standard-normal ``t`` shared by the strand, moment-matched to the
standard's posterior mean ``p`` and sd ``sd`` (the sd of that probability over the ability
posterior, which the graph model gives and the store keeps), at nine quantile nodes; so the
dependence the model knows is carried even when reading the store. The placement is the mode
of that distribution.

Fitted on one simulated district of 2,000 students and judged on another against its truth
files (``tests/mastery/test_truth.py``): mean estimated ``grades_below`` 1.49 against 1.46
true, exact agreement 0.72, within one grade 0.87, 7.1 % of truly on-grade strands placed 1+
below, ``p_secure`` calibrated (within 0.02 in each third). The old threshold rule on the
same posterior gave 1.91, 0.65 and 18.8 %.

Why probit-normal. The first version of the coupling was the straight line ``clip(p + sd *
t, 0, 1)``: with the same posterior it placed students a quarter of a grade too deep (1.70
against 1.46; exact 0.707, within one 0.847). A likely-mastered standard (``p = 0.9, sd =
0.15``) has, under the model's posterior, a mastery probability near 1 at most abilities and
lower only in the tail (it is a sigmoid of a roughly Gaussian ability); the line is symmetric
and its clipping at 1 lowered the mean, so "all of grade 4's fractions mastered" came out less
likely than the model says. The probit-normal has the posterior's skew and keeps ``p`` and
``sd``. It agrees with the exact placement posterior -- the walk at every point of the model's
own ability grid, mixed over the student's ability posterior, which is what the diagnostic
computes (:mod:`sounding.diagnostic.placement`) -- to within noise: on that posterior the
exact mixture gave 1.553 grades below, exact 0.720, within one 0.861, against 1.557, 0.719
and 0.858 from the store's ``p`` and ``sd``. So the profile read from the store and the
diagnostic's placement are one definition, without storing ability posteriors. The rest of
the lean (1.56 -> 1.49) came from the fit: the graph model's DAG projection of its
intercepts is now weighted by their information (:mod:`sounding.mastery.graph_model`).

What remains: about 0.03 of a grade deep overall, by strand from -0.08 (data) to +0.14
(fractions, geometry).

Everything is computed over a students x standards matrix (numpy, numba), so 100k students
take seconds; per-student dataclasses (:class:`IcebergProfile`) are built on demand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from sounding.core.thresholds import SECURE as SECURE  # defined once, in core
from sounding.core.thresholds import UNFINISHED as UNFINISHED
from sounding.errors import InvalidInput
from sounding.mastery import _profile_kernels as _pk
from sounding.progression import StandardsGraph, grade_label, grade_number

TOLERANCE = 0.1
#: Quantile nodes of the comonotone coupling of a strand's standards (mean 0, variance 1).
N_NODES = 9
_NODES = norm.ppf((np.arange(N_NODES) + 0.5) / N_NODES)
_NODES = np.ascontiguousarray(_NODES / np.sqrt((_NODES**2).mean()))
#: Buckets of ``grades_below`` in group distributions; the last one is open ("3+").
BELOW_BUCKETS: tuple[str, ...] = ("0", "1", "2", "3+")


# ============================================================================ dataclasses


@dataclass(frozen=True)
class StrandLevel:
    """Where a student's foundations in one strand are secure."""

    strand: str
    secure_through: int | None
    label: str
    grades_below: int | None
    p_secure: float | None
    n_standards: int
    n_unfinished: int
    n_unknown: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class UnfinishedStandard:
    """One unfinished standard below the student's grade, with what rests on it."""

    rank: int
    standard: str
    strand: str
    grade: int
    p_mastered: float
    n_dependents: int
    major_dependents: int
    is_major: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IcebergProfile:
    """One student's iceberg: secure level per strand, ordered unfinished list, depth."""

    student_id: Any
    grade: int
    strands: tuple[StrandLevel, ...]
    unfinished: tuple[UnfinishedStandard, ...]
    depth: int

    def strand(self, name: str) -> StrandLevel:
        for s in self.strands:
            if s.strand == name:
                return s
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "student_id": self.student_id,
            "grade": self.grade,
            "grade_label": grade_label(self.grade),
            "depth": self.depth,
            "strands": [s.to_dict() for s in self.strands],
            "unfinished": [u.to_dict() for u in self.unfinished],
        }

    def to_frame(self) -> pd.DataFrame:
        """The unfinished list as a DataFrame (rank order)."""
        return pd.DataFrame([u.to_dict() for u in self.unfinished],
                            columns=list(UnfinishedStandard.__dataclass_fields__))


@dataclass
class IcebergTables:
    """Iceberg profiles of many students as tables.

    Attributes
    ----------
    strands : DataFrame
        One row per student x strand: ``student_id, grade, strand, secure_through, label,
        grades_below`` (nullable: NA when nothing in the strand is known), ``p_secure,
        n_standards, n_unfinished, n_unknown``.
    unfinished : DataFrame
        One row per student x unfinished below-grade standard, in rank order: ``student_id,
        rank, standard, strand, grade, p_mastered, n_dependents, major_dependents, is_major``.
    students : DataFrame
        One row per student: ``student_id, grade, depth, n_unfinished, n_unfinished_major``.
    """

    strands: pd.DataFrame
    unfinished: pd.DataFrame
    students: pd.DataFrame

    def profile(self, student_id: Any) -> IcebergProfile:
        """The dataclass view of one student."""
        st = self.students[self.students["student_id"] == student_id]
        if st.empty:
            raise KeyError(student_id)
        rows = self.strands[self.strands["student_id"] == student_id]
        levels = tuple(
            StrandLevel(
                strand=r.strand,
                secure_through=None if pd.isna(r.secure_through) else int(r.secure_through),
                label=r.label,
                grades_below=None if pd.isna(r.grades_below) else int(r.grades_below),
                p_secure=None if pd.isna(r.p_secure) else float(r.p_secure),
                n_standards=int(r.n_standards), n_unfinished=int(r.n_unfinished),
                n_unknown=int(r.n_unknown),
            )
            for r in rows.itertuples(index=False)
        )
        un = self.unfinished[self.unfinished["student_id"] == student_id]
        items = tuple(
            UnfinishedStandard(int(r.rank), r.standard, r.strand, int(r.grade),
                               float(r.p_mastered), int(r.n_dependents),
                               int(r.major_dependents), bool(r.is_major))
            for r in un.itertuples(index=False)
        )
        s0 = st.iloc[0]
        return IcebergProfile(student_id, int(s0["grade"]), levels, items, int(s0["depth"]))


@dataclass
class GroupDistribution:
    """Distribution of iceberg profiles over groups (class, school, district, subgroup).

    Attributes
    ----------
    by : str or None
        The grouping column (None: everyone in one group ``"all"``).
    levels : DataFrame
        ``group, strand, grades_below, n_students, share``: students per bucket of grades below
        (:data:`BELOW_BUCKETS`); shares sum to 1 per group and strand.
    unfinished : DataFrame
        ``group, standard, strand, grade, n_below_grade, n_unfinished, share``: among the
        group's students for whom the standard is below grade, how many have it unfinished.
    sizes : DataFrame
        ``group, n_students``.
    """

    by: str | None
    levels: pd.DataFrame
    unfinished: pd.DataFrame
    sizes: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"by": self.by, "groups": {}}
        for g, n in zip(self.sizes["group"], self.sizes["n_students"], strict=True):
            lv = self.levels[self.levels["group"] == g]
            un = self.unfinished[(self.unfinished["group"] == g)
                                 & (self.unfinished["n_unfinished"] > 0)]
            out["groups"][str(g)] = {
                "n_students": int(n),
                "grades_below": {
                    s: dict(zip(d["grades_below"].astype(str), d["n_students"].astype(int),
                                strict=True))
                    for s, d in lv.groupby("strand", sort=True, observed=True)
                },
                "unfinished": {
                    r.standard: {"n_unfinished": int(r.n_unfinished),
                                 "n_below_grade": int(r.n_below_grade), "share": float(r.share)}
                    for r in un.itertuples(index=False)
                },
            }
        return out


# ============================================================================ computation


@dataclass
class _GraphArrays:
    codes: tuple[str, ...]
    grade: np.ndarray          # (J,)
    strand: np.ndarray         # (J,) index into strands
    strands: tuple[str, ...]
    major: np.ndarray          # (J,) bool
    n_dep: np.ndarray          # (10, J): transitive successors at grade >= G
    major_dep: np.ndarray      # (10, J)


_ARRAYS: dict[int, tuple[StandardsGraph, _GraphArrays]] = {}


def _graph_arrays(graph: StandardsGraph) -> _GraphArrays:
    """The graph's arrays, computed once per graph object (chunks of a big fit reuse them)."""
    hit = _ARRAYS.get(id(graph))
    if hit is not None and hit[0] is graph:
        return hit[1]
    out = _build_graph_arrays(graph)
    _ARRAYS[id(graph)] = (graph, out)
    return out


def _build_graph_arrays(graph: StandardsGraph) -> _GraphArrays:
    codes = tuple(graph.standard_codes)
    index = {c: j for j, c in enumerate(codes)}
    grade = np.array([graph[c].grade_num for c in codes], dtype=np.int64)
    strands = tuple(sorted({graph[c].strand for c in codes}))
    strand = np.array([strands.index(graph[c].strand) for c in codes], dtype=np.int64)
    major = np.array([graph[c].is_major for c in codes], dtype=bool)
    J = len(codes)
    n_dep = np.zeros((10, J), dtype=np.int64)
    major_dep = np.zeros((10, J), dtype=np.int64)
    G = np.arange(10)[:, None]
    for j, c in enumerate(codes):
        succ = np.array([index[s] for s in graph.successors(c, transitive=True)], dtype=np.int64)
        if succ.size:
            at = grade[succ][None, :] >= G
            n_dep[:, j] = at.sum(axis=1)
            major_dep[:, j] = (at & major[succ][None, :]).sum(axis=1)
    return _GraphArrays(codes, grade, strand, strands, major, n_dep, major_dep)


def _student_frame(students_df: pd.DataFrame) -> pd.DataFrame:
    key = "student_id" if "student_id" in students_df.columns else "user_id"
    if key not in students_df.columns or "grade" not in students_df.columns:
        raise InvalidInput("students_df needs columns student_id (or user_id) and grade")
    out = students_df[[key, "grade"]].rename(columns={key: "student_id"})
    try:
        g = [min(grade_number(x if isinstance(x, int) else str(x)), 9) for x in out["grade"]]
    except ValueError as exc:
        raise InvalidInput(f"students_df: {exc}") from None
    return pd.DataFrame({"student_id": out["student_id"].to_numpy(),
                         "grade": np.asarray(g, dtype=np.int64)})


def _posterior_matrix(posterior: Any, student_ids: np.ndarray,
                      ga: _GraphArrays, value: str = "p_mastered") -> np.ndarray:
    """``P[i, j]`` for the students in ``student_ids`` (NaN where the posterior is missing).

    ``value="sd"`` gives the posterior sd instead (NaN where the posterior has none).
    """
    J = len(ga.codes)
    if hasattr(posterior, "p") and hasattr(posterior, "user_ids"):  # PosteriorMatrix
        src = posterior.p if value == "p_mastered" else posterior.sd
        same_rows = len(student_ids) == len(posterior.user_ids) and (
            student_ids is posterior.user_ids
            or bool(np.all(np.asarray(student_ids) == np.asarray(posterior.user_ids))))
        if same_rows and tuple(posterior.standards) == tuple(ga.codes):
            return np.asarray(src, dtype=float)  # the chunk's own matrix: no scatter
    P = np.full((len(student_ids), J), np.nan)
    pos = pd.Index(student_ids)
    if hasattr(posterior, "p") and hasattr(posterior, "user_ids"):  # PosteriorMatrix
        rows = pos.get_indexer(pd.Index(posterior.user_ids))
        cols = pd.Index(ga.codes).get_indexer(pd.Index(posterior.standards))
        keep = rows >= 0
        sub = np.asarray(src, dtype=float)[keep]
        ok = cols >= 0
        P[np.ix_(rows[keep], cols[ok])] = sub[:, ok]
        return P
    df = posterior
    key = "user_id" if "user_id" in df.columns else "student_id"
    for c in (key, "standard", "p_mastered"):
        if c not in df.columns:
            raise InvalidInput(f"posterior needs column {c}")
    if value not in df.columns:
        return P
    rows = pos.get_indexer(pd.Index(df[key].to_numpy()))
    std = df["standard"]
    if isinstance(std.dtype, pd.CategoricalDtype):
        cat_cols = pd.Index(ga.codes).get_indexer(pd.Index(std.cat.categories.astype(str)))
        cols = cat_cols[std.cat.codes.to_numpy()]
    else:
        cols = pd.Index(ga.codes).get_indexer(pd.Index(std.astype(str).to_numpy()))
    keep = (rows >= 0) & (cols >= 0)
    P[rows[keep], cols[keep]] = df[value].to_numpy(dtype=float)[keep]
    return P


def compute_icebergs(
    posterior: Any,
    students_df: pd.DataFrame,
    graph: StandardsGraph,
    *,
    tolerance: float = TOLERANCE,
    unfinished: float = UNFINISHED,
) -> IcebergTables:
    """Iceberg profiles of every student in ``students_df``, vectorised.

    Parameters
    ----------
    posterior : DataFrame or PosteriorMatrix
        ``user_id`` (or ``student_id``), ``standard``, ``p_mastered`` for the standards of
        ``graph`` (as returned by ``GraphMastery.posterior``), with ``sd`` when the model gives
        one (the posterior sd of the mastery probability: it carries the dependence between a
        strand's standards, see the module docstring). A missing pair is unknown: neither
        secure nor unsecured, nor unfinished.
    students_df : DataFrame
        ``student_id`` (or ``user_id``) and ``grade`` (K..8, HS or 0..9): who to profile.
    graph : StandardsGraph
        The progression the posterior speaks of (standard level).
    tolerance, unfinished : float
        See the module docstring.
    """
    if not 0.0 <= tolerance < 1.0:
        raise InvalidInput("tolerance must be in [0, 1)")
    ga = _graph_arrays(graph)
    st = _student_frame(students_df)
    ids = st["student_id"].to_numpy()
    G = st["grade"].to_numpy()
    P = _posterior_matrix(posterior, ids, ga)
    N, J = P.shape
    below = ga.grade[None, :] < G[:, None]
    U = below & (P < unfinished)      # NaN: not unfinished

    # ------------------------------------------------------------ secure level per strand
    SD = _posterior_matrix(posterior, ids, ga, value="sd")
    # object columns: ids and codes are shared Python strings, not re-encoded per row
    ids_obj = pd.Series(ids, dtype=object)
    Gk = np.ascontiguousarray(G, dtype=np.int64)
    strand_rows = []
    for s_i, s_name in enumerate(ga.strands):
        cols = np.flatnonzero(ga.strand == s_i)
        cols = np.ascontiguousarray(cols[np.argsort(ga.grade[cols], kind="stable")])
        sg = np.ascontiguousarray(ga.grade[cols])
        grades_s = np.unique(sg)
        level = np.empty(N)
        p_claim = np.empty(N)
        n_std = np.empty(N, dtype=np.int64)
        n_known = np.empty(N, dtype=np.int64)
        failed = np.empty(N, dtype=np.int64)
        _pk.strand_levels(P, SD, Gk, cols, sg, grades_s, float(tolerance), _NODES, _pk.RHO,
                          level, p_claim, n_std, n_known, failed)
        applicable = G >= grades_s[0]
        unknown = applicable & (n_known == 0)
        # The grades already taught end at G - 1, or earlier where the strand stops (number
        # ends with grade 5): a grade-8 student secure through grade 5 in number is on grade.
        taught_top = np.array([grades_s[grades_s <= g - 1].max() if (grades_s <= g - 1).any()
                               else -9 for g in range(11)])[np.clip(G, 0, 10)]
        gb = np.where(np.isnan(level) | (taught_top < -1), 0,
                      np.maximum(0, taught_top - np.nan_to_num(level, nan=0))).astype(np.int64)
        n_un = U[:, cols].sum(axis=1)
        n_cols = (sg[None, :] <= G[:, None]).sum(axis=1)
        strand_rows.append(pd.DataFrame({
            "student_id": ids_obj, "grade": G,
            "strand": pd.Series(np.full(N, s_name, dtype=object), dtype=object),
            "secure_through": level,
            "grades_below": pd.array(np.where(unknown, 0, gb), dtype="Int64"),
            "p_secure": p_claim, "n_standards": n_std,
            "n_unfinished": n_un.astype(np.int64),
            "n_unknown": (n_cols - n_known).astype(np.int64),
            "_unknown": unknown, "_failed": failed.astype(bool) & ~unknown,
        }))
        strand_rows[-1].loc[unknown, "grades_below"] = pd.NA
    S = len(ga.strands)
    # student-major order: row i * S + s
    perm = np.arange(N * S).reshape(S, N).T.reshape(-1)
    strands = pd.concat(strand_rows, ignore_index=True).iloc[perm].reset_index(drop=True)
    labels = _level_labels(strands["secure_through"].to_numpy())
    fail = strands["_failed"].to_numpy()
    labels[fail] = [f"below {'K' if v + 1 == 0 else 'grade ' + grade_label(int(v) + 1)}"
                    for v in strands["secure_through"].to_numpy()[fail]]
    labels[strands["_unknown"].to_numpy()] = "unknown"
    strands.insert(4, "label", labels)
    strands = strands.drop(columns=["_unknown", "_failed"])

    # ------------------------------------------------------------ unfinished, ranked
    ri, cj = np.nonzero(U)
    gi = G[ri]
    n_dep = ga.n_dep[gi, cj]
    m_dep = ga.major_dep[gi, cj]
    is_major = ga.major[cj]
    pr = P[ri, cj]
    # within each student (np.nonzero gives rows in order): most depended-on first, major
    # first when tied, then more major dependents, then lower P(mastered), then column
    key = (((1023 - n_dep) * 2 + (~is_major).astype(np.int64)) * 1024
           + (1023 - m_dep)).astype(np.float64)
    row_ptr = np.searchsorted(ri, np.arange(N + 1)).astype(np.int64)
    order = np.empty(len(ri), dtype=np.int64)
    _pk.rank_within_rows(row_ptr, key, np.ascontiguousarray(pr, dtype=np.float64), order)
    ri, cj, n_dep, m_dep, is_major, pr = (a[order] for a in (ri, cj, n_dep, m_dep, is_major, pr))
    first = np.searchsorted(ri, ri, side="left")
    rank = np.arange(len(ri)) - first + 1
    unfinished_df = pd.DataFrame({
        "student_id": pd.Series(ids[ri], dtype=object), "rank": rank.astype(np.int64),
        "standard": pd.Series(np.asarray(ga.codes, dtype=object)[cj], dtype=object),
        "strand": pd.Series(np.asarray(ga.strands, dtype=object)[ga.strand[cj]],
                            dtype=object),
        "grade": ga.grade[cj], "p_mastered": pr, "n_dependents": n_dep,
        "major_dependents": m_dep, "is_major": is_major,
    })

    # ------------------------------------------------------------ per student
    depth = np.where(U & ga.major[None, :], G[:, None] - ga.grade[None, :], 0).max(axis=1) \
        if J else np.zeros(N, dtype=np.int64)
    students = pd.DataFrame({
        "student_id": ids_obj, "grade": G, "depth": depth.astype(np.int64),
        "n_unfinished": U.sum(axis=1).astype(np.int64),
        "n_unfinished_major": (U & ga.major[None, :]).sum(axis=1).astype(np.int64),
    })
    return IcebergTables(strands=strands, unfinished=unfinished_df, students=students)


def iceberg_profiles(
    posterior: Any,
    students_df: pd.DataFrame,
    graph: StandardsGraph,
    *,
    tolerance: float = TOLERANCE,
    unfinished: float = UNFINISHED,
) -> pd.DataFrame:
    """Per student x strand secure level, with the student's depth and unfinished count.

    The columns of :attr:`IcebergTables.strands` plus ``depth``, ``n_unfinished_total`` and
    ``top_unfinished`` (the first-ranked unfinished standard, or None). Use
    :func:`compute_icebergs` for the ranked unfinished list itself.
    """
    t = compute_icebergs(posterior, students_df, graph, tolerance=tolerance,
                         unfinished=unfinished)
    top = t.unfinished[t.unfinished["rank"] == 1][["student_id", "standard"]]
    stu = t.students[["student_id", "depth", "n_unfinished"]].rename(
        columns={"n_unfinished": "n_unfinished_total"})
    out = t.strands.merge(stu, on="student_id", how="left")
    out = out.merge(top.rename(columns={"standard": "top_unfinished"}), on="student_id",
                    how="left")
    out["top_unfinished"] = out["top_unfinished"].astype(object).where(
        out["top_unfinished"].notna(), None)
    return out


def group_distribution(
    tables: IcebergTables,
    students_df: pd.DataFrame,
    graph: StandardsGraph,
    by: str | None = None,
) -> GroupDistribution:
    """Distribution of the iceberg over the groups of column ``by`` of ``students_df``.

    ``by`` is any column (``class_id``, ``school_id``, ``district_id``, a subgroup flag);
    None puts everyone in one group ``"all"``. Students without a value form no group.
    """
    key = "student_id" if "student_id" in students_df.columns else "user_id"
    if by is not None and by not in students_df.columns:
        raise InvalidInput(f"students_df has no column {by!r}")
    groups = pd.DataFrame({
        "student_id": students_df[key].to_numpy(),
        "group": students_df[by].to_numpy() if by is not None else "all",
    }).dropna(subset=["group"]).drop_duplicates("student_id")
    stu = tables.students[["student_id", "grade"]].merge(groups, on="student_id")
    sizes = stu.groupby("group", sort=True).size().rename("n_students").reset_index()

    lv = tables.strands[["student_id", "strand", "grades_below", "secure_through"]].merge(
        groups, on="student_id")
    # unknown placements (no estimate) and strands that do not reach the student's grade
    # yet (functions in grade 5: "n/a", not "on grade") are not counted
    lv = lv[lv["grades_below"].notna() & lv["secure_through"].notna()]
    nb = len(BELOW_BUCKETS) - 1
    lv["bucket"] = pd.Categorical(
        np.asarray(BELOW_BUCKETS, dtype=object)[
            np.minimum(lv["grades_below"].to_numpy(dtype=np.int64), nb)],
        categories=list(BELOW_BUCKETS))
    levels = (lv.groupby(["group", "strand", "bucket"], observed=False, sort=True).size()
              .rename("n_students").reset_index()
              .rename(columns={"bucket": "grades_below"}))
    levels = levels[levels["group"].isin(sizes["group"])]
    tot = levels.groupby(["group", "strand"], observed=True)["n_students"].transform("sum")
    levels["share"] = np.where(tot > 0, levels["n_students"] / tot.where(tot > 0, 1), 0.0)
    levels = levels.reset_index(drop=True)

    ga = _graph_arrays(graph)
    # students per (group, grade) -> how many have each standard below grade
    gg = stu.groupby(["group", "grade"]).size().unstack(fill_value=0)
    gg = gg.reindex(columns=range(10), fill_value=0)
    # n_below[group, j] = sum over grades > grade_j of counts
    cum_above = gg.to_numpy()[:, ::-1].cumsum(axis=1)[:, ::-1]  # [:, h] = students grade >= h
    idx = np.minimum(ga.grade + 1, 9)
    n_below = np.where(ga.grade[None, :] + 1 <= 9, cum_above[:, idx], 0)
    un = tables.unfinished[["student_id", "standard"]].merge(groups, on="student_id")
    cnt = un.groupby(["group", "standard"]).size()
    gl = gg.index.to_numpy()
    n_un = np.zeros_like(n_below)
    if len(cnt):
        gi = pd.Index(gl).get_indexer(cnt.index.get_level_values(0))
        cj = pd.Index(ga.codes).get_indexer(cnt.index.get_level_values(1))
        n_un[gi, cj] = cnt.to_numpy()
    unfinished_df = pd.DataFrame({
        "group": np.repeat(gl, len(ga.codes)),
        "standard": np.tile(np.asarray(ga.codes, dtype=object), len(gl)),
        "strand": np.tile(np.asarray(ga.strands, dtype=object)[ga.strand], len(gl)),
        "grade": np.tile(ga.grade, len(gl)),
        "n_below_grade": n_below.reshape(-1),
        "n_unfinished": n_un.reshape(-1),
    })
    nbg = unfinished_df["n_below_grade"].to_numpy()
    unfinished_df["share"] = np.where(nbg > 0, unfinished_df["n_unfinished"] / np.maximum(nbg, 1),
                                      0.0)
    unfinished_df = unfinished_df[nbg > 0].reset_index(drop=True)
    return GroupDistribution(by=by, levels=levels, unfinished=unfinished_df, sizes=sizes)


def _level_labels(level: np.ndarray) -> np.ndarray:
    """"grade 4", "below K" or "n/a" for secure_through values (-1..9 or NaN)."""
    table = np.array(["n/a", "below K"] + [f"grade {grade_label(g)}" for g in range(10)],
                     dtype=object)
    idx = np.where(np.isnan(level), 0, np.nan_to_num(level, nan=0).astype(np.int64) + 2)
    return table[idx]
