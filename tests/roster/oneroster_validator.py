"""A strict OneRoster 1.2 CSV validator, for tests of what Sounding WRITES.

Deliberately separate from the importer (which is liberal in what it accepts) and from the
writers' own column lists (``sounding.roster.export.SPEC_COLUMNS``): the lists below were
typed again from the OneRoster 1.2 CSV binding, so a writer cannot pass by sharing a mistake
with its validator. ``validate(folder)`` returns every violation as "file, line N, field:
message"; an empty list means the export is valid.

What it checks (strict reading of the 1.2 CSV binding):
- manifest.csv: header ``propertyName,value``; manifest.version 1.0; oneroster.version 1.2;
  every ``file.*`` property of 1.2 present, each bulk, delta or absent; a file is present if
  and only if the manifest says bulk or delta.
- every file: UTF-8 without BOM; the spec's columns, all of them, in the spec's order, then
  only ``metadata.*`` extension columns; every row as long as the header.
- bulk files: ``status`` and ``dateLastModified`` blank; delta files: status ``active`` or
  ``tobedeleted`` and dateLastModified an ISO 8601 date-time.
- required values present; enumerations, booleans (``true``/``false``), dates, years and
  CEDS grade codes well formed; ``subjects`` and ``subjectCodes`` with as many entries;
  sourcedIds unique; every reference resolves within the export.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

COLUMNS: dict[str, list[str]] = {
    "academicSessions": ["sourcedId", "status", "dateLastModified", "title", "type",
                         "startDate", "endDate", "parentSourcedId", "schoolYear"],
    "classes": ["sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
                "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds",
                "subjects", "subjectCodes", "periods"],
    "courses": ["sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
                "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes"],
    "demographics": ["sourcedId", "status", "dateLastModified", "birthDate", "sex",
                     "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
                     "nativeHawaiianOrOtherPacificIslander", "white",
                     "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity",
                     "countryOfBirthCode", "stateOfBirthAbbreviation", "cityOfBirth",
                     "publicSchoolResidenceStatus"],
    "enrollments": ["sourcedId", "status", "dateLastModified", "classSourcedId",
                    "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate",
                    "endDate"],
    "orgs": ["sourcedId", "status", "dateLastModified", "name", "type", "identifier",
             "parentSourcedId"],
    "roles": ["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
              "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId"],
    "users": ["sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
              "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
              "agentSourcedIds", "grades", "password", "userMasterIdentifier",
              "resourceSourcedIds", "preferredGivenName", "preferredMiddleName",
              "preferredFamilyName", "primaryOrgSourcedId", "pronouns"],
}
MANIFEST_FILES = ["academicSessions", "categories", "classes", "classResources", "courses",
                  "courseResources", "demographics", "enrollments",
                  "lineItemLearningObjectiveIds", "lineItems", "lineItemScoreScales", "orgs",
                  "resources", "resultLearningObjectiveIds", "results", "resultScoreScales",
                  "roles", "scoreScales", "userProfiles", "userResources", "users"]
REQUIRED = {
    "academicSessions": ["sourcedId", "title", "type", "startDate", "endDate", "schoolYear"],
    "classes": ["sourcedId", "title", "courseSourcedId", "classType", "schoolSourcedId",
                "termSourcedIds"],
    "courses": ["sourcedId", "title", "orgSourcedId"],
    "demographics": ["sourcedId"],
    "enrollments": ["sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"],
    "orgs": ["sourcedId", "name", "type"],
    "roles": ["sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"],
    "users": ["sourcedId", "enabledUser", "username", "givenName", "familyName"],
}
_EXT = r"ext:[A-Za-z0-9.\-_]+"
ENUMS = {
    ("orgs", "type"): ["department", "school", "district", "local", "state", "national"],
    ("academicSessions", "type"): ["gradingPeriod", "semester", "schoolYear", "term"],
    ("classes", "classType"): ["homeroom", "scheduled"],
    ("roles", "roleType"): ["primary", "secondary"],
    ("roles", "role"): ["aide", "counselor", "districtAdministrator", "guardian", "parent",
                        "principal", "proctor", "relative", "siteAdministrator", "student",
                        "systemAdministrator", "teacher"],
    ("enrollments", "role"): ["administrator", "proctor", "student", "teacher"],
    ("demographics", "sex"): ["male", "female", "unspecified", "other"],
}
BOOLEANS = {("users", "enabledUser"), ("enrollments", "primary")} | {
    ("demographics", c) for c in ("americanIndianOrAlaskaNative", "asian",
                                  "blackOrAfricanAmerican",
                                  "nativeHawaiianOrOtherPacificIslander", "white",
                                  "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity")}
DATES = {("academicSessions", "startDate"), ("academicSessions", "endDate"),
         ("roles", "beginDate"), ("roles", "endDate"), ("enrollments", "beginDate"),
         ("enrollments", "endDate"), ("demographics", "birthDate")}
GRADES = {("courses", "grades"), ("classes", "grades"), ("users", "grades")}
CEDS_GRADES = {"IT", "PR", "PK", "TK", "KG", *(f"{g:02d}" for g in range(1, 14)), "PS", "UG",
               "Other"}
#: (file, column) -> file the id (or comma list of ids) must be a sourcedId of
REFS = {
    ("orgs", "parentSourcedId"): "orgs",
    ("academicSessions", "parentSourcedId"): "academicSessions",
    ("courses", "schoolYearSourcedId"): "academicSessions",
    ("courses", "orgSourcedId"): "orgs",
    ("classes", "courseSourcedId"): "courses",
    ("classes", "schoolSourcedId"): "orgs",
    ("classes", "termSourcedIds"): "academicSessions",
    ("users", "agentSourcedIds"): "users",
    ("users", "primaryOrgSourcedId"): "orgs",
    ("roles", "userSourcedId"): "users",
    ("roles", "orgSourcedId"): "orgs",
    ("enrollments", "classSourcedId"): "classes",
    ("enrollments", "schoolSourcedId"): "orgs",
    ("enrollments", "userSourcedId"): "users",
    ("demographics", "sourcedId"): "users",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _entries(v: str) -> list[str]:
    return [x.strip() for x in v.split(",")] if v.strip() else []


def validate(folder: str | Path) -> list[str]:
    """Every way the OneRoster 1.2 CSV export in ``folder`` breaks the spec (strictly)."""
    folder = Path(folder)
    errors: list[str] = []

    def err(file: str, line: int | None, field: str | None, msg: str) -> None:
        where = ", ".join(x for x in (file, f"line {line}" if line else "", field or "") if x)
        errors.append(f"{where}: {msg}")

    tables: dict[str, tuple[list[str], list[tuple[int, list[str]]]]] = {}
    for path in sorted(folder.glob("*.csv")):
        data = path.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            err(path.name, 1, None, "starts with a byte order mark")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            err(path.name, None, None, f"not UTF-8: {exc}")
            continue
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        rows, header, start = [], [], 1
        try:
            for n, fields in enumerate(reader):
                if n == 0:
                    header = fields
                else:
                    rows.append((start, fields))
                start = reader.line_num + 1
        except csv.Error as exc:
            err(path.name, start, None, f"not valid CSV: {exc}")
        tables[path.stem] = (header, rows)
    # ---- manifest
    if "manifest" not in tables:
        err("manifest.csv", None, None, "missing")
        modes: dict[str, str] = {}
    else:
        header, rows = tables.pop("manifest")
        if header != ["propertyName", "value"]:
            err("manifest.csv", 1, None, f"header must be propertyName,value, not {header}")
        props = {}
        for line, fields in rows:
            if len(fields) != 2:
                err("manifest.csv", line, None, f"{len(fields)} fields, not 2")
                continue
            if fields[0] in props:
                err("manifest.csv", line, fields[0], "property given twice")
            props[fields[0]] = fields[1]
        if props.get("manifest.version") != "1.0":
            err("manifest.csv", None, "manifest.version", "must be 1.0")
        if props.get("oneroster.version") != "1.2":
            err("manifest.csv", None, "oneroster.version", "must be 1.2")
        modes = {}
        for f in MANIFEST_FILES:
            mode = props.get(f"file.{f}")
            if mode not in ("bulk", "delta", "absent"):
                err("manifest.csv", None, f"file.{f}", f"must be bulk, delta or absent, not "
                                                      f"{mode!r}")
                continue
            modes[f] = mode
            present = f in tables
            if mode == "absent" and present:
                err(f"{f}.csv", None, None, "present but the manifest says absent")
            if mode != "absent" and not present:
                err(f"{f}.csv", None, None, f"missing but the manifest says {mode}")
        for p in props:
            if p.startswith("file.") and p[5:] not in MANIFEST_FILES:
                err("manifest.csv", None, p, "not a OneRoster 1.2 file")
    # ---- files
    ids: dict[str, set[str]] = {}
    for name, (_header, rows) in tables.items():
        if name not in COLUMNS:
            if name not in MANIFEST_FILES:
                err(f"{name}.csv", None, None, "not a OneRoster 1.2 file")
            continue
        ids[name] = {r[0] for _, r in rows if r}
    for name, (header, rows) in tables.items():
        if name not in COLUMNS:
            continue
        file = f"{name}.csv"
        spec = COLUMNS[name]
        if header[:len(spec)] != spec:
            err(file, 1, None, f"columns must be, in this order: {','.join(spec)}; found "
                               f"{','.join(header[:len(spec)])}")
        for col in header[len(spec):]:
            if not col.startswith("metadata.") or col == "metadata.":
                err(file, 1, col, "a column the spec does not define must be named "
                                  "metadata.* and come after the spec's columns")
        if len(set(header)) != len(header):
            err(file, 1, None, "a column appears twice")
        mode = modes.get(name, "bulk")
        seen: dict[str, int] = {}
        for line, fields in rows:
            if len(fields) != len(header):
                err(file, line, None, f"{len(fields)} fields, the header has {len(header)}")
                continue
            row = dict(zip(header, fields, strict=True))
            if mode == "bulk":
                for c in ("status", "dateLastModified"):
                    if row.get(c):
                        err(file, line, c, f"must be blank in a bulk file, not {row[c]!r}")
            else:
                if row.get("status") not in ("active", "tobedeleted"):
                    err(file, line, "status", "must be active or tobedeleted in a delta file")
                try:
                    datetime.fromisoformat(row.get("dateLastModified", "").replace("Z",
                                                                                   "+00:00"))
                except ValueError:
                    err(file, line, "dateLastModified", "must be an ISO 8601 date-time in a "
                                                        "delta file")
            sid = row.get("sourcedId", "")
            if sid in seen:
                err(file, line, "sourcedId", f"duplicate (first on line {seen[sid]})")
            seen.setdefault(sid, line)
            if row.get("status") == "tobedeleted":
                continue
            for c in REQUIRED[name]:
                if not row.get(c):
                    err(file, line, c, "required value is empty")
            for c, v in row.items():
                if not v:
                    continue
                key = (name, c)
                choices = ENUMS.get(key)
                if choices and v not in choices and not re.fullmatch(_EXT, v):
                    err(file, line, c, f"{v!r} is not one of {', '.join(choices)}")
                if key in BOOLEANS and v not in ("true", "false"):
                    err(file, line, c, f"{v!r} is not true or false")
                if key in DATES:
                    try:
                        if not _DATE.fullmatch(v):
                            raise ValueError
                        date.fromisoformat(v)
                    except ValueError:
                        err(file, line, c, f"{v!r} is not a date YYYY-MM-DD")
                if key == ("academicSessions", "schoolYear") and not re.fullmatch(r"\d{4}", v):
                    err(file, line, c, f"{v!r} is not a year YYYY")
                if key in GRADES:
                    bad = [g for g in _entries(v) if g not in CEDS_GRADES]
                    if bad:
                        err(file, line, c, f"{bad} are not CEDS grade codes")
                target = REFS.get(key)
                if target:
                    for ref in _entries(v):
                        if ref not in ids.get(target, set()):
                            err(file, line, c, f"{ref!r} is not a sourcedId in {target}.csv")
            if name in ("courses", "classes"):
                ns, nc = len(_entries(row["subjects"])), len(_entries(row["subjectCodes"]))
                if ns != nc:
                    err(file, line, "subjectCodes", f"{nc} entries but subjects has {ns}")
    return errors
