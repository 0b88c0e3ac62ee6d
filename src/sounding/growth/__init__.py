"""Growth: student growth percentiles (Colorado Growth Model), projections and targets."""

from sounding.growth._quantreg import RQResult, rq_fit, rq_process
from sounding.growth.bspline import bs, knots_boundaries
from sounding.growth.projections import (
    growth_projections,
    growth_targets,
    lagged_growth_targets,
    targets_met,
)
from sounding.growth.scores import read_scores, validate_scores, wide_to_long
from sounding.growth.sgp import (
    TAUS,
    GrowthModel,
    GrowthPercentiles,
    ModelKey,
    growth_percentiles,
    growth_percentiles_wide,
    median_growth,
    reference_knots_boundaries,
)

__all__ = [
    "TAUS",
    "GrowthModel",
    "GrowthPercentiles",
    "ModelKey",
    "RQResult",
    "bs",
    "growth_percentiles",
    "growth_percentiles_wide",
    "growth_projections",
    "growth_targets",
    "knots_boundaries",
    "lagged_growth_targets",
    "median_growth",
    "read_scores",
    "reference_knots_boundaries",
    "rq_fit",
    "rq_process",
    "targets_met",
    "validate_scores",
    "wide_to_long",
]
