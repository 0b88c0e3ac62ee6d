"""Roster tables in one spelling, whatever their source: the store, OneRoster files or frames,
the simulator's truth.

Roster tables arrive spelled many ways (the store's ``student_id``, OneRoster's ``sourcedId``,
``metadata.englishLearner``, grades ``"08"``/``"KG"``); the ``normalize_*`` functions accept
all of them so callers never rename columns themselves. :func:`student_grades` gives each
student the grade the mastery model measures them against (a grade-8 student enrolled in
Algebra I is measured against the Algebra I course, HS). Moved here from
``sounding.mastery.pipeline`` (which re-exports the names): normalising a roster is the
roster layer's work, and planning, growth and the query layer need it without mastery.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import InvalidInput, NotFound
from sounding.progression import grade_number


def first_column(df: pd.DataFrame, *names: str) -> str | None:
    """The first of ``names`` that is a column of ``df`` (None when none is)."""
    for n in names:
        if n in df.columns:
            return n
    return None


def _coalesce(df: pd.DataFrame, *names: str) -> list[str]:
    """Per row, the first non-blank value among the columns ``names`` ("" when none)."""
    out = [""] * len(df)
    for n in reversed([n for n in names if n in df.columns]):
        out = [str(v).strip() if not is_blank(v) else o
               for v, o in zip(df[n], out, strict=True)]
    return out


def is_blank(v: Any) -> bool:
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
    if is_blank(v):
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


def as_bool(v: Any) -> Any:
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if is_blank(v):
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


def race_from_booleans(df: pd.DataFrame) -> pd.Series | None:
    """``race_ethnicity`` from race booleans (Hispanic first, then two or more races)."""
    cols = [(lab, first_column(df, *names)) for lab, names in _RACE_COLUMNS]
    cols = [(lab, c) for lab, c in cols if c is not None]
    if not cols and first_column(df, *_HISPANIC) is None:
        return None

    def flag(col: str | None) -> np.ndarray:
        if col is None:
            return np.zeros(len(df), dtype=bool)
        return np.array([as_bool(v) is True for v in df[col]], dtype=bool)

    hits = (np.column_stack([flag(c) for _, c in cols]) if cols
            else np.zeros((len(df), 1), dtype=bool))
    n = hits.sum(axis=1)
    labels = np.array([lab for lab, _ in cols] or ["none"], dtype=object)
    out = np.where(n == 1, labels[hits.argmax(axis=1)], None).astype(object)
    out = np.where(n > 1, "two_or_more", out)
    out = np.where(flag(first_column(df, *_TWO_OR_MORE)), "two_or_more", out)
    out = np.where(flag(first_column(df, *_HISPANIC)), "hispanic", out)
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
    key = first_column(df, "student_id", "user_id", "sourcedId", "userSourcedId")
    if key is None:
        raise InvalidInput("students need a student_id column (or user_id / sourcedId)")
    if key != "student_id":
        df = df.rename(columns={key: "student_id"})
    gcol = first_column(df, "grade", "grades", "grade_level")
    df["grade"] = (pd.array([grade_value(v) for v in df[gcol]], dtype="Int64") if gcol
                   else pd.array([None] * len(df), dtype="Int64"))
    scol = first_column(df, "school_id", "schoolSourcedId", "primaryOrgSourcedId", "primary_org_id",
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
    df["name"] = [str(n).strip() if not is_blank(n) else str(s)
                  for n, s in zip(df["name"], df["student_id"], strict=True)]
    for target, aliases in _SUBGROUP_ALIASES.items():
        col = first_column(df, *aliases)
        if col is not None:
            df[target] = pd.array([as_bool(v) for v in df[col]], dtype="boolean")
    if "race_ethnicity" not in df.columns:
        race = race_from_booleans(df)
        if race is not None:
            df["race_ethnicity"] = race
    return df.drop_duplicates("student_id").reset_index(drop=True)


def is_algebra1_class(*values: Any) -> bool:
    """True when a class's title / course title / course code names Algebra I (not II)."""
    for v in values:
        if is_blank(v):
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
    key = first_column(df, "class_id", "sourcedId", "classSourcedId")
    if key is None:
        raise InvalidInput("classes need a class_id column (or sourcedId)")
    if key != "class_id":
        df = df.rename(columns={key: "class_id"})
    scol = first_column(df, "school_id", "schoolSourcedId")
    if scol and scol != "school_id":
        df["school_id"] = df[scol]
    elif not scol:
        df["school_id"] = None
    if "title" not in df.columns:
        df["title"] = df["class_id"].astype(str)
    df["title"] = [str(t) if not is_blank(t) else str(c)
                   for t, c in zip(df["title"], df["class_id"], strict=True)]
    ccol = first_column(df, "course_id", "courseSourcedId")
    if courses_df is not None and ccol is not None and len(courses_df):
        ck = first_column(courses_df, "course_id", "sourcedId")
        if ck is not None:
            extra = courses_df.rename(columns={ck: "_course"})
            keep = [c for c in ("title", "courseCode", "course_code") if c in extra.columns]
            extra = extra[["_course", *keep]].rename(
                columns={"title": "course_title", "courseCode": "course_code"})
            df = df.merge(extra.drop_duplicates("_course"), how="left", left_on=ccol,
                          right_on="_course").drop(columns="_course")
    explicit = first_column(df, "algebra1", "is_algebra1")
    texts = [c for c in ("title", "classCode", "class_code", "course_title", "course_code",
                         "courseSourcedId", "course_id") if c in df.columns]
    alg = np.array([is_algebra1_class(*row) for row in df[texts].itertuples(index=False)],
                   dtype=bool) if texts else np.zeros(len(df), dtype=bool)
    if explicit is not None:
        ex = np.array([as_bool(v) is True for v in df[explicit]], dtype=bool)
        alg = alg | ex
    df["algebra1"] = alg
    gcol = first_column(df, "grade", "grades", "grade_level")
    grades = [grade_value(v) for v in df[gcol]] if gcol else [None] * len(df)
    df["grade"] = pd.array([9 if a else g for a, g in zip(alg, grades, strict=True)],
                           dtype="Int64")
    return df.drop_duplicates("class_id").reset_index(drop=True)


def normalize_enrollments(enrollments_df: pd.DataFrame | None) -> pd.DataFrame | None:
    """Student enrollments as ``class_id, student_id`` (teachers and other roles dropped)."""
    if enrollments_df is None:
        return None
    df = enrollments_df
    ck = first_column(df, "class_id", "classSourcedId")
    sk = first_column(df, "student_id", "user_id", "userSourcedId")
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
    classes = normalize_classes(none_if_empty(store.classes()), courses)
    orgs = store.orgs()
    names = dict(zip(orgs["org_id"], orgs["name"], strict=True))
    students["school_name"] = students["school_id"].map(names)
    if classes is not None:
        classes["school_name"] = classes["school_id"].map(names)
    return Roster(students, classes, normalize_enrollments(none_if_empty(store.enrollments())))


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
              if not is_blank(g)}
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


def none_if_empty(df: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if df is None or not len(df.columns) else df
