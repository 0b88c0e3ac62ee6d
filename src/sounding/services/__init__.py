"""The query layer: every read the faces make, for a principal, already redacted.

    from sounding.services import Context, student_view, class_plan
    from sounding.access import Principal, Role
    ctx = Context(store, Principal("ms-rivera", Role.teacher, user_id="tch-0001"))
    class_plan(ctx, "cls-0001-03-01")      # NotFound for a class outside her scope

The CLI (as the local operator, or ``--as USERNAME``), the static report (rendered for one
principal) and the web application all call these functions and nothing else; none of them
reads the store directly. :data:`SERVICES` lists them with the resource each reads, which is
what the access sweep test iterates over.
"""

from sounding.services.admin import access_log, accounts, reset_password
from sounding.services.context import Context
from sounding.services.diagnostic import diagnostic_class_results, diagnostic_status
from sounding.services.evaluation import provider_evaluation
from sounding.services.extract import research_extract
from sounding.services.family import display_name, family_report
from sounding.services.growth import (
    district_growth,
    growth_release,
    provider_growth,
    school_growth,
    state_growth,
)
from sounding.services.interventions import (
    intervention_progress,
    record_intervention,
    student_interventions,
)
from sounding.services.mastery import class_summary, class_view, student_view
from sounding.services.planning import class_plan, district_plan, groups, readiness, school_plan
from sounding.services.progress import class_progress
from sounding.services.registry import SERVICES, Service, service
from sounding.services.roster import classes, districts, providers, schools, states, students
from sounding.services.snapshots import class_mastery_progress

__all__ = [
    "SERVICES", "Context", "Service", "access_log", "accounts", "class_mastery_progress",
    "class_plan", "class_progress",
    "class_summary",
    "class_view", "classes", "diagnostic_class_results", "diagnostic_status", "display_name",
    "districts", "providers", "reset_password",
    "states", "district_growth", "district_plan",
    "family_report", "groups", "growth_release", "intervention_progress", "provider_growth",
    "provider_evaluation", "readiness", "research_extract",
    "record_intervention", "school_growth", "school_plan",
    "student_interventions", "schools", "service", "state_growth", "student_view",
    "students",
]
