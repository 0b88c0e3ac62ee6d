"""Writing a simulated district to disk, in one go or streamed chunk by chunk.

Layout (CONTRACTS.md "File formats")::

    out/
      oneroster/   manifest.csv orgs.csv academicSessions.csv courses.csv classes.csv
                   users.csv roles.csv enrollments.csv demographics.csv
      responses.csv  responses.parquet  scores.csv  providers.csv  family_signals.csv
      README.txt
      truth/       mastery.parquet (wide)  students.csv  weak_topics.csv  providers.csv

Both entry points share one :class:`_DistrictWriter`, which appends CSV rows (header once) and
Parquet row groups, so ``simulate_to_dir`` with any chunk size writes byte-identical CSVs and
equal Parquet tables to ``write_district(simulate_district(spec))``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sounding.errors import InvalidInput, NotFound
from sounding.roster.export import MANIFEST_FILES, SPEC_COLUMNS, SUBJECT_CODES
from sounding.simulate.district import (
    CLASSES_COLUMNS,
    DEMOGRAPHICS_COLUMNS,
    ENROLLMENTS_COLUMNS,
    RESPONSES_COLUMNS,
    ROLES_COLUMNS,
    SCORES_COLUMNS,
    TRUTH_STUDENTS_COLUMNS,
    USERS_COLUMNS,
    WEAK_TOPICS_COLUMNS,
    District,
    DistrictPlan,
    DistrictSpec,
    global_tables,
    iter_chunks,
    mastery_long,
    plan_district,
)
from sounding.simulate.family import FAMILY_SIGNALS_COLUMNS
from sounding.simulate.history import SPRING_WINDOW_COLUMNS, TRUTH_SPAN_COLUMNS
from sounding.simulate.knowledge import PROFICIENT_SHARE, SCALE_CUTS

ONEROSTER_FILES = ("orgs", "academicSessions", "courses", "classes", "users", "roles",
                   "enrollments", "demographics")
# every OneRoster 1.2 CSV file, for the manifest (the ones we do not ship are "absent")
_MANIFEST_FILES = MANIFEST_FILES


def oneroster_columns(entity: str, columns: list[str]) -> list[str]:
    """The columns of a OneRoster file as written: the spec's, in the spec's order, then any
    other column of ``columns`` as a ``metadata.*`` extension, last."""
    spec = list(SPEC_COLUMNS[entity])
    extra = [c if c.startswith("metadata.") else f"metadata.{c}" for c in columns
             if c not in spec]
    return spec + extra


def oneroster_frame(entity: str, df: pd.DataFrame) -> pd.DataFrame:
    """A OneRoster table as a strict 1.2 bulk file holds it.

    Bulk files leave ``status`` and ``dateLastModified`` blank; ``subjectCodes`` has one
    entry per ``subjects`` entry; columns follow the spec's order with extensions last.
    """
    out = df.rename(columns={c: f"metadata.{c}" for c in df.columns
                             if c not in SPEC_COLUMNS[entity] and not c.startswith("metadata.")})
    out = out.copy()
    out["status"] = ""
    out["dateLastModified"] = ""
    if "subjects" in out.columns:
        subjects = out["subjects"].fillna("").astype(str)
        codes = subjects.map(lambda v: ",".join(SUBJECT_CODES.get(x.strip().lower(), "")
                                                for x in v.split(",")) if v else "")
        if "subjectCodes" in out.columns:
            given = out["subjectCodes"].fillna("").astype(str)
            codes = given.where(given != "", codes)
        out["subjectCodes"] = codes
    for c in SPEC_COLUMNS[entity]:
        if c not in out.columns:
            out[c] = ""
    return out[oneroster_columns(entity, list(df.columns))]


_ENTITY_OF = {"orgs": "orgs", "academic_sessions": "academicSessions", "courses": "courses",
              "classes": "classes", "users": "users", "roles": "roles",
              "enrollments": "enrollments", "demographics": "demographics"}

_STREAMED = {
    # attribute of a chunk -> (relative path, columns)
    "classes": ("oneroster/classes.csv", oneroster_columns("classes", CLASSES_COLUMNS)),
    "users": ("oneroster/users.csv", oneroster_columns("users", USERS_COLUMNS)),
    "roles": ("oneroster/roles.csv", oneroster_columns("roles", ROLES_COLUMNS)),
    "enrollments": ("oneroster/enrollments.csv",
                    oneroster_columns("enrollments", ENROLLMENTS_COLUMNS)),
    "demographics": ("oneroster/demographics.csv",
                     oneroster_columns("demographics", DEMOGRAPHICS_COLUMNS)),
    "scores": ("scores.csv", SCORES_COLUMNS),
    "truth_students": ("truth/students.csv", TRUTH_STUDENTS_COLUMNS),
    "weak_topics": ("truth/weak_topics.csv", WEAK_TOPICS_COLUMNS),
    "family_signals": ("family_signals.csv", FAMILY_SIGNALS_COLUMNS),
    "spring_windows": ("spring_windows.csv", SPRING_WINDOW_COLUMNS),
    "truth_span": ("truth/span_mastery.csv", TRUTH_SPAN_COLUMNS),
}


@dataclass
class WriteSummary:
    """What was written: counts, proficiency by grade (the truth) and the files."""

    out_dir: str
    n_students: int = 0
    n_teachers: int = 0
    n_classes: int = 0
    n_schools: int = 0
    n_responses: int = 0
    n_scores: int = 0
    n_weak_pairs: int = 0
    students_by_grade: dict[int, int] = field(default_factory=dict)
    proficient_by_grade: dict[int, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def proficiency_by_grade(self) -> dict[int, float]:
        return {g: self.proficient_by_grade.get(g, 0) / n
                for g, n in sorted(self.students_by_grade.items()) if n}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["proficiency_by_grade"] = {str(g): round(p, 4)
                                     for g, p in self.proficiency_by_grade.items()}
        d["students_by_grade"] = {str(g): n for g, n in self.students_by_grade.items()}
        d["proficient_by_grade"] = {str(g): n for g, n in self.proficient_by_grade.items()}
        return d


def _to_arrow(df: pd.DataFrame, columns: list[str]) -> pa.Table:
    arrays = []
    for c in columns:
        s = df[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            arrays.append(pa.array(s.to_numpy(dtype=object), type=pa.string()))
        else:
            arrays.append(pa.array(s.to_numpy()))
    return pa.Table.from_arrays(arrays, names=columns)


def _iso(ts: pa.Array) -> pa.Array:
    """Timestamps as ISO 8601 text ("2025-09-03T10:15:00"), fast (no strftime)."""
    s = ts.cast(pa.string())
    return pc.replace_substring(s, " ", "T", max_replacements=1)


class _CsvAppender:
    """A CSV file written in pieces: the header once, then rows, never quoted.

    Values are ids, codes, names and numbers that never contain a comma, a quote or a newline;
    pyarrow refuses to write one that would (quoting_style "none"), so a bad value fails loudly.
    """

    def __init__(self, path: Path, columns: list[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.columns = columns
        self.fh = open(path, "wb")  # noqa: SIM115 - closed by close()
        self.fh.write((",".join(columns) + "\n").encode())
        self.opts = pacsv.WriteOptions(include_header=False, quoting_style="none")

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            pacsv.write_csv(table, self.fh, self.opts)

    def close(self) -> None:
        self.fh.close()


class _DistrictWriter:
    """Writes the district layout from global tables plus any number of chunks."""

    def __init__(self, out_dir: str | Path, plan_or_district: DistrictPlan | District,
                 glob: dict[str, pd.DataFrame], overwrite: bool = True) -> None:
        self.out = Path(out_dir)
        if self.out.exists() and not self.out.is_dir():
            raise InvalidInput(f"{self.out} exists and is not a folder")
        if self.out.exists() and any(self.out.iterdir()):
            if not overwrite:
                raise InvalidInput(f"{self.out} is not empty")
            for sub in ("oneroster", "truth"):
                if (self.out / sub).is_dir():
                    shutil.rmtree(self.out / sub)
        self.out.mkdir(parents=True, exist_ok=True)
        self.spec: DistrictSpec = plan_or_district.spec
        self.summary = WriteSummary(out_dir=str(self.out))
        self.summary.n_schools = int((glob["orgs"]["type"] == "school").sum())
        for name, fname in (("orgs", "orgs.csv"), ("academic_sessions", "academicSessions.csv"),
                            ("courses", "courses.csv")):
            self._write_small(oneroster_frame(_ENTITY_OF[name], glob[name]),
                              f"oneroster/{fname}")
        self._write_small(glob["providers"], "providers.csv")
        self._write_small(glob["truth_providers"], "truth/providers.csv")
        self.csv = {k: _CsvAppender(self.out / p, cols) for k, (p, cols) in _STREAMED.items()}
        self.resp_csv = _CsvAppender(self.out / "responses.csv", RESPONSES_COLUMNS)
        self.resp_schema = pa.schema([("student_id", pa.string()), ("item_id", pa.string()),
                                      ("standard", pa.string()), ("correct", pa.int8()),
                                      ("timestamp", pa.timestamp("s")), ("source", pa.string())])
        self.resp_pq = pq.ParquetWriter(self.out / "responses.parquet", self.resp_schema,
                                        compression="zstd")
        self.mastery_pq: pq.ParquetWriter | None = None

    def _write_small(self, df: pd.DataFrame, rel: str) -> None:
        app = _CsvAppender(self.out / rel, list(df.columns))
        app.write(_to_arrow(df, list(df.columns)))
        app.close()
        self.summary.files.append(rel)

    def add(self, chunk) -> None:
        for name, app in self.csv.items():
            df = getattr(chunk, name)
            if name in _ENTITY_OF:
                df = oneroster_frame(_ENTITY_OF[name], df)
            app.write(_to_arrow(df, app.columns))
        r = chunk.responses
        resp = pa.Table.from_arrays([
            pa.array(r["student_id"].to_numpy(dtype=object), pa.string()),
            pa.array(r["item_id"].to_numpy(dtype=object), pa.string()),
            pa.array(r["standard"].to_numpy(dtype=object), pa.string()),
            pa.array(r["correct"].to_numpy(dtype=np.int8), pa.int8()),
            pa.array(r["timestamp"].to_numpy(dtype="datetime64[s]"), pa.timestamp("s")),
            pa.array(r["source"].to_numpy(dtype=object), pa.string()),
        ], schema=self.resp_schema)
        if resp.num_rows:
            self.resp_pq.write_table(resp)
            self.resp_csv.write(resp.set_column(4, "timestamp", _iso(resp.column(4))))
        m = chunk.truth_mastery
        mt = pa.Table.from_pandas(m, preserve_index=False)
        if self.mastery_pq is None:
            self.mastery_pq = pq.ParquetWriter(self.out / "truth" / "mastery.parquet",
                                               mt.schema, compression="zstd")
        self.mastery_pq.write_table(mt)
        ts = chunk.truth_students
        s = self.summary
        s.n_students += len(ts)
        s.n_teachers += int((chunk.roles["role"] == "teacher").sum())
        s.n_classes += len(chunk.classes)
        s.n_responses += len(r)
        s.n_scores += len(chunk.scores)
        s.n_weak_pairs += len(chunk.weak_topics)
        for g, n in ts.groupby("grade").size().items():
            s.students_by_grade[int(g)] = s.students_by_grade.get(int(g), 0) + int(n)
        for g, n in ts.groupby("grade")["proficient"].sum().items():
            s.proficient_by_grade[int(g)] = s.proficient_by_grade.get(int(g), 0) + int(n)

    def close(self) -> WriteSummary:
        for app in self.csv.values():
            app.close()
        self.resp_csv.close()
        self.resp_pq.close()
        if self.mastery_pq is not None:
            self.mastery_pq.close()
        manifest = [("manifest.version", "1.0"), ("oneroster.version", "1.2")]
        manifest += [(f"file.{f}", "bulk" if f in ONEROSTER_FILES else "absent")
                     for f in _MANIFEST_FILES]
        manifest += [("source.systemName", "Sounding synthetic district"),
                     ("source.systemCode", f"sounding-simulate-seed-{self.spec.seed}")]
        self._write_small(pd.DataFrame(manifest, columns=["propertyName", "value"]),
                          "oneroster/manifest.csv")
        self.summary.files += [p for p, _ in _STREAMED.values()]
        self.summary.files += ["responses.csv", "responses.parquet", "truth/mastery.parquet"]
        (self.out / "README.txt").write_text(readme_text(self.spec, self.summary))
        self.summary.files.append("README.txt")
        self.summary.files.sort()
        return self.summary


def write_district(district: District, out_dir: str | Path) -> WriteSummary:
    """Write an in-memory district to ``out_dir`` (created; previous output replaced)."""
    glob = {"orgs": district.orgs, "academic_sessions": district.academic_sessions,
            "courses": district.courses, "providers": district.providers,
            "truth_providers": district.truth_providers}
    w = _DistrictWriter(out_dir, district, glob)
    w.add(district)
    return w.close()


def simulate_to_dir(spec: DistrictSpec, out_dir: str | Path, chunk_students: int = 50_000,
                    progress: Callable[[int, int], None] | None = None) -> WriteSummary:
    """Simulate and write chunk by chunk (groups of whole schools): memory stays bounded.

    The files are the same as ``write_district(simulate_district(spec), out_dir)``.
    """
    if chunk_students < 1:
        raise InvalidInput("chunk_students must be at least 1")
    plan = plan_district(spec)
    w = _DistrictWriter(out_dir, plan, global_tables(plan))
    for chunk in iter_chunks(spec, chunk_students, progress=progress, plan=plan):
        w.add(chunk)
    return w.close()


def read_truth(out_dir: str | Path) -> pd.DataFrame:
    """The ground-truth mastery as long rows: (student_id, standard, mastered)."""
    path = Path(out_dir) / "truth" / "mastery.parquet"
    if not path.is_file():
        raise NotFound(f"{path} not found (is {out_dir} a simulated district folder?)")
    return mastery_long(pq.read_table(path).to_pandas())


def readme_text(spec: DistrictSpec, summary: WriteSummary) -> str:
    """The README.txt that travels with the files: what each file is and how it was made."""
    prof = ", ".join(f"grade {g}: {p:.1%}" for g, p in summary.proficiency_by_grade.items())
    cuts = "; ".join(f"grade {g}: {c[0]}/{c[1]}/{c[2]}" for g, c in SCALE_CUTS.items()
                     if g >= 3)
    return f"""Synthetic district: {spec.district_name} ({spec.state_name}), school year \
{spec.school_year - 1}-{str(spec.school_year)[2:]}
Generated by `sounding simulate` (seed {spec.seed}). No real student is described here.

{summary.n_students} students in grades {", ".join(str(g) for g in spec.grades)}, \
{summary.n_schools} schools, {summary.n_classes} math classes, {summary.n_teachers} teachers,
{summary.n_responses} item responses, {summary.n_scores} scale scores.

WHAT A DISTRICT HANDS OVER
oneroster/        OneRoster 1.2 CSV bulk export (columns in the spec's order, status and
                  dateLastModified blank as in any bulk file, subjectCodes 02 = the SCED
                  subject area Mathematics): manifest.csv, orgs.csv (state > district >
                  schools), academicSessions.csv (school year + semesters), courses.csv (one math
                  course per grade, plus Algebra I), classes.csv (one math class per section),
                  users.csv (students and teachers), roles.csv, enrollments.csv (each student in
                  one math class, each teacher the primary teacher of one class),
                  demographics.csv (race/ethnicity booleans; subgroups in the extension columns
                  metadata.englishLearner, metadata.disability,
                  metadata.economicallyDisadvantaged). Grades are CEDS codes (KG, 01..12).
responses.csv     Item responses: student_id, item_id, standard (a progression code, sometimes a
responses.parquet sub-standard such as 4.NF.B.3a), correct (0/1), timestamp (ISO 8601, local
                  time), source (diagnostic = fall below-grade diagnostic; classwork = practice
                  after each standard is taught in the default scope and sequence; interim =
                  December and March interim assessments). A few students have no responses and
                  one or two classes stop reporting in October (stale evidence).
scores.csv        State test scale scores (vertical scale, integers) for this spring and the two
                  before: student_id, year (spring), grade, subject, scale_score,
                  achievement_level (1-4). Cut scores (level 2/3/4): {cuts}.
providers.csv     Personalized-learning providers working in some schools: provider_id,
                  school_id.
family_signals.csv  School-home contact attempts from the student information system:
                  student_id, signal (phone_call, message, conference), date, value (1 = the
                  family was reached, 0 = not), source. Fewer successful contacts for
                  economically disadvantaged and English-learner families, and in some schools.

GROUND TRUTH (the simulator's only; never part of a real hand-over)
truth/mastery.parquet   One row per student, one boolean column per standard of the K-8 +
                        Algebra I progression: mastered at the end of this school year.
truth/students.csv      Per student: school, class, grade, latent ability, subgroups,
                        grade_level_share (share of current-grade standards mastered),
                        proficient (share >= {PROFICIENT_SHARE}), Algebra I placement and
                        readiness, provider, has_evidence, stale_class.
truth/weak_topics.csv   Classes the simulator made weak on a topic (a cluster of current-grade
                        standards): class_id, standard.
truth/providers.csv     Provider names and their true effect on this year's learning (logit).

HOW IT WAS MADE
Knowledge states follow the progression: each year's standards are learned in topological order,
with high probability only when their prerequisites are mastered, so unfinished learning
accumulates with grade (the iceberg). Difficulty offsets per grade were calibrated once to NAEP
2022 (36 % proficient in grade 4, 26 % in grade 8). Proficient here (truth): {prof}.
Responses follow the knowledge state with guess ~0.2 and slip ~0.1 varying by item. Earlier years'
scores come from earlier knowledge states, which are subsets of this year's.
"""
