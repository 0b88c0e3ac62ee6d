"""Mastery wired into the system: evidence and roster in, posterior and icebergs out.

The learner models (:class:`~sounding.mastery.graph_model.GraphMastery`, BKT) speak pyBKT's
language (``user_id, skill_name, correct, order_id``) and know nothing of rosters, stores or
Algebra I placements. This module is the one place that translates, so the CLI
(``sounding mastery fit`` / ``show``), the report and the planning layer all see the same
numbers:

* :func:`read_responses` / :func:`responses_for_model` check the evidence format
  (``student_id, item_id, standard, correct, timestamp, source``) with the importer's own
  checks -- every problem names the file, its line and the file's column -- and turn it into
  the model's frame;
* :func:`student_grades` gives each student the grade the model should measure them against
  (a grade-8 student enrolled in Algebra I is measured against the Algebra I course, HS);
* :func:`fit_mastery`, :func:`fit_files` and :func:`fit_store_mastery` fit the parameters on
  a stratified sample of at most :data:`FIT_SAMPLE` students (:func:`fit_sample`; a smaller
  district is fitted on everyone, exactly as before), then compute the posterior and the
  iceberg tables of **every** student chunk by chunk (:data:`BLOCK_SIZE` students), the
  store reading each chunk's answers and writing its rows in one transaction, so peak memory
  is set by the chunk, not by the district (``bench/bench_graph.py`` measures it at 100k and
  1M students); progress is reported per EM iteration and per chunk;
* :func:`student_view` / :func:`class_view` give what ``sounding mastery show`` prints, as plain
  JSON-ready dicts, and :func:`text_student` / :func:`text_class` render them for Rich.

Roster tables arrive spelled many ways (the store's ``student_id``, OneRoster's ``sourcedId``,
``metadata.englishLearner``, grades ``"08"``/``"KG"``); the ``normalize_*`` functions accept
all of them so callers never rename columns themselves.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import (
    InvalidData,
    InvalidEvidence,
    InvalidInput,
    NotFound,
    Problem,
)
from sounding.mastery.graph_model import GraphMastery, PosteriorMatrix
from sounding.mastery.models import MODEL_NAMES, make_model
from sounding.mastery.profile import (
    BELOW_BUCKETS,
    IcebergTables,
    compute_icebergs,
)
from sounding.progression import STRANDS, StandardsGraph, grade_label, grade_number, load_default

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

    def student_posterior(self, student_id: Any) -> pd.DataFrame:
        """One student's rows of the posterior (fast: indexed once, then looked up)."""
        return _source(self, None, self.model_name).posterior([student_id])

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


# ============================================================================ normalising


def _first(df: pd.DataFrame, *names: str) -> str | None:
    for n in names:
        if n in df.columns:
            return n
    return None


def _coalesce(df: pd.DataFrame, *names: str) -> list[str]:
    """Per row, the first non-blank value among the columns ``names`` ("" when none)."""
    out = [""] * len(df)
    for n in reversed([n for n in names if n in df.columns]):
        out = [str(v).strip() if not _blank(v) else o
               for v, o in zip(df[n], out, strict=True)]
    return out


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        if v is pd.NA or v is pd.NaT:
            return True
    except TypeError:  # pragma: no cover - exotic scalars
        pass
    return isinstance(v, str) and not v.strip()


def grade_value(v: Any) -> int | None:
    """A grade spelled any common way (4, "04", "KG", "HS", "07,08") as 0..9, or None.

    A OneRoster ``grades`` field may list several grades; the highest counts (the level the
    student is placed at).
    """
    if _blank(v):
        return None
    if isinstance(v, bool | np.bool_):
        return None
    if isinstance(v, int | np.integer):
        return min(int(v), 9) if 0 <= int(v) <= 12 else None
    if isinstance(v, float | np.floating):
        return min(int(v), 9) if float(v).is_integer() and 0 <= v <= 12 else None
    parts = [p for p in str(v).replace(";", ",").split(",") if p.strip()]
    best = None
    for p in parts:
        try:
            g = grade_number(p.strip())
        except ValueError:
            continue
        best = g if best is None else max(best, g)
    return best


def _as_bool(v: Any) -> Any:
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if _blank(v):
        return pd.NA
    s = str(v).strip().lower()
    if s in ("true", "t", "yes", "y", "1"):
        return True
    if s in ("false", "f", "no", "n", "0"):
        return False
    return pd.NA


_SUBGROUP_ALIASES: dict[str, tuple[str, ...]] = {
    "english_learner": ("english_learner", "metadata.englishLearner", "englishLearner", "el"),
    "disability": ("disability", "metadata.disability", "students_with_disabilities", "swd"),
    "economically_disadvantaged": ("economically_disadvantaged", "econ_disadvantaged",
                                   "metadata.economicallyDisadvantaged",
                                   "economicallyDisadvantaged", "frl"),
}
#: (label, column spellings): OneRoster's race booleans, then the store's snake_case ones.
_RACE_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("american_indian", ("americanIndianOrAlaskaNative", "american_indian_or_alaska_native")),
    ("asian", ("asian",)),
    ("black", ("blackOrAfricanAmerican", "black_or_african_american")),
    ("pacific_islander", ("nativeHawaiianOrOtherPacificIslander",
                          "native_hawaiian_or_other_pacific_islander")),
    ("white", ("white",)),
)
_TWO_OR_MORE = ("demographicRaceTwoOrMoreRaces", "two_or_more_races")
_HISPANIC = ("hispanicOrLatinoEthnicity", "hispanic_or_latino")


def _race_from_booleans(df: pd.DataFrame) -> pd.Series | None:
    """``race_ethnicity`` from race booleans (Hispanic first, then two or more races)."""
    cols = [(lab, _first(df, *names)) for lab, names in _RACE_COLUMNS]
    cols = [(lab, c) for lab, c in cols if c is not None]
    if not cols and _first(df, *_HISPANIC) is None:
        return None

    def flag(col: str | None) -> np.ndarray:
        if col is None:
            return np.zeros(len(df), dtype=bool)
        return np.array([_as_bool(v) is True for v in df[col]], dtype=bool)

    hits = (np.column_stack([flag(c) for _, c in cols]) if cols
            else np.zeros((len(df), 1), dtype=bool))
    n = hits.sum(axis=1)
    labels = np.array([lab for lab, _ in cols] or ["none"], dtype=object)
    out = np.where(n == 1, labels[hits.argmax(axis=1)], None).astype(object)
    out = np.where(n > 1, "two_or_more", out)
    out = np.where(flag(_first(df, *_TWO_OR_MORE)), "two_or_more", out)
    out = np.where(flag(_first(df, *_HISPANIC)), "hispanic", out)
    return pd.Series(out, index=df.index, dtype=object)


def normalize_students(students_df: pd.DataFrame) -> pd.DataFrame:
    """Roster students in one spelling: ``student_id, grade (0..9 or NA), school_id, name``.

    Subgroup flags become ``english_learner, disability, economically_disadvantaged`` (bool or
    NA) and ``race_ethnicity`` when present (OneRoster ``metadata.*`` extension columns and race
    booleans included). Other columns are kept. Why: the store, OneRoster files and the
    simulator's truth all name these differently, and every view needs the same few.
    """
    if not isinstance(students_df, pd.DataFrame):
        raise InvalidInput("students must be a pandas DataFrame")
    df = students_df.copy()
    key = _first(df, "student_id", "user_id", "sourcedId", "userSourcedId")
    if key is None:
        raise InvalidInput("students need a student_id column (or user_id / sourcedId)")
    if key != "student_id":
        df = df.rename(columns={key: "student_id"})
    gcol = _first(df, "grade", "grades", "grade_level")
    df["grade"] = (pd.array([grade_value(v) for v in df[gcol]], dtype="Int64") if gcol
                   else pd.array([None] * len(df), dtype="Int64"))
    scol = _first(df, "school_id", "schoolSourcedId", "primaryOrgSourcedId", "primary_org_id",
                  "orgSourcedId", "org_id")
    if scol and scol != "school_id":
        df["school_id"] = df[scol]
    elif not scol:
        df["school_id"] = None
    if "name" not in df.columns:
        given = _coalesce(df, "preferred_given_name", "preferredGivenName", "given_name",
                          "givenName", "first_name")
        family = _coalesce(df, "preferred_family_name", "preferredFamilyName", "family_name",
                           "familyName", "last_name")
        df["name"] = [f"{g} {f}".strip() for g, f in zip(given, family, strict=True)]
    df["name"] = [str(n).strip() if not _blank(n) else str(s)
                  for n, s in zip(df["name"], df["student_id"], strict=True)]
    for target, aliases in _SUBGROUP_ALIASES.items():
        col = _first(df, *aliases)
        if col is not None:
            df[target] = pd.array([_as_bool(v) for v in df[col]], dtype="boolean")
    if "race_ethnicity" not in df.columns:
        race = _race_from_booleans(df)
        if race is not None:
            df["race_ethnicity"] = race
    return df.drop_duplicates("student_id").reset_index(drop=True)


def is_algebra1_class(*values: Any) -> bool:
    """True when a class's title / course title / course code names Algebra I (not II)."""
    for v in values:
        if _blank(v):
            continue
        s = str(v).upper().replace(" ", "").replace("-", "").replace("_", "")
        if ("ALGEBRAI" in s and "ALGEBRAII" not in s) or "ALG1" in s or "ALGEBRA1" in s:
            return True
    return False


def normalize_classes(classes_df: pd.DataFrame | None,
                      courses_df: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Classes as ``class_id, title, grade (0..9, 9 for Algebra I), school_id, algebra1``.

    ``algebra1`` is read from an explicit ``algebra1`` / ``is_algebra1`` column when present,
    else from the title, class code, course id and (with ``courses_df``) course title/code,
    the same way planning reads placements.
    """
    if classes_df is None:
        return None
    df = classes_df.copy()
    key = _first(df, "class_id", "sourcedId", "classSourcedId")
    if key is None:
        raise InvalidInput("classes need a class_id column (or sourcedId)")
    if key != "class_id":
        df = df.rename(columns={key: "class_id"})
    scol = _first(df, "school_id", "schoolSourcedId")
    if scol and scol != "school_id":
        df["school_id"] = df[scol]
    elif not scol:
        df["school_id"] = None
    if "title" not in df.columns:
        df["title"] = df["class_id"].astype(str)
    df["title"] = [str(t) if not _blank(t) else str(c)
                   for t, c in zip(df["title"], df["class_id"], strict=True)]
    ccol = _first(df, "course_id", "courseSourcedId")
    if courses_df is not None and ccol is not None and len(courses_df):
        ck = _first(courses_df, "course_id", "sourcedId")
        if ck is not None:
            extra = courses_df.rename(columns={ck: "_course"})
            keep = [c for c in ("title", "courseCode", "course_code") if c in extra.columns]
            extra = extra[["_course", *keep]].rename(
                columns={"title": "course_title", "courseCode": "course_code"})
            df = df.merge(extra.drop_duplicates("_course"), how="left", left_on=ccol,
                          right_on="_course").drop(columns="_course")
    explicit = _first(df, "algebra1", "is_algebra1")
    texts = [c for c in ("title", "classCode", "class_code", "course_title", "course_code",
                         "courseSourcedId", "course_id") if c in df.columns]
    alg = np.array([is_algebra1_class(*row) for row in df[texts].itertuples(index=False)],
                   dtype=bool) if texts else np.zeros(len(df), dtype=bool)
    if explicit is not None:
        ex = np.array([_as_bool(v) is True for v in df[explicit]], dtype=bool)
        alg = alg | ex
    df["algebra1"] = alg
    gcol = _first(df, "grade", "grades", "grade_level")
    grades = [grade_value(v) for v in df[gcol]] if gcol else [None] * len(df)
    df["grade"] = pd.array([9 if a else g for a, g in zip(alg, grades, strict=True)],
                           dtype="Int64")
    return df.drop_duplicates("class_id").reset_index(drop=True)


def normalize_enrollments(enrollments_df: pd.DataFrame | None) -> pd.DataFrame | None:
    """Student enrollments as ``class_id, student_id`` (teachers and other roles dropped)."""
    if enrollments_df is None:
        return None
    df = enrollments_df
    ck = _first(df, "class_id", "classSourcedId")
    sk = _first(df, "student_id", "user_id", "userSourcedId")
    if ck is None or sk is None:
        raise InvalidInput("enrollments need class_id and student_id columns "
                           "(or classSourcedId / userSourcedId)")
    if "role" in df.columns:
        df = df[df["role"].astype(str).str.strip().str.lower() == "student"]
    if "status" in df.columns:
        df = df[df["status"].astype(str).str.lower() != "tobedeleted"]
    out = pd.DataFrame({"class_id": df[ck].to_numpy(dtype=object),
                        "student_id": df[sk].to_numpy(dtype=object)})
    return out.drop_duplicates().reset_index(drop=True)


# ============================================================================ roster files


@dataclass
class Roster:
    """The three roster tables the mastery pipeline needs, normalised."""

    students: pd.DataFrame
    classes: pd.DataFrame | None
    enrollments: pd.DataFrame | None


def roster_from_oneroster(tables: Mapping[str, pd.DataFrame]) -> Roster:
    """Students, classes and enrollments from OneRoster 1.2 tables (file name -> DataFrame of
    text, as the files hold them).

    The tables go through the one OneRoster reader (:func:`sounding.roster.read_roster`, what
    ``sounding import roster`` uses), so files and frames give the same roster, checked the
    same way (every problem names file, line and field).
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="sounding-roster-") as tmp:
        for name, df in tables.items():
            file = name if name.endswith(".csv") else f"{name}.csv"
            df.to_csv(Path(tmp) / file, index=False, na_rep="")
        return read_roster(tmp)


def roster_from_store(store: Any) -> Roster:
    """The normalised roster of a store (its schools named)."""
    students = normalize_students(store.students())
    courses = store.table("courses") if hasattr(store, "table") else None
    classes = normalize_classes(_none_if_empty(store.classes()), courses)
    orgs = store.orgs()
    names = dict(zip(orgs["org_id"], orgs["name"], strict=True))
    students["school_name"] = students["school_id"].map(names)
    if classes is not None:
        classes["school_name"] = classes["school_id"].map(names)
    return Roster(students, classes, normalize_enrollments(_none_if_empty(store.enrollments())))


def read_roster(path: str | Path) -> Roster:
    """Read a OneRoster CSV export (a folder or a zip) into a :class:`Roster`.

    Why through a store: the roster package's reader validates the export and resolves each
    student's school the way ``sounding import roster`` does; a throwaway SQLite file holds
    the result, so ``sounding mastery fit --roster DIR`` (no store) and a fit on an imported
    store see the same roster.
    """
    import tempfile

    from sounding.roster import import_roster
    from sounding.store import Store

    p = Path(path)
    if not p.exists():
        raise NotFound(f"no roster at {str(p)!r} (expected a OneRoster folder or zip)")
    with tempfile.TemporaryDirectory(prefix="sounding-roster-") as tmp:
        with Store.open(Path(tmp) / "roster.db") as store:
            import_roster(store, p)
            return roster_from_store(store)


def read_responses(path: str | Path, graph: StandardsGraph | None = None) -> pd.DataFrame:
    """Read and check a responses file (CSV or Parquet, the documented evidence format).

    The same reader and checks as ``sounding import responses`` (every problem names the file,
    its line and the file's own column), so a file that fits imports and vice versa.

    Raises
    ------
    InvalidEvidence
        Missing columns or values, ``correct`` not 0/1, timestamps that are blank or not ISO
        8601, standards not in ``graph``.
    """
    from sounding.evidence.read import read_responses as read_evidence

    p = Path(path)
    if not p.exists():
        raise NotFound(f"no responses file {str(p)!r}")
    return read_evidence(p, graph=graph)


# ============================================================================ model inputs

_PYBKT = ("user_id", "skill_name", "correct", "order_id")


def responses_for_model(responses_df: pd.DataFrame, graph: StandardsGraph | None = None, *,
                        source: str = "responses", trusted: bool = False) -> pd.DataFrame:
    """The evidence format as the pyBKT-style frame the learner models take.

    ``student_id, item_id, standard, correct, timestamp`` (plus ``source``, kept) become
    ``user_id, skill_name, correct (int8), order_id (datetime)``. Validated once here, with
    the evidence importer's own checks (:func:`sounding.evidence.checks.check_responses`), so
    every model sees clean input and every problem names ``source``, the file line (header =
    1) and the column as the file spells it. A frame in pyBKT columns is checked the pyBKT
    way (:func:`sounding.mastery.responses.validate_responses`: ``order_id`` required).

    Parameters
    ----------
    graph : StandardsGraph, optional
        When given, a code that is not one of its standards (or sub-standards) is a problem.
    trusted : bool
        Skip the checks (rows read back from the store, which checked them on import).

    Raises
    ------
    InvalidEvidence
        A required column is missing (``timestamp`` included: without it the order of the
        answers is unknown), or a row has no student, no standard, a ``correct`` that is not
        0/1 (``true``/``false`` text is not accepted, as on import), a blank or unreadable
        timestamp, or an unknown standard.
    """
    if not isinstance(responses_df, pd.DataFrame):
        raise InvalidInput("responses must be a pandas DataFrame")
    df = responses_df
    if all(c in df.columns for c in _PYBKT[:3]) and "student_id" not in df.columns:
        return _pybkt_frame(df, graph, source)
    if not trusted:
        from sounding.evidence.checks import check_responses

        if "correct" in df.columns and df["correct"].dtype == object:
            # numbers in a mixed column as the text a file would hold (the checker reads an
            # object column as text)
            df = df.assign(correct=df["correct"].map(_correct_text))
        df = check_responses(df, graph=graph, file=source)
    out = pd.DataFrame({
        "user_id": df["student_id"].to_numpy(dtype=object),
        "skill_name": df["standard"].astype(str).str.strip().to_numpy(dtype=object),
        "correct": df["correct"].to_numpy().astype(np.int8),
        "order_id": pd.to_datetime(df["timestamp"]).to_numpy(),
    })
    for extra in ("item_id", "source"):
        if extra in df.columns:
            out[extra] = df[extra].to_numpy()
    return out


def _correct_text(v: Any) -> Any:
    """A correctness cell as file text: 1/0 numbers and booleans as "1"/"0", else as is."""
    if isinstance(v, bool | np.bool_):
        return "1" if v else "0"
    if isinstance(v, int | np.integer) or (isinstance(v, float | np.floating)
                                           and float(v).is_integer()):
        return str(int(v))
    return v


def _pybkt_frame(df: pd.DataFrame, graph: StandardsGraph | None, source: str) -> pd.DataFrame:
    """A pyBKT-column frame, checked (order required) and with the model's dtypes."""
    from sounding.mastery.responses import validate_responses

    checked = validate_responses(df, source=source)
    blank = checked["user_id"].astype(str).str.strip().eq("").to_numpy() | \
        checked["skill_name"].astype(str).str.strip().eq("").to_numpy()
    if blank.any():
        raise InvalidEvidence([
            Problem(source, int(r) + 2, "user_id" if not str(checked["user_id"].iloc[r]).strip()
                    else "skill_name", "missing value") for r in np.flatnonzero(blank)[:20]])
    out = pd.DataFrame({
        "user_id": checked["user_id"].to_numpy(dtype=object),
        "skill_name": checked["skill_name"].astype(str).str.strip().to_numpy(dtype=object),
        "correct": checked["correct"].to_numpy().astype(np.int8),
        "order_id": checked["order_id"].to_numpy(),
    })
    if graph is not None:
        rollup_responses(out, graph, source=source, field="skill_name")
    return out


def rollup_responses(responses: pd.DataFrame, graph: StandardsGraph, *,
                     source: str = "responses", field: str = "standard") -> pd.DataFrame:
    """Model-frame responses with ``skill_name`` at the graph's standard level.

    Sub-standards (4.NF.B.3a) roll up to their standard so every model estimates the same
    units the iceberg and the store speak of.

    Raises
    ------
    InvalidEvidence
        A code that is not in the progression (``field`` of ``source``).
    """
    codes = set(graph.standard_codes)
    uniq = pd.unique(responses["skill_name"])
    mapping: dict[Any, str] = {}
    problems = []
    for u in uniq:
        c = str(u)
        if c in codes:
            mapping[u] = c
        elif c in graph and graph.rollup(c) in codes:
            mapping[u] = graph.rollup(c)
        else:
            first = int(np.flatnonzero((responses["skill_name"] == u).to_numpy())[0])
            problems.append(Problem(source, first + 2, field,
                                    f"unknown standard {c!r}: not a standard of {graph.name}"))
    if problems:
        raise InvalidEvidence(problems)
    return responses.assign(skill_name=responses["skill_name"].map(mapping))


def student_grades(students_df: pd.DataFrame, classes_df: pd.DataFrame | None = None,
                   enrollments_df: pd.DataFrame | None = None) -> dict[Any, int]:
    """Each student's grade for the model's ``grades=`` (0..9), Algebra I placements as HS.

    A student enrolled in an Algebra I class is measured against the course they are in
    (HS = 9): their "current grade" work is Algebra I and all of grade 8 is below grade, which
    is what the model's grade offsets and the iceberg mean. Students without a readable grade
    are left out (the model then uses the grade most of their answers are on).
    """
    st = normalize_students(students_df)
    grades = {sid: int(g) for sid, g in zip(st["student_id"], st["grade"], strict=True)
              if not _blank(g)}
    rostered = set(st["student_id"])
    for sid in algebra1_students(classes_df, enrollments_df):
        if sid in rostered:
            grades[sid] = 9
    return grades


def algebra1_students(classes_df: pd.DataFrame | None,
                      enrollments_df: pd.DataFrame | None) -> set[Any]:
    """Students enrolled in a class that is an Algebra I course."""
    if classes_df is None or enrollments_df is None:
        return set()
    cl = classes_df if "algebra1" in classes_df.columns and "class_id" in classes_df.columns \
        else normalize_classes(classes_df)
    en = enrollments_df if list(enrollments_df.columns[:2]) == ["class_id", "student_id"] \
        else normalize_enrollments(enrollments_df)
    alg = set(cl.loc[cl["algebra1"].astype(bool), "class_id"])
    return set(en.loc[en["class_id"].isin(alg), "student_id"])


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


@contextmanager
def rich_progress(console: Any = None, *, transient: bool = True
                  ) -> Iterator[ProgressCallback]:
    """A progress callback drawing Rich bars (on stderr by default, so JSON stdout stays clean).

        with rich_progress() as cb:
            result = fit_store_mastery(store, progress=cb)

    One bar per stage: the EM bar moves per iteration and shows the log-likelihood, the
    posterior bar per chunk of students.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    con = console if console is not None else Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=con,
                  transient=transient) as prog:
        tasks: dict[str, Any] = {}

        def callback(stage: str, done: int, total: int, detail: str | None = None) -> None:
            label = STAGE_LABELS.get(stage, stage)
            if detail:
                label = f"{label} ({detail})"
            if stage not in tasks:
                tasks[stage] = prog.add_task(label, total=total)
            prog.update(tasks[stage], completed=done, total=total, description=label)

        yield callback


def _make_model(model: Any, graph: StandardsGraph, block_size: int,
                options: Mapping[str, Any]) -> tuple[Any, str]:
    if not isinstance(model, str):
        return model, getattr(model, "name", type(model).__name__.lower())
    if model == "graph":
        return make_model("graph", graph=graph, batch_size=block_size, **options), "graph"
    return make_model(model, graph=None if model.startswith("bkt") else graph,
                      **options), model


def _normalize_posterior(df: pd.DataFrame) -> pd.DataFrame:
    """Any model's / store's posterior frame in :data:`POSTERIOR_COLUMNS`."""
    ren = {}
    for target, aliases in (("student_id", ("user_id",)), ("standard", ("skill_name", "skill")),
                            ("p_mastered", ("p", "mastery", "p_mastery", "state_predictions"))):
        if target not in df.columns:
            hit = _first(df, *aliases)
            if hit is not None:
                ren[hit] = target
    df = df.rename(columns=ren)
    missing = [c for c in ("student_id", "standard", "p_mastered") if c not in df.columns]
    if missing:
        raise InvalidInput(f"mastery table lacks column(s): {', '.join(missing)}")
    out = df[["student_id", "standard", "p_mastered"]].copy()
    out["sd"] = df["sd"].to_numpy(dtype=float) if "sd" in df.columns else np.nan
    ev = _first(df, "n_evidence", "n_answers")
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
            post = _normalize_posterior(self.est.posterior(
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
                              if not _blank(k) and not _blank(v)})
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
            resp, source = read_responses(responses, graph), str(responses)
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
    classes = _none_if_empty(st.classes())
    enrollments = _none_if_empty(st.enrollments())
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
        key = _first(orgs, "org_id", "sourcedId")
        if key is not None and "name" in orgs.columns:
            schools = orgs[orgs["type"] == "school"] if "type" in orgs.columns else orgs
            result.school_names.update(
                {k: str(v) for k, v in zip(schools[key], schools["name"], strict=True)})
    return result


def _store_mastery_columns() -> tuple[str, ...]:
    """The posterior columns the store's mastery table holds (``sd`` only if it has one)."""
    return tuple(c for c in POSTERIOR_COLUMNS
                 if c in ("student_id", "standard", "p_mastered", "sd", "n_evidence", "as_of"))


def _none_if_empty(df: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if df is None or not len(df.columns) else df


# ============================================================================ views


class _Rows:
    """Rows of a frame by key, found through a prebuilt position index (no scans per lookup)."""

    def __init__(self, df: pd.DataFrame, key: str = "student_id") -> None:
        self.df = df
        self.pos: dict[Any, np.ndarray] = (df.groupby(key, sort=False, observed=True).indices
                                           if len(df) else {})

    def __call__(self, ids: list[Any]) -> pd.DataFrame:
        parts = [self.pos[i] for i in ids if i in self.pos]
        if not parts:
            return self.df.iloc[:0]
        return self.df.iloc[np.concatenate(parts)]


class _Source:
    """What the views need, from a result or from a store, indexed once.

    A :class:`MasteryResult` keeps its source, so the report's hundreds of student and class
    views cost a dictionary lookup each rather than a scan of the whole posterior.
    """

    def __init__(self, posterior: pd.DataFrame, students: pd.DataFrame,
                 classes: pd.DataFrame | None, enrollments: pd.DataFrame | None,
                 graph: StandardsGraph, icebergs: IcebergTables | None) -> None:
        self.graph = graph
        self.students = students
        self.classes = classes
        self.enrollments = enrollments
        self.icebergs = icebergs
        self.posterior = _Rows(posterior)
        self._student_pos = {s: i for i, s in enumerate(students["student_id"])}
        self._student_str = {str(s): s for s in students["student_id"]}
        self._classes_of: dict[Any, list[Any]] = {}
        self._members: dict[Any, list[Any]] = {}
        if enrollments is not None:
            for c, sid in zip(enrollments["class_id"], enrollments["student_id"], strict=True):
                self._classes_of.setdefault(sid, []).append(c)
                self._members.setdefault(c, []).append(sid)
        self._class_pos = ({c: i for i, c in enumerate(classes["class_id"])}
                           if classes is not None else {})
        if icebergs is not None:
            self._strands = _Rows(icebergs.strands)
            self._unfinished = _Rows(icebergs.unfinished)
            self._ice_students = _Rows(icebergs.students)
        self._grades: dict[Any, int] | None = None

    def student(self, student_id: Any) -> pd.Series:
        sid = student_id if student_id in self._student_pos else self._student_str.get(
            str(student_id))
        if sid is None:
            raise NotFound(f"no student {student_id!r}")
        return self.students.iloc[self._student_pos[sid]]

    def klass(self, class_id: Any) -> pd.Series:
        if self.classes is None or self.enrollments is None:
            raise NotFound("class views need the roster's classes and enrollments")
        cid = class_id if class_id in self._class_pos else next(
            (c for c in self._class_pos if str(c) == str(class_id)), None)
        if cid is None:
            raise NotFound(f"no class {class_id!r}")
        return self.classes.iloc[self._class_pos[cid]]

    def members(self, class_id: Any) -> list[Any]:
        return list(dict.fromkeys(self._members.get(class_id, [])))

    def classes_of(self, student_id: Any) -> list[dict[str, Any]]:
        out = []
        for c in dict.fromkeys(self._classes_of.get(student_id, [])):
            if c in self._class_pos:
                r = self.classes.iloc[self._class_pos[c]]  # type: ignore[union-attr]
                out.append({"class_id": _py(c), "title": str(r["title"]),
                            "algebra1": bool(r["algebra1"])})
        return out

    def tables(self, ids: list[Any]) -> tuple[pd.DataFrame, IcebergTables]:
        post = self.posterior(ids)
        if self.icebergs is not None:
            return post, IcebergTables(strands=self._strands(ids),
                                       unfinished=self._unfinished(ids),
                                       students=self._ice_students(ids))
        if self._grades is None:
            self._grades = student_grades(self.students, self.classes, self.enrollments)
        have = set(post["student_id"])
        st = pd.DataFrame([(s, self._grades[s]) for s in ids if s in self._grades and s in have],
                          columns=["student_id", "grade"])
        return post, cap_strand_ends(compute_icebergs(post, st, self.graph), self.graph)


def _source(src: Any, graph: StandardsGraph | None, model: str) -> _Source:
    if isinstance(src, MasteryResult):
        if graph is not None and graph is not src.graph and graph != src.graph:
            raise InvalidInput("the graph differs from the one the result was fitted on")
        if not src.kept:
            raise InvalidInput("this result streamed its posterior to the store without "
                               "keeping it; show students and classes from the store")
        if src._views is None:
            src._views = _Source(src.posterior, src.students, src.classes, src.enrollments,
                                 src.graph, src.icebergs)
        return src._views
    st = _open_store(src)
    if not hasattr(st, "mastery"):
        raise InvalidInput("expected a MasteryResult or a store")
    g = graph if graph is not None else (st.progression().k8_algebra1()
                                         if hasattr(st, "progression")
                                         else load_default().k8_algebra1())
    fn = st.mastery
    try:
        takes_model = "model" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover
        takes_model = False
    raw = fn(model=model) if takes_model else fn()
    if raw is None or not len(raw):
        raise InvalidInput("the store has no mastery estimates yet; run `sounding mastery fit`")
    if "model" in raw.columns:
        raw = raw[raw["model"].astype(str) == model]
        if raw.empty:
            raise InvalidInput(f"the store has no mastery estimates from model {model!r}")
    return _Source(_normalize_posterior(raw), normalize_students(st.students()),
                   normalize_classes(_none_if_empty(st.classes())),
                   normalize_enrollments(_none_if_empty(st.enrollments())), g, None)


def _py(v: Any) -> Any:
    """JSON-ready scalars (numpy -> python, NaN/NA -> None)."""
    if _blank(v) and not isinstance(v, str):
        return None
    if isinstance(v, np.bool_ | bool):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating | float):
        f = float(v)
        return None if math.isnan(f) else f
    return v


def _round(v: Any, d: int = 3) -> float | None:
    v = _py(v)
    return None if v is None else round(float(v), d)


_SUCC_GRADES: dict[int, tuple[StandardsGraph, dict[str, np.ndarray]]] = {}


def _successor_grades(graph: StandardsGraph, code: str) -> np.ndarray:
    """Grades of everything resting on ``code`` (transitively); cached per graph object."""
    hit = _SUCC_GRADES.get(id(graph))
    if hit is None or hit[0] is not graph:
        hit = (graph, {})
        _SUCC_GRADES[id(graph)] = hit
    cache = hit[1]
    if code not in cache:
        cache[code] = np.array([graph[c].grade_num
                                for c in graph.successors(code, transitive=True)],
                               dtype=np.int64)
    return cache[code]


#: "Ready to learn" needs P(not mastered) x P(every prerequisite mastered) at least this high
#: (the same rule as planning's pathways, ``sounding.planning.pathways.MIN_SURE``).
READY_SURE = 0.75


def _ready_to_learn(p: Mapping[str, float], grade: int, graph: StandardsGraph,
                    n: int, min_sure: float = READY_SURE) -> list[dict[str, Any]]:
    """What the student most probably has not mastered and is most probably ready for.

    Both probabilities come from the posterior, which is calibrated: ``p_ready`` is the
    product of the direct prerequisites' P(mastered) (independent given the posterior; a
    missing one counts 0.5), ``sure = (1 - P(mastered)) * p_ready``, and a standard is listed
    only when ``sure >= min_sure`` (0.75). A cut at the "secure" threshold (not secure, every
    prerequisite secure) listed mostly standards the student already knew: a standard at
    P = 0.69 is mastered 69% of the time (on simulated districts 31% of those were truly not
    mastered). Standards at or below the student's grade come first (the grade above only
    when nothing at grade is ready), ordered by how much work at the student's grade or above
    rests on them, major work first, then the surest first.
    """
    def candidates(max_grade: int) -> list[dict[str, Any]]:
        out = []
        for code, pm in p.items():
            s = graph[code]
            if pm is None or s.grade_num > max_grade:
                continue
            pre = graph.prerequisites(code)
            p_ready = float(np.prod([0.5 if p.get(q) is None else float(p[q]) for q in pre]))
            sure = (1.0 - float(pm)) * p_ready
            if sure < min_sure:
                continue
            dep = int((_successor_grades(graph, code) >= grade).sum())
            out.append({"standard": code, "grade": s.grade_num,
                        "grade_label": grade_label(s.grade_num), "strand": s.strand,
                        "p_mastered": round(float(pm), 3), "p_ready": round(p_ready, 3),
                        "sure": round(sure, 3), "n_dependents": dep,
                        "is_major": s.is_major, "text": s.text,
                        "n_prerequisites": len(pre)})
        out.sort(key=lambda r: (-r["n_dependents"], not r["is_major"], -r["sure"],
                                r["standard"]))
        return out

    ready = candidates(grade)
    if not ready and grade < 9:
        ready = candidates(grade + 1)
    return ready[:n]


# ============================================================================ text rendering


def _below_style(n: int | None) -> str:
    if n is None:
        return "dim"
    return ("green", "yellow", "dark_orange", "red")[min(max(n, 0), 3)]


def _below_text(n: int | None) -> str:
    return "?" if n is None else str(n)


def text_summary(summary: Mapping[str, Any]) -> Any:
    """A Rich renderable of :meth:`MasteryResult.summary` (what ``mastery fit`` prints)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    head = Text()
    head.append(f"{summary['n_students']:,} students x {summary['n_standards']} standards",
                style="bold")
    head.append(f" estimated by the {summary['model']} model from "
                f"{summary['n_answers']:,} answers")
    parts: list[Any] = [head]
    fit = summary.get("fit") or {}
    if fit.get("sampled"):
        parts.append(Text(
            f"Parameters fitted on a sample of {fit['fit_students']:,} of "
            f"{fit['students']:,} students (stratified by grade and school; --fit-sample); "
            f"every student's estimates use them, computed in {fit['chunks']:,} chunk(s) of "
            f"{fit['chunk_size']:,}.", style="dim"))
    if fit.get("em_iterations"):
        parts.append(Text(f"EM: {fit['em_iterations']} iteration(s), log-likelihood "
                          f"{fit['log_likelihood']:,.1f}.", style="dim"))
    if summary["model"] == "bkt":
        parts.append(Text("BKT knows nothing of untested standards: they are unknown (not "
                          "secure, not unsecured), so placements rest on tested standards "
                          "only; a strand with none is unknown.", style="yellow"))
    if summary["n_students_without_answers"]:
        parts.append(Text(f"{summary['n_students_without_answers']:,} students have no answers "
                          "yet (their grade's prior).", style="yellow"))
    parts.append(Text(f"{100 * summary['depth_2plus']:.0f}% of students have unfinished major "
                      "work 2+ grades below their own."))
    t = Table(title="Students by grades below, per strand", title_justify="left")
    t.add_column("Strand")
    unknown = any(c.get("unknown") for c in summary["grades_below"].values())
    buckets = [*BELOW_BUCKETS, "unknown"] if unknown else list(BELOW_BUCKETS)
    for b in buckets:
        t.add_column("on grade" if b == "0" else b if b == "unknown" else f"{b} below",
                     justify="right")
    for s, counts in summary["grades_below"].items():
        t.add_row(Text(strand_title(s)), *[Text(f"{counts.get(b, 0):,}") for b in buckets])
    parts.append(t)
    return Group(*parts)


def text_student(view: Mapping[str, Any], *, n_unfinished: int = 12) -> Any:
    """A Rich renderable of :func:`student_view` (user strings are never read as markup)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    head = Text()
    head.append(f"{view['name']}", style="bold")
    head.append(f"  ({view['student_id']})  grade {view['grade_label']}")
    if view.get("algebra1"):
        rg = view.get("roster_grade")
        head.append(f" (grade {'?' if rg is None else grade_label(rg)} student in Algebra I)")
    if view.get("classes"):
        head.append("  ·  " + ", ".join(c["title"] for c in view["classes"]))
    parts: list[Any] = [head]
    if not view.get("n_answers"):
        parts.append(Text("No answers yet: these are the grade's prior estimates.",
                          style="yellow"))
    else:
        parts.append(Text(f"{view['n_answers']} answers; deepest unfinished major work "
                          f"{view['depth']} grade(s) below.", style="dim"))
    if any(st.get("n_unknown") for st in view["strands"]):
        parts.append(Text("Some standards have no estimate (a per-standard model knows nothing "
                          "of untested ones): they are unknown, not unsecured, and the "
                          "placements rest on the tested standards only.", style="yellow"))
    t = Table(title="Foundations by strand", title_justify="left",
              caption="How sure = probability that this placement is the right one")
    for col, j in (("Strand", "left"), ("Secure through", "left"), ("Grades below", "right"),
                   ("How sure", "right"), ("Unfinished", "right")):
        t.add_column(col, justify=j)  # type: ignore[arg-type]
    for s in view["strands"]:
        gb = s["grades_below"]
        t.add_row(Text(s["strand_title"]), Text(s["label"]),
                  Text(_below_text(gb), style=_below_style(gb)),
                  Text("-" if s["p_secure"] is None else f"{100 * s['p_secure']:.0f}%"),
                  Text(str(s["n_unfinished"])))
    parts.append(t)
    un = view["unfinished"]
    if un:
        u = Table(title=f"Unfinished below grade ({len(un)}; most depended-on first)",
                  title_justify="left")
        for col, j in (("#", "right"), ("Standard", "left"), ("Grade", "left"),
                       ("P(mastered)", "right"), ("Rests on it", "right"), ("", "left")):
            u.add_column(col, justify=j)  # type: ignore[arg-type]
        for r in un[:n_unfinished]:
            u.add_row(Text(str(r["rank"])), Text(r["standard"]), Text(r["grade_label"]),
                      Text(f"{r['p_mastered']:.2f}"), Text(str(r["n_dependents"])),
                      Text("major" if r["is_major"] else "", style="bold"))
        parts.append(u)
        if len(un) > n_unfinished:
            parts.append(Text(f"... {len(un) - n_unfinished} more (--format json lists all)",
                              style="dim"))
    else:
        parts.append(Text("No unfinished standards below grade.", style="green"))
    if view["ready_to_learn"]:
        r = Table(title="Ready to learn next (probably not mastered, probably ready)",
                  title_justify="left")
        for col in ("Standard", "Grade", "P(mastered)", "How sure", "Unlocks", "Text"):
            r.add_column(col)
        for x in view["ready_to_learn"]:
            text = x["text"] if len(x["text"]) <= 70 else x["text"][:67] + "..."
            r.add_row(Text(x["standard"]), Text(x["grade_label"]),
                      Text(f"{x['p_mastered']:.2f}"), Text(f"{x['sure']:.0%}"),
                      Text(str(x["n_dependents"])), Text(text))
        parts.append(r)
    return Group(*parts)


def text_class(view: Mapping[str, Any], *, n_standards: int = 15) -> Any:
    """A Rich renderable of :func:`class_view`: students x strands, the iceberg, hot spots."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    strands = view["strands"]
    head = Text()
    head.append(view["title"], style="bold")
    head.append(f"  ({view['class_id']})  grade {view['grade_label']}, "
                f"{view['n_students']} students")
    parts: list[Any] = [head]
    t = Table(title="Grades below, per student and strand (deepest first)",
              title_justify="left")
    t.add_column("Student")
    for s in strands:
        t.add_column(strand_title(s), justify="right")
    t.add_column("Depth", justify="right")
    t.add_column("Unfinished", justify="right")
    for r in view["students"]:
        t.add_row(Text(r["name"]),
                  *[Text(_below_text(r["grades_below"][s]),
                         style=_below_style(r["grades_below"][s]))
                    for s in strands],
                  Text(str(r["depth"])), Text(str(r["n_unfinished"])))
    parts.append(t)
    d = Table(title="The iceberg: students by grades below", title_justify="left")
    d.add_column("Strand")
    for b in view["buckets"]:
        d.add_column("on grade" if b == "0" else f"{b} below", justify="right")
    for s in strands:
        counts = view["distribution"].get(s, {})
        d.add_row(Text(strand_title(s)), *[Text(str(counts.get(b, 0))) for b in view["buckets"]])
    parts.append(d)
    hot = sorted(view["standards"], key=lambda r: (-(r["share_not_secure"] or 0),
                                                   -r["grade"], r["standard"]))
    hot = [r for r in hot if r["n_not_secure"] > 0][:n_standards]
    if hot:
        h = Table(title=f"Standards the class has not secured (P(mastered) < "
                        f"{view['secure']:.1f}); top {len(hot)} of {len(view['standards'])}",
                  title_justify="left")
        for col, j in (("Standard", "left"), ("Grade", "left"), ("Not secure", "right"),
                       ("Unfinished", "right"), ("", "left")):
            h.add_column(col, justify=j)  # type: ignore[arg-type]
        for r in hot:
            h.add_row(Text(r["standard"]), Text(r["grade_label"]),
                      Text(f"{100 * r['share_not_secure']:.0f}% ({r['n_not_secure']})"),
                      Text(f"{100 * r['share_unfinished']:.0f}%"),
                      Text("major" if r["is_major"] else "", style="bold"))
        parts.append(h)
    return Group(*parts)
