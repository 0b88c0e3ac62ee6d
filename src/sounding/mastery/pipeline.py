"""Mastery wired into the system: evidence and roster in, posterior and icebergs out.

The learner models (:class:`~sounding.mastery.graph_model.GraphMastery`, BKT) speak pyBKT's
language (``user_id, skill_name, correct, order_id``) and know nothing of rosters, stores or
Algebra I placements. This module is the one place that translates, so the CLI
(``sounding mastery fit`` / ``show``), the report and the planning layer all see the same
numbers:

* :func:`responses_for_model` turns the store/file evidence format (``student_id, item_id,
  standard, correct, timestamp, source``) into the model's frame, validating once;
* :func:`student_grades` gives each student the grade the model should measure them against
  (a grade-8 student enrolled in Algebra I is measured against the Algebra I course, HS);
* :func:`fit_mastery` fits, streams the posterior in blocks of students (bounded memory for big
  districts) and computes the iceberg tables block by block, reporting progress;
* :func:`fit_store_mastery` / :func:`fit_files` do the same from a store or from files and, for
  the store, write the posterior back;
* :func:`student_view` / :func:`class_view` give what ``sounding mastery show`` prints, as plain
  JSON-ready dicts, and :func:`text_student` / :func:`text_class` render them for Rich.

Roster tables arrive spelled many ways (the store's ``student_id``, OneRoster's ``sourcedId``,
``metadata.englishLearner``, grades ``"08"``/``"KG"``); the ``normalize_*`` functions accept
all of them so callers never rename columns themselves.
"""

from __future__ import annotations

import inspect
import io
import math
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import InvalidEvidence, InvalidInput, InvalidRoster, NotFound, Problem
from sounding.mastery.graph_model import GraphMastery
from sounding.mastery.profile import (
    BELOW_BUCKETS,
    SECURE,
    UNFINISHED,
    IcebergTables,
    compute_icebergs,
    group_distribution,
)
from sounding.progression import STRANDS, StandardsGraph, grade_label, grade_number, load_default

#: Model names accepted by :func:`fit_mastery` and written with the posterior to the store.
MODELS: tuple[str, ...] = ("graph", "bkt")
#: Students per posterior block (bounds memory at about ``BLOCK * standards * 12`` bytes).
BLOCK_SIZE = 20_000
#: Columns of the posterior this module returns and writes.
POSTERIOR_COLUMNS: tuple[str, ...] = ("student_id", "standard", "p_mastered", "sd", "n_evidence")
#: Subgroup columns the views and the report know about (normalised names).
SUBGROUP_COLUMNS: tuple[str, ...] = (
    "english_learner", "disability", "economically_disadvantaged", "race_ethnicity",
)

#: ``callback(stage, done, total)``; stages: "read", "fit", "posterior", "write".
ProgressCallback = Callable[[str, int, int], None]

STAGE_LABELS: dict[str, str] = {
    "read": "Reading evidence and roster",
    "fit": "Fitting the mastery model",
    "posterior": "Estimating every student x standard",
    "write": "Writing mastery to the store",
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
    posterior : DataFrame
        ``student_id, standard, p_mastered, sd, n_evidence`` (``standard`` categorical).
    icebergs : IcebergTables
        Per student x strand secure levels, ranked unfinished standards, per-student depth,
        computed against each student's model grade (9 for a student in Algebra I).
    students : DataFrame
        The normalised roster students (:func:`normalize_students`) plus ``model_grade``.
    classes, enrollments : DataFrame or None
        The normalised roster classes / student enrollments, when known.
    school_names : dict
        school_id -> name, when the roster or store names its schools.
    """

    model: Any
    model_name: str
    graph: StandardsGraph
    posterior: pd.DataFrame
    icebergs: IcebergTables
    students: pd.DataFrame
    classes: pd.DataFrame | None = None
    enrollments: pd.DataFrame | None = None
    school_names: dict[Any, str] = field(default_factory=dict)
    _views: Any = field(default=None, repr=False)  # the views' lookup index, built on demand

    @property
    def n_students(self) -> int:
        return int(len(self.icebergs.students))

    def student_posterior(self, student_id: Any) -> pd.DataFrame:
        """One student's rows of the posterior (fast: indexed once, then looked up)."""
        return _source(self, None, self.model_name).posterior([student_id])

    def summary(self) -> dict[str, Any]:
        """What ``sounding mastery fit`` reports: counts and the district's iceberg (JSON-ready).

        ``grades_below`` is, per strand, the number of students on grade, 1, 2 and 3+ grades
        below; ``depth_2plus`` the share of students with unfinished major work two or more
        grades below their own.
        """
        t = self.icebergs
        gb = t.strands[["strand", "grades_below"]].assign(
            bucket=np.minimum(t.strands["grades_below"].to_numpy(), 3))
        dist = {
            s: {BELOW_BUCKETS[b]: int((d["bucket"] == b).sum()) for b in range(4)}
            for s, d in gb.groupby("strand", sort=True)
        }
        n_ev = self.posterior.groupby("student_id", observed=True, sort=False)["n_evidence"].sum()
        return {
            "model": self.model_name,
            "graph": self.graph.name,
            "n_students": self.n_students,
            "n_standards": len(self.graph.standard_codes),
            "n_estimates": int(len(self.posterior)),
            "n_answers": int(self.posterior["n_evidence"].sum()),
            "n_students_without_answers": int((n_ev == 0).sum()),
            "depth_2plus": (round(float((t.students["depth"] >= 2).mean()), 3)
                            if len(t.students) else 0.0),
            "grades_below": dist,
        }

    def store_frame(self, columns: tuple[str, ...] = POSTERIOR_COLUMNS) -> pd.DataFrame:
        """The posterior in the form written to the store (plain types; only ``columns``)."""
        out = posterior_for_store(self.posterior)
        return out[[c for c in out.columns if c in columns]]


def posterior_for_store(posterior: pd.DataFrame) -> pd.DataFrame:
    """The posterior with plain types (object codes, float64, int64) for any database."""
    out = pd.DataFrame({
        "student_id": posterior["student_id"].astype(object).to_numpy(),
        "standard": posterior["standard"].astype(str).to_numpy(dtype=object),
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
    """Students, classes and enrollments from OneRoster 1.2 tables (file name -> DataFrame).

    Students are the users with a ``student`` role (roles.csv) or enrollment; their school
    comes from ``primaryOrgSourcedId`` (else the role's org), their subgroups from
    demographics.csv (``metadata.*`` extension columns). Why here and not only in the
    importer: ``sounding mastery fit --roster DIR`` works on files without a store.
    """
    t = {k.lower().removesuffix(".csv"): v for k, v in tables.items()}
    users = t.get("users")
    if users is None or "sourcedId" not in users.columns:
        raise InvalidRoster([Problem("users.csv", None, None,
                                     "the roster has no users.csv (with sourcedId)")])
    student_ids: set[Any] = set()
    school_of: dict[Any, Any] = {}
    roles = t.get("roles")
    if roles is not None and {"userSourcedId", "role"} <= set(roles.columns):
        r = roles[roles["role"].astype(str).str.lower() == "student"]
        student_ids |= set(r["userSourcedId"])
        if "orgSourcedId" in r.columns:
            school_of.update(zip(r["userSourcedId"], r["orgSourcedId"], strict=True))
    enr = t.get("enrollments")
    if enr is not None and {"userSourcedId", "role"} <= set(enr.columns):
        e = enr[enr["role"].astype(str).str.lower() == "student"]
        student_ids |= set(e["userSourcedId"])
        if "schoolSourcedId" in e.columns:
            for u, s in zip(e["userSourcedId"], e["schoolSourcedId"], strict=True):
                school_of.setdefault(u, s)
    if not student_ids and "role" in users.columns:
        student_ids = set(users.loc[users["role"].astype(str).str.lower() == "student",
                                    "sourcedId"])
    st = users[users["sourcedId"].isin(student_ids)].copy()
    if "primaryOrgSourcedId" in st.columns:
        prim = st["primaryOrgSourcedId"].astype(object)
        st["school_id"] = [p if not _blank(p) else school_of.get(u)
                           for p, u in zip(prim, st["sourcedId"], strict=True)]
    else:
        st["school_id"] = st["sourcedId"].map(school_of)
    demo = t.get("demographics")
    if demo is not None and "sourcedId" in demo.columns:
        keep = [c for c in demo.columns if c not in ("status", "dateLastModified")]
        st = st.merge(demo[keep], on="sourcedId", how="left", suffixes=("", "_demo"))
    orgs = t.get("orgs")
    if orgs is not None and {"sourcedId", "name"} <= set(orgs.columns):
        names = dict(zip(orgs["sourcedId"], orgs["name"], strict=True))
        st["school_name"] = st["school_id"].map(names)
    students = normalize_students(st)
    classes = t.get("classes")
    classes_n = normalize_classes(classes, t.get("courses")) if classes is not None else None
    if classes_n is not None and orgs is not None and {"sourcedId", "name"} <= set(orgs.columns):
        classes_n["school_name"] = classes_n["school_id"].map(
            dict(zip(orgs["sourcedId"], orgs["name"], strict=True)))
    return Roster(students, classes_n, normalize_enrollments(enr) if enr is not None else None)


_ROSTER_FILES = ("users.csv", "roles.csv", "enrollments.csv", "classes.csv", "courses.csv",
                 "demographics.csv", "orgs.csv")


def read_roster(path: str | Path) -> Roster:
    """Read a OneRoster 1.2 CSV bulk roster (a folder or a zip) into a :class:`Roster`."""
    p = Path(path)
    tables: dict[str, pd.DataFrame] = {}

    def read(buf: Any) -> pd.DataFrame:
        return pd.read_csv(buf, dtype=str, keep_default_na=False)

    if p.is_dir():
        for name in _ROSTER_FILES:
            f = p / name
            if f.exists():
                tables[name] = read(f)
    elif p.is_file() and zipfile.is_zipfile(p):
        with zipfile.ZipFile(p) as z:
            members = {Path(n).name: n for n in z.namelist()}
            for name in _ROSTER_FILES:
                if name in members:
                    tables[name] = read(io.BytesIO(z.read(members[name])))
    else:
        raise NotFound(f"no roster at {str(p)!r} (expected a OneRoster folder or zip)")
    return roster_from_oneroster(tables)


def read_responses(path: str | Path) -> pd.DataFrame:
    """Read a responses file (CSV or Parquet, the documented evidence format)."""
    p = Path(path)
    if not p.exists():
        raise NotFound(f"no responses file {str(p)!r}")
    if p.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(p)
    return pd.read_csv(p, dtype={"student_id": str, "item_id": str, "standard": str,
                                 "source": str})


# ============================================================================ model inputs


def responses_for_model(responses_df: pd.DataFrame) -> pd.DataFrame:
    """The evidence format as the pyBKT-style frame the learner models take.

    ``student_id, standard, correct, timestamp`` (plus ``item_id, source``, kept) become
    ``user_id, skill_name, correct (int8), order_id (UTC datetime)``; a frame already in pyBKT
    columns passes through. Validated once here so every model sees clean input.

    Raises
    ------
    InvalidEvidence
        A required column is missing, or a row has no student, no standard, a ``correct``
        that is not 0/1 or an unreadable timestamp (line numbers as in the file: header = 1).
    """
    if not isinstance(responses_df, pd.DataFrame):
        raise InvalidInput("responses must be a pandas DataFrame")
    df = responses_df
    ren = {a: b for a, b in (("student_id", "user_id"), ("standard", "skill_name"),
                             ("timestamp", "order_id")) if a in df.columns
           and b not in df.columns}
    df = df.rename(columns=ren)
    missing = [c for c in ("user_id", "skill_name", "correct") if c not in df.columns]
    if missing:
        names = {"user_id": "student_id", "skill_name": "standard"}
        raise InvalidEvidence([Problem("responses", 1, names.get(c, c),
                                       "required column is missing") for c in missing])
    problems: list[Problem] = []

    def flag(mask: np.ndarray, fld: str, msg: Callable[[int], str]) -> None:
        for r in np.flatnonzero(mask)[:20]:
            problems.append(Problem("responses", int(r) + 2, fld, msg(int(r))))

    flag(df["user_id"].isna().to_numpy() | (df["user_id"].astype(str).str.strip() == ""),
         "student_id", lambda r: "missing student_id")
    flag(df["skill_name"].isna().to_numpy()
         | (df["skill_name"].astype(str).str.strip() == ""), "standard",
         lambda r: "missing standard")
    raw = df["correct"]
    if raw.dtype == bool:
        cor = raw.to_numpy(dtype=float)
    else:
        s = raw.astype(str).str.strip().str.lower().replace({"true": "1", "false": "0"})
        cor = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    flag(~np.isin(cor, (0.0, 1.0)), "correct",
         lambda r: f"correct must be 0 or 1, got {raw.iloc[r]!r}")
    if "order_id" in df.columns:
        order = df["order_id"]
        if not (pd.api.types.is_numeric_dtype(order)
                or pd.api.types.is_datetime64_any_dtype(order)):
            parsed = pd.to_datetime(order, errors="coerce", utc=True, format="ISO8601")
            flag((parsed.isna() & order.notna()).to_numpy(), "timestamp",
                 lambda r: f"not an ISO 8601 timestamp: {order.iloc[r]!r}")
            order = parsed
    else:
        order = pd.Series(np.arange(len(df)), index=df.index)
    if problems:
        raise InvalidEvidence(problems)
    out = pd.DataFrame({
        "user_id": df["user_id"].to_numpy(dtype=object),
        "skill_name": df["skill_name"].astype(str).str.strip().to_numpy(dtype=object),
        "correct": cor.astype(np.int8),
        "order_id": order.to_numpy(),
    })
    for extra in ("item_id", "source"):
        if extra in df.columns:
            out[extra] = df[extra].to_numpy()
    return out


def rollup_responses(responses: pd.DataFrame, graph: StandardsGraph) -> pd.DataFrame:
    """Model-frame responses with ``skill_name`` at the graph's standard level.

    Sub-standards (4.NF.B.3a) roll up to their standard so every model estimates the same
    units the iceberg and the store speak of.

    Raises
    ------
    InvalidEvidence
        A code that is not in the progression (field ``standard``).
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
            problems.append(Problem("responses", first + 2, "standard",
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


def _tick(progress: ProgressCallback | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, int(done), int(total))


@contextmanager
def rich_progress(console: Any = None, *, transient: bool = True
                  ) -> Iterator[ProgressCallback]:
    """A progress callback drawing Rich bars (on stderr by default, so JSON stdout stays clean).

        with rich_progress() as cb:
            result = fit_store_mastery(store, progress=cb)
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

        def callback(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = prog.add_task(STAGE_LABELS.get(stage, stage), total=total)
            prog.update(tasks[stage], completed=done, total=total)

        yield callback


def _make_model(model: Any, graph: StandardsGraph, block_size: int,
                options: Mapping[str, Any]) -> tuple[Any, str]:
    if not isinstance(model, str):
        return model, getattr(model, "name", type(model).__name__.lower())
    if model == "graph":
        return GraphMastery(graph, batch_size=block_size, **options), "graph"
    if model == "bkt":
        from sounding.mastery.bkt import BKT

        return BKT(**options), "bkt"
    raise InvalidInput(f"unknown mastery model {model!r}; choose one of {', '.join(MODELS)}")


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with only the keyword arguments it accepts (models differ in signature)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return fn(*args, **kwargs)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(*args, **kwargs)
    return fn(*args, **{k: v for k, v in kwargs.items() if k in params})


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
    model_options: Mapping[str, Any] | None = None,
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
    model : "graph", "bkt" or an estimator
        An estimator needs ``fit(responses, grades=...)`` and ``posterior(responses, ...)``.
    progress : callable, optional
        ``progress(stage, done, total)``, e.g. from :func:`rich_progress`.
    block_size : int
        Students per posterior block: memory stays bounded for districts of millions.
    model_options : mapping, optional
        Keyword arguments for the model's constructor (e.g. ``max_iter``).
    """
    graph = graph if graph is not None else load_default().k8_algebra1()
    resp = responses_for_model(responses_df)
    students = normalize_students(students_df)
    classes = normalize_classes(classes_df)
    enrollments = normalize_enrollments(enrollments_df)
    grades = student_grades(students, classes, enrollments)
    est, name = _make_model(model, graph, block_size, model_options or {})

    frames: list[pd.DataFrame] = []
    ice: list[IcebergTables] = []
    if isinstance(est, GraphMastery):
        _tick(progress, "fit", 0, 1)
        est.fit(resp, grades=grades)
        _tick(progress, "fit", 1, 1)
        total = len(set(resp["user_id"]) | set(grades))
        done = 0
        _tick(progress, "posterior", 0, total)
        for block in est.iter_posterior(resp, grades):
            f = block.to_frame().rename(columns={"user_id": "student_id"})
            frames.append(f)
            sub = pd.DataFrame({"student_id": block.user_ids, "grade": block.grade})
            ice.append(cap_strand_ends(compute_icebergs(block, sub, graph), graph))
            done += len(block.user_ids)
            _tick(progress, "posterior", done, total)
        posterior = pd.concat(frames, ignore_index=True) if frames else _empty_posterior()
        icebergs = _concat_icebergs(ice)
    else:
        # a per-standard model (BKT): standards at the progression's level, estimates only
        # where there is evidence; the iceberg treats the rest as unknown
        resp = rollup_responses(resp, graph)
        _tick(progress, "fit", 0, 1)
        _call(est.fit, resp[["user_id", "skill_name", "correct", "order_id"]], grades=grades)
        _tick(progress, "fit", 1, 1)
        _tick(progress, "posterior", 0, 1)
        method = est.posterior if hasattr(est, "posterior") else est.mastery
        posterior = _normalize_posterior(_call(method, resp[["user_id", "skill_name", "correct",
                                                            "order_id"]], grades=grades))
        model_grades = _grades_for_icebergs(posterior, grades, resp, graph)
        icebergs = cap_strand_ends(compute_icebergs(posterior, model_grades, graph), graph)
        _tick(progress, "posterior", 1, 1)
    mg = dict(zip(icebergs.students["student_id"], icebergs.students["grade"], strict=True))
    students["model_grade"] = pd.array([mg.get(s) for s in students["student_id"]],
                                       dtype="Int64")
    names: dict[Any, str] = {}
    for frame in (students, classes):
        if frame is not None and "school_name" in frame.columns:
            names.update({k: str(v) for k, v in zip(frame["school_id"], frame["school_name"],
                                                    strict=True) if not _blank(k)
                          and not _blank(v)})
    return MasteryResult(est, name, graph, posterior, icebergs, students, classes, enrollments,
                         names)


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
    g = st["grade"].to_numpy(dtype=np.int64).clip(0, 9)
    top = np.array([tops.get(s, np.full(10, -1))[gi] for s, gi in zip(st["strand"], g,
                                                                        strict=True)])
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


def _grades_for_icebergs(posterior: pd.DataFrame, grades: Mapping[Any, int],
                         resp: pd.DataFrame | None, graph: StandardsGraph) -> pd.DataFrame:
    """Students and the grades to profile them at: the roster's, else their answers' mode."""
    ids = pd.unique(posterior["student_id"])
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
    _tick(progress, "read", 0, 2)
    resp = responses if isinstance(responses, pd.DataFrame) else read_responses(responses)
    _tick(progress, "read", 1, 2)
    ros = roster if isinstance(roster, Roster) else read_roster(roster)
    _tick(progress, "read", 2, 2)
    return fit_mastery(resp, ros.students, graph, classes_df=ros.classes,
                       enrollments_df=ros.enrollments, model=model, progress=progress,
                       **options)


def _open_store(store: Any) -> Any:
    if isinstance(store, str | Path):
        from sounding.store import Store

        return Store.open(str(store))
    return store


def fit_store_mastery(store: Any, *, model: Any = "graph", graph: StandardsGraph | None = None,
                      progress: ProgressCallback | None = None,
                      **options: Any) -> MasteryResult:
    """Read evidence and roster from the store, fit, write the posterior back, return it.

    ``store`` is a :class:`sounding.store.Store` or its URL/path. The posterior is written with
    ``store.write_mastery(df, model_name)`` (columns :data:`POSTERIOR_COLUMNS`).

    Raises
    ------
    InvalidInput
        The store holds no responses (import evidence first) or no students.
    """
    st = _open_store(store)
    _tick(progress, "read", 0, 4)
    responses = st.responses()
    _tick(progress, "read", 1, 4)
    students = st.students()
    _tick(progress, "read", 2, 4)
    classes = st.classes()
    _tick(progress, "read", 3, 4)
    enrollments = st.enrollments()
    _tick(progress, "read", 4, 4)
    if responses is None or not len(responses):
        raise InvalidInput("the store holds no responses; import evidence first "
                           "(sounding import evidence FILE)")
    if students is None or not len(students):
        raise InvalidInput("the store holds no students; import a roster first "
                           "(sounding import roster DIR)")
    result = fit_mastery(responses, students, graph, classes_df=_none_if_empty(classes),
                         enrollments_df=_none_if_empty(enrollments), model=model,
                         progress=progress, **options)
    if hasattr(st, "orgs"):
        orgs = st.orgs()
        key = _first(orgs, "org_id", "sourcedId")
        if key is not None and "name" in orgs.columns:
            schools = orgs[orgs["type"] == "school"] if "type" in orgs.columns else orgs
            result.school_names.update(
                {k: str(v) for k, v in zip(schools[key], schools["name"], strict=True)})
    _tick(progress, "write", 0, 1)
    st.write_mastery(result.store_frame(_store_mastery_columns()), result.model_name)
    _tick(progress, "write", 1, 1)
    return result


def _store_mastery_columns() -> tuple[str, ...]:
    """The posterior columns the store's mastery table holds (``sd`` only if it has one)."""
    try:
        from sounding.store.tables import mastery
    except ImportError:  # pragma: no cover - a store without the SQLAlchemy schema
        return ("student_id", "standard", "p_mastered", "n_evidence")
    return tuple(c for c in POSTERIOR_COLUMNS if c in mastery.c)


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
        if src._views is None:
            src._views = _Source(src.posterior, src.students, src.classes, src.enrollments,
                                 src.graph, src.icebergs)
        return src._views
    st = _open_store(src)
    if not hasattr(st, "mastery"):
        raise InvalidInput("expected a MasteryResult or a store")
    g = graph if graph is not None else load_default().k8_algebra1()
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


def _ready_to_learn(p: Mapping[str, float], grade: int, graph: StandardsGraph,
                    n: int, secure: float = SECURE) -> list[dict[str, Any]]:
    """The outer fringe: not yet secure, every prerequisite secure (ALEKS' "ready to learn").

    Standards at or below the student's grade come first (the grade above only when nothing
    at grade is ready), ordered by how much work at the student's grade or above rests on
    them, major work first, then by how close they already are.
    """
    def candidates(max_grade: int) -> list[dict[str, Any]]:
        out = []
        for code, pm in p.items():
            s = graph[code]
            if pm is None or pm >= secure or s.grade_num > max_grade:
                continue
            pre = graph.prerequisites(code)
            if any(p.get(q) is None or p[q] < secure for q in pre):
                continue
            dep = int((_successor_grades(graph, code) >= grade).sum())
            out.append({"standard": code, "grade": s.grade_num,
                        "grade_label": grade_label(s.grade_num), "strand": s.strand,
                        "p_mastered": round(float(pm), 3), "n_dependents": dep,
                        "is_major": s.is_major, "text": s.text,
                        "n_prerequisites": len(pre)})
        out.sort(key=lambda r: (-r["n_dependents"], not r["is_major"], -r["p_mastered"],
                                r["standard"]))
        return out

    ready = candidates(grade)
    if not ready and grade < 9:
        ready = candidates(grade + 1)
    return ready[:n]


def student_view(source: Any, student_id: Any, graph: StandardsGraph | None = None, *,
                 model: str = "graph", n_ready: int = 5,
                 n_unfinished: int | None = None) -> dict[str, Any]:
    """What ``sounding mastery show --student ID`` prints, as a JSON-ready dict.

    ``source`` is a :class:`MasteryResult` or a store (URL/path or object; the posterior is
    read from ``store.mastery()``). Keys: ``student_id, name, school_id, roster_grade,
    grade`` (the grade measured against: 9 in Algebra I), ``grade_label, algebra1, classes,
    n_answers, depth, strands`` (per strand: secure level, grades below, ``p_secure`` = how
    sure), ``unfinished`` (below-grade standards with P(mastered) < 0.5, most depended-on
    first) and ``ready_to_learn`` (the outer fringe, see :func:`_ready_to_learn`).

    Raises
    ------
    NotFound
        No such student, or no posterior for them.
    """
    src = _source(source, graph, model)
    row = src.student(student_id)
    sid = row["student_id"]
    post, tables = src.tables([sid])
    if post.empty or tables.students.empty:
        raise NotFound(f"no mastery estimates for student {student_id!r}; "
                       "run `sounding mastery fit` (or the student has no grade and no answers)")
    g = src.graph
    srow = tables.students.iloc[0]
    grade = int(srow["grade"])
    strands = []
    for r in tables.strands.itertuples(index=False):
        strands.append({
            "strand": r.strand, "strand_title": strand_title(r.strand),
            "secure_through": None if pd.isna(r.secure_through) else int(r.secure_through),
            "label": r.label, "grades_below": int(r.grades_below),
            "p_secure": _round(r.p_secure), "n_standards": int(r.n_standards),
            "n_unfinished": int(r.n_unfinished),
        })
    codes = post["standard"].astype(str).to_numpy()
    evidence = dict(zip(codes, zip(post["sd"].to_numpy(dtype=float),
                                   post["n_evidence"].to_numpy(), strict=True), strict=True))
    un = tables.unfinished.sort_values("rank")
    if n_unfinished is not None:
        un = un.head(n_unfinished)
    unfinished = []
    for r in un.itertuples(index=False):
        std = g[r.standard]
        unfinished.append({
            "rank": int(r.rank), "standard": r.standard, "grade": int(r.grade),
            "grade_label": grade_label(int(r.grade)), "strand": r.strand,
            "p_mastered": _round(r.p_mastered),
            "sd": _round(evidence.get(r.standard, (np.nan, 0))[0]),
            "n_evidence": int(evidence.get(r.standard, (np.nan, 0))[1]),
            "n_dependents": int(r.n_dependents), "is_major": bool(r.is_major),
            "text": std.text,
        })
    pmap = {c: (None if _blank(v) else float(v))
            for c, v in zip(codes, post["p_mastered"], strict=True) if c in g}
    roster_grade = row.get("grade")
    return {
        "student_id": _py(sid),
        "name": str(row.get("name", sid)),
        "school_id": _py(row.get("school_id")),
        "roster_grade": None if _blank(roster_grade) else int(roster_grade),
        "grade": grade,
        "grade_label": grade_label(grade),
        "algebra1": grade == 9 and (_blank(roster_grade) or int(roster_grade) < 9),
        "classes": src.classes_of(sid),
        "n_answers": int(post["n_evidence"].sum()),
        "depth": int(srow["depth"]),
        "n_unfinished": int(srow["n_unfinished"]),
        "n_unfinished_major": int(srow["n_unfinished_major"]),
        "strands": strands,
        "unfinished": unfinished,
        "ready_to_learn": _ready_to_learn(pmap, grade, g, n_ready),
    }


def posterior_matrix(posterior: pd.DataFrame, student_ids: list[Any],
                     codes: list[str] | tuple[str, ...]) -> np.ndarray:
    """``P[i, j]``: P(mastered) of ``student_ids[i]`` on ``codes[j]`` (NaN where missing)."""
    P = np.full((len(student_ids), len(codes)), np.nan)
    if not len(posterior):
        return P
    rows = pd.Index(student_ids).get_indexer(pd.Index(posterior["student_id"].to_numpy()))
    cols = pd.Index(list(codes)).get_indexer(pd.Index(posterior["standard"].astype(str)))
    keep = (rows >= 0) & (cols >= 0)
    P[rows[keep], cols[keep]] = posterior["p_mastered"].to_numpy(dtype=float)[keep]
    return P


def class_standards(P: np.ndarray, codes: list[str] | tuple[str, ...], graph: StandardsGraph,
                    *, secure: float = SECURE) -> list[dict[str, Any]]:
    """Per standard, how much of a group (rows of ``P``) has not secured it.

    ``share_not_secure``: P(mastered) < ``secure`` (the classroom-level reteach signal);
    ``share_unfinished``: < 0.5. Students without an estimate for a standard are left out of
    its counts. Shared by :func:`class_view` and the report's class pages so both agree.
    """
    out = []
    have = ~np.isnan(P)
    n = have.sum(axis=0)
    with np.errstate(invalid="ignore"):
        ns = (have & (P < secure)).sum(axis=0)
        nu = (have & (P < UNFINISHED)).sum(axis=0)
        mean = np.where(n > 0, np.nansum(P, axis=0) / np.maximum(n, 1), np.nan)
    for j, code in enumerate(codes):
        if n[j] == 0:
            continue
        s = graph[code]
        out.append({
            "standard": code, "grade": s.grade_num, "grade_label": grade_label(s.grade_num),
            "strand": s.strand, "domain": s.domain_code, "is_major": s.is_major,
            "n_students": int(n[j]), "n_not_secure": int(ns[j]),
            "share_not_secure": round(float(ns[j] / n[j]), 3),
            "n_unfinished": int(nu[j]), "share_unfinished": round(float(nu[j] / n[j]), 3),
            "mean_p": round(float(mean[j]), 3), "text": s.text,
        })
    return out


def class_view(source: Any, class_id: Any, graph: StandardsGraph | None = None, *,
               model: str = "graph", secure: float = SECURE) -> dict[str, Any]:
    """What ``sounding mastery show --class ID`` prints, as a JSON-ready dict.

    Keys: ``class_id, title, school_id, grade`` (9 for Algebra I), ``n_students, strands``,
    ``students`` (per student: grades below per strand, depth; deepest first),
    ``standards`` (each standard of the class grade and below: share of the class not secure,
    P(mastered) < ``secure``; and share unfinished, < 0.5), ``distribution`` (the iceberg:
    students per strand by grades below, buckets 0, 1, 2, 3+).

    Raises
    ------
    NotFound
        No such class, or it has no students with estimates.
    """
    src = _source(source, graph, model)
    c = src.klass(class_id)
    cid = c["class_id"]
    members = src.members(cid)
    post, tables = src.tables(members)
    members = [m for m in members if m in set(tables.students["student_id"])]
    if not members:
        raise NotFound(f"class {class_id!r} has no students with mastery estimates")
    g = src.graph
    grade = c["grade"]
    if _blank(grade):
        grade = int(tables.students["grade"].mode().max())
    grade = int(grade)
    strands = sorted(set(tables.strands["strand"]))
    names = dict(zip(src.students["student_id"], src.students["name"], strict=True))
    lv = tables.strands.pivot_table(index="student_id", columns="strand",
                                    values="grades_below", aggfunc="first")
    lab = tables.strands.pivot_table(index="student_id", columns="strand", values="label",
                                     aggfunc="first")
    stu = tables.students.set_index("student_id")
    students = []
    for m in members:
        students.append({
            "student_id": _py(m), "name": str(names.get(m, m)), "grade": int(stu.at[m, "grade"]),
            "depth": int(stu.at[m, "depth"]), "n_unfinished": int(stu.at[m, "n_unfinished"]),
            "grades_below": {s: int(lv.at[m, s]) for s in strands},
            "secure_through": {s: str(lab.at[m, s]) for s in strands},
        })
    students.sort(key=lambda r: (-r["depth"], -sum(r["grades_below"].values()),
                                 -r["n_unfinished"], str(r["name"])))
    codes = [code for code in g.standard_codes if g[code].grade_num <= grade]
    P = posterior_matrix(post, members, codes)
    standards = class_standards(P, codes, g, secure=secure)
    dist = group_distribution(tables, pd.DataFrame({"student_id": members}), g)
    distribution = {
        s: {str(b): int(n) for b, n in zip(d["grades_below"], d["n_students"], strict=True)}
        for s, d in dist.levels.groupby("strand", sort=True, observed=True)
    }
    return {
        "class_id": _py(cid), "title": str(c["title"]), "school_id": _py(c.get("school_id")),
        "grade": grade, "grade_label": grade_label(grade), "algebra1": bool(c["algebra1"]),
        "n_students": len(members), "strands": strands, "secure": secure,
        "students": students, "standards": standards, "distribution": distribution,
        "buckets": list(BELOW_BUCKETS),
    }


# ============================================================================ text rendering


def _below_style(n: int) -> str:
    return ("green", "yellow", "dark_orange", "red")[min(max(n, 0), 3)]


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
    if summary["n_students_without_answers"]:
        parts.append(Text(f"{summary['n_students_without_answers']:,} students have no answers "
                          "yet (their grade's prior).", style="yellow"))
    parts.append(Text(f"{100 * summary['depth_2plus']:.0f}% of students have unfinished major "
                      "work 2+ grades below their own."))
    t = Table(title="Students by grades below, per strand", title_justify="left")
    t.add_column("Strand")
    for b in BELOW_BUCKETS:
        t.add_column("on grade" if b == "0" else f"{b} below", justify="right")
    for s, counts in summary["grades_below"].items():
        t.add_row(Text(strand_title(s)), *[Text(f"{counts.get(b, 0):,}") for b in BELOW_BUCKETS])
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
    t = Table(title="Foundations by strand", title_justify="left")
    for col, j in (("Strand", "left"), ("Secure through", "left"), ("Grades below", "right"),
                   ("How sure", "right"), ("Unfinished", "right")):
        t.add_column(col, justify=j)  # type: ignore[arg-type]
    for s in view["strands"]:
        gb = int(s["grades_below"])
        t.add_row(Text(s["strand_title"]), Text(s["label"]),
                  Text(str(gb), style=_below_style(gb)),
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
        r = Table(title="Ready to learn next", title_justify="left")
        for col in ("Standard", "Grade", "P(mastered)", "Unlocks", "Text"):
            r.add_column(col)
        for x in view["ready_to_learn"]:
            text = x["text"] if len(x["text"]) <= 70 else x["text"][:67] + "..."
            r.add_row(Text(x["standard"]), Text(x["grade_label"]),
                      Text(f"{x['p_mastered']:.2f}"), Text(str(x["n_dependents"])), Text(text))
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
                  *[Text(str(r["grades_below"][s]), style=_below_style(r["grades_below"][s]))
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
