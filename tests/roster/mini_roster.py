"""A tiny hand-written OneRoster 1.2 export (every line known) for roster and quality tests."""
# ruff: noqa: E501  (CSV headers are data: kept on one line, exactly as a file has them)

from __future__ import annotations

from pathlib import Path

DLM = "2025-08-04T06:00:00.000Z"

# One file per entry: header line, then data lines. Line numbers in tests follow this text:
# enrollments.csv line 2 is the first enrollment, and so on.
MINI = {
    "manifest.csv": """propertyName,value
manifest.version,1.0
oneroster.version,1.2
file.academicSessions,bulk
file.classes,bulk
file.courses,bulk
file.demographics,bulk
file.enrollments,bulk
file.orgs,bulk
file.roles,bulk
file.users,bulk
file.lineItems,absent
file.results,absent
""",
    "orgs.csv": f"""sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId
org-st,,{DLM},Colorado,state,CO,
org-d1,,{DLM},Riverbend District,district,0886555,org-st
sch-1,active,{DLM},Red Rock Elementary,school,0001,org-d1
sch-2,,{DLM},Blue Mesa Middle,school,0002,org-d1
""",
    "academicSessions.csv": f"""sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear
as-2026,,{DLM},2025-2026,schoolYear,2025-08-11,2026-06-05,,2026
as-2026-s1,,{DLM},Fall 2025,semester,2025-08-11,2025-12-21,as-2026,2026
""",
    "courses.csv": f"""sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes
crs-04,,{DLM},as-2026,Mathematics Grade 4,MATH-04,04,org-d1,Mathematics,
crs-kg,,{DLM},as-2026,Mathematics K,MATH-KG,KG,org-d1,Mathematics,
""",
    "classes.csv": f"""sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods
c-1,,{DLM},Math 4 - Lee,04,crs-04,M4-1,scheduled,Room 1,sch-1,as-2026,Mathematics,,
c-2,,{DLM},Math K - Diaz,KG,crs-kg,MK-1,scheduled,Room 2,sch-2,"as-2026,as-2026-s1",Mathematics,,1
""",
    "users.csv": f"""sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns
t-1,,{DLM},true,alee,,Ann,Lee,,E1,alee@example.org,,,,04,,,,,,,sch-1,
t-2,,{DLM},true,bdiaz,,Ben,Diaz,,E2,bdiaz@example.org,,,,KG,,,,,,,sch-2,
s-1,,{DLM},true,s1,,Ava,Ames,,001,,,,,04,,,,,,,sch-1,
s-2,,{DLM},true,s2,,Bo,Bell,,002,,,,,04,,,,,,,sch-1,
s-3,,{DLM},true,s3,,Cy,Cole,,003,,,,,KG,,,,,,,sch-2,
s-4,,{DLM},TRUE,s4,,Di,Dunn,,004,,,,,KG,,,,,,,sch-2,
""",
    "roles.csv": f"""sourcedId,status,dateLastModified,userSourcedId,roleType,role,orgSourcedId,userProfileSourcedId,beginDate,endDate
r-t-1,,{DLM},t-1,primary,teacher,sch-1,,2025-08-11,2026-06-05
r-t-2,,{DLM},t-2,primary,teacher,sch-2,,,
r-s-1,,{DLM},s-1,primary,student,sch-1,,,
r-s-2,,{DLM},s-2,primary,student,sch-1,,,
r-s-3,,{DLM},s-3,primary,student,sch-2,,,
r-s-4,,{DLM},s-4,primary,student,sch-2,,,
""",
    "enrollments.csv": f"""sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate
e-t-1,,{DLM},c-1,sch-1,t-1,teacher,true,2025-08-11,2026-06-05
e-t-2,,{DLM},c-2,sch-2,t-2,teacher,true,,
e-s-1,,{DLM},c-1,sch-1,s-1,student,false,,
e-s-2,,{DLM},c-1,sch-1,s-2,student,false,,
e-s-3,,{DLM},c-2,sch-2,s-3,student,false,,
e-s-4,,{DLM},c-2,sch-2,s-4,student,false,,
""",
    "demographics.csv": f"""sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus,metadata.englishLearner,metadata.disability,metadata.economicallyDisadvantaged,metadata.homeLanguage
s-1,,{DLM},2015-09-02,female,false,false,false,false,true,false,false,US,CO,,,false,false,true,en
s-2,,{DLM},2015-10-18,male,false,true,false,false,false,false,false,US,CO,,,true,false,false,
s-3,,{DLM},2020-01-31,male,false,false,true,false,false,false,true,US,CO,,,false,true,false,es
s-4,,{DLM},2020-03-01,female,false,false,false,false,true,false,false,,,,,false,false,false,
""",
}


def write_mini(folder: Path, files: dict[str, str] | None = None) -> Path:
    """Write the mini roster (optionally some files replaced) to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**MINI, **(files or {})}.items():
        if text is None:
            continue
        (folder / name).write_text(text, encoding="utf-8")
    return folder
