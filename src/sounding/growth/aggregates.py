"""Accountability tables: growth and achievement per school, district or provider and subgroup.

Math Innovation Zones hold districts, schools and providers accountable for growth across the
grade span, not only for grade-level status. These tables put the Colorado Growth Model's
summary next to the status measures for every subject, group and subgroup the state reports on:

* ``n``: students with a student growth percentile (the growth population; Colorado counts
  only students with an SGP in a median growth percentile, and every statistic here is
  computed on those students, so counts add up across subgroups, schools and providers);
* ``median_sgp``: the median of those SGPs (Colorado's median growth percentile);
* ``proficient_share``: share proficient this year;
* ``catch_up_n`` / ``catch_up_share``: students who were not proficient last year, and the share
  of them whose SGP this year met their catch-up target (the growth percentile needed, from
  last year's score, to reach proficient within three years); ``keep_up_n`` /
  ``keep_up_share`` likewise for students proficient last year (see
  :func:`sounding.growth.projections.lagged_growth_targets`);
* ``grade_span_n`` and ``mean_span_growth`` (spring to spring: the expected number of the
  grade span's standards gained), ``mean_grade_span_growth`` and ``mean_secured_below`` /
  ``_on`` / ``_above``: when the students carry grade-span growth (standards newly secured on
  the progression between two points), the mean per student and its split by where the
  standards sit against the student's grade. Proficiency stays beside it: a school closing
  below-grade gaps can look flat on grade-level tests (the iceberg lesson).

Publication. Every statistic is suppressed when *its own* denominator is under ``min_n``
(``n`` for the median and the shares of all students, ``catch_up_n`` for the catch-up share,
and so on), and complementary suppression protects every denominator in one system of linear
equations over *every table released together*: school x subgroup cells, district rows (the
sum of their schools), the overall row, provider rows (the sum of the provider's schools) and
the district table (the same numbers as the school table's district rows). So a cell hidden in
the school table cannot be recovered from the provider table, nor a hidden catch-up share from
the keep-up share of the same cell (see :func:`sounding.growth.suppression.suppress_families`).
:func:`accountability_tables` builds them jointly; :func:`accountability_table` returns one of
them, suppressed with the others.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from sounding.errors import InvalidData, InvalidInput, Problem
from sounding.growth.coding import DEFAULT_CODING, ShareCoding, code_mean
from sounding.growth.suppression import (
    MIN_N,
    SUPPRESSED,
    Equation,
    Family,
    Partition,
    suppress_families,
)

#: Label of the rows that sum over groups (a district's schools, all districts, all providers).
TOTAL = "ALL"
#: Label of the subgroup row covering every student of a group.
ALL_STUDENTS = "All students"
#: Group label for students in schools that work with no provider.
NO_PROVIDER = "none"
#: Subject label when the students table has no ``subject`` column (one subject assumed).
ONE_SUBJECT = "all"

#: Statistic columns, in the order they are published.
METRIC_COLUMNS = ("median_sgp", "proficient_share", "catch_up_share", "keep_up_share",
                  "mean_span_growth", "mean_grade_span_growth", "mean_secured_below",
                  "mean_secured_on", "mean_secured_above")
#: Denominator columns of the statistics that are not computed on every student of the cell.
DENOMINATOR_COLUMNS = ("catch_up_n", "keep_up_n", "grade_span_n", "proficient_n")
#: Per-student grade-span columns (from :func:`sounding.growth.grade_span.grade_span_growth`)
#: and the table column holding each one's mean.
GRADE_SPAN_COLUMNS = {"span_growth": "mean_span_growth",
                      "grade_span_growth": "mean_grade_span_growth",
                      "secured_below": "mean_secured_below",
                      "secured_on": "mean_secured_on",
                      "secured_above": "mean_secured_above"}
#: Means of quantities that can be negative (no "none secured anything" to protect).
SIGNED_MEANS = ("mean_span_growth",)

GroupBy = Literal["school", "district", "provider"]
LEVELS: tuple[GroupBy, ...] = ("school", "district", "provider")
_KEYS: dict[str, list[str]] = {"school": ["district_id", "school_id"],
                               "district": ["district_id"], "provider": ["provider_id"]}


def _token(value: object) -> str:
    """Spelling-insensitive key: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", str(value).lower())


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
        Canonical category value -> published label (values not listed are published as
        they are).
    not_reported
        Label for students whose attribute is missing. Keeping them as their own subgroup makes
        the subgroups add up to "All students", which the complementary suppression relies on.
    aliases
        Other spellings of a category -> its canonical value, matched ignoring case, spaces and
        punctuation (so the roster's ``american_indian`` and a file's ``AIAN`` are one group).
    """

    column: str
    yes: str | None = None
    no: str | None = None
    categories: Mapping[str, str] = field(default_factory=dict)
    not_reported: str = ""
    aliases: Mapping[str, str] = field(default_factory=dict)

    def canonical(self, value: object) -> str:
        """The canonical category of one raw value (itself when no alias matches)."""
        key = _token(value)
        lookup = {_token(k): k for k in self.categories}
        lookup.update({_token(a): c for a, c in self.aliases.items()})
        lookup.update({_token(lab): c for c, lab in self.categories.items()})
        return lookup.get(key, str(value).strip())

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
        blank = text.map(lambda v: pd.isna(v) or str(v).strip() == "")
        cache: dict[str, str] = {}

        def label(v: object) -> str:
            key = str(v)
            if key not in cache:
                canon = self.canonical(v)
                cache[key] = self.categories.get(canon, canon)
            return cache[key]

        out = pd.Series([missing if b else label(v) for v, b in zip(text, blank, strict=True)],
                        index=values.index, dtype=object)
        return out


#: Canonical race/ethnicity codes (the roster's, :mod:`sounding.mastery.pipeline`) -> label.
RACE_LABELS: dict[str, str] = {
    "white": "White",
    "hispanic": "Hispanic or Latino",
    "black": "Black or African American",
    "asian": "Asian",
    "two_or_more": "Two or more races",
    "american_indian": "American Indian or Alaska Native",
    "pacific_islander": "Native Hawaiian or Other Pacific Islander",
}
#: Other spellings seen in rosters and state files -> canonical code (case and punctuation
#: are ignored when matching; the labels themselves match too).
RACE_ALIASES: dict[str, str] = {
    "multi": "two_or_more", "multiracial": "two_or_more", "two or more races": "two_or_more",
    "demographicRaceTwoOrMoreRaces": "two_or_more", "two_or_more_races": "two_or_more",
    "aian": "american_indian", "americanIndianOrAlaskaNative": "american_indian",
    "american_indian_or_alaska_native": "american_indian",
    "nhpi": "pacific_islander", "nativeHawaiianOrOtherPacificIslander": "pacific_islander",
    "native_hawaiian_or_other_pacific_islander": "pacific_islander",
    "blackOrAfricanAmerican": "black", "black_or_african_american": "black",
    "african_american": "black",
    "hispanicOrLatinoEthnicity": "hispanic", "hispanic_or_latino": "hispanic",
    "latino": "hispanic",
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
                               not_reported="Race/ethnicity not reported",
                               aliases=RACE_ALIASES),
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
    coding: ShareCoding | None = DEFAULT_CODING,
) -> pd.DataFrame:
    """Growth and achievement per subject x group x subgroup, suppressed for publication.

    One table of :func:`accountability_tables`, *suppressed jointly with the others* (the
    school, district and, when providers are known, provider tables): a reader holding all of
    them learns nothing more about a hidden cell than from this one.

    Parameters
    ----------
    students
        One row per student and subject: ``student_id``, ``school_id``, ``district_id``,
        ``sgp`` (1..99 or missing), ``proficient`` (bool), optional ``subject``,
        ``catch_up`` / ``keep_up`` (bool, missing when the target does not apply),
        ``grade_span_growth`` and ``secured_below`` / ``_on`` / ``_above``, ``provider_id``, and
        the subgroup columns (:func:`sounding.growth.students.accountability_students`).
    by
        ``"school"`` (rows per school plus district and overall totals), ``"district"`` or
        ``"provider"``.
    subgroups
        Student columns (or :class:`Subgroup` specs) to split by. ``None``: the ESSA subgroups
        in :data:`DEFAULT_SUBGROUPS` that the data has (``econ_disadvantaged`` is accepted for
        ``economically_disadvantaged``).
    min_n
        Smallest published denominator (see :data:`sounding.growth.suppression.MIN_N`).
    providers
        ``provider_id, school_id`` assignments (:func:`read_provider_assignments`) when
        ``students`` has no ``provider_id``. Students of schools with no provider form the
        group :data:`NO_PROVIDER`, the natural comparison.
    include_totals
        Keep the rows summing over groups (group id :data:`TOTAL`). They are part of the
        suppression system either way. Providers have a total only when every school has at
        most one provider.
    public
        Return the suppressed table (``True``) or the full one with every count (``False``).
    coding
        How published shares and means are coded (:mod:`sounding.growth.coding`): labels
        such as ``"≤5%"``, ``"30-39%"``, ``"47%"``, blurred further where the tables together
        would still tell every member's result. ``None`` publishes the exact numbers (only
        for internal use: a 0 % share then reveals every member's outcome).

    Returns
    -------
    pandas.DataFrame
        ``subject``, key columns (``district_id`` and ``school_id``, ``district_id``, or
        ``provider_id``), ``subgroup_type`` (``"all"`` or the subgroup column), ``subgroup``
        (label), ``n``, statistics and their denominators and, when public, one status column
        per denominator (``suppression`` for ``n``, ``catch_up_suppression``, ...: values
        ``primary``/``complementary``/``""``). ``attrs["partitions"]`` holds the table's own
        margins.

    Raises
    ------
    InvalidInput
        When a required column is missing, ``sgp`` is outside 1..99, or a student has two rows
        for one subject.
    """
    if by not in LEVELS:
        raise InvalidInput(f"by must be school, district or provider, not {by!r}")
    levels: list[GroupBy] = ["school", "district"]
    if by == "provider" or providers is not None or "provider_id" in students.columns:
        levels.append("provider")
    tables = accountability_tables(students, levels=levels, subgroups=subgroups, min_n=min_n,
                                   providers=providers, public=public, coding=coding)
    out = tables[by]
    if not include_totals:
        keys = _KEYS[by]
        keep = ~out[keys].astype(object).eq(TOTAL).any(axis=1)
        attrs = out.attrs
        out = out[keep].reset_index(drop=True)
        out.attrs = attrs
    return out


def accountability_tables(
    students: pd.DataFrame,
    *,
    levels: Sequence[GroupBy] | None = None,
    subgroups: Sequence[str | Subgroup] | None = None,
    min_n: int = MIN_N,
    providers: pd.DataFrame | None = None,
    public: bool = True,
    coding: ShareCoding | None = DEFAULT_CODING,
    strict_audit: bool = True,
) -> dict[str, pd.DataFrame]:
    """The school, district and provider tables, suppressed jointly for release together.

    Publication, in order: counts are suppressed (primary and complementary, over every
    table at once, against a reader who knows each listed group has a student and reads the
    published reasons); shares and means are coded (``coding``); then the intruder's audit
    (:func:`sounding.growth.adversary.audit_union`) runs over the whole release, and every
    share or mean that, with the others, still tells every member's result (a hidden group
    whose members all failed, a total that pins its parts) is blurred one band wider
    together with the published cells of the same statistic it adds up with, until the
    audit finds nothing.

    Parameters
    ----------
    students, subgroups, min_n, providers, public, coding
        As :func:`accountability_table`.
    strict_audit
        ``False`` reproduces the earlier release (a count audit that ignored what the
        reasons and the listed rows tell): kept to show what the adversary recovers from it.
    levels
        Tables to build; default school and district, plus provider when ``providers`` is
        given or ``students`` has ``provider_id``. The school table (with its district and
        overall rows) is always part of the suppression system, since every other table is a
        sum of its cells.

    Returns
    -------
    dict
        Level -> table (as :func:`accountability_table` describes).
    """
    has_providers = providers is not None or "provider_id" in students.columns
    if levels is None:
        levels = ["school", "district"] + (["provider"] if has_providers else [])
    levels = list(dict.fromkeys(levels))
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise InvalidInput(f"levels must be school, district or provider, not {bad}")
    if "provider" in levels and not has_providers:
        raise InvalidInput("by='provider' needs a provider_id column or a providers table")
    df = _prepare(students)
    specs = _subgroup_specs(df, subgroups)
    long, label_order = _long(df, specs)

    built: dict[str, pd.DataFrame] = {}
    built["school"] = _level_table(long, "school", label_order)
    built["district"] = _level_table(long, "district", label_order)
    school_to_providers: dict[str, list[str]] = {}
    overlapping = False
    if "provider" in levels:
        pdf, overlapping = _with_providers(df, providers)
        school_to_providers = (pdf.groupby("school_id")["provider_id"]
                               .agg(lambda v: sorted(set(v))).to_dict())
        plong, _ = _long(pdf, specs)
        built["provider"] = _level_table(plong, "provider", label_order,
                                         totals=not overlapping)

    order = [lv for lv in LEVELS if lv in built]
    union = pd.concat([built[lv].assign(_table=lv) for lv in order], ignore_index=True)
    offsets: dict[str, int] = {}
    pos = 0
    for lv in order:
        offsets[lv] = pos
        pos += len(built[lv])
    gs = "grade_span_n" in union.columns
    families = _families(union, gs)
    separate_prof = bool((union["n"] != union["proficient_n"]).any())

    partitions = {lv: accountability_partitions(["subject", *_KEYS[lv]], label_order,
                                                totals=not (lv == "provider" and overlapping))
                  for lv in order}
    out: dict[str, pd.DataFrame] = {}
    if public:
        eqs = _union_equations(union, school_to_providers, overlapping)
        pub = suppress_families(union, families, eqs, min_n=min_n,
                                nonempty_rows=strict_audit, status_known=strict_audit)
        if coding is not None:
            pub = _blur(pub, union, eqs, coding=coding, min_n=min_n,
                        separate_prof=separate_prof)
        for lv in order:
            part = pub.iloc[offsets[lv]:offsets[lv] + len(built[lv])]
            out[lv] = _finish(part, lv, families, public=True, separate_prof=separate_prof)
    else:
        for lv in order:
            out[lv] = _finish(union.iloc[offsets[lv]:offsets[lv] + len(built[lv])], lv,
                              families, public=False, separate_prof=separate_prof)
    for lv in order:
        out[lv].attrs["partitions"] = partitions[lv]
    return {lv: out[lv] for lv in levels}


def accountability_partitions(keys: Sequence[str], label_order: Mapping[str, Sequence[str]],
                              *, totals: bool = True) -> list[Partition]:
    """What adds up inside one accountability table (its own margins).

    Per group, every subgroup type partitions "All students"; per subgroup, the groups add up
    to the :data:`TOTAL` row of the level above (schools to their district, districts to the
    overall row). ``keys`` may start with ``"subject"`` (each subject is its own system).
    """
    keys = list(keys)
    lead = [k for k in keys if k == "subject"]
    group_keys = [k for k in keys if k != "subject"]
    out = [Partition("subgroup", ALL_STUDENTS, tuple(labels), within=tuple(keys))
           for t, labels in label_order.items() if t != "all"]
    if totals:
        if group_keys == ["district_id", "school_id"]:
            out.append(Partition("school_id", TOTAL, None,
                                 within=(*lead, "district_id", "subgroup")))
            out.append(Partition("district_id", TOTAL, None,
                                 within=(*lead, "school_id", "subgroup")))
        else:
            out.append(Partition(group_keys[0], TOTAL, None, within=(*lead, "subgroup")))
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


def _prepare(students: pd.DataFrame) -> pd.DataFrame:
    need = ["student_id", "sgp", "proficient", "school_id", "district_id"]
    missing = [c for c in need if c not in students.columns]
    if missing:
        raise InvalidInput(f"students table is missing column(s): {', '.join(missing)}")
    df = students.copy()
    if "subject" not in df.columns:
        df["subject"] = ONE_SUBJECT
    df["subject"] = df["subject"].astype(str)
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
    dup = df.duplicated(["student_id", "subject"], keep=False)
    if dup.any():
        ex = df.loc[dup, "student_id"].head(3).tolist()
        raise InvalidInput("students table must hold one row per student and subject "
                           f"(students {ex} repeat); merge on (student_id, subject)")
    for col in ("catch_up", "keep_up", "proficient"):
        if col in df.columns:
            df[col] = _as_bool(df[col], col).astype("Float64").astype(float)
        else:
            df[col] = np.nan
    for col in GRADE_SPAN_COLUMNS:
        if col in df.columns:
            df[col] = pd.to_numeric(df[col], errors="coerce")
    return df


def _with_providers(df: pd.DataFrame, providers: pd.DataFrame | None
                    ) -> tuple[pd.DataFrame, bool]:
    """Students once per provider of their school (and :data:`NO_PROVIDER` when none)."""
    if providers is not None:
        missing = [c for c in ("provider_id", "school_id") if c not in providers.columns]
        if missing:
            raise InvalidInput(f"providers table is missing column(s): {', '.join(missing)}")
        prov = providers[["provider_id", "school_id"]].astype(str).drop_duplicates()
        out = df.drop(columns=["provider_id"], errors="ignore")
        out = out.assign(school_id=out["school_id"].astype(str)).merge(prov, on="school_id",
                                                                       how="left")
        overlapping = bool(prov["school_id"].duplicated().any())
    else:
        out = df.copy()
        per_school = out.dropna(subset=["provider_id"]).groupby("school_id")["provider_id"]
        if (per_school.nunique() > 1).any():
            raise InvalidInput("provider_id must be one value per school (or pass a providers "
                               "table for schools with several providers)")
        overlapping = False
    pid = out["provider_id"]
    out["provider_id"] = pid.astype(object).where(
        pid.notna() & (pid.astype(str).str.strip() != ""), NO_PROVIDER)
    return out, overlapping


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


def _long(df: pd.DataFrame, specs: list[Subgroup]) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Every student once per subgroup type (plus once as "All students")."""
    parts = [df.assign(subgroup_type="all", subgroup=ALL_STUDENTS)]
    label_order: dict[str, list[str]] = {"all": [ALL_STUDENTS]}
    for spec in specs:
        labels = spec.labels(df[spec.column])
        parts.append(df.assign(subgroup_type=spec.column, subgroup=labels.to_numpy()))
        label_order[spec.column] = _ordered_labels(spec, labels)
    return pd.concat(parts, ignore_index=True), label_order


def _level_table(long: pd.DataFrame, level: str, label_order: Mapping[str, Sequence[str]],
                 *, totals: bool = True) -> pd.DataFrame:
    keys = _KEYS[level]
    parts = [_summarise(long, ["subject", *keys])]
    if totals:
        if level == "school":
            parts.append(_summarise(long, ["subject", "district_id"]).assign(school_id=TOTAL))
            parts.append(_summarise(long, ["subject"]).assign(district_id=TOTAL,
                                                              school_id=TOTAL))
        else:
            parts.append(_summarise(long, ["subject"]).assign(**{keys[0]: TOTAL}))
    full = pd.concat(parts, ignore_index=True)
    type_rank = {t: i for i, t in enumerate(label_order)}
    label_rank = {(t, lab): i for t, labs in label_order.items() for i, lab in enumerate(labs)}
    full["_t"] = full["subgroup_type"].map(type_rank)
    full["_l"] = [label_rank.get((t, lab), 10**6) for t, lab in
                  zip(full["subgroup_type"], full["subgroup"], strict=True)]
    full["_total"] = [tuple(v == TOTAL for v in row) for row in
                      full[keys].astype(object).itertuples(index=False, name=None)]
    full = (full.sort_values(["subject", "_total", *keys, "_t", "_l"])
            .drop(columns=["_t", "_l", "_total"]).reset_index(drop=True))
    full["n"] = full["n"].astype(int)
    return full


def _summarise(long: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    cols = ["subgroup_type", "subgroup"]
    grouped = long.groupby([*keys, *cols], sort=False, dropna=False, observed=True)
    out = grouped.agg(
        n=("sgp", "count"),
        median_sgp=("sgp", "median"),
        proficient_n=("proficient", "count"),
        proficient_share=("proficient", "mean"),
        catch_up_n=("catch_up", "count"),
        catch_up_share=("catch_up", "mean"),
        keep_up_n=("keep_up", "count"),
        keep_up_share=("keep_up", "mean"),
    )
    if "grade_span_growth" in long.columns:
        out["grade_span_n"] = grouped["grade_span_growth"].count()
        for src, dst in GRADE_SPAN_COLUMNS.items():
            if src in long.columns:
                out[dst] = grouped[src].mean()
    out = out.reset_index()
    for c in ("proficient_n", "catch_up_n", "keep_up_n", "grade_span_n"):
        if c in out.columns:
            out[c] = out[c].astype(int)
    return out


def _families(union: pd.DataFrame, grade_span: bool) -> list[Family]:
    """The statistics' denominators and what is published on each (base family first)."""
    fams = [Family("n", ("median_sgp",), "suppression"),
            Family("proficient_n", ("proficient_share",), "proficient_suppression"),
            Family("catch_up_n", ("catch_up_share",), "catch_up_suppression",
                   group="prior_level"),
            Family("keep_up_n", ("keep_up_share",), "keep_up_suppression", group="prior_level")]
    if grade_span:
        values = tuple(dst for dst in GRADE_SPAN_COLUMNS.values() if dst in union.columns)
        fams.append(Family("grade_span_n", values, "grade_span_suppression"))
    return fams


def _union_equations(union: pd.DataFrame, school_to_providers: Mapping[str, list[str]],
                     overlapping: bool) -> list[Equation]:
    """Every linear margin among the released tables, as positions in ``union``.

    Within each table: per subject and group, each subgroup type adds up to "All students";
    schools add up to their district row and districts to the overall row. Across tables: a
    district-table row is the school table's district row; a provider row is the sum of its
    schools' rows; the provider total (when providers do not share schools) is the overall row.
    """
    tab = union["_table"].to_numpy()
    subj = union["subject"].to_numpy()
    stype = union["subgroup_type"].to_numpy()
    lab = union["subgroup"].to_numpy()
    d = union["district_id"].to_numpy() if "district_id" in union else np.full(len(union), None)
    s = union["school_id"].to_numpy() if "school_id" in union else np.full(len(union), None)
    p = (union["provider_id"].to_numpy() if "provider_id" in union
         else np.full(len(union), None))
    index: dict[tuple, int] = {}
    for i in range(len(union)):
        key = {"school": (d[i], s[i]), "district": (d[i],), "provider": (p[i],)}[tab[i]]
        index[(tab[i], subj[i], key, stype[i], lab[i])] = i
    eqs: list[Equation] = []

    # within a group: subgroup types partition "All students"
    by_group: dict[tuple, dict[str, list[int]]] = {}
    for (t, sj, key, st, _lb), i in index.items():
        by_group.setdefault((t, sj, key), {}).setdefault(st, []).append(i)
    for (t, sj, key), types in by_group.items():
        total = index.get((t, sj, key, "all", ALL_STUDENTS))
        if total is None:
            continue
        for st, rows in types.items():
            if st != "all" and rows:
                eqs.append((total, tuple(rows)))

    # school table: schools -> district rows -> overall row
    districts: dict[tuple, list[int]] = {}
    overall_parts: dict[tuple, list[int]] = {}
    provider_parts: dict[tuple, list[int]] = {}
    for (t, sj, key, st, lb), i in index.items():
        if t != "school":
            continue
        dist, school = key
        if dist != TOTAL and school != TOTAL:
            districts.setdefault((sj, dist, st, lb), []).append(i)
            for prov in school_to_providers.get(str(school), [NO_PROVIDER]):
                provider_parts.setdefault((sj, prov, st, lb), []).append(i)
        elif dist != TOTAL:
            overall_parts.setdefault((sj, st, lb), []).append(i)
    for (sj, dist, st, lb), rows in districts.items():
        total = index.get(("school", sj, (dist, TOTAL), st, lb))
        if total is not None:
            eqs.append((total, tuple(rows)))
    for (sj, st, lb), rows in overall_parts.items():
        total = index.get(("school", sj, (TOTAL, TOTAL), st, lb))
        if total is not None:
            eqs.append((total, tuple(rows)))

    for (t, sj, key, st, lb), i in index.items():
        if t == "district":  # the same numbers as the school table's district rows
            twin = index.get(("school", sj, (key[0], TOTAL), st, lb))
            if twin is not None:
                eqs.append((i, (twin,)))
        elif t == "provider":
            prov = key[0]
            if prov == TOTAL:
                twin = index.get(("school", sj, (TOTAL, TOTAL), st, lb))
                if twin is not None:
                    eqs.append((i, (twin,)))
            else:
                rows = provider_parts.get((sj, prov, st, lb), [])
                if rows:
                    eqs.append((i, tuple(rows)))
    # district table and provider table totals: their groups add up to the total row
    for t in ("district", "provider"):
        if t == "provider" and overlapping:
            continue
        parts: dict[tuple, list[int]] = {}
        for (tt, sj, key, st, lb), i in index.items():
            if tt == t and key[0] != TOTAL:
                parts.setdefault((sj, st, lb), []).append(i)
        for (sj, st, lb), rows in parts.items():
            total = index.get((t, sj, (TOTAL,), st, lb))
            if total is not None:
                eqs.append((total, tuple(rows)))
    return eqs


#: Value column -> its denominator column, for shares and for means of counts.
_SHARE_DEN = {"proficient_share": "proficient_n", "catch_up_share": "catch_up_n",
              "keep_up_share": "keep_up_n"}
_MEAN_DEN = {c: "grade_span_n" for c in GRADE_SPAN_COLUMNS.values()}
#: Blurring rounds before every remaining disclosed statistic is hidden outright.
_MAX_BLUR_ROUNDS = 8


def _blur(pub: pd.DataFrame, union: pd.DataFrame, eqs: list[Equation], *,
          coding: ShareCoding, min_n: int, separate_prof: bool) -> pd.DataFrame:
    """Code the published shares and means, then widen them until the audit is clean.

    Each published value carries a blur level (0: the rule's band for its denominator);
    a value the audit says still discloses a result, and every published value of the same
    statistic in an equation with it, go one level wider (past the widest band: hidden,
    ``"*"``, with its count still published). Levels only grow, so the loop ends.
    """
    from sounding.growth.adversary import audit_union

    values = {c: d for c, d in {**_SHARE_DEN, **_MEAN_DEN}.items() if c in pub.columns}
    n_rows = len(pub)
    level = {c: np.zeros(n_rows, dtype=int) for c in values}
    raw = {c: pd.to_numeric(union[c], errors="coerce").to_numpy(float) for c in values}
    den = {c: pd.to_numeric(union[d], errors="coerce").to_numpy(float)
           for c, d in values.items()}
    hidden_den = {c: pub[d].astype(object).eq(SUPPRESSED).to_numpy() for c, d in values.items()}
    by_row: dict[int, list[int]] = {}
    for k, (t, parts) in enumerate(eqs):
        for c in (t, *parts):
            by_row.setdefault(c, []).append(k)

    def labels(out: pd.DataFrame) -> None:
        for c in values:
            col = np.empty(n_rows, dtype=object)
            for r in range(n_rows):
                v, d = raw[c][r], den[c][r]
                if hidden_den[c][r]:
                    col[r] = SUPPRESSED
                elif np.isnan(v):
                    col[r] = np.nan
                elif c in _SHARE_DEN:
                    lab = ShareCoding(coding.bands, coding.level + int(level[c][r])).code(v, d)
                    col[r] = SUPPRESSED if lab is None else lab
                else:
                    col[r] = (code_mean(v, signed=c in SIGNED_MEANS) if level[c][r] == 0
                              else SUPPRESSED)
            out[c] = col

    out = pub.copy()
    for _ in range(_MAX_BLUR_ROUNDS + 1):
        labels(out)
        audit = out.copy()
        if not separate_prof:
            audit = audit.drop(columns=["proficient_n", "proficient_suppression"],
                               errors="ignore")
        found = audit_union(audit, eqs, min_n=min_n, coding=coding, values_only=True)
        if not found.findings:
            return out
        if any(f.kind == "infeasible" for f in found.findings):
            # the audit's model of a reader does not fit these tables (not expected): publish
            # no share or mean rather than ones nobody checked
            for c in values:
                level[c][:] = 10**6
            labels(out)
            return out
        for f in found.findings:
            col = f.column if f.column in values else None
            if col is None:
                continue
            rows = {f.row} | {c for k in by_row.get(f.row, [])
                              for c in (eqs[k][0], *eqs[k][1])}
            for r in rows:
                level[col][r] += 1
    # still disclosed after every band: hide the statistic in every row the audit named
    for f in found.findings:
        if f.column in values:
            rows = {f.row} | {c for k in by_row.get(f.row, []) for c in (eqs[k][0], *eqs[k][1])}
            for r in rows:
                level[f.column][r] = 10**6
    labels(out)
    return out


def _finish(part: pd.DataFrame, level: str, families: list[Family], *, public: bool,
            separate_prof: bool) -> pd.DataFrame:
    keys = _KEYS[level]
    cols = ["subject", *keys, "subgroup_type", "subgroup", "n", "median_sgp",
            "proficient_share", "catch_up_n", "catch_up_share", "keep_up_n", "keep_up_share"]
    if "grade_span_n" in part.columns:
        cols += ["grade_span_n", *[c for c in GRADE_SPAN_COLUMNS.values() if c in part.columns]]
    if separate_prof:  # some students lack a proficiency level: publish its denominator
        cols.insert(cols.index("proficient_share"), "proficient_n")
    if public:
        cols += [f.status_col for f in families
                 if f.status_col != "proficient_suppression" or separate_prof]
    out = part[cols].reset_index(drop=True)
    return out


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
