"""OneRoster 1.2 CSV (and 1.1) rosters: read, validate every row, then write in one go.

    from sounding.roster import import_roster, read_roster
    roster = read_roster("district/oneroster")      # or a .zip; raises InvalidRoster
    with Store.open("sounding.db") as store:
        report = import_roster(store, "district/oneroster")

Why it works this way:

- Columns are read by header name and every value stays a string: ids are ``sourcedId``\\s,
  grades are CEDS codes (``"04"``, ``"KG"``), and type guessing would damage both.
- Liberal in what is accepted, strict in what is written (``sounding.roster.export``):
  columns in any order and any case, quoted or not, a BOM, extension columns (named
  ``metadata.*`` as the spec asks, or not: kept either way, with a note), grades written
  ``9`` or ``K`` (read as the CEDS ``09``, ``KG``), OneRoster 1.1 and 1.2 role layouts.
  A missing required column or value, a bad value and a broken reference are refused.
- Everything is checked before anything is written, and every problem is collected (file,
  line, field), so a district fixes its export once, not one error per attempt. A rejected
  roster changes nothing; an accepted one is written in one transaction, upserted by
  ``sourcedId`` so that importing the same export twice leaves the same rows.
- Files are read in dependency order (orgs before classes before enrollments), so each
  reference is checked the moment it is read, with its line, without holding references of
  millions of rows in memory.
- OneRoster 1.1 differs in users.csv (``orgSourcedIds`` and ``role`` columns, no roles.csv);
  the layout is detected from the users.csv header and 1.1 roles are derived from it. A 1.2
  export that keeps the 1.1 columns too reads its roles from roles.csv.
- Delta exports (manifest ``file.X,delta``) add, update and mark ``tobedeleted`` rows of
  the stored roster, atomically like a bulk import; references may point to stored rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sounding.errors import InvalidRoster, NotFound, Problem
from sounding.roster.records import ImportReport, Problems, decode_text, sha256_bytes

# ------------------------------------------------------------------ vocabularies (1.2 + 1.1)

STATUS = ("active", "tobedeleted", "inactive")
ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
ROLE_TYPES = ("primary", "secondary")
ROLES = ("aide", "counselor", "districtAdministrator", "guardian", "parent", "principal",
         "proctor", "relative", "siteAdministrator", "student", "systemAdministrator",
         "teacher", "administrator")  # the last is OneRoster 1.1's
ENROLLMENT_ROLES = ("administrator", "proctor", "student", "teacher")
SEXES = ("male", "female", "unspecified", "other")
#: CEDS grade levels used by OneRoster, and our grade number (K = 0; pre-K below 0).
GRADE_NUMBERS: dict[str, int | None] = {
    "IT": -3, "PR": -2, "PK": -1, "TK": -1, "KG": 0,
    **{f"{g:02d}": g for g in range(1, 14)}, "PS": 14, "UG": None, "Other": None,
}


@dataclass(frozen=True)
class Col:
    """One published column: how its value is checked and where it is stored."""

    name: str
    kind: str = "text"          # text|date|datetime|bool|enum|grades|year|ref|refs
    required: bool = False      # value must not be empty
    choices: tuple[str, ...] = ()
    ref: str | None = None      # entity file the id(s) must exist in
    store_as: str | None = None  # column in the store; None: not stored


@dataclass(frozen=True)
class FileSpec:
    name: str                   # entity, e.g. "enrollments" (file is enrollments.csv)
    table: str                  # store table
    key: str                    # store column holding sourcedId
    cols: tuple[Col, ...]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


def _base(key: str) -> list[Col]:
    return [Col("sourcedId", "text", True, store_as=key),
            Col("status", "enum", False, STATUS, store_as="status"),
            Col("dateLastModified", "datetime", store_as="date_last_modified")]


SPECS: dict[str, FileSpec] = {s.name: s for s in (
    FileSpec("orgs", "orgs", "org_id", (
        *_base("org_id"),
        Col("name", required=True, store_as="name"),
        Col("type", "enum", True, ORG_TYPES, store_as="type"),
        Col("identifier", store_as="identifier"),
        Col("parentSourcedId", "ref", ref="orgs", store_as="parent_id"),
    )),
    FileSpec("academicSessions", "academic_sessions", "session_id", (
        *_base("session_id"),
        Col("title", required=True, store_as="title"),
        Col("type", "enum", True, SESSION_TYPES, store_as="type"),
        Col("startDate", "date", True, store_as="start_date"),
        Col("endDate", "date", True, store_as="end_date"),
        Col("parentSourcedId", "ref", ref="academicSessions", store_as="parent_id"),
        Col("schoolYear", "year", True, store_as="school_year"),
    )),
    FileSpec("courses", "courses", "course_id", (
        *_base("course_id"),
        Col("schoolYearSourcedId", "ref", ref="academicSessions", store_as="school_year_id"),
        Col("title", required=True, store_as="title"),
        Col("courseCode", store_as="course_code"),
        Col("grades", "grades", store_as="grades"),
        Col("orgSourcedId", "ref", True, ref="orgs", store_as="org_id"),
        Col("subjects", store_as="subjects"),
        Col("subjectCodes", store_as="subject_codes"),
        Col("resourceSourcedIds"),
    )),
    FileSpec("classes", "classes", "class_id", (
        *_base("class_id"),
        Col("title", required=True, store_as="title"),
        Col("grades", "grades", store_as="grades"),
        Col("courseSourcedId", "ref", True, ref="courses", store_as="course_id"),
        Col("classCode", store_as="class_code"),
        Col("classType", "enum", False, CLASS_TYPES, store_as="class_type"),
        Col("location", store_as="location"),
        Col("schoolSourcedId", "ref", True, ref="orgs", store_as="school_id"),
        Col("termSourcedIds", "refs", True, ref="academicSessions", store_as="term_ids"),
        Col("subjects", store_as="subjects"),
        Col("subjectCodes", store_as="subject_codes"),
        Col("periods", store_as="periods"),
        Col("resourceSourcedIds"),
    )),
    FileSpec("users", "users", "user_id", (
        *_base("user_id"),
        Col("enabledUser", "bool", True, store_as="enabled_user"),
        Col("orgSourcedIds", "refs", ref="orgs", store_as="org_ids"),     # 1.1
        Col("role", "enum", False, ROLES),                                # 1.1
        Col("username", store_as="username"),
        Col("userIds", store_as="user_ids"),
        Col("givenName", required=True, store_as="given_name"),
        Col("familyName", required=True, store_as="family_name"),
        Col("middleName", store_as="middle_name"),
        Col("identifier", store_as="identifier"),
        Col("email", store_as="email"),
        Col("sms"),
        Col("phone"),
        Col("agentSourcedIds", "refs", ref="users", store_as="agent_ids"),
        Col("grades", "grades", store_as="grades"),
        Col("password"),  # never stored
        Col("userMasterIdentifier"),
        Col("resourceSourcedIds"),
        Col("preferredGivenName", store_as="preferred_given_name"),
        Col("preferredMiddleName"),
        Col("preferredFamilyName", store_as="preferred_family_name"),
        Col("primaryOrgSourcedId", "ref", ref="orgs", store_as="primary_org_id"),
        Col("pronouns", store_as="pronouns"),
    )),
    FileSpec("roles", "roles", "role_id", (
        *_base("role_id"),
        Col("userSourcedId", "ref", True, ref="users", store_as="user_id"),
        Col("roleType", "enum", True, ROLE_TYPES, store_as="role_type"),
        Col("role", "enum", True, ROLES, store_as="role"),
        Col("beginDate", "date", store_as="begin_date"),
        Col("endDate", "date", store_as="end_date"),
        Col("orgSourcedId", "ref", True, ref="orgs", store_as="org_id"),
        Col("userProfileSourcedId", store_as="user_profile_id"),
    )),
    FileSpec("enrollments", "enrollments", "enrollment_id", (
        *_base("enrollment_id"),
        Col("classSourcedId", "ref", True, ref="classes", store_as="class_id"),
        Col("schoolSourcedId", "ref", True, ref="orgs", store_as="school_id"),
        Col("userSourcedId", "ref", True, ref="users", store_as="user_id"),
        Col("role", "enum", True, ENROLLMENT_ROLES, store_as="role"),
        Col("primary", "bool", store_as="primary"),
        Col("beginDate", "date", store_as="begin_date"),
        Col("endDate", "date", store_as="end_date"),
    )),
    FileSpec("demographics", "demographics", "user_id", (
        Col("sourcedId", "ref", True, ref="users", store_as="user_id"),
        *_base("user_id")[1:],
        Col("birthDate", "date", store_as="birth_date"),
        Col("sex", "enum", False, SEXES, store_as="sex"),
        Col("americanIndianOrAlaskaNative", "bool", store_as="american_indian_or_alaska_native"),
        Col("asian", "bool", store_as="asian"),
        Col("blackOrAfricanAmerican", "bool", store_as="black_or_african_american"),
        Col("nativeHawaiianOrOtherPacificIslander", "bool",
            store_as="native_hawaiian_or_other_pacific_islander"),
        Col("white", "bool", store_as="white"),
        Col("demographicRaceTwoOrMoreRaces", "bool", store_as="two_or_more_races"),
        Col("hispanicOrLatinoEthnicity", "bool", store_as="hispanic_or_latino"),
        Col("countryOfBirthCode", store_as="country_of_birth"),
        Col("stateOfBirthAbbreviation", store_as="state_of_birth"),
        Col("cityOfBirth", store_as="city_of_birth"),
        Col("publicSchoolResidenceStatus", store_as="public_school_residence_status"),
        # Sounding's subgroup extensions (CONTRACTS.md): known metadata.* columns
        Col("metadata.englishLearner", "bool", store_as="english_learner"),
        Col("metadata.disability", "bool", store_as="disability"),
        Col("metadata.economicallyDisadvantaged", "bool", store_as="econ_disadvantaged"),
    )),
)}

#: Read order: every reference points to a file read earlier (or to the same file).
ORDER = ("orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments",
         "demographics")
#: Columns whose header must be present: sourcedId, status, dateLastModified and every field
#: whose value is required (``Col.required``); optional columns may be left out. OneRoster 1.1
#: users.csv also requires these:
USERS_11_COLUMNS = ("orgSourcedIds", "role", "username")
_V12_ONLY = {"userMasterIdentifier", "resourceSourcedIds", "preferredGivenName",
             "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns"}
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MANIFEST_MODES = ("bulk", "delta", "absent")


@dataclass
class Roster:
    """A validated roster: rows per store table, ready to write."""

    source: str
    version: str                       # "1.2" or "1.1" (users.csv layout)
    rows: dict[str, list[dict]] = field(default_factory=dict)   # store table -> rows
    file_rows: dict[str, int] = field(default_factory=dict)     # csv file -> data rows
    files: dict[str, str] = field(default_factory=dict)         # csv file -> sha256
    notes: list[str] = field(default_factory=list)
    modes: dict[str, str] = field(default_factory=dict)         # entity -> bulk | delta
    #: delta files: store table -> (sourcedId, dateLastModified) of rows marked tobedeleted
    deletes: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)

    def ids(self, entity: str) -> set[str]:
        spec = SPECS[entity]
        return {r[spec.key] for r in self.rows.get(spec.table, [])}


# ------------------------------------------------------------------ reading the source


class _Source:
    """A folder or a zip of CSV files (files found by name, at any depth in a zip)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise NotFound(f"roster not found: {self.path}")
        self.zip: zipfile.ZipFile | None = None
        self.names: dict[str, str] = {}
        if self.path.is_dir():
            self.names = {p.name: str(p) for p in self.path.iterdir() if p.is_file()}
        else:
            try:
                self.zip = zipfile.ZipFile(self.path)
                for info in self.zip.infolist():
                    base = info.filename.rsplit("/", 1)[-1]
                    if base and not info.is_dir() and base not in self.names \
                            and not info.filename.startswith("__MACOSX/"):
                        self.names[base] = info.filename
            except (zipfile.BadZipFile, OSError) as exc:
                raise InvalidRoster([Problem(self.path.name, None, None,
                                        f"not a folder or a zip file of OneRoster CSVs "
                                        f"({exc})")]) from exc

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str) -> bytes:
        if self.zip is not None:
            return self.zip.read(self.names[name])
        return Path(self.names[name]).read_bytes()

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()




def _records(text: str) -> Iterable[tuple[int, list[str]]]:
    """(first line number, fields) of each CSV record; line 1 is the header."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    start = 1
    for fields in reader:
        yield start, fields
        start = reader.line_num + 1


def _manifest(src: _Source, problems: Problems, notes: list[str]) -> dict[str, str] | None:
    """file -> mode from manifest.csv, or None when there is none."""
    name = "manifest.csv"
    if not src.has(name):
        notes.append("no manifest.csv: every OneRoster file present was read as bulk")
        return None
    text = decode_text(src.read(name), name, problems)
    try:
        records = list(_records(text))
    except csv.Error as exc:
        problems.add(name, None, None, f"not readable as CSV: {exc}")
        return None
    if not records or records[0][1][:2] != ["propertyName", "value"]:
        got = ",".join(records[0][1]) if records else "(empty file)"
        problems.add(name, 1, "propertyName",
                     f"header must be 'propertyName,value', found {got!r}")
        return None
    modes: dict[str, str] = {}
    for line, fields in records[1:]:
        if not fields:
            continue
        if len(fields) != 2:
            problems.add(name, line, "value", f"row has {len(fields)} fields, expected 2")
            continue
        prop, value = fields
        if prop == "oneroster.version" and value not in ("1.1", "1.2", "1.0"):
            notes.append(f"manifest.csv declares oneroster.version {value!r}")
        if not prop.startswith("file."):
            continue
        entity, mode = prop[5:], value.strip().lower()
        if mode not in _MANIFEST_MODES:
            problems.add(name, line, "value",
                         f"{prop} must be bulk, delta or absent, not {value!r}")
        else:
            modes[entity] = mode
    return modes


# ------------------------------------------------------------------ value checks

Checker = Callable[[str], tuple[object, str | None]]


def _check_date(v: str) -> tuple[object, str | None]:
    if not _DATE_RE.fullmatch(v):
        return None, f"{v!r} is not a date (YYYY-MM-DD)"
    try:
        date.fromisoformat(v)
    except ValueError:
        return None, f"{v!r} is not a real date"
    return v, None


def _check_datetime(v: str) -> tuple[object, str | None]:
    try:
        if not v[:4].isdigit():
            raise ValueError
        datetime.fromisoformat(v)
    except ValueError:
        return None, f"{v!r} is not an ISO 8601 date-time (e.g. 2025-08-04T06:00:00.000Z)"
    return v, None


def _check_bool(v: str) -> tuple[object, str | None]:
    low = v.lower()
    if low == "true":
        return 1, None
    if low == "false":
        return 0, None
    return None, f"{v!r} is not a boolean (true or false)"


def _check_year(v: str) -> tuple[object, str | None]:
    if len(v) == 4 and v.isdigit():
        return int(v), None
    return None, f"{v!r} is not a year (YYYY)"


#: Grade spellings read as their CEDS code: unpadded numbers ("9" is "09"), "K" for "KG".
_GRADE_ALIASES = {**{str(g): f"{g:02d}" for g in range(1, 14)}, "K": "KG", "k": "KG",
                  "kg": "KG", "pk": "PK", "tk": "TK", "ug": "UG", "ps": "PS"}


def _check_grades(v: str) -> tuple[object, str | None]:
    out = []
    for g in v.split(","):
        g = g.strip()
        g = _GRADE_ALIASES.get(g, g)
        if g not in GRADE_NUMBERS:
            return None, (f"{g!r} is not a CEDS grade level "
                          "(IT, PR, PK, TK, KG, 01-13, PS, UG, Other)")
        out.append(g)
    return ",".join(out), None


def _enum_checker(choices: tuple[str, ...]) -> Checker:
    allowed = set(choices)

    def check(v: str) -> tuple[object, str | None]:
        if v in allowed or (v.startswith("ext:") and len(v) > 4):
            return v, None
        return None, f"{v!r} is not one of {', '.join(choices)}"
    return check


def _checker(col: Col) -> Checker | None:
    return {"date": _check_date, "datetime": _check_datetime, "bool": _check_bool,
            "year": _check_year, "grades": _check_grades}.get(col.kind) or (
        _enum_checker(col.choices) if col.kind == "enum" else None)


def grade_of(grades: str | None) -> int | None:
    """The grade number (K = 0) of a OneRoster grades value: its lowest school grade."""
    if not grades:
        return None
    nums = [GRADE_NUMBERS.get(g.strip()) for g in grades.split(",")]
    nums = [n for n in nums if n is not None]
    return min(nums) if nums else None


# ------------------------------------------------------------------ reading one file


class _Known:
    """Ids per entity: this import's (as files are read) plus the store's for absent files."""

    def __init__(self, from_store: dict[str, set[str]]) -> None:
        self.ids: dict[str, set[str]] = {k: set(v) for k, v in from_store.items()}

    def has(self, entity: str, value: str) -> bool:
        return value in self.ids.get(entity, ())


@dataclass
class _FileResult:
    """What one file gave: store rows, data row count, 1.1 (user, role, orgs) triples, and
    for a delta file the (sourcedId, dateLastModified) of rows marked tobedeleted."""

    rows: list[dict] = field(default_factory=list)
    count: int = 0
    derived: list[tuple[str, str, str]] = field(default_factory=list)
    deletes: list[tuple[str, str | None]] = field(default_factory=list)


def _header(spec: FileSpec, raw: list[str], notes: list[str]) -> list[str]:
    """The header with published names restored where a file spells them in another case or
    with spaces (``SourcedId``, `` givenName``); every other column is kept as it is."""
    file = spec.file
    canonical = {c.name.lower(): c.name for c in spec.cols}
    out, renamed = [], []
    for name in raw:
        fixed = name.strip()
        if fixed not in canonical.values() and fixed.lower() in canonical:
            fixed = canonical[fixed.lower()]
        if fixed != name:
            renamed.append(f"{name!r} as {fixed!r}")
        out.append(fixed)
    if renamed:
        notes.append(f"{file}: column(s) read as the published names: {', '.join(renamed)}")
    return out


def _read_file(spec: FileSpec, text: str, known: _Known, problems: Problems,
               version: str, notes: list[str], mode: str = "bulk") -> _FileResult:
    """Validate one file and return what to store.

    Liberal in what it accepts: columns in any order, any case; a column OneRoster does not
    define is kept as an extension (with a note) rather than refused; unpadded grades ("9")
    are read as CEDS codes ("09"). In a delta file (manifest ``file.X,delta``) every row
    carries a status: ``active`` rows are added or updated, ``tobedeleted`` rows need only
    their sourcedId.
    """
    file = spec.file
    res = _FileResult()
    records = _records(text)
    try:
        _, raw_header = next(iter(records))
    except StopIteration:
        raw_header = []
    except csv.Error as exc:
        problems.add(file, 1, None, f"not readable as CSV: {exc}")
        return res
    header = _header(spec, raw_header, notes)
    by_name = {c.name: c for c in spec.cols}
    # ---- header
    seen: dict[str, int] = {}
    foreign = []
    unnamed = [i for i, name in enumerate(header) if not name]
    if unnamed:
        notes.append(f"{file}: {len(unnamed)} column(s) without a name (a trailing comma?) "
                     "ignored")
    for i, name in enumerate(header):
        if name in seen and name:
            problems.add(file, 1, name, f"column {name!r} appears twice "
                                        f"(columns {seen[name] + 1} and {i + 1})")
        seen.setdefault(name, i)
        if name and name not in by_name and not name.startswith("metadata."):
            foreign.append(name)
    if foreign:
        notes.append(f"{file}: column(s) OneRoster does not define kept as extensions: "
                     + ", ".join(foreign) + " (extension columns should start with "
                     "'metadata.')")
    required_cols = {"sourcedId"} | {c.name for c in spec.cols if c.required}
    if mode == "delta":
        required_cols.add("status")
    if spec.name == "users" and version == "1.1":
        required_cols |= set(USERS_11_COLUMNS)
    for name in sorted(required_cols - set(header), key=[c.name for c in spec.cols].index):
        problems.add(file, 1, name, f"missing required column {name!r}")
    # ---- per-column plan: (index, col, checker, required)
    plan = []
    extensions = []
    for i, name in enumerate(header):
        if seen.get(name) != i or not name:
            continue
        col = by_name.get(name)
        if col is None:
            extensions.append((i, name.removeprefix("metadata.")))
            continue
        required = col.required or (spec.name == "users" and version == "1.1"
                                    and col.name in USERS_11_COLUMNS)
        plan.append((i, col, _checker(col), required))
    key_idx = seen.get("sourcedId")
    status_idx = seen.get("status")
    dlm_idx = seen.get("dateLastModified")
    ncols = len(header)
    first_line: dict[str, int] = {}
    self_refs: list[tuple[int, str, str]] = []  # (line, field, value) to check after the file
    regraded = 0
    line = 1
    ids = known.ids.setdefault(spec.name, set()) if spec.name != "demographics" else set()
    try:
        for line, values in records:
            if not values or (len(values) == 1 and values[0] == "" and ncols > 1):
                continue  # blank line
            res.count += 1
            if len(values) != ncols:
                if len(values) < ncols:
                    problems.add(file, line, header[len(values)],
                                 f"row has {len(values)} fields, the header has {ncols}: "
                                 f"{header[len(values)]!r} and later fields are missing")
                else:
                    extra = values[ncols:]
                    problems.add(file, line, f"column {ncols + 1}",
                                 f"row has {len(values)} fields, the header has {ncols}: "
                                 f"extra value(s) {', '.join(map(repr, extra[:3]))}")
                if key_idx is not None and key_idx < len(values) and values[key_idx]:
                    ids.add(values[key_idx])  # so references to it are not also reported
                continue
            filled = [i for i in unnamed if values[i] != ""]
            if filled:
                problems.add(file, line, f"column {filled[0] + 1}",
                             f"value {values[filled[0]]!r} in a column without a name")
                continue
            status = values[status_idx].strip() if status_idx is not None else ""
            if mode == "delta" and status_idx is not None:
                if status not in ("active", "tobedeleted"):
                    problems.add(file, line, "status",
                                 f"{status!r}: in a delta file every row is 'active' (added "
                                 "or updated) or 'tobedeleted'" if status else
                                 "required value is empty: in a delta file every row is "
                                 "'active' (added or updated) or 'tobedeleted'")
                    continue
                if status == "tobedeleted":
                    key = values[key_idx] if key_idx is not None else ""
                    if not key:
                        problems.add(file, line, "sourcedId", "required value is empty")
                    elif key in first_line:
                        problems.add(file, line, "sourcedId",
                                     f"duplicate sourcedId {key!r} (first on line "
                                     f"{first_line[key]})")
                    else:
                        first_line[key] = line
                        dlm = values[dlm_idx] if dlm_idx is not None else ""
                        res.deletes.append((key, dlm or None))
                    continue
            row: dict[str, object] = {}
            ok = True
            for i, col, check, required in plan:
                v = values[i]
                if v == "":
                    if required:
                        problems.add(file, line, col.name, "required value is empty")
                        ok = False
                    if col.store_as:
                        row[col.store_as] = None
                    continue
                if check is not None:
                    value, err = check(v)
                    if err:
                        problems.add(file, line, col.name, err)
                        ok = False
                        continue
                    if col.kind == "grades" and value != v:
                        regraded += 1
                else:
                    value = v
                if col.ref:
                    refs = [r.strip() for r in v.split(",")] if col.kind == "refs" else [v]
                    for ref in refs:
                        if not ref:
                            problems.add(file, line, col.name, f"empty id in list {v!r}")
                            ok = False
                        elif col.ref == spec.name and spec.name != "demographics":
                            self_refs.append((line, col.name, ref))
                        elif not known.has(col.ref, ref):
                            problems.add(file, line, col.name,
                                         f"unknown {_NOUN[col.ref]} {ref!r}")
                            ok = False
                if col.store_as:
                    row[col.store_as] = value
            if key_idx is not None:
                key = values[key_idx]
                if key:
                    if key in first_line:
                        problems.add(file, line, "sourcedId",
                                     f"duplicate sourcedId {key!r} (first on line "
                                     f"{first_line[key]})")
                        ok = False
                    else:
                        first_line[key] = line
                        ids.add(key)
            if not ok or problems:
                continue  # once anything is wrong, rows are no longer kept (nothing is written)
            if extensions:
                ext = {n: values[i] for i, n in extensions if values[i] != ""}
                row["extensions"] = json.dumps(ext, sort_keys=True) if ext else None
            if spec.name in ("classes", "courses", "users"):
                row["grade"] = grade_of(row.get("grades"))  # type: ignore[arg-type]
            if spec.name == "users" and version == "1.1":
                org_ids = str(row.get("org_ids") or "")
                role = values[seen["role"]]
                res.derived.append((str(row["user_id"]), role, org_ids))
                first_org = org_ids.split(",")[0].strip() or None
                if not row.get("primary_org_id"):
                    row["primary_org_id"] = first_org
            res.rows.append(row)
    except csv.Error as exc:
        problems.add(file, line + 1, None, f"not readable as CSV: {exc}")
    for line, name, ref in self_refs:
        if ref not in ids and not known.has(spec.name, ref):
            problems.add(file, line, name, f"unknown {_NOUN[spec.name]} {ref!r}")
    if regraded:
        notes.append(f"{file}: {regraded} grades value(s) written another way (e.g. '9' or "
                     "'K') read as CEDS codes ('09', 'KG')")
    return res


_NOUN = {"orgs": "org", "academicSessions": "academic session", "courses": "course",
         "classes": "class", "users": "user", "roles": "role", "enrollments": "enrollment",
         "demographics": "user"}


def _roles_from_users_11(derived: list[tuple[str, str, str]]) -> list[dict]:
    """OneRoster 1.1 has no roles.csv: each user has one role at each of its orgs (the first
    org primary)."""
    out = []
    for user_id, role, org_ids in derived:
        for n, org in enumerate(o.strip() for o in org_ids.split(",") if o.strip()):
            out.append({"role_id": f"{user_id}|{role}|{org}", "user_id": user_id,
                        "role_type": "primary" if n == 0 else "secondary", "role": role,
                        "org_id": org, "user_profile_id": None, "begin_date": None,
                        "end_date": None, "status": None, "date_last_modified": None,
                        "extensions": None})
    return out


def _users_version(src: _Source, modes: dict[str, str] | None) -> str:
    """"1.1" when users.csv has the 1.1 role/orgSourcedIds columns and there is no roles.csv
    to read, else "1.2" (a 1.2 export that also carries the 1.1 columns reads its roles from
    roles.csv)."""
    if not src.has("users.csv"):
        return "1.2"
    head = src.read("users.csv").split(b"\n", 1)[0].decode("utf-8", "replace")
    try:
        header = [h.strip().lower()
                  for h in next(csv.reader([head.lstrip("\ufeff").rstrip("\r")]))]
    except (csv.Error, StopIteration):
        return "1.2"
    roles_read = src.has("roles.csv") and (modes is None or modes.get("roles") != "absent")
    has_11 = "role" in header or "orgsourcedids" in header
    return "1.1" if has_11 and not roles_read else "1.2"


# ------------------------------------------------------------------ public API


def read_roster(path: str | Path, *,
                known_ids: Callable[[str], set[str]] | None = None) -> Roster:
    """Read and validate a OneRoster CSV export (folder or .zip); raise InvalidRoster listing
    every problem, or return the rows to store.

    :param known_ids: ``entity -> ids already stored`` (e.g. ``"orgs"``); references may
        point to those when this export leaves that file out (manifest ``absent``) or sends
        only changes (``delta``). Only called for entities the export does not hold in full.
    """
    src = _Source(path)
    problems = Problems()
    roster = Roster(source=str(path), version="1.2")
    try:
        modes = _manifest(src, problems, roster.notes)
        version = _users_version(src, modes)
        roster.version = version
        if version == "1.1":
            roster.notes.append("OneRoster 1.1 layout: roles taken from users.csv "
                                "(role, orgSourcedIds)")
        to_read: list[str] = []
        for entity in ORDER:
            file = SPECS[entity].file
            mode = modes.get(entity) if modes is not None else (
                "bulk" if src.has(file) else "absent")
            if modes is not None and mode is None:
                mode = "bulk" if src.has(file) else "absent"
                if src.has(file):
                    roster.notes.append(f"{file} is not listed in manifest.csv; read as bulk")
            if mode in ("bulk", "delta"):
                if src.has(file):
                    to_read.append(entity)
                    roster.modes[entity] = mode
                else:
                    problems.add(file, None, None, f"manifest.csv lists this file as {mode} "
                                                   "but it is missing")
            elif src.has(file):
                roster.notes.append(f"{file} ignored: manifest.csv says it is absent")
        if modes:
            unused = sorted(k for k, m in modes.items() if m != "absent" and k not in SPECS)
            if unused:
                roster.notes.append("not used by Sounding: " + ", ".join(
                    f"{u}.csv" for u in unused))
        if (version == "1.2" and roster.modes.get("users") == "bulk"
                and "roles" not in to_read):
            problems.add("roles.csv", None, None, "missing: OneRoster 1.2 users.csv has no "
                                                  "role column, so roles.csv is required")
        if version == "1.2" and "users" in to_read and "roles" in to_read:
            head = src.read("users.csv").split(b"\n", 1)[0].decode("utf-8", "replace")
            names = {h.strip().strip('"').lower() for h in head.split(",")}
            if names & {"orgsourcedids", "role"}:
                roster.notes.append("users.csv also has OneRoster 1.1 columns (role, "
                                    "orgSourcedIds): roles are read from roles.csv")
        if not to_read and not problems:
            problems.add(src.path.name, None, None, "no OneRoster CSV files found "
                                                    "(orgs.csv, users.csv, ...)")
        store_ids = {k: known_ids(k) for k in ("orgs", "academicSessions", "courses", "classes",
                                               "users")
                     if roster.modes.get(k) != "bulk"} if known_ids else {}
        known = _Known(store_ids)
        for entity in ORDER:
            if entity not in to_read:
                continue
            spec = SPECS[entity]
            data = src.read(spec.file)
            roster.files[spec.file] = sha256_bytes(data)
            text = decode_text(data, spec.file, problems)
            res = _read_file(spec, text, known, problems, version, roster.notes,
                             roster.modes[entity])
            roster.file_rows[spec.file] = res.count
            roster.rows[spec.table] = res.rows
            if res.deletes:
                roster.deletes[spec.table] = res.deletes
            if res.derived:
                roster.rows["roles"] = _roles_from_users_11(res.derived)
                roster.modes.setdefault("roles", roster.modes[entity])
                known.ids["roles"] = {r["role_id"] for r in roster.rows["roles"]}
    finally:
        src.close()
    if problems:
        raise InvalidRoster(problems.final())
    tbd = sum(1 for rows in roster.rows.values() for r in rows if r.get("status") == "tobedeleted")
    if tbd:
        roster.notes.append(f"{tbd} row(s) marked tobedeleted: kept, but left out of the roster")
    return roster


def import_roster(store, path: str | Path) -> ImportReport:
    """Validate a OneRoster export and write it to ``store`` in one transaction.

    Bulk files are upserted by ``sourcedId``: importing the same export again leaves the same
    counts, and a corrected export updates rows in place. Delta files (manifest
    ``file.X,delta``, how nightly SIS syncs arrive) add and update their ``active`` rows and
    mark their ``tobedeleted`` rows so in the store (kept for the record, left out of the
    roster, like a bulk row marked so); the report's ``changes`` counts what was added,
    updated and deleted per table. On any problem nothing is written and
    :class:`~sounding.errors.InvalidRoster` lists every problem.
    """
    import sqlalchemy as sa

    from sounding.store.store import bulk_write, count_rows
    from sounding.store.tables import imports, metadata

    t0 = time.perf_counter()
    roster = read_roster(path, known_ids=lambda entity: _stored_ids(store, entity))
    report = ImportReport(kind="roster", source=str(path), notes=list(roster.notes))
    report.rows = dict(roster.file_rows)
    now = datetime.now()
    delta_tables = {SPECS[e].table for e, m in roster.modes.items() if m == "delta"}
    if "users" in delta_tables and roster.version == "1.1":
        delta_tables.add("roles")
    unknown_deletes = 0
    with store.begin() as conn:
        before = count_rows(store, conn)
        for table_name, rows in roster.rows.items():
            if not rows:
                continue
            tbl = metadata.tables[table_name]
            key = _KEY_OF[table_name]
            if table_name in delta_tables:
                existing = _existing_keys(conn, tbl.c[key], [r[key] for r in rows])
                change = report.changes.setdefault(table_name, _no_change())
                change["updated"] += sum(1 for r in rows if r[key] in existing)
                change["added"] += sum(1 for r in rows if r[key] not in existing)
            columns = [c.name for c in tbl.columns if c.name in rows[0]]
            data = [tuple(r.get(c) for c in columns) for r in rows]
            bulk_write(conn, tbl, columns=columns, rows=data, on_conflict="update")
        for table_name, deletes in roster.deletes.items():
            tbl = metadata.tables[table_name]
            col = tbl.c[_KEY_OF[table_name]]
            change = report.changes.setdefault(table_name, _no_change())
            existing = _existing_keys(conn, col, [k for k, _ in deletes])
            unknown_deletes += sum(1 for k, _ in deletes if k not in existing)
            for k, dlm in deletes:
                if k not in existing:
                    continue
                done = conn.execute(tbl.update().where(col == k).where(
                    sa.or_(tbl.c.status.is_(None), tbl.c.status != "tobedeleted"))
                    .values(status="tobedeleted", date_last_modified=dlm))
                change["deleted"] += done.rowcount or 0
        for file, digest in roster.files.items():
            conn.execute(imports.insert().values(kind="roster", file_name=file, sha256=digest,
                                                 rows=roster.file_rows.get(file, 0),
                                                 imported_at=now))
        after = count_rows(store, conn)
    report.counts = {k: after[k] for k in after if k in {s.table for s in SPECS.values()}}
    report.written = {k: after[k] - before[k] for k in report.counts if after[k] != before[k]}
    if delta_tables:
        modes = sorted(f"{SPECS[e].file} ({m})" for e, m in roster.modes.items())
        report.notes.append("delta export: " + ", ".join(modes))
        for table_name, ch in sorted(report.changes.items()):
            report.notes.append(f"{table_name}: {ch['added']} added, {ch['updated']} updated, "
                                f"{ch['deleted']} deleted")
    if unknown_deletes:
        report.notes.append(f"{unknown_deletes} tobedeleted row(s) name ids that are not in "
                            "the roster: nothing to delete")
    report.notes.append(f"OneRoster {roster.version}")
    report.seconds = time.perf_counter() - t0
    return report


_KEY_OF = {s.table: s.key for s in SPECS.values()}


def _no_change() -> dict[str, int]:
    return {"added": 0, "updated": 0, "deleted": 0}


def _existing_keys(conn, col, keys: list) -> set:
    """The keys among ``keys`` already stored in ``col`` (in chunks: SQLite bounds the number
    of parameters of one statement)."""
    import sqlalchemy as sa

    found: set = set()
    unique = sorted(set(keys))
    for i in range(0, len(unique), 900):
        found |= {r[0] for r in conn.execute(sa.select(col).where(col.in_(unique[i:i + 900])))}
    return found


def _stored_ids(store, entity: str) -> set[str]:
    """Ids of one OneRoster entity already in the store (references may point to them when
    an export leaves that file out or sends only changes)."""
    import sqlalchemy as sa

    from sounding.store.tables import metadata
    spec = SPECS[entity]
    col = metadata.tables[spec.table].c[spec.key]
    with store.engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.select(col))}
