"""Program evaluation from the store: a provider's schools against matched students of the
other schools (``sounding evaluate program --db DB --provider P``), to What Works
Clearinghouse standards.

The result is aggregates only (sample sizes, the effect, baseline equivalence, attrition):
the provider summary resource, which a provider reads for its own id and the district's
staff read for any provider. The students behind it (the provider's and the comparison
schools') are read inside the service and never returned.

Not in :data:`~sounding.services.SERVICES`: the sweep's tiny district is too small for WWC
matching to find comparison students for every provider (an honest InvalidInput, which the
sweep would count as a granted read that never answers); ``tests/access/
test_faces_through_services.py`` checks its access rules instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sounding.access.policy import Resource
from sounding.errors import InvalidInput, NotFound
from sounding.services._data import roster
from sounding.services.context import Context


def _sample(ctx: Context, provider_id: str, subject: str | None, year: int | None) -> Any:
    from sounding.growth.evaluation import program_students

    mapping = ctx.store.table("provider_assignments")
    if mapping.empty:
        raise InvalidInput("the store holds no provider assignments: import them with "
                           "`sounding import providers FILE`")
    schools = mapping.loc[mapping["provider_id"].astype(str) == str(provider_id), "school_id"]
    if schools.empty:
        if not ctx.reach.everything:  # only the all-seeing may learn which ids exist
            raise NotFound(f"no provider {provider_id!r}")
        known = ", ".join(sorted(mapping["provider_id"].astype(str).unique()))
        raise NotFound(f"provider {provider_id!r} is not in the stored mapping ({known})")
    scores = ctx.store.scores()
    if scores.empty:
        raise InvalidInput("no scale scores in the store: run `sounding import scores` first")
    students = roster(ctx)[0]
    return program_students(scores, students, schools.astype(str).tolist(), subject=subject,
                            year=year)


def provider_evaluation(ctx: Context, provider_id: str, *, subject: str | None = None,
                        year: int | None = None, match_on: Sequence[str] = (),
                        design: str = "qed", matching: str | None = None,
                        attrition: str = "cautious", with_text: bool = False,
                        store_label: str = "the store") -> dict[str, Any]:
    """The provider's effect (Hedges' g) rated against WWC standards: ``evaluate_program``'s
    result (``to_dict``) plus ``program`` (the schools, subject, years, exact-match columns).
    ``with_text`` adds ``text``, the plain report for people; ``store_label`` names the store
    in error messages (the CLI gives its ``--db``)."""
    from sounding.growth.evaluation import evaluate_program

    ctx.require(Resource.provider_summary, provider_id)
    df = _sample(ctx, provider_id, subject, year)
    info = dict(df.attrs)
    exact = list(info["match_on"]) + [c for c in match_on if c not in info["match_on"]]
    try:
        result = evaluate_program(
            df, treatment_col="treated", outcome_col="outcome", baseline_cols=["baseline"],
            match_on=exact, cluster_col="school_id", attrition=attrition, design=design,
            matching=matching)
    except InvalidInput as exc:
        raise InvalidInput(f"{store_label} (provider {provider_id}): {exc}") from None
    result.outcome = (f"{info['subject']} scale score {info['year']} (z within grade), "
                      f"provider {provider_id} ({len(info['schools'])} schools)")
    out = result.to_dict()
    out["program"] = {"provider": provider_id, "schools": info["schools"],
                      "subject": info["subject"], "outcome_year": info["year"],
                      "baseline_year": info["baseline_year"], "matched_exactly_on": exact}
    out = ctx.finish(out, action="provider_evaluation", resource=Resource.provider_summary,
                     obj_id=provider_id, students=[])
    if with_text:
        out["text"] = result.to_text()
    return out
