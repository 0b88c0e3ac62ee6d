"""Mastery wired into the system: evidence and roster in, posterior and icebergs out.

The learner models (:class:`~sounding.mastery.graph_model.GraphMastery`, BKT) speak pyBKT's
language (``user_id, skill_name, correct, order_id``) and know nothing of rosters, stores or
Algebra I placements. This module is the one place that translates, so the CLI
(``sounding mastery fit`` / ``show``), the report and the planning layer all see the same
numbers:

* responses are read with the evidence importer's own reader and checks and turned into the
  model's frame by :func:`sounding.mastery.model_input.responses_for_model`; the roster is
  normalised by :mod:`sounding.roster.normalize` (``student_grades`` gives each student the
  grade the model measures them against); both are re-exported here for older callers;
* :func:`fit_mastery`, :func:`fit_files` and :func:`fit_store_mastery` fit the parameters on
  a stratified sample of at most :data:`FIT_SAMPLE` students (:func:`fit_sample`; a smaller
  district is fitted on everyone, exactly as before), then compute the posterior and the
  iceberg tables of **every** student chunk by chunk (:data:`BLOCK_SIZE` students), the
  store reading each chunk's answers and writing its rows in one transaction, so peak memory
  is set by the chunk, not by the district (``bench/bench_graph.py`` measures it at 100k and
  1M students); progress is reported per EM iteration and per chunk;
* what the views read is indexed by :mod:`sounding.mastery.view_source` (the query layer's
  ``sounding.services.views`` builds the views); rendering them for a terminal is the CLI's
  (``sounding.cli.render_mastery``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import (
    InvalidData,
    InvalidInput,
    NotFound,
)
from sounding.mastery.graph_model import GraphMastery, PosteriorMatrix
from sounding.mastery.model_input import (  # re-exported for callers of this module
    responses_for_model,
    rollup_responses,
)
from sounding.mastery.models import MODEL_NAMES, make_model
from sounding.mastery.profile import (
    BELOW_BUCKETS,
    IcebergTables,
    compute_icebergs,
)
from sounding.progression import STRANDS, StandardsGraph, load_default
from sounding.roster.normalize import (  # re-exported for callers of this module
    Roster,
    first_column,
    is_blank,
    none_if_empty,
    normalize_classes,
    normalize_enrollments,
    normalize_students,
    read_roster,
    student_grades,
)
from sounding.roster.normalize import (
    algebra1_students as algebra1_students,
)
from sounding.roster.normalize import (
    as_bool as as_bool,
)
from sounding.roster.normalize import (
    grade_value as grade_value,
)
from sounding.roster.normalize import (
    is_algebra1_class as is_algebra1_class,
)
from sounding.roster.normalize import (
    race_from_booleans as race_from_booleans,
)
from sounding.roster.normalize import (
    roster_from_oneroster as roster_from_oneroster,
)
from sounding.roster.normalize import (
    roster_from_store as roster_from_store,
)

#: Model names accepted by :func:`fit_mastery` and written with the posterior to the store.
MODELS: tuple[str, ...] = MODEL_NAMES
#: Students per posterior chunk: peak memory is about ``BLOCK_SIZE * standards * 60`` bytes
#: (the chunk's posterior, its iceberg tables and the rows being written), whatever the
#: district's size.
BLOCK_SIZE = 20_000
#: Students the parameters are fitted on at most (a stratified sample, :func:`fit_sample`):
#: EM costs time per answer and iteration, and a few thousand parameters are pinned down
#: long before this many students.
FIT_SAMPLE = 50_000
#: A store fit keeps the whole posterior on its result up to this many students (``keep``).
KEEP_STUDENTS = 50_000
#: Rows per frame handed to ``store.write_mastery`` (the driver's rows are Python tuples).
WRITE_ROWS = 200_000
#: Columns of the posterior this module returns and writes.
POSTERIOR_COLUMNS: tuple[str, ...] = ("student_id", "standard", "p_mastered", "sd", "n_evidence")
#: Subgroup columns the views and the report know about (normalised names).
SUBGROUP_COLUMNS: tuple[str, ...] = (
    "english_learner", "disability", "economically_disadvantaged", "race_ethnicity",
)

#: ``callback(stage, done, total)`` or ``callback(stage, done, total, detail)`` (``detail``:
#: e.g. the EM iteration's log-likelihood); stages: "read", "fit", "posterior", "write".
ProgressCallback = Callable[..., None]

STAGE_LABELS: dict[str, str] = {
    "read": "Reading evidence and roster",
    "fit": "Fitting the mastery model",
    "posterior": "Estimating every student x standard",
    "write": "Writing mastery to the store (students)",
}


def strand_title(strand: str) -> str:
    """A short human name of a strand ("fractions" -> "Fractions")."""
    return strand.capitalize()


def strand_description(strand: str) -> str:
    """The long name of a strand (its domains in words)."""
    return STRANDS.get(strand, (strand_title(strand), ()))[0]


# ============================================================================ result


@dataclass
class MasteryResult:
    """A fitted model, its posterior for every student x standard, and the iceberg tables.

    Attributes
    ----------
    model : estimator
        The fitted model (``GraphMastery`` unless another was asked for).
    model_name : str
        The name the posterior is stored under (``"graph"``, ``"bkt"``).
    graph : StandardsGraph
        The progression the posterior speaks of (standard level).
    posterior : DataFrame or None
        ``student_id, standard, p_mastered, sd, n_evidence`` (``standard`` categorical);
        None when a big district's fit streamed it to the store without keeping it
        (:func:`fit_store_mastery`'s ``keep``).
    icebergs : IcebergTables or None
        Per student x strand secure levels, ranked unfinished standards, per-student depth,
        computed against each student's model grade (9 for a student in Algebra I); None
        with the posterior.
    students : DataFrame
        The normalised roster students (:func:`normalize_students`) plus ``model_grade``.
    classes, enrollments : DataFrame or None
        The normalised roster classes / student enrollments, when known.
    school_names : dict
        school_id -> name, when the roster or store names its schools.
    fit : dict
        How the parameters were fitted: ``fit_students`` of ``students`` (``sampled`` when a
        sample), ``fit_answers``, ``em_iterations``, ``log_likelihood``, ``chunk_size``,
        ``chunks``.
    """

    model: Any
    model_name: str
    graph: StandardsGraph
    posterior: pd.DataFrame | None
    icebergs: IcebergTables | None
    students: pd.DataFrame
    classes: pd.DataFrame | None = None
    enrollments: pd.DataFrame | None = None
    school_names: dict[Any, str] = field(default_factory=dict)
    fit: dict[str, Any] = field(default_factory=dict)
    summary_: dict[str, Any] | None = field(default=None, repr=False)
    _views: Any = field(default=None, repr=False)  # the views' lookup index, built on demand

    @property
    def kept(self) -> bool:
        """Whether the posterior and icebergs are in memory (else only in the store)."""
        return self.posterior is not None and self.icebergs is not None

    @property
    def n_students(self) -> int:
        return int(self.summary()["n_students"])

    def summary(self) -> dict[str, Any]:
        """What ``sounding mastery fit`` reports: counts and the district's iceberg (JSON-ready).

        ``grades_below`` is, per strand, the number of students on grade, 1, 2 and 3+ grades
        below (and ``unknown``: no estimate in the strand, e.g. BKT with no answers there);
        ``depth_2plus`` the share of students with unfinished major work two or more grades
        below their own; ``fit`` how the parameters were fitted (sample, EM iterations).
        Accumulated chunk by chunk during the fit, so it exists for a streamed result too.
        """
        if self.summary_ is not None:
            return self.summary_
        if not self.kept:
            raise InvalidInput("this result has no summary and no posterior")
        acc = _Summary(self.model_name, self.graph)
        acc.add(self.posterior, self.icebergs)  # type: ignore[arg-type]
        self.summary_ = acc.to_dict(self.fit)
        return self.summary_

    def store_frame(self, columns: tuple[str, ...] = POSTERIOR_COLUMNS) -> pd.DataFrame:
        """The posterior in the form written to the store (plain types; only ``columns``)."""
        if self.posterior is None:
            raise InvalidInput("this result streamed its posterior to the store; read it there")
        out = posterior_for_store(self.posterior)
        return out[[c for c in out.columns if c in columns]]


def posterior_for_store(posterior: pd.DataFrame) -> pd.DataFrame:
    """The posterior with plain types (object codes, float64, int64) for any database."""
    std = posterior["standard"]
    if isinstance(std.dtype, pd.CategoricalDtype):  # shared code strings, not one per row
        cats = np.asarray([str(c) for c in std.cat.categories], dtype=object)
        codes = cats[std.cat.codes.to_numpy()]
    else:
        codes = std.astype(str).to_numpy(dtype=object)
    out = pd.DataFrame({
        "student_id": posterior["student_id"].astype(object).to_numpy(),
        "standard": codes,
        "p_mastered": posterior["p_mastered"].to_numpy(dtype=np.float64),
    })
    out["sd"] = (posterior["sd"].to_numpy(dtype=np.float64) if "sd" in posterior.columns
                 else np.nan)
    out["n_evidence"] = (posterior["n_evidence"].to_numpy(dtype=np.int64)
                         if "n_evidence" in posterior.columns else 0)
    return out


# ============================================================================ fitting


class _Progress:
    """Calls the user's ``progress(stage, done, total[, detail])`` (3- or 4-argument forms)."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.detail = False
        if callback is not None:
            try:
                inspect.signature(callback).bind("stage", 0, 0, "detail")
                self.detail = True
            except TypeError:
                self.detail = False
            except ValueError:  # pragma: no cover - builtins without a signature
                self.detail = False

    def __call__(self, stage: str, done: int, total: int, detail: str | None = None) -> None:
        if self.callback is None:
            return
        if self.detail:
            self.callback(stage, int(done), int(total), detail)
        else:
            self.callback(stage, int(done), int(total))


def _tick(progress: ProgressCallback | None, stage: str, done: int, total: int) -> None:
    _Progress(progress)(stage, done, total)


def _make_model(model: Any, graph: StandardsGraph, block_size: int,
                options: Mapping[str, Any]) -> tuple[Any, str]:
    if not isinstance(model, str):
        return model, getattr(model, "name", type(model).__name__.lower())
    if model == "graph":
        return make_model("graph", graph=graph, batch_size=block_size, **options), "graph"
    return make_model(model, graph=None if model.startswith("bkt") else graph,
                      **options), model


def normalize_posterior(df: pd.DataFrame) -> pd.DataFrame:
    """Any model's / store's posterior frame in :data:`POSTERIOR_COLUMNS`."""
    ren = {}
    for target, aliases in (("student_id", ("user_id",)), ("standard", ("skill_name", "skill")),
                            ("p_mastered", ("p", "mastery", "p_mastery", "state_predictions"))):
        if target not in df.columns:
            hit = first_column(df, *aliases)
            if hit is not None:
                ren[hit] = target
    df = df.rename(columns=ren)
    missing = [c for c in ("student_id", "standard", "p_mastered") if c not in df.columns]
    if missing:
        raise InvalidInput(f"mastery table lacks column(s): {', '.join(missing)}")
    out = df[["student_id", "standard", "p_mastered"]].copy()
    out["sd"] = df["sd"].to_numpy(dtype=float) if "sd" in df.columns else np.nan
    ev = first_column(df, "n_evidence", "n_answers")
    out["n_evidence"] = (pd.to_numeric(df[ev], errors="coerce").fillna(0)
                         .to_numpy(dtype=np.int64) if ev is not None else 0)
    out["p_mastered"] = out["p_mastered"].astype(float)
    return out.reset_index(drop=True)


@contextmanager
def _nothing_written() -> Iterator[None]:
    """A rejected fit changes nothing: say so (the importers' hint says "imported")."""
    try:
        yield
    except InvalidData as exc:
        exc.hint = ("Fix the rows listed; nothing was written." if any(
            p.line is not None for p in exc.problems)
            else "Fix the file named above; nothing was written.")
        raise


# ------------------------------------------------------------------ the fit sample


def fit_sample(students: pd.DataFrame, size: int | None, *, seed: int = 0) -> np.ndarray:
    """The students the model's parameters are fitted on: all, or a stratified sample.

    ``students`` has ``student_id`` and, when known, ``grade`` and ``school_id``. With
    ``size`` None or at least the number of students, everyone (in the given order). Otherwise
    ``size`` students, allocated to the strata (grade x school) in proportion to their size
    (largest remainders), and within a stratum the students whose keyed hash of the id is
    smallest: deterministic, independent of the row order, and a different ``seed`` gives a
    different sample. Returned in the given order.

    Why a sample: the parameters (a few thousand numbers) are pinned down long before 50,000
    students, while EM over a million students would take hours; the posterior of every
    student is then computed with those parameters (:func:`fit_mastery`).
    """
    ids = students["student_id"].to_numpy(dtype=object)
    n = len(ids)
    if size is None or size >= n:
        return ids
    if size < 1:
        raise InvalidInput("the fit sample needs at least one student")
    grade = (students["grade"].astype("Float64").fillna(-1).to_numpy(dtype=float)
             if "grade" in students.columns else np.full(n, -1.0))
    school = (students["school_id"].astype(object).where(students["school_id"].notna(), "")
              .astype(str).to_numpy(dtype=object) if "school_id" in students.columns
              else np.full(n, "", dtype=object))
    key = f"sounding{int(seed) % 10**8:08d}"
    h = pd.util.hash_array(np.array([str(i) for i in ids], dtype=object), hash_key=key)
    strata = pd.DataFrame({"g": grade, "s": school}).groupby(["g", "s"], sort=True).ngroup()
    strata = strata.to_numpy()
    sizes = np.bincount(strata)
    exact = size * sizes / n
    quota = np.floor(exact).astype(np.int64)
    rest = size - int(quota.sum())
    if rest > 0:  # largest remainders, ties to the larger stratum then the lower index
        order = np.lexsort((np.arange(len(sizes)), -sizes, -(exact - quota)))
        quota[order[:rest]] += 1
    # rank within stratum by hash
    order = np.lexsort((h, strata))
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - first[strata[order]]
    return ids[rank < quota[strata]]


# ------------------------------------------------------------------ evidence by student


class _MemoryAnswers:
    """Model-frame answers held in memory, sliced by student."""

    def __init__(self, resp: pd.DataFrame) -> None:
        self.resp = resp
        self._pos: dict[Any, np.ndarray] | None = None

    def students(self) -> list[Any]:
        return list(pd.unique(self.resp["user_id"]))

    def of(self, ids: np.ndarray, everyone: bool = False) -> pd.DataFrame:
        if everyone:
            return self.resp
        if self._pos is None:
            self._pos = self.resp.groupby("user_id", sort=False).indices if len(self.resp) \
                else {}
        parts = [self._pos[i] for i in ids if i in self._pos]
        if not parts:
            return self.resp.iloc[:0]
        return self.resp.iloc[np.sort(np.concatenate(parts))]


class _StoreAnswers:
    """Answers read from the store per chunk of students (checked once, on import)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def students(self) -> list[Any]:
        return []  # every answer in a store belongs to a rostered student

    def of(self, ids: np.ndarray, everyone: bool = False) -> pd.DataFrame:
        raw = (self.store.responses() if everyone
               else self.store.responses(student_ids=[str(i) for i in ids]))
        return responses_for_model(raw, trusted=True)


# ------------------------------------------------------------------ the district summary


class _Summary:
    """What :meth:`MasteryResult.summary` reports, accumulated chunk by chunk."""

    def __init__(self, model: str, graph: StandardsGraph) -> None:
        self.model = model
        self.graph = graph
        self.n_students = 0
        self.n_estimates = 0
        self.n_answers = 0
        self.n_without = 0
        self.n_deep = 0
        self.levels: dict[str, np.ndarray] = {}

    def add(self, posterior: Any, tables: IcebergTables) -> None:
        """One chunk: its posterior (long frame or PosteriorMatrix) and its iceberg tables."""
        self.n_students += len(tables.students)
        if isinstance(posterior, PosteriorMatrix):
            self.n_estimates += int(posterior.p.size)
            per_student = posterior.n_evidence.sum(axis=1, dtype=np.int64)
            self.n_answers += int(per_student.sum())
            answered = set(posterior.user_ids[per_student > 0])
        else:
            self.n_estimates += len(posterior)
            ev = posterior["n_evidence"].to_numpy(dtype=np.int64)
            self.n_answers += int(ev.sum())
            per = pd.Series(ev).groupby(posterior["student_id"].to_numpy(), sort=False).sum()
            answered = set(per.index[per.to_numpy() > 0])
        self.n_without += int(sum(1 for s in tables.students["student_id"] if s not in answered))
        self.n_deep += int((tables.students["depth"] >= 2).sum())
        st = tables.strands
        gb = st["grades_below"]
        known = gb.notna().to_numpy()
        bucket = np.where(known, np.minimum(gb.fillna(0).to_numpy(dtype=np.int64), 3), 4)
        codes, names = pd.factorize(st["strand"].to_numpy(dtype=object))
        counts = np.bincount(codes * 5 + bucket, minlength=5 * len(names)).reshape(-1, 5)
        for name, c in zip(names, counts, strict=True):
            self.levels[name] = self.levels.get(name, np.zeros(5, dtype=np.int64)) + c

    def to_dict(self, fit: Mapping[str, Any]) -> dict[str, Any]:
        dist = {}
        for s in sorted(self.levels):
            c = self.levels[s]
            d = {BELOW_BUCKETS[b]: int(c[b]) for b in range(4)}
            if c[4]:
                d["unknown"] = int(c[4])
            dist[s] = d
        return {
            "model": self.model,
            "graph": self.graph.name,
            "n_students": self.n_students,
            "n_standards": len(self.graph.standard_codes),
            "n_estimates": self.n_estimates,
            "n_answers": self.n_answers,
            "n_students_without_answers": self.n_without,
            "depth_2plus": round(self.n_deep / self.n_students, 3) if self.n_students else 0.0,
            "grades_below": dist,
            "fit": dict(fit),
        }


# ------------------------------------------------------------------ fitting


def fit_mastery(
    responses_df: pd.DataFrame,
    students_df: pd.DataFrame,
    graph: StandardsGraph | None = None,
    *,
    classes_df: pd.DataFrame | None = None,
    enrollments_df: pd.DataFrame | None = None,
    model: Any = "graph",
    progress: ProgressCallback | None = None,
    block_size: int = BLOCK_SIZE,
    fit_students: int | None = FIT_SAMPLE,
    seed: int = 0,
    model_options: Mapping[str, Any] | None = None,
    source: str = "responses",
) -> MasteryResult:
    """Fit a mastery model and estimate every rostered student x every standard.

    Parameters
    ----------
    responses_df : DataFrame
        The evidence format (``student_id, item_id, standard, correct, timestamp, source``)
        or pyBKT columns.
    students_df : DataFrame
        Roster students (any spelling :func:`normalize_students` accepts). Every student with a
        grade gets a posterior, answers or not (a student without answers gets the prior of
        their grade, with ``n_evidence == 0``).
    graph : StandardsGraph, optional
        Default: the shipped K-8 + Algebra I progression.
    classes_df, enrollments_df : DataFrame, optional
        Used to place students enrolled in Algebra I at HS (:func:`student_grades`) and kept on
        the result for the class views.
    model : str or an estimator
        A name of :data:`~sounding.mastery.models.MODEL_NAMES` ("graph" by default) or any
        estimator meeting :class:`~sounding.mastery.models.MasteryModel`
        (``fit(responses, grades)``, ``posterior(responses, grades)``).
    progress : callable, optional
        ``progress(stage, done, total[, detail])``, e.g. from :func:`rich_progress`.
    block_size : int
        Students per posterior chunk: memory is bounded by the chunk, not the district.
    fit_students : int or None
        Fit the parameters on at most this many students (:func:`fit_sample`, stratified by
        grade and school); None fits on everyone. A district smaller than this is fitted on
        everyone, exactly as before the option existed.
    seed : int
        Seed of the fit sample.
    model_options : mapping, optional
        Keyword arguments for the model's constructor (e.g. ``max_iter``).
    source : str
        Name of the responses in error messages (the file path, when from a file).
    """
    graph = graph if graph is not None else load_default().k8_algebra1()
    with _nothing_written():
        resp = responses_for_model(responses_df, graph, source=source)
    roster = Roster(normalize_students(students_df), normalize_classes(classes_df),
                    normalize_enrollments(enrollments_df))
    run = _Run(_MemoryAnswers(resp), roster, graph, model=model, progress=progress,
               block_size=block_size, fit_students=fit_students, seed=seed,
               model_options=model_options, keep=True)
    with _nothing_written():
        for _ in run.chunks():
            pass
    return run.result()


class _Run:
    """One fit: the sample, the model, then the posterior of every student chunk by chunk.

    :meth:`chunks` yields the store frame of each chunk (what ``write_mastery`` takes), so a
    store writes them in one transaction while the next chunk is computed; the summary is
    accumulated on the way and, with ``keep``, the posterior and icebergs are kept too.
    """

    def __init__(self, answers: Any, roster: Roster, graph: StandardsGraph, *, model: Any,
                 progress: ProgressCallback | None, block_size: int,
                 fit_students: int | None, seed: int,
                 model_options: Mapping[str, Any] | None, keep: bool | None,
                 columns: tuple[str, ...] = POSTERIOR_COLUMNS) -> None:
        if block_size < 1:
            raise InvalidInput("the chunk size must be at least one student")
        self.answers = answers
        self.roster = roster
        self.graph = graph
        self.progress = _Progress(progress)
        self.block_size = int(block_size)
        self.columns = columns
        self.grades = student_grades(roster.students, roster.classes, roster.enrollments)
        rostered = list(roster.students["student_id"])
        known = set(rostered)
        self.universe = np.asarray(rostered + [u for u in answers.students() if u not in known],
                                   dtype=object)
        frame = pd.DataFrame({"student_id": self.universe})
        frame["grade"] = pd.array([self.grades.get(s) for s in self.universe], dtype="Int64")
        school = dict(zip(roster.students["student_id"], roster.students["school_id"],
                          strict=True))
        frame["school_id"] = [school.get(s) for s in self.universe]
        self.sample = fit_sample(frame, fit_students, seed=seed)
        self.est, self.name = _make_model(model, graph, self.block_size, model_options or {})
        self.keep = keep if keep is not None else len(self.universe) <= KEEP_STUDENTS
        self.summary = _Summary(self.name, graph)
        self.model_grade: dict[Any, int] = {}
        self.frames: list[pd.DataFrame] = []
        self.tables: list[IcebergTables] = []
        self.fit_info: dict[str, Any] = {}
        self.writing = False  # the chunks go to a store (a "write" bar per chunk)

    # -------------------------------------------------------------- the fit
    def fit(self) -> None:
        everyone = len(self.sample) == len(self.universe)
        self.progress("read", 0, 1, f"answers of {len(self.sample):,} students for the fit")
        resp = self.answers.of(self.sample, everyone=everyone)
        self.progress("read", 1, 1)
        est = self.est
        n_iter = None
        if isinstance(est, GraphMastery):
            def em(it: int, total: int, ll: float) -> None:
                self.progress("fit", it, total, f"EM iteration {it} of {total}, "
                              f"log-likelihood {ll:,.1f}")

            self.progress("fit", 0, est.max_iter, "EM")
            est.fit(resp, grades=self.grades, callback=em)
            n_iter = est.n_iter_
            loglik = est.loglik_[-1] if est.loglik_ else None
        else:
            resp = rollup_responses(resp, self.graph)
            self.progress("fit", 0, 1)
            est.fit(resp[["user_id", "skill_name", "correct", "order_id"]], self.grades)
            self.progress("fit", 1, 1)
            ll = getattr(est, "log_likelihood_", None)
            loglik = float(np.sum(ll)) if ll is not None else None
        self.fit_info = {
            "fit_students": int(len(self.sample)), "students": int(len(self.universe)),
            "sampled": not everyone, "fit_answers": int(len(resp)),
            "em_iterations": n_iter, "log_likelihood": loglik,
            "chunk_size": self.block_size,
            "chunks": int(max(1, -(-len(self.universe) // self.block_size))),
        }

    # -------------------------------------------------------------- the posterior
    def chunks(self) -> Iterator[pd.DataFrame]:
        """Fit, then yield the store frame of every chunk of students (posterior pass)."""
        self.fit()
        N = len(self.universe)
        self.progress("posterior", 0, N)
        if N == 0:
            raise InvalidInput("no students to estimate: the roster and the evidence are empty")
        for start in range(0, N, self.block_size):
            ids = self.universe[start:start + self.block_size]
            everyone = start == 0 and len(ids) == N
            resp = self.answers.of(ids, everyone=everyone)
            post, tables = self._chunk(ids, resp)
            del resp
            self.summary.add(post, tables)
            self.model_grade.update(zip(tables.students["student_id"].tolist(),
                                        tables.students["grade"].tolist(), strict=True))
            if self.keep:
                self.frames.append(_long(post))
                self.tables.append(tables)
            done = min(N, start + self.block_size)
            self.progress("posterior", done, N,
                          f"chunk {start // self.block_size + 1} of {self.fit_info['chunks']}")
            yield from self._store_frames(post)
            if self.writing:
                self.progress("write", done, N)

    def _chunk(self, ids: np.ndarray, resp: pd.DataFrame) -> tuple[pd.DataFrame, IcebergTables]:
        g = self.graph
        grades = {s: self.grades[s] for s in ids if s in self.grades}
        if isinstance(self.est, GraphMastery):
            pm = self.est.posterior_matrix(resp, grades)
            sub = pd.DataFrame({"student_id": pd.Series(pm.user_ids, dtype=object),
                                "grade": pm.grade})
            tables = cap_strand_ends(compute_icebergs(pm, sub, g), g)
            return pm, tables
        # a per-standard model (BKT): estimates only where there is evidence; every other
        # standard is unknown to it (neither secure nor unsecured), see compute_icebergs
        resp = rollup_responses(resp, g)
        fitted = getattr(self.est, "params_", None)
        if isinstance(fitted, pd.DataFrame):  # skills the fit sample never practised
            resp = resp[resp["skill_name"].isin(fitted.index)]
        if len(resp):
            post = normalize_posterior(self.est.posterior(
                resp[["user_id", "skill_name", "correct", "order_id"]], grades))
        else:
            post = _empty_posterior()
        students = _grades_for_icebergs(list(ids), grades, resp, g)
        tables = cap_strand_ends(compute_icebergs(post, students, g), g)
        return post, tables

    def _store_frames(self, post: Any) -> Iterator[pd.DataFrame]:
        """The chunk in plain types, in pieces of about :data:`WRITE_ROWS` rows.

        From a :class:`PosteriorMatrix` the pieces are built straight from its arrays (object
        id and code columns sharing one string per value), never as one long frame: the
        chunk's rows exist only one piece at a time.
        """
        if isinstance(post, PosteriorMatrix):
            J = len(post.standards)
            codes = np.asarray(post.standards, dtype=object)
            step = max(1, WRITE_ROWS // max(J, 1))
            for a in range(0, len(post.user_ids), step):
                b = min(len(post.user_ids), a + step)
                n = b - a
                out = pd.DataFrame({
                    "student_id": pd.Series(np.repeat(post.user_ids[a:b], J), dtype=object),
                    "standard": pd.Series(np.tile(codes, n), dtype=object),
                    "p_mastered": post.p[a:b].reshape(-1).astype(np.float64),
                    "sd": post.sd[a:b].reshape(-1).astype(np.float64),
                    "n_evidence": post.n_evidence[a:b].reshape(-1).astype(np.int64),
                })
                yield out[[c for c in out.columns if c in self.columns]]
            return
        for start in range(0, len(post), WRITE_ROWS):
            piece = post.iloc[start:start + WRITE_ROWS]
            out = posterior_for_store(piece)
            yield out[[c for c in out.columns if c in self.columns]]

    # -------------------------------------------------------------- the result
    def result(self) -> MasteryResult:
        students = self.roster.students.copy()
        students["model_grade"] = pd.array([self.model_grade.get(s)
                                            for s in students["student_id"]], dtype="Int64")
        names: dict[Any, str] = {}
        for frame in (students, self.roster.classes):
            if frame is not None and "school_name" in frame.columns:
                names.update({k: str(v) for k, v in zip(frame["school_id"],
                                                        frame["school_name"], strict=True)
                              if not is_blank(k) and not is_blank(v)})
        posterior = icebergs = None
        if self.keep:
            posterior = (pd.concat(self.frames, ignore_index=True) if self.frames
                         else _empty_posterior())
            icebergs = _concat_icebergs(self.tables)
        return MasteryResult(self.est, self.name, self.graph, posterior, icebergs, students,
                             self.roster.classes, self.roster.enrollments, names,
                             fit=self.fit_info, summary_=self.summary.to_dict(self.fit_info))


def _long(post: Any) -> pd.DataFrame:
    """A chunk's posterior as the long frame of :attr:`MasteryResult.posterior`."""
    if isinstance(post, PosteriorMatrix):
        return post.to_frame().rename(columns={"user_id": "student_id"})
    return post


def strand_tops(graph: StandardsGraph) -> dict[str, np.ndarray]:
    """Per strand, ``top[G]``: the highest grade <= G where the strand has standards (-1: none)."""
    out: dict[str, np.ndarray] = {}
    for code in graph.standard_codes:
        s = graph[code]
        top = out.setdefault(s.strand, np.full(10, -1, dtype=np.int64))
        top[s.grade_num:] = np.maximum(top[s.grade_num:], s.grade_num)
    return out


def cap_strand_ends(tables: IcebergTables, graph: StandardsGraph) -> IcebergTables:
    """A student secure through the last grade their strand reaches is on grade in it.

    :func:`~sounding.mastery.profile.compute_icebergs` counts ``grades_below`` as ``grade - 1 -
    secure_through``, so a grade-8 student secure in every number standard (the strand ends at
    grade 5, NBT) would read "2 grades below in number". There is nothing left to secure, so
    such rows get ``grades_below = 0``. Idempotent; a no-op where the profile already agrees.
    """
    st = tables.strands
    if st.empty:
        return tables
    tops = strand_tops(graph)
    names = sorted(tops)
    table = np.vstack([tops[n] for n in names] + [np.full(10, -1, dtype=np.int64)])
    which = pd.Index(names).get_indexer(st["strand"].to_numpy(dtype=object))
    which = np.where(which < 0, len(names), which)
    g = st["grade"].to_numpy(dtype=np.int64).clip(0, 9)
    top = table[which, g]
    sec = st["secure_through"].to_numpy(dtype=float)
    at_top = (top >= 0) & ~np.isnan(sec) & (np.nan_to_num(sec, nan=-9) >= top)
    if at_top.any() and (st.loc[at_top, "grades_below"] != 0).any():
        st = st.copy()
        st.loc[at_top, "grades_below"] = 0
        return IcebergTables(strands=st, unfinished=tables.unfinished, students=tables.students)
    return tables


def _empty_posterior() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
        POSTERIOR_COLUMNS, (object, object, float, float, np.int64), strict=True)})


def _concat_icebergs(parts: list[IcebergTables]) -> IcebergTables:
    if not parts:
        raise InvalidInput("no students to estimate: the roster and the evidence are empty")
    if len(parts) == 1:
        return parts[0]
    return IcebergTables(
        strands=pd.concat([p.strands for p in parts], ignore_index=True),
        unfinished=pd.concat([p.unfinished for p in parts], ignore_index=True),
        students=pd.concat([p.students for p in parts], ignore_index=True),
    )


def _grades_for_icebergs(ids: list[Any], grades: Mapping[Any, int],
                         resp: pd.DataFrame | None, graph: StandardsGraph) -> pd.DataFrame:
    """Students and the grades to profile them at: the roster's, else their answers' mode.

    Students with neither (no roster grade, no answers) cannot be placed and are left out.
    """
    modal: dict[Any, int] = {}
    missing = [s for s in ids if s not in grades]
    if missing and resp is not None and len(resp):
        sub = resp[resp["user_id"].isin(set(missing))]
        g = sub["skill_name"].map(lambda c: graph[graph.rollup(c)].grade_num
                                  if c in graph else np.nan)
        tab = pd.DataFrame({"s": sub["user_id"], "g": g}).dropna()
        if len(tab):
            modal = tab.groupby("s")["g"].agg(lambda x: int(x.mode().max())).to_dict()
    rows = [(s, grades.get(s, modal.get(s))) for s in ids]
    rows = [(s, g) for s, g in rows if g is not None]
    return pd.DataFrame(rows, columns=["student_id", "grade"])


def _read_responses(path: str | Path, graph: StandardsGraph | None) -> pd.DataFrame:
    """A responses file through the evidence importer's reader and checks (the same as
    ``sounding import responses``: every problem names the file, its line and column)."""
    from sounding.evidence.read import read_responses

    p = Path(path)
    if not p.exists():
        raise NotFound(f"no responses file {str(p)!r}")
    return read_responses(p, graph=graph)


def fit_files(responses: str | Path | pd.DataFrame, roster: str | Path | Roster,
              graph: StandardsGraph | None = None, *, model: Any = "graph",
              progress: ProgressCallback | None = None, **options: Any) -> MasteryResult:
    """:func:`fit_mastery` from a responses file and a OneRoster folder/zip (no store)."""
    graph = graph if graph is not None else load_default().k8_algebra1()
    _tick(progress, "read", 0, 2)
    with _nothing_written():
        if isinstance(responses, pd.DataFrame):
            resp, source = responses, "responses"
        else:
            resp, source = _read_responses(responses, graph), str(responses)
    _tick(progress, "read", 1, 2)
    with _nothing_written():
        ros = roster if isinstance(roster, Roster) else read_roster(roster)
    _tick(progress, "read", 2, 2)
    return fit_mastery(resp, ros.students, graph, classes_df=ros.classes,
                       enrollments_df=ros.enrollments, model=model, progress=progress,
                       source=source, **options)


def _open_store(store: Any) -> Any:
    if isinstance(store, str | Path):
        from sounding.store import Store

        return Store.open(str(store))
    return store


def fit_store_mastery(store: Any, *, model: Any = "graph", graph: StandardsGraph | None = None,
                      progress: ProgressCallback | None = None,
                      block_size: int = BLOCK_SIZE, fit_students: int | None = FIT_SAMPLE,
                      seed: int = 0, keep: bool | None = None,
                      model_options: Mapping[str, Any] | None = None) -> MasteryResult:
    """Fit from the store's evidence and roster, stream the posterior back, return the result.

    ``store`` is a :class:`sounding.store.Store` or its URL/path; the graph defaults to the
    district's own progression (``store.progression().k8_algebra1()``). The parameters are
    fitted on the answers of a sample of at most ``fit_students`` students
    (:func:`fit_sample`); then, chunk by chunk of ``block_size`` students, the chunk's answers
    are read (``store.responses(student_ids=...)``), its posterior computed and written, all
    chunks in one transaction (``store.write_mastery`` with an iterable), so peak memory is
    set by the chunk size and the roster, not by the number of answers or estimates.

    ``keep`` keeps the whole posterior and the iceberg tables on the result (for the report
    and the in-memory views); None keeps them up to :data:`KEEP_STUDENTS` students. A result
    without them still has :meth:`MasteryResult.summary`; the views then read the store.

    Raises
    ------
    InvalidInput
        The store holds no responses (import evidence first) or no students.
    """
    st = _open_store(store)
    graph = graph if graph is not None else st.progression().k8_algebra1()
    tick = _Progress(progress)
    tick("read", 0, 3, "roster")
    if not st.counts().get("responses", 0):
        raise InvalidInput("the store holds no responses; import evidence first "
                           "(sounding import responses FILE)")
    students = st.students()
    if students is None or not len(students):
        raise InvalidInput("the store holds no students; import a roster first "
                           "(sounding import roster DIR)")
    tick("read", 1, 3, "roster")
    classes = none_if_empty(st.classes())
    enrollments = none_if_empty(st.enrollments())
    tick("read", 3, 3, "roster")
    roster = Roster(normalize_students(students), normalize_classes(classes),
                    normalize_enrollments(enrollments))
    run = _Run(_StoreAnswers(st), roster, graph, model=model, progress=progress,
               block_size=block_size, fit_students=fit_students, seed=seed,
               model_options=model_options, keep=keep, columns=_store_mastery_columns())

    run.writing = True
    with _nothing_written():
        st.write_mastery(run.chunks(), run.name)
    result = run.result()
    if hasattr(st, "orgs"):
        orgs = st.orgs()
        key = first_column(orgs, "org_id", "sourcedId")
        if key is not None and "name" in orgs.columns:
            schools = orgs[orgs["type"] == "school"] if "type" in orgs.columns else orgs
            result.school_names.update(
                {k: str(v) for k, v in zip(schools[key], schools["name"], strict=True)})
    return result


def _store_mastery_columns() -> tuple[str, ...]:
    """The posterior columns the store's mastery table holds (``sd`` only if it has one)."""
    return tuple(c for c in POSTERIOR_COLUMNS
                 if c in ("student_id", "standard", "p_mastered", "sd", "n_evidence", "as_of"))
