"""Write the stored roster as a strict OneRoster 1.2 CSV bulk export.

    from sounding.roster.export import export_roster
    with Store.open("sounding.db") as store:
        summary = export_roster(store, "out/oneroster")

Strict in what we write, whatever we accepted: every file has the spec's columns in the
spec's order (``SPEC_COLUMNS``), ``status`` and ``dateLastModified`` blank (a bulk file), the
roster as it stands (rows marked ``tobedeleted`` left out), rows in ``sourcedId`` order, and
every column the spec does not define named ``metadata.*`` and placed last. The output is a
function of the stored roster alone, so export -> import -> export gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from sounding.errors import InvalidInput
from sounding.roster.oneroster import SPECS

#: OneRoster 1.2 CSV columns of each file we read and write, in the spec's order.
SPEC_COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs": ("sourcedId", "status", "dateLastModified", "name", "type", "identifier",
             "parentSourcedId"),
    "academicSessions": ("sourcedId", "status", "dateLastModified", "title", "type",
                         "startDate", "endDate", "parentSourcedId", "schoolYear"),
    "courses": ("sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
                "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes"),
    "classes": ("sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
                "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds",
                "subjects", "subjectCodes", "periods"),
    "users": ("sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
              "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
              "agentSourcedIds", "grades", "password", "userMasterIdentifier",
              "resourceSourcedIds", "preferredGivenName", "preferredMiddleName",
              "preferredFamilyName", "primaryOrgSourcedId", "pronouns"),
    "roles": ("sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
              "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId"),
    "enrollments": ("sourcedId", "status", "dateLastModified", "classSourcedId",
                    "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate",
                    "endDate"),
    "demographics": ("sourcedId", "status", "dateLastModified", "birthDate", "sex",
                     "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
                     "nativeHawaiianOrOtherPacificIslander", "white",
                     "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity",
                     "countryOfBirthCode", "stateOfBirthAbbreviation", "cityOfBirth",
                     "publicSchoolResidenceStatus"),
}
#: Every OneRoster 1.2 CSV file a manifest names (those we do not write are "absent").
MANIFEST_FILES = ("academicSessions", "categories", "classes", "classResources", "courses",
                  "courseResources", "demographics", "enrollments",
                  "lineItemLearningObjectiveIds", "lineItems", "lineItemScoreScales", "orgs",
                  "resources", "resultLearningObjectiveIds", "results", "resultScoreScales",
                  "roles", "scoreScales", "userProfiles", "userResources", "users")
#: subjectCodes for subjects stored without them: the SCED subject area code (02 =
#: Mathematics). OneRoster 1.2 wants one code per subject.
SUBJECT_CODES = {"mathematics": "02", "math": "02", "maths": "02"}
#: The order files are written in (and listed in the summary).
FILES = ("orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments",
         "demographics")


@dataclass
class ExportSummary:
    """What an export wrote: rows per file and the folder."""

    out_dir: str
    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"out_dir": self.out_dir, "rows": dict(self.rows), "files": list(self.files),
                "notes": list(self.notes)}


def _text(value: object, kind: str) -> str:
    if value is None:
        return ""
    if kind == "bool" or isinstance(value, bool):
        return "true" if bool(value) else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    """CSV as we write it: UTF-8, no BOM, ``\\n`` line ends, quotes only where needed."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def entity_table(store, entity: str) -> tuple[list[str], list[list[str]]]:
    """One OneRoster file of the stored roster: (header, rows), strict 1.2 bulk."""
    from sounding.store.tables import metadata

    spec = SPECS[entity]
    tbl = metadata.tables[spec.table]
    by_name = {c.name: c for c in spec.cols}
    with store.engine.connect() as conn:
        records = [r._mapping for r in conn.execute(sa.select(tbl))]
    records = [dict(r) for r in records if r.get("status") != "tobedeleted"]
    records.sort(key=lambda r: str(r[spec.key]))
    known_meta = [c.name for c in spec.cols if c.name.startswith("metadata.")]
    ext_rows = [json.loads(r["extensions"]) if r.get("extensions") else {} for r in records]
    if "subjects" in SPEC_COLUMNS[entity]:
        for r, ext in zip(records, ext_rows, strict=True):
            _pair_subject_codes(r, ext)
    extra = sorted({k for e in ext_rows for k in e} - {m[9:] for m in known_meta})
    header = [*SPEC_COLUMNS[entity], *known_meta, *(f"metadata.{k}" for k in extra)]
    out = []
    for r, ext in zip(records, ext_rows, strict=True):
        row = []
        for name in SPEC_COLUMNS[entity]:
            col = by_name.get(name)
            if name in ("status", "dateLastModified") or col is None or not col.store_as:
                row.append("")
            else:
                row.append(_text(r.get(col.store_as), col.kind))
        row += [_text(r.get(by_name[m].store_as), "bool") for m in known_meta]
        row += [str(ext.get(k, "")) for k in extra]
        out.append(row)
    return header, out


def _entries(v: object) -> list[str]:
    return [x.strip() for x in str(v).split(",")] if v else []


def _pair_subject_codes(r: dict, ext: dict) -> None:
    """Give every subject its code, as OneRoster 1.2 asks: a stored roster may have subjects
    without codes (a liberal import took them). Known subjects get their SCED subject area
    code; a list we cannot pair is moved, unchanged, to ``metadata.subjects`` /
    ``metadata.subjectCodes`` so nothing is lost and the spec's columns stay valid."""
    subjects, codes = _entries(r.get("subjects")), _entries(r.get("subject_codes"))
    if len(subjects) == len(codes):
        return
    if not codes and all(s.lower() in SUBJECT_CODES for s in subjects):
        r["subject_codes"] = ",".join(SUBJECT_CODES[s.lower()] for s in subjects)
        return
    ext["subjects"] = r.get("subjects") or ""
    ext["subjectCodes"] = r.get("subject_codes") or ""
    r["subjects"] = r["subject_codes"] = None


def _drop_dangling(tables: dict[str, tuple[list[str], list[list[str]]]]) -> int:
    """Leave out rows whose required references point at rows not exported (a user deleted
    by a delta leaves its roles, enrollments and demographics behind in the store) and blank
    optional references to them, so every reference of the export resolves. Returns the
    number of rows left out."""
    ids: dict[str, set[str]] = {}
    dropped = 0
    for entity in FILES:  # references point at files earlier in this order (or the same)
        header, rows = tables[entity]
        refs = [(header.index(c.name), c) for c in SPECS[entity].cols
                if c.ref and c.name in header]
        own = {r[0] for r in rows}
        kept = []
        for row in rows:
            ok = True
            for i, col in refs:
                if not row[i]:
                    continue
                pool = own if col.ref == entity and entity != "demographics" else ids.get(
                    col.ref, set())
                values = [v.strip() for v in row[i].split(",")] if col.kind == "refs" \
                    else [row[i]]
                good = [v for v in values if v in pool]
                if len(good) != len(values):
                    if col.required and not good:
                        ok = False
                        break
                    row[i] = ",".join(good)
            if ok:
                kept.append(row)
            else:
                dropped += 1
        tables[entity] = (header, kept)
        ids[entity] = {r[0] for r in kept}
    return dropped


def export_roster(store, out_dir: str | Path, *, system_name: str = "Sounding") -> ExportSummary:
    """Write the store's roster to ``out_dir`` as a OneRoster 1.2 CSV bulk export.

    The folder is created; OneRoster files already in it are replaced (anything else is left
    alone). Raises InvalidInput when ``out_dir`` is a file.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary(out_dir=str(out))
    tables = {entity: entity_table(store, entity) for entity in FILES}
    dropped = _drop_dangling(tables)
    if dropped:
        summary.notes.append(f"left out {dropped} row(s) that point at rows no longer in the "
                             "roster (marked tobedeleted)")
    for entity in FILES:
        header, rows = tables[entity]
        (out / f"{entity}.csv").write_text(csv_text(header, rows), encoding="utf-8")
        summary.rows[f"{entity}.csv"] = len(rows)
        summary.files.append(f"{entity}.csv")
    manifest = [["manifest.version", "1.0"], ["oneroster.version", "1.2"]]
    manifest += [[f"file.{f}", "bulk" if f in FILES else "absent"] for f in MANIFEST_FILES]
    manifest += [["source.systemName", system_name], ["source.systemCode", "sounding"]]
    (out / "manifest.csv").write_text(csv_text(["propertyName", "value"], manifest),
                                      encoding="utf-8")
    summary.files.insert(0, "manifest.csv")
    return summary
