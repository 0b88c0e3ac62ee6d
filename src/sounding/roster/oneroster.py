"""OneRoster 1.2 CSV (and 1.1) rosters: read, validate every row, then write in one go.

    from sounding.roster import import_roster, read_roster
    roster = read_roster("district/oneroster")      # or a .zip; raises InvalidRoster
    with Store.open("sounding.db") as store:
        report = import_roster(store, "district/oneroster")

Why it works this way:

- Columns are read by header name and every value stays a string: ids are ``sourcedId``\\s,
  grades are CEDS codes (``"04"``, ``"KG"``), and type guessing would damage both.
- The published column list is the contract. Extension columns must start with
  ``metadata.``; any other unknown column is reported (line 1, that field), because a
  surprise column usually means a misaligned or mislabelled export.
- Everything is checked before anything is written, and every problem is collected (file,
  line, field), so a district fixes its export once, not one error per attempt. A rejected
  roster changes nothing; an accepted one is written in one transaction, upserted by
  ``sourcedId`` so that importing the same export twice leaves the same rows.
- Files are read in dependency order (orgs before classes before enrollments), so each
  reference is checked the moment it is read, with its line, without holding references of
  millions of rows in memory.
- OneRoster 1.1 differs in users.csv (``orgSourcedIds`` and ``role`` columns, no roles.csv);
  the layout is detected from the users.csv header and 1.1 roles are derived from it.
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
        elif mode == "delta":
            problems.add(name, line, "value",
                         f"{prop} is 'delta': only bulk exports are supported; export the "
                         "full roster (bulk) instead")
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


def _check_grades(v: str) -> tuple[object, str | None]:
    for g in v.split(","):
        if g.strip() not in GRADE_NUMBERS:
            return None, (f"{g.strip()!r} is not a CEDS grade level "
                          "(IT, PR, PK, TK, KG, 01-13, PS, UG, Other)")
    return v, None


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


def _read_file(spec: FileSpec, text: str, known: _Known, problems: Problems,
               version: str) -> tuple[list[dict], int, list[tuple[str, str, str]]]:
    """Validate one file; return its store rows, its data row count and 1.1 (user, role,
    orgs) triples for the roles derived from users.csv."""
    file = spec.file
    records = _records(text)
    try:
        _, header = next(iter(records))
    except StopIteration:
        header = []
    except csv.Error as exc:
        problems.add(file, 1, None, f"not readable as CSV: {exc}")
        return [], 0, []
    by_name = {c.name: c for c in spec.cols}
    # ---- header
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in seen:
            problems.add(file, 1, name or f"column {i + 1}", f"column {name!r} appears twice "
                                        f"(columns {seen[name] + 1} and {i + 1})")
        seen.setdefault(name, i)
        if name not in by_name and not name.startswith("metadata."):
            hint = " (extension columns must start with 'metadata.')" if name else ""
            problems.add(file, 1, name or f"column {i + 1}",
                         f"unknown column {name!r}{hint}")
    required_cols = {"sourcedId", "status", "dateLastModified"} | {
        c.name for c in spec.cols if c.required}
    if spec.name == "users" and version == "1.1":
        required_cols |= set(USERS_11_COLUMNS)
        present = set(header)
        if present & _V12_ONLY:
            for name in sorted(present & _V12_ONLY):
                problems.add(file, 1, name, f"column {name!r} is OneRoster 1.2, but this "
                                            "users.csv has the 1.1 role/orgSourcedIds columns")
    for name in sorted(required_cols - set(header), key=[c.name for c in spec.cols].index):
        problems.add(file, 1, name, f"missing required column {name!r}")
    # ---- per-column plan: (index, col, checker, required)
    plan = []
    extensions = []
    for i, name in enumerate(header):
        if seen.get(name) != i:
            continue
        col = by_name.get(name)
        if col is None:
            if name.startswith("metadata."):
                extensions.append((i, name))
            continue
        required = col.required or (spec.name == "users" and version == "1.1"
                                    and col.name in USERS_11_COLUMNS)
        plan.append((i, col, _checker(col), required))
    key_idx = seen.get("sourcedId")
    ncols = len(header)
    rows: list[dict] = []
    first_line: dict[str, int] = {}
    self_refs: list[tuple[int, str, str]] = []  # (line, field, value) to check after the file
    derived: list[tuple[str, str, str]] = []
    count = 0
    line = 1
    ids = known.ids.setdefault(spec.name, set()) if spec.name != "demographics" else set()
    try:
        for line, values in records:
            if not values or (len(values) == 1 and values[0] == "" and ncols > 1):
                continue  # blank line
            count += 1
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
                ext = {n[9:]: values[i] for i, n in extensions if values[i] != ""}
                row["extensions"] = json.dumps(ext, sort_keys=True) if ext else None
            if spec.name in ("classes", "courses", "users"):
                row["grade"] = grade_of(row.get("grades"))  # type: ignore[arg-type]
            if spec.name == "users" and version == "1.1":
                org_ids = str(row.get("org_ids") or "")
                role = values[seen["role"]]
                derived.append((str(row["user_id"]), role, org_ids))
                first_org = org_ids.split(",")[0].strip() or None
                row["primary_org_id"] = first_org
            rows.append(row)
    except csv.Error as exc:
        problems.add(file, line + 1, None, f"not readable as CSV: {exc}")
    for line, name, ref in self_refs:
        if ref not in ids and not known.has(spec.name, ref):
            problems.add(file, line, name, f"unknown {_NOUN[spec.name]} {ref!r}")
    return rows, count, derived


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


def _users_version(src: _Source) -> str:
    """"1.1" when users.csv has the 1.1 role/orgSourcedIds columns, else "1.2"."""
    if not src.has("users.csv"):
        return "1.2"
    head = src.read("users.csv").split(b"\n", 1)[0].decode("utf-8", "replace")
    try:
        header = next(csv.reader([head.lstrip("\ufeff").rstrip("\r")]))
    except (csv.Error, StopIteration):
        return "1.2"
    return "1.1" if ("role" in header or "orgSourcedIds" in header) else "1.2"


# ------------------------------------------------------------------ public API


def read_roster(path: str | Path, *,
                known_ids: Callable[[str], set[str]] | None = None) -> Roster:
    """Read and validate a OneRoster CSV export (folder or .zip); raise InvalidRoster listing
    every problem, or return the rows to store.

    :param known_ids: ``entity -> ids already stored`` (e.g. ``"orgs"``); references may
        point to those when this export leaves that file out (manifest ``absent``). Only
        called for entities the export does not contain.
    """
    src = _Source(path)
    problems = Problems()
    roster = Roster(source=str(path), version="1.2")
    try:
        modes = _manifest(src, problems, roster.notes)
        version = _users_version(src)
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
            if mode == "bulk":
                if src.has(file):
                    to_read.append(entity)
                else:
                    problems.add(file, None, None, "manifest.csv lists this file as bulk but "
                                                   "it is missing")
            elif src.has(file):
                roster.notes.append(f"{file} ignored: manifest.csv says it is absent")
        if modes:
            unused = sorted(k for k, m in modes.items() if m == "bulk" and k not in SPECS)
            if unused:
                roster.notes.append("not used by Sounding: " + ", ".join(
                    f"{u}.csv" for u in unused))
        if "users" in to_read and version == "1.2" and "roles" not in to_read:
            problems.add("roles.csv", None, None, "missing: OneRoster 1.2 users.csv has no "
                                                  "role column, so roles.csv is required")
        if not to_read and not problems:
            problems.add(src.path.name, None, None, "no OneRoster CSV files found "
                                                    "(orgs.csv, users.csv, ...)")
        store_ids = {k: known_ids(k) for k in ("orgs", "academicSessions", "courses", "classes",
                                               "users") if k not in to_read} if known_ids else {}
        known = _Known(store_ids)
        for entity in ORDER:
            if entity not in to_read:
                continue
            spec = SPECS[entity]
            data = src.read(spec.file)
            roster.files[spec.file] = sha256_bytes(data)
            text = decode_text(data, spec.file, problems)
            rows, count, derived = _read_file(spec, text, known, problems, version)
            roster.file_rows[spec.file] = count
            roster.rows[spec.table] = rows
            if derived:
                roster.rows["roles"] = _roles_from_users_11(derived)
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

    Rows are upserted by ``sourcedId``: importing the same export again leaves the same
    counts, and a corrected export updates rows in place. On any problem nothing is written
    and :class:`~sounding.errors.InvalidRoster` lists every problem.
    """
    from sounding.store.store import bulk_write, count_rows
    from sounding.store.tables import imports, metadata

    t0 = time.perf_counter()
    roster = read_roster(path, known_ids=lambda entity: _stored_ids(store, entity))
    report = ImportReport(kind="roster", source=str(path), notes=list(roster.notes))
    report.rows = dict(roster.file_rows)
    now = datetime.now()
    with store.begin() as conn:
        before = count_rows(store, conn)
        for table_name, rows in roster.rows.items():
            if not rows:
                continue
            tbl = metadata.tables[table_name]
            columns = [c.name for c in tbl.columns if c.name in rows[0]]
            data = [tuple(r.get(c) for c in columns) for r in rows]
            bulk_write(conn, tbl, columns=columns, rows=data, on_conflict="update")
        for file, digest in roster.files.items():
            conn.execute(imports.insert().values(kind="roster", file_name=file, sha256=digest,
                                                 rows=roster.file_rows.get(file, 0),
                                                 imported_at=now))
        after = count_rows(store, conn)
    report.counts = {k: after[k] for k in after if k in {s.table for s in SPECS.values()}}
    report.written = {k: after[k] - before[k] for k in report.counts if after[k] != before[k]}
    report.notes.append(f"OneRoster {roster.version}")
    report.seconds = time.perf_counter() - t0
    return report


def _stored_ids(store, entity: str) -> set[str]:
    """Ids of one OneRoster entity already in the store (references may point to them when
    an export leaves that file out)."""
    import sqlalchemy as sa

    from sounding.store.tables import metadata
    spec = SPECS[entity]
    col = metadata.tables[spec.table].c[spec.key]
    with store.engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.select(col))}
