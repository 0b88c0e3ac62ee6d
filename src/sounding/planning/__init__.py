"""Planning: turn mastery into decisions, at the level where the problem is.

    from sounding.planning import triage, assign_tiers, pathways, small_groups
    plan = triage(mastery, students, classes, enrollments, evidence=evidence_summary(responses),
                  scope=default_scope_sequence(), responses=responses)
    plan.select(level="classroom")       # reteach to the whole class (stands out from peers)
    plan.select(kind="district_wide")    # a topic weak across most of a grade: one finding
    plan.select(class_id="c1")           # what a teacher sees, school-wide findings included
    plan.to_dict()                       # JSON-ready, with a tier per student

Modules: :mod:`~sounding.planning.triage` (system / classroom / student level),
:mod:`~sounding.planning.signals` (does a class stand out from the grade's classes?),
:mod:`~sounding.planning.tiers` (MTSS tiers and the capacity check),
:mod:`~sounding.planning.pathways` (accelerate, don't remediate),
:mod:`~sounding.planning.groups` (small groups for the next unit),
:mod:`~sounding.planning.algebra` (Algebra I readiness and access),
:mod:`~sounding.planning.interventions` (logs and progress monitoring),
:mod:`~sounding.planning.scope` (scope and sequence), :mod:`~sounding.planning.family`
(the family report), :mod:`~sounding.planning.from_store` (reading a store). The input
tables and the evidence rule are described in :mod:`~sounding.planning.frames`.
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
    family_report_for,
    family_report_html,
)
from sounding.planning.frames import (
    CORROBORATE,
    MIN_EVIDENCE,
    NOT_SECURE,
    SECURE,
    MasteryMatrix,
    evidence_summary,
)
from sounding.planning.groups import ClassGroups, Group, group_by_needs, rebalance, small_groups
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
from sounding.planning.signals import class_topic_signals
from sounding.planning.tiers import UNKNOWN_TIER, TierRule, assign_tiers, capacity_check
from sounding.planning.triage import (
    Recommendation,
    TriageConfig,
    TriagePlan,
    check_family_signals,
    triage,
)

__all__ = [
    "BANNED_WORDS", "CORROBORATE", "MIN_EVIDENCE", "NOT_SECURE", "SECURE", "UNKNOWN_TIER",
    "AlgebraReadiness", "ClassGroups", "Group", "MasteryMatrix", "Pathway", "PathwayStep",
    "PathwayTable", "ProgressReport", "Recommendation", "ScopeSequence", "TierRule",
    "TriageConfig", "TriagePlan", "Unit", "access_view", "algebra1_foundations",
    "algebra_readiness", "assign_tiers", "bkt_estimator", "build_default_scope",
    "capacity_check", "check_family_signals", "class_topic_signals", "default_scope_sequence",
    "evidence_summary", "family_report_data", "family_report_for", "family_report_html",
    "group_by_needs", "intervention_log_from_frame", "pathways", "progress_monitoring",
    "read_intervention_log", "read_scope_sequence", "rebalance", "scope_from_frame",
    "small_groups", "triage",
]
