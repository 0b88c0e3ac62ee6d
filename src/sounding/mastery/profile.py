"""The iceberg profile: how deep a student's unfinished learning goes, strand by strand.

Grade-level tests show the tip: a grade-7 student "not proficient". The profile shows what lies
under it, in the terms teachers plan with:

* per strand (number, algebraic, fractions, functions, data, geometry), the grade up to which
  the foundations are **secure** -- "secure through grade 4 in fractions" -- meaning every
  grade up to it has (nearly) all of the strand's standards at P(mastered) >= ``secure``
  (0.8), with a tolerated share of exceptions (``tolerance``, 10 %: one shaky standard out of
  a dozen does not reset a placement), with the probability that the claim holds;
* the **unfinished standards** below the current grade (P(mastered) < ``unfinished``, 0.5),
  ordered by how much current-grade and later work rests on them (transitive successors in the
  progression at the student's grade or above), major work first when tied -- the order in which
  "accelerate, don't remediate" would pick them up;
* the **depth** of the iceberg: how many grades below the current one the deepest unfinished
  major standard sits.

Definitions (kept here so every report says the same thing):

``secure_through``
    The highest grade ``h <= current grade`` such that, for every grade ``h' <= h`` where the
    strand has standards, the standards of the strand at grades ``<= h'`` that are not secure
    number at most ``floor(tolerance * count)``. When even the strand's first grade fails, it
    is that grade minus one (nothing in the strand is secure; -1 reads "below K"). NaN when the
    strand has no standards at or below the current grade.
``grades_below``
    ``max(0, last grade taught in the strand before the current one - secure_through)``
    (the last taught grade is ``current grade - 1``, or earlier where the strand ends, as
    number does after grade 5): how many of the grades the student has
    already been through are not secure (0 = "on grade").
``p_secure``
    The probability that the claim holds: that at most the tolerated number of the standards
    up to ``secure_through`` are unmastered, treating the per-standard posteriors as
    independent (a Poisson-binomial; an approximation that ignores the positive correlation
    of the posteriors, so it errs slightly towards over-confidence).

Everything is computed over a students x standards matrix with numpy, so 100k students take
seconds; per-student dataclasses (:class:`IcebergProfile`) are built on demand from the tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import InvalidInput
from sounding.progression import StandardsGraph, grade_label, grade_number

SECURE = 0.8
UNFINISHED = 0.5
TOLERANCE = 0.1
#: Buckets of ``grades_below`` in group distributions; the last one is open ("3+").
BELOW_BUCKETS: tuple[str, ...] = ("0", "1", "2", "3+")


# ============================================================================ dataclasses


@dataclass(frozen=True)
class StrandLevel:
    """Where a student's foundations in one strand are secure."""

    strand: str
    secure_through: int | None
    label: str
    grades_below: int
    p_secure: float
    n_standards: int
    n_unfinished: int

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
        grades_below, p_secure, n_standards, n_unfinished``.
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
                label=r.label, grades_below=int(r.grades_below), p_secure=float(r.p_secure),
                n_standards=int(r.n_standards), n_unfinished=int(r.n_unfinished),
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


def _graph_arrays(graph: StandardsGraph) -> _GraphArrays:
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
                      ga: _GraphArrays) -> np.ndarray:
    """``P[i, j]`` for the students in ``student_ids`` (NaN where the posterior is missing)."""
    J = len(ga.codes)
    P = np.full((len(student_ids), J), np.nan)
    pos = pd.Index(student_ids)
    if hasattr(posterior, "p") and hasattr(posterior, "user_ids"):  # PosteriorMatrix
        rows = pos.get_indexer(pd.Index(posterior.user_ids))
        cols = pd.Index(ga.codes).get_indexer(pd.Index(posterior.standards))
        keep = rows >= 0
        sub = np.asarray(posterior.p, dtype=float)[keep]
        ok = cols >= 0
        P[np.ix_(rows[keep], cols[ok])] = sub[:, ok]
        return P
    df = posterior
    key = "user_id" if "user_id" in df.columns else "student_id"
    for c in (key, "standard", "p_mastered"):
        if c not in df.columns:
            raise InvalidInput(f"posterior needs column {c}")
    rows = pos.get_indexer(pd.Index(df[key].to_numpy()))
    std = df["standard"]
    if isinstance(std.dtype, pd.CategoricalDtype):
        cat_cols = pd.Index(ga.codes).get_indexer(pd.Index(std.cat.categories.astype(str)))
        cols = cat_cols[std.cat.codes.to_numpy()]
    else:
        cols = pd.Index(ga.codes).get_indexer(pd.Index(std.astype(str).to_numpy()))
    keep = (rows >= 0) & (cols >= 0)
    P[rows[keep], cols[keep]] = df["p_mastered"].to_numpy(dtype=float)[keep]
    return P


def compute_icebergs(
    posterior: Any,
    students_df: pd.DataFrame,
    graph: StandardsGraph,
    *,
    secure: float = SECURE,
    tolerance: float = TOLERANCE,
    unfinished: float = UNFINISHED,
) -> IcebergTables:
    """Iceberg profiles of every student in ``students_df``, vectorised.

    Parameters
    ----------
    posterior : DataFrame or PosteriorMatrix
        ``user_id`` (or ``student_id``), ``standard``, ``p_mastered`` for the standards of
        ``graph`` (as returned by ``GraphMastery.posterior``). A missing pair counts as not
        secure and not unfinished (unknown).
    students_df : DataFrame
        ``student_id`` (or ``user_id``) and ``grade`` (K..8, HS or 0..9): who to profile.
    graph : StandardsGraph
        The progression the posterior speaks of (standard level).
    secure, tolerance, unfinished : float
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
    sec = P >= secure                 # NaN compares False: not secure
    below = ga.grade[None, :] < G[:, None]
    U = below & (P < unfinished)      # NaN: not unfinished

    # ------------------------------------------------------------ secure level per strand
    strand_rows = []
    for s_i, s_name in enumerate(ga.strands):
        cols = np.flatnonzero(ga.strand == s_i)
        cols = cols[np.argsort(ga.grade[cols], kind="stable")]
        sg = ga.grade[cols]
        grades_s = np.unique(sg)
        n_fail = (~sec[:, cols]).astype(np.int64)
        pm = np.nan_to_num(P[:, cols], nan=0.0)
        kmax = int(np.floor(tolerance * len(cols) + 1e-9)) + 1
        dp = np.zeros((N, kmax + 1))
        dp[:, 0] = 1.0
        ok_prefix = np.ones(N, dtype=bool)
        level = np.full(N, np.nan)
        p_claim = np.ones(N)
        n_std = np.zeros(N, dtype=np.int64)
        cum_fail = np.zeros(N, dtype=np.int64)
        start = 0
        for h in grades_s:
            stop = start + int((sg == h).sum())
            cum_fail += n_fail[:, start:stop].sum(axis=1)
            for c in range(start, stop):  # Poisson-binomial of unmastered, capped at kmax
                q = 1.0 - pm[:, c]
                new = dp * (1.0 - q)[:, None]
                new[:, 1:] += dp[:, :-1] * q[:, None]
                new[:, -1] += dp[:, -1] * q
                dp = new
            allowed = int(np.floor(tolerance * stop + 1e-9))
            ok_prefix &= cum_fail <= allowed
            reach = (h <= G) & ok_prefix
            level = np.where(reach, h, level)
            p_claim = np.where(reach, dp[:, : allowed + 1].sum(axis=1), p_claim)
            n_std = np.where(reach, stop, n_std)
            start = stop
        applicable = G >= grades_s[0]
        none_secure = applicable & np.isnan(level)
        level = np.where(none_secure, grades_s[0] - 1, level)
        level = np.where(applicable, level, np.nan)
        # The grades already taught end at G - 1, or earlier where the strand stops (number
        # ends with grade 5): a grade-8 student secure through grade 5 in number is on grade.
        taught_top = np.array([grades_s[grades_s <= g - 1].max() if (grades_s <= g - 1).any()
                               else -9 for g in range(11)])[np.clip(G, 0, 10)]
        gb = np.where(np.isnan(level) | (taught_top < -1), 0,
                      np.maximum(0, taught_top - np.nan_to_num(level, nan=0)))
        n_un = U[:, cols].sum(axis=1)
        strand_rows.append(pd.DataFrame({
            "student_id": ids, "grade": G, "strand": s_name, "secure_through": level,
            "grades_below": gb.astype(np.int64), "p_secure": p_claim, "n_standards": n_std,
            "n_unfinished": n_un.astype(np.int64),
        }))
    S = len(ga.strands)
    # student-major order: row i * S + s
    perm = np.arange(N * S).reshape(S, N).T.reshape(-1)
    strands = pd.concat(strand_rows, ignore_index=True).iloc[perm].reset_index(drop=True)
    strands.insert(4, "label", _level_labels(strands["secure_through"].to_numpy()))

    # ------------------------------------------------------------ unfinished, ranked
    ri, cj = np.nonzero(U)
    gi = G[ri]
    n_dep = ga.n_dep[gi, cj]
    m_dep = ga.major_dep[gi, cj]
    is_major = ga.major[cj]
    pr = P[ri, cj]
    order = np.lexsort((cj, pr, -m_dep, ~is_major, -n_dep, ri))
    ri, cj, n_dep, m_dep, is_major, pr = (a[order] for a in (ri, cj, n_dep, m_dep, is_major, pr))
    first = np.searchsorted(ri, ri, side="left")
    rank = np.arange(len(ri)) - first + 1
    unfinished_df = pd.DataFrame({
        "student_id": ids[ri], "rank": rank.astype(np.int64),
        "standard": np.asarray(ga.codes, dtype=object)[cj],
        "strand": np.asarray(ga.strands, dtype=object)[ga.strand[cj]],
        "grade": ga.grade[cj], "p_mastered": pr, "n_dependents": n_dep,
        "major_dependents": m_dep, "is_major": is_major,
    })

    # ------------------------------------------------------------ per student
    depth = np.where(U & ga.major[None, :], G[:, None] - ga.grade[None, :], 0).max(axis=1) \
        if J else np.zeros(N, dtype=np.int64)
    students = pd.DataFrame({
        "student_id": ids, "grade": G, "depth": depth.astype(np.int64),
        "n_unfinished": U.sum(axis=1).astype(np.int64),
        "n_unfinished_major": (U & ga.major[None, :]).sum(axis=1).astype(np.int64),
    })
    return IcebergTables(strands=strands, unfinished=unfinished_df, students=students)


def iceberg_profiles(
    posterior: Any,
    students_df: pd.DataFrame,
    graph: StandardsGraph,
    *,
    secure: float = SECURE,
    tolerance: float = TOLERANCE,
    unfinished: float = UNFINISHED,
) -> pd.DataFrame:
    """Per student x strand secure level, with the student's depth and unfinished count.

    The columns of :attr:`IcebergTables.strands` plus ``depth``, ``n_unfinished_total`` and
    ``top_unfinished`` (the first-ranked unfinished standard, or None). Use
    :func:`compute_icebergs` for the ranked unfinished list itself.
    """
    t = compute_icebergs(posterior, students_df, graph, secure=secure, tolerance=tolerance,
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

    lv = tables.strands[["student_id", "strand", "grades_below"]].merge(
        groups, on="student_id")
    nb = len(BELOW_BUCKETS) - 1
    lv["bucket"] = pd.Categorical(
        np.asarray(BELOW_BUCKETS, dtype=object)[np.minimum(lv["grades_below"], nb)],
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
