"""Accountability tables: growth and achievement per school, district or provider and subgroup.

Math Innovation Zones hold districts, schools and providers accountable for growth across the
grade span, not only for grade-level status. These tables put the Colorado Growth Model's
summary next to the status measures for every group and subgroup the state reports on:

* ``n``: students with a student growth percentile (the growth population; Colorado counts
  only students with an SGP in a median growth percentile, and every share here is computed on
  the same students so the table's counts add up across subgroups);
* ``median_sgp``: the median of those SGPs (Colorado's median growth percentile);
* ``catch_up_share``: of the students who need to catch up (``catch_up`` not missing), the
  share on track to catch up; ``keep_up_share`` likewise for students who need to keep up;
* ``proficient_share``: share proficient;
* ``mean_grade_span_growth``: mean number of standards newly secured across the grade span,
  when that column is present.

:func:`accountability_table` returns the public version (primary and complementary suppression
from :mod:`sounding.growth.suppression`) unless asked for the full one, which must stay
internal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from sounding.errors import InvalidData, InvalidInput, Problem
from sounding.growth.suppression import MIN_N, Partition, suppress_table

#: Label of the rows that sum over groups (a district's schools, all districts, all providers).
TOTAL = "ALL"
#: Label of the subgroup row covering every student of a group.
ALL_STUDENTS = "All students"
#: Group label for students in schools that work with no provider.
NO_PROVIDER = "none"

METRIC_COLUMNS = ("median_sgp", "catch_up_share", "keep_up_share", "proficient_share",
                  "mean_grade_span_growth")

GroupBy = Literal["school", "district", "provider"]


@dataclass(frozen=True)
class Subgroup:
    """How one student attribute splits students into reported subgroups.

    Parameters
    ----------
    column
        Student column holding the attribute.
    yes, no
        Labels for ``True`` / ``False`` of a yes/no flag; both ``None`` for a category column.
    categories
        Category value -> published label (values not listed are published as they are).
    not_reported
        Label for students whose attribute is missing. Keeping them as their own subgroup makes
        the subgroups add up to "All students", which the complementary suppression relies on.
    """

    column: str
    yes: str | None = None
    no: str | None = None
    categories: Mapping[str, str] = field(default_factory=dict)
    not_reported: str = ""

    def labels(self, values: pd.Series) -> pd.Series:
        """The published subgroup label of every student (a string Series)."""
        missing = self.not_reported or f"{self.column} not reported"
        if self.yes is not None:
            flags = _as_bool(values, self.column)
            out = pd.Series(np.where(flags.fillna(False), self.yes, self.no or f"not {self.yes}"),
                            index=values.index, dtype=object)
            out[flags.isna()] = missing
            return out
        text = values.astype(object)
        out = text.map(lambda v: self.categories.get(str(v), str(v)) if pd.notna(v) else missing)
        out[text.map(lambda v: pd.notna(v) and str(v).strip() == "")] = missing
        return out.astype(object)


RACE_LABELS: dict[str, str] = {
    "white": "White",
    "hispanic": "Hispanic or Latino",
    "black": "Black or African American",
    "asian": "Asian",
    "multi": "Two or more races",
    "aian": "American Indian or Alaska Native",
    "nhpi": "Native Hawaiian or Other Pacific Islander",
}

#: The subgroups ESSA report cards publish, keyed by the student column that holds them.
KNOWN_SUBGROUPS: dict[str, Subgroup] = {
    "english_learner": Subgroup("english_learner", "English learner", "Not English learner",
                                not_reported="English learner status not reported"),
    "disability": Subgroup("disability", "Students with disabilities",
                           "Students without disabilities",
                           not_reported="Disability status not reported"),
    "economically_disadvantaged": Subgroup(
        "economically_disadvantaged", "Economically disadvantaged",
        "Not economically disadvantaged",
        not_reported="Economic status not reported"),
    "race_ethnicity": Subgroup("race_ethnicity", categories=RACE_LABELS,
                               not_reported="Race/ethnicity not reported"),
}
# The brief's short name for the same flag.
KNOWN_SUBGROUPS["econ_disadvantaged"] = Subgroup(
    "econ_disadvantaged", "Economically disadvantaged", "Not economically disadvantaged",
    not_reported="Economic status not reported")

DEFAULT_SUBGROUPS: tuple[str, ...] = ("english_learner", "disability",
                                      "economically_disadvantaged", "race_ethnicity")


def accountability_table(
    students: pd.DataFrame,
    *,
    by: GroupBy = "school",
    subgroups: Sequence[str | Subgroup] | None = None,
    min_n: int = MIN_N,
    providers: pd.DataFrame | None = None,
    include_totals: bool = True,
    public: bool = True,
) -> pd.DataFrame:
    """Growth and achievement per group x subgroup, suppressed for publication by default.

    Parameters
    ----------
    students
        One row per student: ``student_id``, ``school_id``, ``district_id``, ``sgp`` (1..99 or
        missing), ``catch_up`` / ``keep_up`` (bool, missing when the target does not apply),
        ``proficient`` (bool), optional ``grade_span_growth`` and ``provider_id``, and the
        subgroup columns.
    by
        ``"school"`` (rows per school plus district and overall totals), ``"district"`` or
        ``"provider"``.
    subgroups
        Student columns (or :class:`Subgroup` specs) to split by. ``None``: the ESSA subgroups
        in :data:`DEFAULT_SUBGROUPS` that the data has (``econ_disadvantaged`` is accepted for
        ``economically_disadvantaged``).
    min_n
        Smallest published cell (see :data:`sounding.growth.suppression.MIN_N`).
    providers
        ``provider_id, school_id`` assignments (:func:`read_provider_assignments`) for
        ``by="provider"`` when ``students`` has no ``provider_id``. Students of schools with no
        provider form the group :data:`NO_PROVIDER`, the natural comparison.
    include_totals
        Add rows summing over groups (group id :data:`TOTAL`). For providers only when every
        school has at most one provider: with shared schools the provider rows overlap and do
        not add up to anything.
    public
        Return the suppressed table (``True``) or the full one with every count (``False``).

    Returns
    -------
    pandas.DataFrame
        Key columns (``district_id`` and ``school_id``, ``district_id``, or ``provider_id``),
        ``subgroup_type`` (``"all"`` or the subgroup column), ``subgroup`` (label), ``n``, the
        metric columns and, when public, ``suppression`` (``primary``/``complementary``/``""``).
        ``table.attrs["partitions"]`` holds the :class:`Partition` list the suppression used.

    Raises
    ------
    InvalidInput
        When a required column is missing or ``sgp`` is outside 1..99.
    """
    if by not in ("school", "district", "provider"):
        raise InvalidInput(f"by must be school, district or provider, not {by!r}")
    df = _prepare(students, by=by, providers=providers)
    specs = _subgroup_specs(df, subgroups)

    keys = {"school": ["district_id", "school_id"], "district": ["district_id"],
            "provider": ["provider_id"]}[by]
    overlapping = by == "provider" and bool(df.attrs.get("overlapping_providers"))

    # One long frame: every student once per subgroup type (plus once as "All students").
    parts = [df.assign(subgroup_type="all", subgroup=ALL_STUDENTS)]
    label_order: dict[str, list[str]] = {"all": [ALL_STUDENTS]}
    for spec in specs:
        labels = spec.labels(df[spec.column])
        parts.append(df.assign(subgroup_type=spec.column, subgroup=labels.to_numpy()))
        label_order[spec.column] = _ordered_labels(spec, labels)
    long = pd.concat(parts, ignore_index=True)

    levels: list[pd.DataFrame] = [_summarise(long, keys)]
    if include_totals and not overlapping:
        if by == "school":
            levels.append(_summarise(long, ["district_id"]).assign(school_id=TOTAL))
            levels.append(_summarise(long, []).assign(district_id=TOTAL, school_id=TOTAL))
        else:
            levels.append(_summarise(long, []).assign(**{keys[0]: TOTAL}))
    full = pd.concat(levels, ignore_index=True)

    type_rank = {t: i for i, t in enumerate(label_order)}
    label_rank = {(t, lab): i for t, labs in label_order.items() for i, lab in enumerate(labs)}
    full["_t"] = full["subgroup_type"].map(type_rank)
    full["_l"] = [label_rank.get((t, lab), 10**6) for t, lab in
                  zip(full["subgroup_type"], full["subgroup"], strict=True)]
    full["_total"] = [tuple(v == TOTAL for v in row) for row in
                      full[keys].astype(object).itertuples(index=False, name=None)]
    full = (full.sort_values(["_total", *keys, "_t", "_l"], key=None)
            .drop(columns=["_t", "_l", "_total"]).reset_index(drop=True))
    metric_cols = [c for c in METRIC_COLUMNS if c in full.columns]
    full = full[[*keys, "subgroup_type", "subgroup", "n", *metric_cols]]
    full["n"] = full["n"].astype(int)

    partitions = accountability_partitions(keys, label_order, totals=include_totals
                                           and not overlapping)
    if not public:
        full.attrs["partitions"] = partitions
        return full
    out = suppress_table(full, min_n=min_n, count_col="n", value_cols=metric_cols,
                         margins=partitions)
    out.attrs["partitions"] = partitions
    return out


def accountability_partitions(keys: Sequence[str], label_order: Mapping[str, Sequence[str]],
                              *, totals: bool = True) -> list[Partition]:
    """What adds up in an :func:`accountability_table` (the suppression's margins).

    Per group, every subgroup type partitions "All students"; per subgroup, the groups add up
    to the :data:`TOTAL` row of the level above (schools to their district, districts to the
    overall row).
    """
    keys = list(keys)
    out = [Partition("subgroup", ALL_STUDENTS, tuple(labels), within=tuple(keys))
           for t, labels in label_order.items() if t != "all"]
    if totals:
        if keys == ["district_id", "school_id"]:
            out.append(Partition("school_id", TOTAL, None, within=("district_id", "subgroup")))
            out.append(Partition("district_id", TOTAL, None, within=("school_id", "subgroup")))
        else:
            out.append(Partition(keys[0], TOTAL, None, within=("subgroup",)))
    return out


def read_provider_assignments(path: str | Path, *, known_schools: Sequence[str] | None = None
                              ) -> pd.DataFrame:
    """Read which provider works with which school (``provider_id, school_id`` CSV).

    Parameters
    ----------
    path
        The CSV file. Extra columns are ignored; blank lines are skipped by the CSV reader.
    known_schools
        When given, every ``school_id`` must be one of these (catches typos before a provider
        silently loses a school).

    Returns
    -------
    pandas.DataFrame
        ``provider_id, school_id`` as strings, one row per assignment.

    Raises
    ------
    InvalidData
        Listing every problem by file, line (header = 1) and field: unreadable file, missing
        column, empty value, unknown school, repeated assignment.
    """
    name = str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InvalidData([Problem(name, None, None, "file not found")]) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidData([Problem(name, None, None, f"not a readable CSV file: {exc}")]
                          ) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in ("provider_id", "school_id") if c not in raw.columns]
    if missing:
        raise InvalidData([Problem(name, 1, c, "required column is missing") for c in missing])
    known = None if known_schools is None else {str(s) for s in known_schools}
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    rows: list[tuple[str, str]] = []
    for i, (prov, school) in enumerate(zip(raw["provider_id"], raw["school_id"], strict=True)):
        line = i + 2
        prov, school = prov.strip(), school.strip()
        bad = False
        for fld, value in (("provider_id", prov), ("school_id", school)):
            if not value:
                problems.append(Problem(name, line, fld, "empty"))
                bad = True
        if bad:
            continue
        if known is not None and school not in known:
            problems.append(Problem(name, line, "school_id", f"unknown school {school!r}"))
            continue
        if (prov, school) in seen:
            problems.append(Problem(name, line, "school_id",
                                    f"{prov} -> {school} repeats line {seen[(prov, school)]}"))
            continue
        seen[(prov, school)] = line
        rows.append((prov, school))
    if problems:
        raise InvalidData(problems)
    if not rows:
        raise InvalidData([Problem(name, None, None, "no assignments in the file")])
    return pd.DataFrame(rows, columns=["provider_id", "school_id"])


# ----------------------------------------------------------------------------------------------


def _prepare(students: pd.DataFrame, *, by: str, providers: pd.DataFrame | None) -> pd.DataFrame:
    need = ["student_id", "sgp", "proficient"]
    need += {"school": ["school_id", "district_id"], "district": ["district_id"],
             "provider": ["school_id"]}[by]
    missing = [c for c in need if c not in students.columns]
    if missing:
        raise InvalidInput(f"students table is missing column(s): {', '.join(missing)}")
    df = students.copy()
    for col in ("school_id", "district_id", "provider_id"):
        if col in df.columns:  # ids are labels: "007" stays "007", and sort next to "ALL"
            df[col] = df[col].astype(object).where(df[col].isna(), df[col].astype(str))
    sgp = pd.to_numeric(df["sgp"], errors="coerce")
    bad = sgp.notna() & ((sgp < 1) | (sgp > 99) | (sgp != sgp.round()))
    if bad.any():
        ex = df.loc[bad, "student_id"].head(3).tolist()
        raise InvalidInput(f"sgp must be a whole number 1..99 (e.g. students {ex})")
    df["sgp"] = sgp
    df = df[sgp.notna()].copy()  # the growth population: students with an SGP
    for col in ("catch_up", "keep_up", "proficient"):
        if col in df.columns:
            df[col] = _as_bool(df[col], col).astype("Float64").astype(float)
        else:
            df[col] = np.nan
    if "grade_span_growth" in df.columns:
        df["grade_span_growth"] = pd.to_numeric(df["grade_span_growth"], errors="coerce")

    if by == "provider":
        if providers is not None:
            prov = providers[["provider_id", "school_id"]].astype(str).drop_duplicates()
            df = df.drop(columns=["provider_id"], errors="ignore")
            df["school_id"] = df["school_id"].astype(str)
            overlapping = bool(prov["school_id"].duplicated().any())
            df = df.merge(prov, on="school_id", how="left")
        elif "provider_id" in df.columns:
            overlapping = False
        else:
            raise InvalidInput("by='provider' needs a provider_id column or a providers table")
        df["provider_id"] = df["provider_id"].astype(object).where(
            df["provider_id"].notna() & (df["provider_id"].astype(str).str.strip() != ""),
            NO_PROVIDER)
        df.attrs["overlapping_providers"] = overlapping
    return df


def _subgroup_specs(df: pd.DataFrame, subgroups: Sequence[str | Subgroup] | None
                    ) -> list[Subgroup]:
    if subgroups is None:
        names: list[str | Subgroup] = []
        for col in DEFAULT_SUBGROUPS:
            if col in df.columns:
                names.append(col)
            elif col == "economically_disadvantaged" and "econ_disadvantaged" in df.columns:
                names.append("econ_disadvantaged")
        subgroups = names
    specs: list[Subgroup] = []
    for s in subgroups:
        spec = s if isinstance(s, Subgroup) else KNOWN_SUBGROUPS.get(s)
        if spec is None:  # an unknown column: yes/no flag or categories, by its values
            col = str(s)
            if col in df.columns and _looks_boolean(df[col]):
                spec = Subgroup(col, col, f"not {col}")
            else:
                spec = Subgroup(col)
        if spec.column not in df.columns:
            raise InvalidInput(f"subgroup column {spec.column!r} is not in the students table")
        specs.append(spec)
    return specs


def _ordered_labels(spec: Subgroup, labels: pd.Series) -> list[str]:
    present = list(dict.fromkeys(labels.tolist()))
    if spec.yes is not None:
        fixed = [spec.yes, spec.no or f"not {spec.yes}"]
    else:
        fixed = [spec.categories[k] for k in spec.categories]
    ordered = [lab for lab in fixed if lab in present]
    ordered += sorted(lab for lab in present if lab not in ordered)
    return ordered


def _summarise(long: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    cols = ["subgroup_type", "subgroup"]
    grouped = long.groupby([*keys, *cols], sort=False, dropna=False, observed=True)
    out = grouped.agg(
        n=("sgp", "count"),
        median_sgp=("sgp", "median"),
        catch_up_share=("catch_up", "mean"),
        keep_up_share=("keep_up", "mean"),
        proficient_share=("proficient", "mean"),
    )
    if "grade_span_growth" in long.columns:
        out["mean_grade_span_growth"] = grouped["grade_span_growth"].mean()
    return out.reset_index()


def _as_bool(values: pd.Series, name: str) -> pd.Series:
    """Booleans from bool / 0-1 / "true"/"false"/"yes"/"no" columns, keeping missing values."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    if pd.api.types.is_numeric_dtype(values):
        num = pd.to_numeric(values, errors="coerce")
        bad = num.notna() & ~num.isin([0, 1])
        if bad.any():
            raise InvalidInput(f"column {name!r} must be true/false or 0/1")
        return num.map(lambda v: pd.NA if pd.isna(v) else bool(v)).astype("boolean")
    mapping = {"true": True, "t": True, "yes": True, "y": True, "1": True,
               "false": False, "f": False, "no": False, "n": False, "0": False, "": pd.NA}
    text = values.astype(object).map(lambda v: v if pd.isna(v) else str(v).strip().lower())
    unknown = text.notna() & ~text.isin(list(mapping))
    if unknown.any():
        raise InvalidInput(f"column {name!r} must be true/false; found {text[unknown].iloc[0]!r}")
    return text.map(lambda v: pd.NA if pd.isna(v) else mapping[v]).astype("boolean")


def _looks_boolean(values: pd.Series) -> bool:
    try:
        _as_bool(values, "")
    except InvalidInput:
        return False
    return True
