"""The synthetic district: rosters, evidence and scores that look like a real district's, with
the ground truth kept apart so estimators can be checked.

    from sounding.simulate import DistrictSpec, simulate_district, write_district
    d = simulate_district(DistrictSpec(n_students=2000, seed=1))
    write_district(d, "out/")            # or simulate_to_dir(spec, "out/") for millions
"""

from sounding.simulate.calibration import DEFAULT_PARAMS, calibrate
from sounding.simulate.district import (
    District,
    DistrictPlan,
    DistrictSpec,
    SchoolPlan,
    grade_code,
    mastery_long,
    plan_district,
    simulate_district,
)
from sounding.simulate.knowledge import (
    PROFICIENT_SHARE,
    SCALE_CUTS,
    TARGET_PROFICIENCY,
    KnowledgeParams,
    achievement_level,
    default_curriculum,
    scale_score,
    scope_and_sequence,
)
from sounding.simulate.writers import read_truth, simulate_to_dir, write_district

__all__ = [
    "DEFAULT_PARAMS", "PROFICIENT_SHARE", "SCALE_CUTS", "TARGET_PROFICIENCY", "District",
    "DistrictPlan", "DistrictSpec", "KnowledgeParams", "SchoolPlan", "achievement_level",
    "calibrate", "default_curriculum", "grade_code", "mastery_long", "plan_district",
    "read_truth", "scale_score", "scope_and_sequence", "simulate_district", "simulate_to_dir",
    "write_district",
]
