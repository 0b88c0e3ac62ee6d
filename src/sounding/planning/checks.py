"""The short checks a plan asks for before its unsure findings are acted on.

Why: a finding near the threshold (a class of 24 is one student either way) or resting on thin
direct evidence cannot be decided well by any average of the same posteriors. Measured on
simulated districts (notes/planning.md), the findings stated plainly are right 95-100% of the
time and the hedged ones about three times in four; what decides the hedged ones is more
direct evidence on exactly those standards, from exactly those classes. So the plan says which
classes to check on which standards: a few items per standard for every student of the class
(short quizzes of at most ``MAX_STANDARDS`` standards each, or the diagnostic's section on
them). Their answers are imported as
evidence like any other (``sounding import responses``, source ``check``) and the next plan
decides the level on them.

A check is built for every classroom- or student-level finding that says it is unsure:
``numbers["confirm_first"]`` (thin direct evidence) or ``numbers["near_threshold"]`` (its 90%
interval crosses the threshold). One check per class covers every unsure standard of the class,
in the plan's priority order (just in time first), split into sittings of at most
``max_standards`` standards so that each stays short. Measured on simulated districts, capping
a check instead (the rest waiting for the next plan) left some classes -- Algebra I classes
with a dozen inferred grade-8 foundations -- unchecked for rounds, and the level agreement
after two rounds stayed near 89-92% instead of 95-96% (notes/planning.md). District- and
school-wide findings are not checked class by class: the classes they list are truly over the
threshold 96-98% of the time on simulated districts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sounding.errors import InvalidInput

#: Items per standard in a check: three answers per student put a student's own estimate on
#: the standard well past what one answer (guess 0.2, slip 0.1) can.
ITEMS_PER_STANDARD = 3
#: Standards per sitting at most: 6 x 3 = 18 items, about a 10-15 minute quiz.
MAX_STANDARDS = 6


@dataclass
class Check:
    """One class's short check: which standards, how many items, and which findings ask."""

    class_id: str
    school_id: Any
    grade: int | None
    standards: list[str]
    items_per_standard: int
    n_students: int
    findings: list[dict[str, Any]] = field(default_factory=list)
    max_standards: int = MAX_STANDARDS

    @property
    def n_items(self) -> int:
        """Items each student answers."""
        return len(self.standards) * self.items_per_standard

    @property
    def sittings(self) -> list[list[str]]:
        """The standards of each sitting, in order (each at most ``max_standards``)."""
        k = self.max_standards
        return [self.standards[i:i + k] for i in range(0, len(self.standards), k)]

    @property
    def reason(self) -> str:
        whys = []
        for f in self.findings:
            codes = ", ".join(f["standards"])
            whys.append(f"{codes} ({f['why']})")
        n = len(self.sittings)
        parts = "" if n == 1 else (f" in {n} sittings of at most "
                                   f"{self.max_standards * self.items_per_standard}")
        return (f"{self.n_items} items ({self.items_per_standard} per standard){parts} for "
                f"each of the {self.n_students} students, because the plan is unsure about: "
                + "; ".join(whys)
                + ". Import the answers as evidence; the next plan decides on them.")

    def to_dict(self) -> dict[str, Any]:
        return {"class_id": self.class_id, "school_id": self.school_id, "grade": self.grade,
                "standards": list(self.standards),
                "items_per_standard": self.items_per_standard, "n_items": self.n_items,
                "sittings": self.sittings, "n_students": self.n_students,
                "findings": list(self.findings), "reason": self.reason}


def _why(numbers: Mapping[str, Any], level: str) -> str | None:
    if numbers.get("confirm_first"):
        return "the estimate rests on thin direct evidence"
    if numbers.get("near_threshold"):
        return ("its 90% interval reaches below the threshold" if level == "classroom"
                else "its 90% interval reaches above the threshold")
    return None


def confirm_checks(recommendations: Iterable[Any], class_members: Mapping[Any, Iterable[Any]],
                   *, items_per_standard: int = ITEMS_PER_STANDARD,
                   max_standards: int = MAX_STANDARDS) -> list[Check]:
    """The checks that the unsure findings among ``recommendations`` ask for.

    Parameters
    ----------
    recommendations : iterable of Recommendation
        A plan's findings in the order a teacher works them (``TriagePlan.checks`` passes
        them so): a check's standards follow it.
    class_members : mapping
        class_id -> enrolled student ids (``TriagePlan.class_members``).
    items_per_standard, max_standards : int
        Items per standard; standards per sitting.

    Returns
    -------
    list of Check
        One per class with an unsure classroom- or student-level finding, classes in the
        order of their first unsure finding.
    """
    if items_per_standard < 1:
        raise InvalidInput(f"items_per_standard must be at least 1, got {items_per_standard}")
    if max_standards < 1:
        raise InvalidInput(f"max_standards must be at least 1, got {max_standards}")
    recs = [r for r in recommendations
            if r.level in ("classroom", "student") and r.class_id is not None
            and _why(r.numbers, r.level) is not None]
    out: dict[str, Check] = {}
    for r in recs:
        cid = str(r.class_id)
        chk = out.get(cid)
        if chk is None:
            chk = out[cid] = Check(class_id=cid, school_id=r.school_id, grade=r.grade,
                                   standards=[], items_per_standard=items_per_standard,
                                   n_students=len(list(class_members.get(r.class_id, ()))),
                                   max_standards=max_standards)
        chk.standards += [c for c in r.standards if c not in chk.standards]
        chk.findings.append({"level": r.level, "kind": r.kind, "standards": list(r.standards),
                             "why": _why(r.numbers, r.level),
                             "estimated_share": r.numbers.get("estimated_share"),
                             "interval": r.numbers.get("interval")})
    return list(out.values())
