"""Plan pages: the district's system-level findings, each school's and each class's plan."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from sounding.report.pages.mastery import class_slug
from sounding.report.site import Page, render_fragment


def _class_slug(class_id: str) -> str:
    return f"plans/class-{_safe(class_id)}.html"


def _school_slug(school_id: str) -> str:
    return f"plans/school-{_safe(school_id)}.html"


def _safe(s: Any) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(s))


def planning_pages(
    plan,
    *,
    classes: pd.DataFrame,
    schools: dict[str, str],
    groups: dict[str, Any] | None = None,
    readiness=None,
    names: dict[str, str] | None = None,
    family_links: dict[str, str] | None = None,
) -> list[Page]:
    """Pages for a :class:`~sounding.planning.TriagePlan` (plus groups and Algebra I readiness).

    ``schools`` maps school ids to names; ``names`` student ids to display names (staff view);
    ``family_links`` student ids to the slug of their family report.
    """
    names = names or {}
    groups = groups or {}
    recs = plan.recommendations
    by_class: dict[str, list] = defaultdict(list)
    by_school: dict[str, list] = defaultdict(list)
    for r in recs:
        if r.class_id is not None:
            by_class[str(r.class_id)].append(r)
        if r.school_id is not None:
            by_school[str(r.school_id)].append(r)
    summary = plan.summary()
    cap = plan.capacity.copy()
    tiers = plan.tiers
    system = [r for r in recs if r.level == "system"]
    kinds = defaultdict(int)
    for r in system:
        kinds[r.kind] += 1
    cls = classes.set_index("class_id")
    school_rows = []
    for sid, sname in sorted(schools.items(), key=lambda kv: kv[1]):
        rs = by_school.get(sid, [])
        cl_ids = sorted({str(c) for c in cls.index[cls["school_id"].astype(str) == sid]})
        school_rows.append({
            "id": sid, "name": sname, "slug": _school_slug(sid),
            "n_system": sum(r.level == "system" for r in rs),
            "n_classroom": sum(r.level == "classroom" for r in rs),
            "n_distinctive": sum(r.level == "classroom" and r.numbers.get("distinctive")
                                 for r in rs),
            "n_student": sum(r.level == "student" for r in rs),
            "n_classes": len(cl_ids),
        })
    pages = [
        Page(
            "plans/district.html", "District plan",
            render_fragment(
                "plan_district.html", summary=summary, system=system, kinds=dict(kinds),
                schools=school_rows, capacity=cap.to_dict(orient="records"),
                school_names=schools, readiness=readiness,
            ),
            section="Planning",
            summary=("System-level findings first (data, school-wide patterns, MTSS capacity), "
                     "then each school. Classroom- and student-level plans are on the school "
                     "and class pages."),
        )
    ]
    for row in school_rows:
        sid = row["id"]
        rs = by_school.get(sid, [])
        class_rows = []
        for cid in sorted({str(c) for c in cls.index[cls["school_id"].astype(str) == sid]}):
            crs = by_class.get(cid, [])
            class_rows.append({
                "id": cid, "title": str(cls.loc[cid, "title"]) if "title" in cls else cid,
                "slug": _class_slug(cid),
                "n_classroom": sum(r.level == "classroom" for r in crs),
                "n_distinctive": sum(r.level == "classroom" and r.numbers.get("distinctive")
                                     for r in crs),
                "n_student": sum(r.level == "student" for r in crs),
            })
        pages.append(Page(
            _school_slug(sid), f"Plan: {row['name']}",
            render_fragment("plan_school.html", school=row,
                            system=[r for r in rs if r.level == "system"],
                            classes=class_rows, root="../"),
            section="Planning", nav=False,
        ))
    for cid in sorted({str(c) for c in cls.index}):
        crs = by_class.get(cid, [])
        members = tiers[tiers["student_id"].astype(str).isin(
            {str(s) for r in crs for s in r.students})] if len(crs) else tiers.iloc[0:0]
        g = groups.get(cid)
        title = str(cls.loc[cid, "title"]) if "title" in cls else cid
        pages.append(Page(
            _class_slug(cid), f"Class plan: {title}",
            render_fragment(
                "plan_class.html",
                reteach=[r for r in crs if r.level == "classroom"],
                targeted=[r for r in crs if r.level == "student"],
                system=[r for r in crs if r.level == "system"],
                groups=g.to_dict() if g is not None else None,
                names=names, family_links=family_links or {},
                n_tiered=len(members), class_id=cid,
                school_slug=_school_slug(str(cls.loc[cid, "school_id"])),
                mastery_slug=class_slug(cid),
            ),
            section="Planning", nav=False,
            summary="Monday morning: what to reteach to everyone, who needs targeted help on "
                    "what, and the small groups for the next unit.",
        ))
    if readiness is not None:
        pages.append(Page(
            "plans/algebra.html", "Algebra I readiness",
            render_fragment("plan_algebra.html", r=readiness.to_dict(), names=names),
            section="Planning",
            summary=("Grade-8 readiness for Algebra I from mastery of its prerequisite "
                     "standards, and who is ready but not placed (by subgroup)."),
        ))
    return pages
