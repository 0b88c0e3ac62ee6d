"""The synthetic district: specification, structure and school-by-school generation.

A district is generated in three layers, each with its own random stream so that the output does
not depend on how the work is batched:

1. the *plan* (one stream for the district): schools, their size, poverty, effect, provider and
   which classes will have stale evidence;
2. per *school* (one stream per school, ``SeedSequence([seed, 1, school])``): the students,
   their demographics and every uniform the knowledge model will use, the classes' effects and
   weak topics, and then the responses;
3. the deterministic vectorised part: knowledge states for all students of a grade at once,
   Algebra I placement, class assignment, scale scores.

Chunks are groups of whole schools, so ``simulate_to_dir`` (streaming, bounded memory) writes
exactly the same files as ``write_district(simulate_district(spec))``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np
import pandas as pd
from scipy import stats

from sounding.errors import InvalidInput
from sounding.simulate import _names as names
from sounding.simulate.family import family_signals
from sounding.simulate.history import (
    SPRING_WINDOW_COLUMNS,
    TRUTH_SPAN_COLUMNS,
    WINDOW_ITEMS,
    spring_windows,
)
from sounding.simulate.knowledge import (
    ALGEBRA1,
    DEFAULT_PARAMS,
    ITEMS_PER_STANDARD,
    PROFICIENT_SHARE,
    TESTED_GRADES,
    Curriculum,
    KnowledgeParams,
    KnowledgeRun,
    achievement_level,
    default_curriculum,
    grade_level_share,
    scale_score,
    school_calendar,
    teach_days,
)

# ----------------------------------------------------------------------------- file columns
ORGS_COLUMNS = ["sourcedId", "status", "dateLastModified", "name", "type", "identifier",
                "parentSourcedId"]
SESSIONS_COLUMNS = ["sourcedId", "status", "dateLastModified", "title", "type", "startDate",
                    "endDate", "parentSourcedId", "schoolYear"]
COURSES_COLUMNS = ["sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
                   "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes"]
CLASSES_COLUMNS = ["sourcedId", "status", "dateLastModified", "title", "grades",
                   "courseSourcedId", "classCode", "classType", "location", "schoolSourcedId",
                   "termSourcedIds", "subjects", "subjectCodes", "periods"]
USERS_COLUMNS = ["sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
                 "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
                 "agentSourcedIds", "grades", "password", "userMasterIdentifier",
                 "resourceSourcedIds", "preferredGivenName", "preferredMiddleName",
                 "preferredFamilyName", "primaryOrgSourcedId", "pronouns"]
ROLES_COLUMNS = ["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
                 "orgSourcedId", "userProfileSourcedId", "beginDate", "endDate"]
ENROLLMENTS_COLUMNS = ["sourcedId", "status", "dateLastModified", "classSourcedId",
                       "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate",
                       "endDate"]
DEMOGRAPHICS_COLUMNS = ["sourcedId", "status", "dateLastModified", "birthDate", "sex",
                        "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
                        "nativeHawaiianOrOtherPacificIslander", "white",
                        "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity",
                        "countryOfBirthCode", "stateOfBirthAbbreviation", "cityOfBirth",
                        "publicSchoolResidenceStatus", "metadata.englishLearner",
                        "metadata.disability", "metadata.economicallyDisadvantaged"]
RESPONSES_COLUMNS = ["student_id", "item_id", "standard", "correct", "timestamp", "source"]
SCORES_COLUMNS = ["student_id", "year", "grade", "subject", "scale_score", "achievement_level"]
PROVIDERS_COLUMNS = ["provider_id", "school_id"]
TRUTH_STUDENTS_COLUMNS = ["student_id", "school_id", "class_id", "grade", "ability",
                          "race_ethnicity", "female", "english_learner", "disability",
                          "economically_disadvantaged", "proficient", "grade_level_share",
                          "algebra1", "algebra1_ready", "provider_id", "has_evidence",
                          "stale_class"]
WEAK_TOPICS_COLUMNS = ["class_id", "standard"]
TRUTH_PROVIDERS_COLUMNS = ["provider_id", "name", "effect"]

#: Race/ethnicity categories (federal reporting: Hispanic of any race first).
RACES = ("white", "hispanic", "black", "asian", "multi", "aian", "nhpi")
# P(race | not economically disadvantaged), P(race | disadvantaged): together about 45 % White,
# 28 % Hispanic, 15 % Black, 6 % Asian, 5 % two or more, 1 % AIAN, 0.5 % NHPI.
_RACE_P = np.array([
    [0.59, 0.17, 0.08, 0.09, 0.06, 0.005, 0.005],
    [0.30, 0.39, 0.21, 0.03, 0.05, 0.015, 0.005],
])
_UNDERSERVED = {"black", "hispanic", "aian", "nhpi"}

PROVIDER_NAMES = ("Pathways Math Collaborative", "Summit Personalized Learning",
                  "NumberSense Partners", "Ascend Math Lab", "Keystone Learning Models")


def grade_code(g: int) -> str:
    """CEDS grade code: 0 -> "KG", 4 -> "04"."""
    return "KG" if g == 0 else f"{g:02d}"


@dataclass(frozen=True)
class DistrictSpec:
    """What to simulate. Defaults give a believable mid-size US district's grades 3-8.

    ``n_students`` is split evenly across ``grades``; schools hold about
    ``elementary_grade_size`` (grades below 6) or ``middle_grade_size`` students per grade.
    ``school_year`` is the spring year (2026 = school year 2025-26). The knowledge model's
    parameters default to the calibrated set (``knowledge.DEFAULT_PARAMS``, from the calibration).
    """

    n_students: int = 2000
    seed: int = 0
    grades: tuple[int, ...] = (3, 4, 5, 6, 7, 8)
    students_per_class: int = 24
    elementary_grade_size: int = 80
    middle_grade_size: int = 260
    middle_grades: tuple[int, ...] = (6, 7, 8)
    weak_class_share: float = 0.15
    school_year: int = 2026
    state_code: str = "CO"
    state_name: str = "Colorado"
    state_fips: str = "08"
    district_name: str = "Riverbend School District"
    n_providers: int = 3
    provider_school_share: float = 0.35
    provider_effects: tuple[float, ...] = (0.25, 0.08, -0.08, 0.0, 0.0)
    algebra1_ready_share: float = 0.75
    algebra1_place_rate: float = 0.85
    algebra1_access_gap: float = 0.45
    no_evidence_share: float = 0.015
    n_stale_classes: int | None = None
    #: The spring check of each of the last two springs (:mod:`sounding.simulate.history`):
    #: items per student per spring (0: none) and the grades (this year's) that take it.
    spring_window_items: int = WINDOW_ITEMS
    spring_window_grades: tuple[int, ...] = (3, 4, 5, 6, 7, 8)
    knowledge: KnowledgeParams = field(default=DEFAULT_PARAMS)

    def __post_init__(self) -> None:
        grades = tuple(sorted({int(g) for g in self.grades}))
        object.__setattr__(self, "grades", grades)
        problems = []
        if not grades or grades[0] < 0 or grades[-1] > 8:
            problems.append("grades must be within K-8 (0..8)")
        if self.n_students < max(1, len(grades)):
            problems.append("n_students must be at least the number of grades")
        if self.students_per_class < 2:
            problems.append("students_per_class must be at least 2")
        if self.elementary_grade_size < 5 or self.middle_grade_size < 5:
            problems.append("school grade sizes must be at least 5")
        if not 0 <= self.weak_class_share <= 1:
            problems.append("weak_class_share must be within [0, 1]")
        if self.spring_window_items < 0:
            problems.append("spring_window_items must be 0 or more")
        if not 0 <= self.n_providers <= len(PROVIDER_NAMES):
            problems.append(f"n_providers must be within 0..{len(PROVIDER_NAMES)}")
        if problems:
            raise InvalidInput("; ".join(problems))

    @property
    def slug(self) -> str:
        return self.district_name.split()[0].lower()


@dataclass(frozen=True)
class SchoolPlan:
    """One school of the plan (drawn from the district's stream)."""

    index: int
    school_id: str
    name: str
    level: str  # "elementary" | "middle"
    identifier: str
    grade_sizes: tuple[tuple[int, int], ...]
    first_student: int
    poverty: float
    effect: float
    provider: int | None
    stale_grades: tuple[int, ...]

    @property
    def n_students(self) -> int:
        return sum(n for _, n in self.grade_sizes)

    @property
    def grades(self) -> tuple[int, ...]:
        return tuple(g for g, _ in self.grade_sizes)

    @property
    def lowest_grade(self) -> int:
        """First grade the school serves in reality (K for elementary, 6 for middle)."""
        return 6 if self.level == "middle" else 0


@dataclass(frozen=True)
class DistrictPlan:
    spec: DistrictSpec
    schools: tuple[SchoolPlan, ...]
    providers: tuple[tuple[str, str, float], ...]  # (provider_id, name, effect)
    district_id: str
    state_id: str
    district_identifier: str

    @property
    def n_students(self) -> int:
        return sum(s.n_students for s in self.schools)


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder split of ``total`` in proportion to ``weights``."""
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(np.int64)
    rest = total - out.sum()
    if rest:
        out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out


def plan_district(spec: DistrictSpec) -> DistrictPlan:
    """Schools, sizes, poverty, effects, providers and stale classes (cheap, global)."""
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 0]))
    kp = spec.knowledge
    n_g = len(spec.grades)
    per_grade = {g: spec.n_students // n_g + (1 if i < spec.n_students % n_g else 0)
                 for i, g in enumerate(spec.grades)}
    levels = [("elementary", [g for g in spec.grades if g not in spec.middle_grades],
               spec.elementary_grade_size),
              ("middle", [g for g in spec.grades if g in spec.middle_grades],
               spec.middle_grade_size)]
    fips = spec.state_fips
    district_identifier = f"{fips}{int(rng.integers(10000, 99999)):05d}"
    raw: list[tuple[str, dict[int, int]]] = []
    for level, grades, size in levels:
        if not grades:
            continue
        mean = np.mean([per_grade[g] for g in grades])
        n_sch = max(1, int(round(mean / size)))
        weights = rng.lognormal(0.0, 0.3, n_sch)
        split = {g: _split(per_grade[g], weights) for g in grades}
        for k in range(n_sch):
            raw.append((level, {g: int(split[g][k]) for g in grades if split[g][k] > 0}))
    n_sch = len(raw)
    # Stratified poverty and centred school effects: schools differ as much as in a real
    # district, but the district as a whole stays on the calibrated (NAEP) level instead of
    # drifting by several points with the luck of a few school draws.
    # Both are balanced within each school level (elementary, middle), weighted by enrolment.
    level_of = np.array([lv for lv, _ in raw])
    size = np.array([sum(gs.values()) for _, gs in raw], dtype=np.float64)
    poverty = np.zeros(n_sch)
    z = rng.standard_normal(n_sch)
    for lv in ("elementary", "middle"):
        m = np.flatnonzero(level_of == lv)
        if m.size == 0:
            continue
        strata = (rng.permutation(m.size) + rng.random(m.size)) / m.size
        poverty[m] = np.clip(stats.beta.ppf(strata, 2.0, 2.0), 0.03, 0.97)
        z[m] -= np.average(z[m], weights=size[m])  # one school alone: a typical school
        poverty[m] += 0.5 - np.average(poverty[m], weights=size[m])
    poverty = np.clip(poverty, 0.03, 0.97)
    effect = kp.school_sd * z + kp.poverty_slope * (poverty - 0.5)
    name_pick = rng.permutation(max(n_sch, len(names.SCHOOL_NAMES)))
    prov_u = rng.random(n_sch)
    prov_pick = rng.integers(0, max(spec.n_providers, 1), n_sch)
    n_classes = [sum(max(1, round(n / spec.students_per_class)) for n in gs.values())
                 for _, gs in raw]
    n_stale = spec.n_stale_classes
    if n_stale is None:
        n_stale = 1 if sum(n_classes) < 60 else 2
    stale_school = rng.permutation(n_sch)[: min(n_stale, n_sch)]
    stale_grade_u = rng.random(n_sch)

    schools: list[SchoolPlan] = []
    first = 0
    used: dict[str, int] = {}
    for i, (level, gs) in enumerate(raw):
        base = names.SCHOOL_NAMES[name_pick[i] % len(names.SCHOOL_NAMES)]
        used[base] = used.get(base, 0) + 1
        label = base if used[base] == 1 else f"{base} {used[base]}"
        kind = "Elementary School" if level == "elementary" else "Middle School"
        share = spec.provider_school_share * (1.0 if level == "middle" else 0.4)
        provider = int(prov_pick[i]) if spec.n_providers and prov_u[i] < share else None
        grades = sorted(gs)
        stale = (grades[int(stale_grade_u[i] * len(grades))],) if i in set(stale_school) else ()
        schools.append(SchoolPlan(
            index=i, school_id=f"sch-{i + 1:04d}", name=f"{label} {kind}", level=level,
            identifier=f"{district_identifier}{i + 1:05d}",
            grade_sizes=tuple((g, gs[g]) for g in grades), first_student=first,
            poverty=float(poverty[i]), effect=float(effect[i]), provider=provider,
            stale_grades=stale,
        ))
        first += sum(gs.values())
    providers = tuple(
        (f"prv-{k + 1:02d}", PROVIDER_NAMES[k],
         float(spec.provider_effects[k]) if k < len(spec.provider_effects) else 0.0)
        for k in range(spec.n_providers)
    )
    return DistrictPlan(spec=spec, schools=tuple(schools), providers=providers,
                        district_id="org-dst-0001", state_id=f"org-st-{spec.state_code.lower()}",
                        district_identifier=district_identifier)


# ----------------------------------------------------------------------------- the result
@dataclass
class District:
    """A simulated district in memory: what a district hands over, plus the ground truth.

    The OneRoster tables, ``responses``, ``scores`` and ``providers`` are what an importer sees;
    ``truth_*`` and ``weak_topics`` are the simulator's ground truth for checking estimators.
    """

    spec: DistrictSpec
    orgs: pd.DataFrame
    academic_sessions: pd.DataFrame
    courses: pd.DataFrame
    classes: pd.DataFrame
    users: pd.DataFrame
    roles: pd.DataFrame
    enrollments: pd.DataFrame
    demographics: pd.DataFrame
    responses: pd.DataFrame
    scores: pd.DataFrame
    providers: pd.DataFrame
    truth_students: pd.DataFrame
    truth_mastery: pd.DataFrame
    weak_topics: pd.DataFrame
    truth_providers: pd.DataFrame
    family_signals: pd.DataFrame | None = None
    #: Item responses of a spring check in each of the last two springs
    #: (:mod:`sounding.simulate.history`), and the truth about each student's grade span.
    spring_windows: pd.DataFrame | None = None
    truth_span: pd.DataFrame | None = None

    def oneroster(self) -> dict[str, pd.DataFrame]:
        """OneRoster file name -> table (manifest excluded)."""
        return {
            "orgs.csv": self.orgs, "academicSessions.csv": self.academic_sessions,
            "courses.csv": self.courses, "classes.csv": self.classes, "users.csv": self.users,
            "roles.csv": self.roles, "enrollments.csv": self.enrollments,
            "demographics.csv": self.demographics,
        }

    @property
    def students(self) -> pd.DataFrame:
        return self.truth_students

    def proficiency_by_grade(self) -> pd.Series:
        """Share of students proficient on grade-level standards (the truth), per grade."""
        return self.truth_students.groupby("grade")["proficient"].mean()

    def mastery_long(self) -> pd.DataFrame:
        """The truth as (student_id, standard, mastered) rows."""
        return mastery_long(self.truth_mastery)


def mastery_long(wide: pd.DataFrame) -> pd.DataFrame:
    """Wide truth (student_id + one bool column per standard) to long rows."""
    codes = [c for c in wide.columns if c != "student_id"]
    m = wide[codes].to_numpy(dtype=bool)
    return pd.DataFrame({
        "student_id": np.repeat(wide["student_id"].to_numpy(dtype=object), len(codes)),
        "standard": np.tile(np.array(codes, dtype=object), len(wide)),
        "mastered": m.reshape(-1),
    })


# ----------------------------------------------------------------------------- global tables
def _dlm(spec: DistrictSpec) -> str:
    return f"{school_calendar(spec.school_year)['last_modified'].isoformat()}T06:00:00.000Z"


def global_tables(plan: DistrictPlan) -> dict[str, pd.DataFrame]:
    """Orgs, academic sessions, courses and providers: small, written once."""
    spec = plan.spec
    dlm = _dlm(spec)
    cal = school_calendar(spec.school_year)
    sy = spec.school_year
    orgs = [[plan.state_id, "", dlm, spec.state_name, "state", spec.state_code, ""],
            [plan.district_id, "", dlm, spec.district_name, "district",
             plan.district_identifier, plan.state_id]]
    orgs += [[s.school_id, "", dlm, s.name, "school", s.identifier, plan.district_id]
             for s in plan.schools]
    date_mid = cal["winter_break"] + timedelta(days=1)
    sessions = [
        [f"as-{sy}", "", dlm, f"{sy - 1}-{sy}", "schoolYear", cal["start"].isoformat(),
         cal["end"].isoformat(), "", str(sy)],
        [f"as-{sy}-s1", "", dlm, f"Fall {sy - 1}", "semester", cal["start"].isoformat(),
         date_mid.isoformat(), f"as-{sy}", str(sy)],
        [f"as-{sy}-s2", "", dlm, f"Spring {sy}", "semester", cal["winter_return"].isoformat(),
         cal["end"].isoformat(), f"as-{sy}", str(sy)],
    ]
    courses = [[course_id(g), "", dlm, f"as-{sy}", course_title(g), course_code(g),
                grade_code(g), plan.district_id, "Mathematics", ""] for g in spec.grades]
    if 8 in spec.grades and any(s.level == "middle" and 8 in s.grades for s in plan.schools):
        courses.append([course_id(ALGEBRA1), "", dlm, f"as-{sy}", course_title(ALGEBRA1),
                        course_code(ALGEBRA1), "08", plan.district_id, "Mathematics", ""])
    prov_ids = [p[0] for p in plan.providers]
    providers = [[prov_ids[s.provider], s.school_id] for s in plan.schools
                 if s.provider is not None]
    return {
        "orgs": pd.DataFrame(orgs, columns=ORGS_COLUMNS),
        "academic_sessions": pd.DataFrame(sessions, columns=SESSIONS_COLUMNS),
        "courses": pd.DataFrame(courses, columns=COURSES_COLUMNS),
        "providers": pd.DataFrame(providers, columns=PROVIDERS_COLUMNS),
        "truth_providers": pd.DataFrame([list(p) for p in plan.providers],
                                        columns=TRUTH_PROVIDERS_COLUMNS),
    }


def course_id(g: int) -> str:
    return "crs-alg1" if g == ALGEBRA1 else f"crs-math-{grade_code(g).lower()}"


def course_code(g: int) -> str:
    return "MATH-ALG1" if g == ALGEBRA1 else f"MATH-{grade_code(g)}"


def course_title(g: int) -> str:
    if g == ALGEBRA1:
        return "Algebra I"
    return "Mathematics Kindergarten" if g == 0 else f"Mathematics Grade {g}"


# ----------------------------------------------------------------------------- per school draws
@dataclass
class _SchoolDraws:
    """Everything random about one school's students, drawn in a fixed order."""

    school: SchoolPlan
    rng: np.random.Generator
    grade: np.ndarray
    u_demo: np.ndarray  # (n, 8)
    u_name: np.ndarray  # (n, 3)
    ability_z: np.ndarray
    year_noise: np.ndarray  # (n, 9)
    u_learn: np.ndarray  # (n, S) float32
    u_catch: np.ndarray
    u_misc: np.ndarray  # (n, 6): place, class key, no evidence, score missing x3
    score_noise: np.ndarray  # (n, 3)
    pool: int
    class_effect: np.ndarray  # (grades, 2, pool)
    class_u: np.ndarray  # (grades, 2, pool, 8)


def _draw_school(spec: DistrictSpec, school: SchoolPlan, n_std: int) -> _SchoolDraws:
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 1, school.index]))
    grade = np.repeat([g for g, _ in school.grade_sizes], [n for _, n in school.grade_sizes])
    n = grade.size
    pool = max(n for _, n in school.grade_sizes) + 1
    return _SchoolDraws(
        school=school, rng=rng, grade=grade,
        u_demo=rng.random((n, 8)), u_name=rng.random((n, 3)),
        ability_z=rng.standard_normal(n), year_noise=rng.standard_normal((n, 9)),
        u_learn=rng.random((n, n_std), dtype=np.float32),
        u_catch=rng.random((n, n_std), dtype=np.float32),
        u_misc=rng.random((n, 6)), score_noise=rng.standard_normal((n, 3)), pool=pool,
        class_effect=rng.standard_normal((len(school.grade_sizes), 2, pool)),
        class_u=rng.random((len(school.grade_sizes), 2, pool, 8)),
    )


# ----------------------------------------------------------------------------- a chunk
@dataclass
class _Students:
    """Chunk-level student arrays (school-major, the global student order)."""

    gid: np.ndarray
    school: np.ndarray  # index into the chunk's school list
    grade: np.ndarray
    female: np.ndarray
    race: np.ndarray  # index into RACES
    hispanic: np.ndarray
    race_flags: np.ndarray  # (n, 6): aian, asian, black, nhpi, white, multi
    el: np.ndarray
    swd: np.ndarray
    econ: np.ndarray
    older: np.ndarray
    ability: np.ndarray


def _demographics(kp: KnowledgeParams, draws: list[_SchoolDraws]) -> _Students:
    gid = np.concatenate([d.school.first_student + np.arange(d.grade.size) for d in draws])
    school = np.concatenate([np.full(d.grade.size, k) for k, d in enumerate(draws)])
    grade = np.concatenate([d.grade for d in draws])
    u = np.concatenate([d.u_demo for d in draws])
    poverty = np.array([d.school.poverty for d in draws])[school]
    econ = u[:, 0] < poverty
    cum = np.cumsum(_RACE_P, axis=1)[econ.astype(int)]
    race = (u[:, [1]] > cum).sum(axis=1).clip(0, len(RACES) - 1)
    rname = np.array(RACES)[race]
    hispanic = rname == "hispanic"
    female = u[:, 4] >= 0.51
    el_p = np.select([rname == "hispanic", rname == "asian"], [0.30, 0.22], 0.02) + 0.05 * econ
    el = u[:, 2] < el_p
    swd = u[:, 3] < np.where(female, 0.11, 0.17)
    older = u[:, 5] < 0.02
    v = u[:, 6]
    multi = rname == "multi"
    flags = np.zeros((grade.size, 6), dtype=bool)  # aian, asian, black, nhpi, white, multi
    flags[:, 0] = (rname == "aian") | (hispanic & (v > 0.93)) | (multi & (v > 0.8))
    flags[:, 1] = (rname == "asian") | (multi & (v < 0.3))
    flags[:, 2] = (rname == "black") | (multi & (v >= 0.3) & (v <= 0.8))
    flags[:, 3] = rname == "nhpi"
    flags[:, 4] = (rname == "white") | (hispanic & (v < 0.55)) | multi
    flags[:, 5] = multi
    shift = np.array([kp.race_shift(r) for r in RACES])[race]
    ability = (kp.ability_sd * np.concatenate([d.ability_z for d in draws]) + shift
               + kp.shift_econ * econ + kp.shift_el * el + kp.shift_swd * swd)
    return _Students(gid=gid, school=school, grade=grade, female=female, race=race,
                     hispanic=hispanic, race_flags=flags, el=el, swd=swd, econ=econ,
                     older=older, ability=ability)


@dataclass
class _Classes:
    """The chunk's classes (one row per class) and each student's class."""

    table: pd.DataFrame  # school, grade, track, section, class_id, stale, weak topic cols, u
    student_class: np.ndarray  # row index into table per student


def _assign_classes(spec: DistrictSpec, draws: list[_SchoolDraws], st: _Students,
                    placed: np.ndarray, u_key: np.ndarray) -> _Classes:
    """Split each (school, grade, track) into sections of about ``students_per_class``."""
    track = placed.astype(np.int64)
    order = np.lexsort((u_key, track, st.grade, st.school))
    s, g, t = st.school[order], st.grade[order], track[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (s[1:] != s[:-1]) | (g[1:] != g[:-1]) | (t[1:] != t[:-1])
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, order.size))
    grp = np.cumsum(new) - 1
    rank = np.arange(order.size) - starts[grp]
    n_sec = np.maximum(1, np.rint(sizes / spec.students_per_class)).astype(np.int64)
    sec = rank * n_sec[grp] // sizes[grp]
    rows = []
    first_row = np.zeros(starts.size, dtype=np.int64)
    for k, i0 in enumerate(starts):
        first_row[k] = len(rows)
        d = draws[s[i0]]
        gpos = d.school.grades.index(int(g[i0]))
        for q in range(n_sec[k]):
            rows.append((int(s[i0]), int(g[i0]), int(t[i0]), q, gpos))
    table = pd.DataFrame(rows, columns=["school", "grade", "track", "section", "gpos"])
    student_class = np.empty(order.size, dtype=np.int64)
    student_class[order] = first_row[grp] + sec
    ids, effect, weak_u, topic_u, stale, u_more = [], [], [], [], [], []
    for r in table.itertuples(index=False):
        d = draws[r.school]
        num = d.school.index + 1
        ids.append(f"cls-{num:04d}-a1-{r.section + 1:02d}" if r.track
                   else f"cls-{num:04d}-{grade_code(r.grade).lower()}-{r.section + 1:02d}")
        effect.append(d.class_effect[r.gpos, r.track, r.section])
        cu = d.class_u[r.gpos, r.track, r.section]
        weak_u.append(cu[0])
        topic_u.append(cu[1])
        u_more.append(cu[2:])
        stale.append(bool(r.track == 0 and r.section == 0 and r.grade in d.school.stale_grades))
    table["class_id"] = ids
    table["effect"] = effect
    table["weak"] = np.array(weak_u) < spec.weak_class_share
    table["topic_u"] = topic_u
    table["stale"] = stale
    u_more_arr = np.array(u_more).reshape(len(table), 6)
    for k in range(6):
        table[f"u{k}"] = u_more_arr[:, k]
    return _Classes(table=table, student_class=student_class)


@dataclass
class _Chunk:
    """Frames for one chunk of whole schools."""

    classes: pd.DataFrame
    users: pd.DataFrame
    roles: pd.DataFrame
    enrollments: pd.DataFrame
    demographics: pd.DataFrame
    responses: pd.DataFrame
    scores: pd.DataFrame
    truth_students: pd.DataFrame
    truth_mastery: pd.DataFrame
    weak_topics: pd.DataFrame
    family_signals: pd.DataFrame
    spring_windows: pd.DataFrame
    truth_span: pd.DataFrame


@dataclass
class _Knowledge:
    """The chunk's knowledge states (end of this year, last year, the year before) and what
    depends on them: Algebra I placement and readiness, the classes, grade-level shares."""

    final: np.ndarray
    prev1: np.ndarray
    prev2: np.ndarray
    placed: np.ndarray
    ready: np.ndarray
    classes: _Classes
    share: np.ndarray = field(default_factory=lambda: np.zeros(0))
    proficient: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


def _knowledge(spec: DistrictSpec, cur: Curriculum, draws: list[_SchoolDraws], st: _Students,
               u_misc: np.ndarray) -> _Knowledge:
    """Knowledge states for the chunk, all students of a grade at once.

    Years before the current one first; then Algebra I placement (from last year's state),
    class assignment (which needs placement) and the current year with class effects and weak
    topics.
    """
    kp = spec.knowledge
    n = st.gid.size
    final = np.zeros((n, cur.n), dtype=bool)
    prev1 = np.zeros((n, cur.n), dtype=bool)
    prev2 = np.zeros((n, cur.n), dtype=bool)
    placed = np.zeros(n, dtype=bool)
    ready = np.zeros(n, dtype=bool)
    u_learn = np.concatenate([d.u_learn for d in draws])
    u_catch = np.concatenate([d.u_catch for d in draws])
    noise = np.concatenate([d.year_noise for d in draws]) * kp.year_noise_sd
    s_effect = np.array([d.school.effect for d in draws])[st.school]
    lowest = np.array([d.school.lowest_grade for d in draws])[st.school]
    middle = np.array([d.school.level == "middle" for d in draws])[st.school]
    prov_eff = np.array([0.0 if d.school.provider is None
                         else spec.provider_effects[d.school.provider]
                         if d.school.provider < len(spec.provider_effects) else 0.0
                         for d in draws])[st.school]
    rname = np.array(RACES)[st.race]
    under = st.econ | st.el | np.isin(rname, list(_UNDERSERVED))
    runs: dict[int, tuple[np.ndarray, KnowledgeRun]] = {}
    for g in np.unique(st.grade):
        rows = np.flatnonzero(st.grade == g)
        run = KnowledgeRun(cur, kp, st.ability[rows], u_learn[rows], u_catch[rows])
        for t in range(int(g)):
            if t:
                run.catch_up(t)
            eff = noise[rows, t] + np.where(t >= lowest[rows], s_effect[rows], 0.0)
            run.learn_year(t, eff)
            if t == g - 1:
                prev1[rows] = run.state
            if t == g - 2:
                prev2[rows] = run.state
        if g == 8:
            share7 = grade_level_share(prev1[rows], cur, 7)
            r = share7 >= spec.algebra1_ready_share
            p = np.where(r, spec.algebra1_place_rate
                         * np.where(under[rows], spec.algebra1_access_gap, 1.0), 0.02)
            placed[rows] = middle[rows] & (u_misc[rows, 0] < p)
        runs[int(g)] = (rows, run)
    classes = _assign_classes(spec, draws, st, placed, u_misc[:, 1])
    ct = classes.table
    c_eff = ct["effect"].to_numpy() * kp.class_sd
    for g, (rows, run) in runs.items():
        cls = classes.student_class[rows]
        eff = noise[rows, g] + s_effect[rows] + c_eff[cls] + prov_eff[rows]
        shift: dict[int, np.ndarray] = {}
        weak_rows = ct.index[ct["weak"].to_numpy() & (ct["grade"].to_numpy() == g)]
        for ci in weak_rows:
            level = ALGEBRA1 if ct.at[ci, "track"] else g
            topics = cur.topics[level]
            if not topics:
                continue
            topic = topics[int(ct.at[ci, "topic_u"] * len(topics))]
            members = cls == ci
            for j in topic:
                arr = shift.setdefault(int(j), np.zeros(rows.size))
                arr[members] = kp.weak_shift
        if g:
            run.catch_up(g)
        run.learn_year(g, eff, shift)
        if g == 8 and placed[rows].any():
            run.learn_year(ALGEBRA1, eff, shift, rows=np.flatnonzero(placed[rows]))
        final[rows] = run.state
        if g == 8:
            ready[rows] = _algebra1_ready(cur, run.state)
    share = np.zeros(n)
    for g in np.unique(st.grade):
        rows = st.grade == g
        share[rows] = grade_level_share(final[rows], cur, int(g))
    return _Knowledge(final=final, prev1=prev1, prev2=prev2, placed=placed, ready=ready,
                      classes=classes, share=share,
                      proficient=share >= PROFICIENT_SHARE - 1e-9)


def _algebra1_ready(cur: Curriculum, state: np.ndarray) -> np.ndarray:
    """Ground-truth readiness: mastered >= 80 % of Algebra I's K-8 direct prerequisites."""
    alg = cur.by_grade[ALGEBRA1]
    pre = np.unique(np.concatenate([cur.prereq[j] for j in alg]))
    pre = pre[cur.grade[pre] < ALGEBRA1]
    return state[:, pre].mean(axis=1) >= 0.8


def _responses_school(spec: DistrictSpec, cur: Curriculum, d: _SchoolDraws,
                      rows: np.ndarray, st: _Students, classes: _Classes,
                      final: np.ndarray, prev1: np.ndarray, placed: np.ndarray,
                      no_ev: np.ndarray) -> dict[str, np.ndarray]:
    """Item responses of one school's students (``rows`` into the chunk arrays)."""
    rng = d.rng
    ct = classes.table
    cal = school_calendar(spec.school_year)
    t0 = np.datetime64(cal["instruction"].isoformat(), "D")
    stale_day = (cal["stale_after"] - cal["instruction"]).days
    i1 = (cal["interim1"] - cal["instruction"]).days
    i2 = (cal["interim2"] - cal["instruction"]).days
    out: dict[str, list[np.ndarray]] = {k: [] for k in
                                        ("row", "col", "day", "mastered", "source")}
    track = placed[rows].astype(int)
    keys = st.grade[rows] * 2 + track
    for key in np.unique(keys):
        grp = rows[keys == key]
        g, alg = int(key // 2), bool(key % 2)
        level = ALGEBRA1 if alg else g
        m = grp.size
        cls = classes.student_class[grp]
        has = ~no_ev[grp]
        # fall diagnostic: below-grade items, answered from the state at the end of last year
        lo, hi = (5, 8) if alg else (max(0, g - 3), g)
        below = np.arange(cur.grade_start[lo], cur.grade_start[hi])
        nd = rng.integers(6, 11, m) * has * (below.size > 0)
        rep = np.repeat(np.arange(m), nd)
        if rep.size:
            col = below[rng.integers(0, below.size, rep.size)]
            day = (ct["u0"].to_numpy()[cls[rep]] * 15).astype(np.int64) + rng.integers(0, 3,
                                                                                      rep.size)
            out["row"].append(grp[rep])
            out["col"].append(col)
            out["day"].append(day)
            out["mastered"].append(prev1[grp[rep], col])
            out["source"].append(np.zeros(rep.size, np.int8))
        # classwork: each course standard practised after it is taught
        seq = cur.sequence[level]
        td = teach_days(cur, level, spec.school_year)
        c = seq.size
        if c:
            p1 = min(0.95, 21.0 / c)
            u = rng.random((m, c))
            k = ((u < p1).astype(np.int64) + (u < p1 * 0.35)) * has[:, None]
            flat = np.repeat(np.arange(m * c), k.reshape(-1))
            rr, jj = flat // c, flat % c
            out["row"].append(grp[rr])
            out["col"].append(seq[jj])
            out["day"].append(td[jj] + rng.integers(0, 12, flat.size))
            out["mastered"].append(final[grp[rr], seq[jj]])
            out["source"].append(np.full(flat.size, 1, np.int8))
            # interim assessments: standards taught so far
            for w, start in ((0, i1), (1, i2)):
                taught = seq[td <= start - 3]
                if taught.size == 0:
                    continue
                ni = 6 * has
                rep = np.repeat(np.arange(m), ni)
                col = taught[rng.integers(0, taught.size, rep.size)]
                day = start + (ct[f"u{1 + w}"].to_numpy()[cls[rep]] * 5).astype(np.int64)
                out["row"].append(grp[rep])
                out["col"].append(col)
                out["day"].append(day)
                out["mastered"].append(final[grp[rep], col])
                out["source"].append(np.full(rep.size, 2, np.int8))
    if not out["row"]:
        return {}
    row = np.concatenate(out["row"])
    col = np.concatenate(out["col"])
    day = np.concatenate(out["day"])
    mastered = np.concatenate(out["mastered"])
    source = np.concatenate(out["source"])
    stale = ct["stale"].to_numpy()[classes.student_class[row]]
    keep = ~(stale & (day > stale_day))
    row, col, day, mastered, source = (a[keep] for a in (row, col, day, mastered, source))
    n = row.size
    item = rng.integers(0, ITEMS_PER_STANDARD, n)
    minute = rng.integers(8 * 60, 15 * 60, n)
    correct = rng.random(n) < np.where(mastered, 1.0 - cur.items.slip[col, item],
                                       cur.items.guess[col, item])
    dates = np.busday_offset(t0 + day, 0, roll="forward", holidays=_holidays(cal))
    ts = dates.astype("datetime64[s]") + (minute * 60).astype("timedelta64[s]")
    order = np.lexsort((ts, st.gid[row]))
    ts = ts[order]
    # Two answers of one student in the same minute get distinct seconds, so every response
    # has its own (student, item, timestamp, source) key, as a real export would.
    gid = st.gid[row[order]]
    if n:
        new_run = np.r_[True, (gid[1:] != gid[:-1]) | (ts[1:] != ts[:-1])]
        run = np.cumsum(new_run) - 1
        rank = np.arange(n) - np.flatnonzero(new_run)[run]
        ts = ts + rank.astype("timedelta64[s]")
    return {"row": row[order], "col": col[order], "item": item[order],
            "correct": correct[order], "ts": ts, "source": source[order]}


def _holidays(cal: dict) -> np.ndarray:
    start = np.datetime64(cal["winter_break"].isoformat(), "D")
    end = np.datetime64(cal["winter_return"].isoformat(), "D")
    thanks = np.datetime64(cal["interim1"].isoformat(), "D") - 14
    return np.concatenate([np.arange(start, end), np.arange(thanks - 3, thanks + 2)])


SOURCES = np.array(["diagnostic", "classwork", "interim"], dtype=object)


@dataclass
class _Generated:
    """Everything generated for a chunk before it is turned into tables."""

    plan: DistrictPlan
    schools: list[SchoolPlan]
    cur: Curriculum
    draws: list[_SchoolDraws]
    st: _Students
    u_misc: np.ndarray
    know: _Knowledge


def _generate(plan: DistrictPlan, schools: list[SchoolPlan], cur: Curriculum) -> _Generated:
    spec = plan.spec
    draws = [_draw_school(spec, s, cur.n) for s in schools]
    st = _demographics(spec.knowledge, draws)
    u_misc = np.concatenate([d.u_misc for d in draws])
    know = _knowledge(spec, cur, draws, st, u_misc)
    return _Generated(plan=plan, schools=schools, cur=cur, draws=draws, st=st, u_misc=u_misc,
                      know=know)


def _student_ids(gid: np.ndarray) -> np.ndarray:
    """Student sourcedIds: "stu-" and the 1-based global index on seven digits."""
    return np.array([f"stu-{i + 1:07d}" for i in gid.tolist()], dtype=object)


def _state_id(gid: np.ndarray) -> np.ndarray:
    """A 10-digit state student identifier (a bijective scramble of the student index)."""
    v = (gid.astype(np.int64) * 2654435761) % 9_000_000_000 + 1_000_000_000
    return v.astype(str).astype(object)


def _tf(a: np.ndarray) -> np.ndarray:
    return np.where(a, "true", "false").astype(object)


def _assemble(gen: _Generated) -> _Chunk:
    """Turn a generated chunk into the tables a district hands over, plus the truth."""
    plan, schools, cur, draws, st, u_misc = (gen.plan, gen.schools, gen.cur, gen.draws, gen.st,
                                             gen.u_misc)
    kn = gen.know
    final, prev1, prev2, placed, ready, classes = (kn.final, kn.prev1, kn.prev2, kn.placed,
                                                   kn.ready, kn.classes)
    share, proficient = kn.share, kn.proficient
    spec = plan.spec
    no_ev = u_misc[:, 2] < spec.no_evidence_share
    dlm = _dlm(spec)
    cal = school_calendar(spec.school_year)
    begin, end = cal["start"].isoformat(), cal["end"].isoformat()
    sy = spec.school_year
    ct = classes.table
    n = st.gid.size
    sid = _student_ids(st.gid)
    school_ids = np.array([s.school_id for s in schools], dtype=object)
    stu_school = school_ids[st.school]
    stu_class = ct["class_id"].to_numpy(dtype=object)[classes.student_class]
    gcode = np.array([grade_code(g) for g in range(9)], dtype=object)

    # --- names
    u_name = np.concatenate([d.u_name for d in draws])
    rname = np.array(RACES)[st.race]
    gf = np.array(names.GIVEN_FEMALE, dtype=object)
    gm = np.array(names.GIVEN_MALE, dtype=object)
    given = np.where(st.female, gf[(u_name[:, 0] * gf.size).astype(int)],
                     gm[(u_name[:, 0] * gm.size).astype(int)])
    um = np.minimum(u_name[:, 2] / 0.6, 0.999999)  # 60 % have a middle name
    middle_pool = np.where(st.female, gf[(um * gf.size).astype(int)],
                           gm[(um * gm.size).astype(int)])
    middle_name = np.where(u_name[:, 2] < 0.6, middle_pool, "").astype(object)
    pools = {"general": names.FAMILY_GENERAL, "hispanic": names.FAMILY_HISPANIC,
             "asian": names.FAMILY_ASIAN, "native": names.FAMILY_NATIVE}
    fam_kind = np.select([rname == "hispanic", rname == "asian",
                          np.isin(rname, ["aian", "nhpi"])],
                         ["hispanic", "asian", "native"], "general")
    family = np.empty(n, dtype=object)
    for kind, pool in pools.items():
        m = fam_kind == kind
        arr = np.array(pool, dtype=object)
        family[m] = arr[(u_name[m, 1] * arr.size).astype(int)]
    # surnames do not follow background strictly: 15 % of every group carry a general one
    swap = (u_name[:, 1] * 1000 % 1) < 0.15
    gen = np.array(names.FAMILY_GENERAL, dtype=object)
    family[swap] = gen[(u_name[swap, 0] * 997 % 1 * gen.size).astype(int)]
    clean = np.char.replace(family.astype(str), "'", "")
    username = np.char.lower(np.char.add(np.char.add(given.astype(str), "."), clean))
    username = np.char.add(username, (st.gid + 1).astype(str))  # unique: the student number
    student_email = np.char.add(username, f"@students.{spec.slug}.k12.{spec.state_code.lower()}.us")

    # --- teachers (one per class)
    cu = ct[["u3", "u4", "u5"]].to_numpy()
    t_female = cu[:, 2] < 0.76
    t_given = np.where(t_female, gf[(cu[:, 0] * gf.size).astype(int)],
                       gm[(cu[:, 0] * gm.size).astype(int)])
    allfam = np.array(names.FAMILY_GENERAL + names.FAMILY_HISPANIC, dtype=object)
    t_family = allfam[(cu[:, 1] * allfam.size).astype(int)]
    tid = np.char.replace(ct["class_id"].to_numpy().astype(str), "cls-", "tch-").astype(object)
    t_ident = np.char.upper(np.char.replace(np.char.replace(tid.astype(str), "tch-", "E"),
                                            "-", ""))
    # initial + family name + employee number (unique, like most districts' staff logins)
    t_user = np.char.lower(np.char.add(
        np.char.add(np.array([x[:1] for x in t_given], dtype=str),
                    np.char.replace(t_family.astype(str), "'", "")),
        np.char.lstrip(np.char.lstrip(t_ident, "E"), "0")))
    t_email = np.char.add(t_user, f"@{spec.slug}schools.org")
    c_school = school_ids[ct["school"].to_numpy()]
    c_grade = ct["grade"].to_numpy()
    c_level = np.where(ct["track"].to_numpy() == 1, ALGEBRA1, c_grade)
    c_is_mid = np.array([schools[s].level == "middle" for s in ct["school"].to_numpy()])

    # --- classes.csv
    course = np.array([course_id(int(g)) for g in c_level], dtype=object)
    code = np.array([course_code(int(g)) for g in c_level], dtype=object)
    title_base = np.array([course_title(int(g)) if g == ALGEBRA1 else
                           ("Math K" if g == 0 else f"Math {g}") for g in c_level], dtype=object)
    period = (ct["section"].to_numpy() % 7 + 1)
    title = title_base + " - " + t_family + np.where(c_is_mid, " (P" + period.astype(str) + ")",
                                                     "")
    classes_df = pd.DataFrame({
        "sourcedId": ct["class_id"].to_numpy(dtype=object), "status": "",
        "dateLastModified": dlm, "title": title, "grades": gcode[c_grade],
        "courseSourcedId": course,
        "classCode": code + "-" + np.char.zfill((ct["section"].to_numpy() + 1).astype(str), 2),
        "classType": "scheduled",
        "location": "Room " + (100 + (ct["u5"].to_numpy() * 180).astype(int)).astype(str),
        "schoolSourcedId": c_school, "termSourcedIds": f"as-{sy}", "subjects": "Mathematics",
        "subjectCodes": "",
        "periods": np.where(c_is_mid, period.astype(str), "").astype(object),
    })[CLASSES_COLUMNS]

    # --- users, roles, enrollments (teachers first in each school, then its students)
    c_order = np.arange(len(ct))
    t_key = ct["school"].to_numpy() * 2
    s_key = st.school * 2 + 1
    teachers = pd.DataFrame({
        "sourcedId": tid, "status": "", "dateLastModified": dlm, "enabledUser": "true",
        "username": t_user.astype(object), "userIds": "", "givenName": t_given,
        "familyName": t_family, "middleName": "",
        "identifier": t_ident.astype(object),
        "email": t_email.astype(object), "sms": "", "phone": "", "agentSourcedIds": "",
        "grades": gcode[c_grade], "password": "", "userMasterIdentifier": "",
        "resourceSourcedIds": "", "preferredGivenName": "", "preferredMiddleName": "",
        "preferredFamilyName": "", "primaryOrgSourcedId": c_school, "pronouns": "",
    })
    students = pd.DataFrame({
        "sourcedId": sid, "status": "", "dateLastModified": dlm, "enabledUser": "true",
        "username": username.astype(object), "userIds": "", "givenName": given,
        "familyName": family, "middleName": middle_name, "identifier": _state_id(st.gid),
        "email": student_email.astype(object), "sms": "", "phone": "", "agentSourcedIds": "",
        "grades": gcode[st.grade], "password": "", "userMasterIdentifier": "",
        "resourceSourcedIds": "", "preferredGivenName": "", "preferredMiddleName": "",
        "preferredFamilyName": "", "primaryOrgSourcedId": stu_school, "pronouns": "",
    })
    key = np.concatenate([t_key, s_key])
    sub = np.concatenate([c_order, np.arange(n)])
    uorder = np.lexsort((sub, key))
    users = pd.concat([teachers, students], ignore_index=True).iloc[uorder]
    users = users[USERS_COLUMNS].reset_index(drop=True)
    is_teacher = users["sourcedId"].str.startswith("tch-").to_numpy()
    roles = pd.DataFrame({
        "sourcedId": "rol-" + users["sourcedId"], "status": "", "dateLastModified": dlm,
        "userSourcedId": users["sourcedId"], "roleType": "primary",
        "role": np.where(is_teacher, "teacher", "student"),
        "orgSourcedId": users["primaryOrgSourcedId"], "userProfileSourcedId": "",
        "beginDate": begin, "endDate": end,
    })[ROLES_COLUMNS]
    user_class = np.concatenate([ct["class_id"].to_numpy(dtype=object), stu_class])[uorder]
    enrollments = pd.DataFrame({
        "sourcedId": "enr-" + users["sourcedId"], "status": "", "dateLastModified": dlm,
        "classSourcedId": user_class, "schoolSourcedId": users["primaryOrgSourcedId"],
        "userSourcedId": users["sourcedId"],
        "role": np.where(is_teacher, "teacher", "student"),
        "primary": np.where(is_teacher, "true", "false"), "beginDate": begin, "endDate": end,
    })[ENROLLMENTS_COLUMNS]

    # --- demographics
    u_demo = np.concatenate([d.u_demo for d in draws])
    birth0 = np.array([np.datetime64(f"{sy - 1 - 6 - int(g)}-09-02") for g in range(9)])
    birth = birth0[st.grade] + (u_demo[:, 7] * 365).astype("timedelta64[D]") \
        - np.where(st.older, 365, 0).astype("timedelta64[D]")
    foreign = st.el & (u_demo[:, 6] * 7 % 1 < 0.45)
    country = np.where(foreign, np.where(st.hispanic, "MX", np.where(
        rname == "asian", "VN", "SO")), "US").astype(object)
    demographics = pd.DataFrame({
        "sourcedId": sid, "status": "", "dateLastModified": dlm,
        "birthDate": np.datetime_as_string(birth, unit="D").astype(object),
        "sex": np.where(st.female, "female", "male"),
        "americanIndianOrAlaskaNative": _tf(st.race_flags[:, 0]),
        "asian": _tf(st.race_flags[:, 1]), "blackOrAfricanAmerican": _tf(st.race_flags[:, 2]),
        "nativeHawaiianOrOtherPacificIslander": _tf(st.race_flags[:, 3]),
        "white": _tf(st.race_flags[:, 4]),
        "demographicRaceTwoOrMoreRaces": _tf(st.race_flags[:, 5]),
        "hispanicOrLatinoEthnicity": _tf(st.hispanic), "countryOfBirthCode": country,
        "stateOfBirthAbbreviation": np.where(country == "US", spec.state_code, "").astype(object),
        "cityOfBirth": "", "publicSchoolResidenceStatus": "01652",
        "metadata.englishLearner": _tf(st.el), "metadata.disability": _tf(st.swd),
        "metadata.economicallyDisadvantaged": _tf(st.econ),
    })[DEMOGRAPHICS_COLUMNS]

    # --- responses (school by school, each from its own stream)
    parts = []
    for k, d in enumerate(draws):
        rows = np.flatnonzero(st.school == k)
        r = _responses_school(spec, cur, d, rows, st, classes, final, prev1, placed, no_ev)
        if r:
            parts.append(r)
    if parts:
        resp = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        responses = pd.DataFrame({
            "student_id": sid[resp["row"]],
            "item_id": cur.items.item_id[resp["col"], resp["item"]],
            "standard": cur.items.tag[resp["col"], resp["item"]],
            "correct": resp["correct"].astype(np.int8),
            "timestamp": resp["ts"],
            "source": SOURCES[resp["source"]],
        })
    else:
        responses = pd.DataFrame({c: pd.Series(dtype=object) for c in RESPONSES_COLUMNS})
    has_ev = np.zeros(n, dtype=bool)
    if len(responses):
        has_ev[np.unique(resp["row"])] = True

    # --- spring windows of last year and this year (each school's stream, drawn last)
    win_parts, span_parts = [], []
    for k, d in enumerate(draws):
        rows = np.flatnonzero(st.school == k)
        w, t = spring_windows(cur, d.rng, sid[rows], st.grade[rows], prev1[rows], final[rows],
                              sy, items=spec.spring_window_items,
                              window_grades=spec.spring_window_grades)
        win_parts.append(w)
        span_parts.append(t)
    windows = (pd.concat(win_parts, ignore_index=True) if win_parts else
               pd.DataFrame({c: pd.Series(dtype=object) for c in SPRING_WINDOW_COLUMNS}))
    truth_span = (pd.concat(span_parts, ignore_index=True) if span_parts else
                  pd.DataFrame({c: pd.Series(dtype=object) for c in TRUTH_SPAN_COLUMNS}))

    # --- scale scores: this spring and the two before, from the nested states
    noise = np.concatenate([d.score_noise for d in draws])
    recs = []
    for k, state in enumerate((final, prev1, prev2)):
        g = st.grade - k
        ok = (g >= TESTED_GRADES[0]) & (u_misc[:, 3 + k] >= (0.02 if k == 0 else 0.06))
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            continue
        shr = np.zeros(idx.size)
        for gg in np.unique(g[idx]):
            m = g[idx] == gg
            shr[m] = grade_level_share(state[idx[m]], cur, int(gg))
        score = scale_score(g[idx], shr, noise[idx, k])
        recs.append(pd.DataFrame({"_gid": st.gid[idx], "student_id": sid[idx],
                                  "year": sy - k, "grade": g[idx], "subject": "math",
                                  "scale_score": score,
                                  "achievement_level": achievement_level(g[idx], score)}))
    if recs:
        scores = pd.concat(recs).sort_values(["_gid", "year"], kind="stable")
        scores = scores[SCORES_COLUMNS].reset_index(drop=True)
    else:
        scores = pd.DataFrame({c: pd.Series(dtype=object) for c in SCORES_COLUMNS})

    # --- truth
    prov_ids = np.array([p[0] for p in plan.providers] + [""], dtype=object)
    prov_idx = np.array([-1 if s.provider is None else s.provider for s in schools])[st.school]
    truth_students = pd.DataFrame({
        "student_id": sid, "school_id": stu_school, "class_id": stu_class, "grade": st.grade,
        "ability": np.round(st.ability, 4), "race_ethnicity": rname.astype(object),
        "female": st.female, "english_learner": st.el, "disability": st.swd,
        "economically_disadvantaged": st.econ, "proficient": proficient,
        "grade_level_share": np.round(share, 4), "algebra1": placed,
        "algebra1_ready": ready, "provider_id": prov_ids[prov_idx], "has_evidence": has_ev,
        "stale_class": ct["stale"].to_numpy()[classes.student_class],
    })[TRUTH_STUDENTS_COLUMNS]
    mastery = pd.DataFrame(final, columns=list(cur.codes))
    mastery.insert(0, "student_id", sid)
    weak_rows = []
    for ci in ct.index[ct["weak"].to_numpy()]:
        level = ALGEBRA1 if ct.at[ci, "track"] else int(ct.at[ci, "grade"])
        topics = cur.topics[level]
        if topics:
            topic = topics[int(ct.at[ci, "topic_u"] * len(topics))]
            weak_rows += [(ct.at[ci, "class_id"], cur.codes[j]) for j in topic]
    weak = pd.DataFrame(weak_rows, columns=WEAK_TOPICS_COLUMNS)
    family = family_signals(truth_students, seed=spec.seed, spring_year=sy)
    return _Chunk(classes=classes_df, users=users, roles=roles, enrollments=enrollments,
                  demographics=demographics, responses=responses, scores=scores,
                  truth_students=truth_students, truth_mastery=mastery, weak_topics=weak,
                  family_signals=family, spring_windows=windows, truth_span=truth_span)


def chunk_schools(plan: DistrictPlan, chunk_students: int) -> list[list[SchoolPlan]]:
    """Consecutive groups of whole schools with at most ``chunk_students`` (one school at least)."""
    groups: list[list[SchoolPlan]] = []
    cur: list[SchoolPlan] = []
    size = 0
    for s in plan.schools:
        if cur and size + s.n_students > chunk_students:
            groups.append(cur)
            cur, size = [], 0
        cur.append(s)
        size += s.n_students
    if cur:
        groups.append(cur)
    return groups


def iter_chunks(spec: DistrictSpec, chunk_students: int = 50_000,
                progress: Callable[[int, int], None] | None = None,
                plan: DistrictPlan | None = None) -> Iterator[_Chunk]:
    """Generate the district chunk by chunk (groups of whole schools)."""
    plan = plan or plan_district(spec)
    cur = default_curriculum()
    done = 0
    for group in chunk_schools(plan, max(1, chunk_students)):
        chunk = _assemble(_generate(plan, group, cur))
        done += sum(s.n_students for s in group)
        if progress is not None:
            progress(done, plan.n_students)
        yield chunk


def simulate_district(spec: DistrictSpec | None = None, **kwargs) -> District:
    """Simulate a whole district in memory (``kwargs`` override fields of ``spec``)."""
    spec = spec or DistrictSpec()
    if kwargs:
        spec = replace(spec, **kwargs)
    plan = plan_district(spec)
    glob = global_tables(plan)
    chunks = list(iter_chunks(spec, chunk_students=max(plan.n_students, 1), plan=plan))

    def cat(name: str) -> pd.DataFrame:
        frames = [getattr(c, name) for c in chunks]
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    return District(
        spec=spec, orgs=glob["orgs"], academic_sessions=glob["academic_sessions"],
        courses=glob["courses"], classes=cat("classes"), users=cat("users"),
        roles=cat("roles"), enrollments=cat("enrollments"), demographics=cat("demographics"),
        responses=cat("responses"), scores=cat("scores"), providers=glob["providers"],
        truth_students=cat("truth_students"), truth_mastery=cat("truth_mastery"),
        weak_topics=cat("weak_topics"), truth_providers=glob["truth_providers"],
        family_signals=cat("family_signals"), spring_windows=cat("spring_windows"),
        truth_span=cat("truth_span"),
    )


def simulate_knowledge(spec: DistrictSpec) -> pd.DataFrame:
    """Only the truth per student (grade, subgroups, share, proficient): for calibration."""
    plan = plan_district(spec)
    cur = default_curriculum()
    frames = []
    for group in chunk_schools(plan, 50_000):
        gen = _generate(plan, group, cur)
        st = gen.st
        frames.append(pd.DataFrame({
            "grade": st.grade, "race_ethnicity": np.array(RACES)[st.race], "econ": st.econ,
            "el": st.el, "swd": st.swd, "share": gen.know.share,
            "proficient": gen.know.proficient}))
    return pd.concat(frames, ignore_index=True)
