"""Planning: turn mastery into decisions, at the level where the problem is.

    from sounding.planning import triage, assign_tiers, pathways, small_groups
    plan = triage(mastery, students, classes, enrollments, evidence=evidence_summary(responses),
                  scope=default_scope_sequence())
    plan.select(level="classroom")       # reteach to the whole class
    plan.to_dict()                       # JSON-ready

Modules: :mod:`~sounding.planning.triage` (system / classroom / student level),
:mod:`~sounding.planning.tiers` (MTSS tiers and the capacity check),
:mod:`~sounding.planning.pathways` (accelerate, don't remediate),
:mod:`~sounding.planning.groups` (small groups for the next unit),
:mod:`~sounding.planning.algebra` (Algebra I readiness and access),
:mod:`~sounding.planning.interventions` (logs and progress monitoring),
:mod:`~sounding.planning.scope` (scope and sequence), :mod:`~sounding.planning.family`
(the family report). The input tables are described in :mod:`~sounding.planning.frames`.
"""

from sounding.planning.algebra import (
    AlgebraReadiness,
    access_view,
    algebra1_foundations,
    algebra_readiness,
)
from sounding.planning.family import (
    BANNED_WORDS,
    family_report_data,
    family_report_html,
)
from sounding.planning.frames import (
    MAX_SD,
    MIN_EVIDENCE,
    NOT_SECURE,
    SECURE,
    MasteryMatrix,
    evidence_summary,
)
from sounding.planning.groups import ClassGroups, Group, group_by_needs, small_groups
from sounding.planning.interventions import (
    ProgressReport,
    bkt_estimator,
    intervention_log_from_frame,
    progress_monitoring,
    read_intervention_log,
)
from sounding.planning.pathways import Pathway, PathwayStep, PathwayTable, pathways
from sounding.planning.scope import (
    ScopeSequence,
    Unit,
    build_default_scope,
    default_scope_sequence,
    read_scope_sequence,
    scope_from_frame,
)
from sounding.planning.tiers import TierRule, assign_tiers, capacity_check
from sounding.planning.triage import Recommendation, TriageConfig, TriagePlan, triage

__all__ = [
    "BANNED_WORDS", "MAX_SD", "MIN_EVIDENCE", "NOT_SECURE", "SECURE", "AlgebraReadiness",
    "ClassGroups", "Group", "MasteryMatrix", "Pathway", "PathwayStep", "PathwayTable",
    "ProgressReport", "Recommendation", "ScopeSequence", "TierRule", "TriageConfig",
    "TriagePlan", "Unit", "access_view", "algebra1_foundations", "algebra_readiness",
    "assign_tiers", "bkt_estimator", "build_default_scope", "capacity_check",
    "default_scope_sequence", "evidence_summary", "family_report_data", "family_report_html",
    "group_by_needs", "intervention_log_from_frame", "pathways", "progress_monitoring",
    "read_intervention_log", "read_scope_sequence", "scope_from_frame", "small_groups",
    "triage",
]
