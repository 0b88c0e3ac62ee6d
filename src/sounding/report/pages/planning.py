"""Plan pages: the district's system-level findings, each school's and each class's plan.

A class page shows what its teacher should see: the class's own reteach and targeted-help
findings, the district- and school-wide findings that cover it (a topic weak across most of the
grade is one system finding, listed on every class page it covers), its school's data and
family findings, the students' MTSS tiers (or "unknown: no recent evidence"), and the small
groups for the next unit. With a stored intervention log, an interventions page shows progress
monitoring.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from sounding.report.pages.mastery import class_slug
from sounding.report.site import Page, environment, render_fragment

#: Appended to the class page: the students' tiers (the class template is shared).
_TIERS_HTML = """
<h2>MTSS tiers ({{ rows | length }} students)</h2>
<p class="muted">Tier 1 core, Tier 2 targeted, Tier 3 intensive, from the depth and breadth of
unfinished major work; a student without recent direct evidence has no tier until assessed.
{% for k, v in counts.items() %}{{ k }}: {{ v }}{% if not loop.last %} · {% endif %}{% endfor %}
</p>
<table><tr><th>Student</th><th>Tier</th><th>Why</th></tr>
{% for t in rows %}<tr><td>{{ names.get(t.student_id|string, t.student_id) }}</td>
<td>{{ t.label }}</td><td>{{ t.reason }}</td></tr>{% endfor %}
</table>
"""

_PROGRESS_HTML = """
<p class="muted">Mastery of each intervention's targeted standards from the graph-aware model:
the evidence before the start date against the evidence up to the end date (or now, while
ongoing) -- the same estimates as the rest of this report.</p>
<h2>By intervention</h2>
<table><tr><th>Intervention</th><th>Records</th><th>Students</th><th>Minutes</th>
<th>Mean change</th></tr>
{% for r in by %}<tr><td>{{ r.intervention }}</td><td class="n">{{ r.n_records }}</td>
<td class="n">{{ r.n_students }}</td><td class="n">{{ r.minutes }}</td>
<td class="n">{{ '%+.2f' % r.mean_change if r.mean_change is not none else '-' }}</td>
</tr>{% endfor %}
</table>
<h2>Records</h2>
<table><tr><th>Student</th><th>Intervention</th><th>Standards</th><th>Start</th>
<th>Answers since</th><th>Before</th><th>After</th><th>Status</th></tr>
{% for r in records %}<tr><td>{{ names.get(r.student_id|string, r.student_id) }}</td>
<td>{{ r.intervention }}</td><td>{{ r.standards | join(', ') }}</td><td>{{ r.start_date }}</td>
<td class="n">{{ r.n_answers_since_start }}</td>
<td class="n">{{ '%.2f' % r.mean_p_before if r.mean_p_before is not none else '-' }}</td>
<td class="n">{{ '%.2f' % r.mean_p_after if r.mean_p_after is not none else '-' }}</td>
<td>{{ r.status }}</td></tr>{% endfor %}
</table>
"""


def _class_slug(class_id: str) -> str:
    return f"plans/class-{_safe(class_id)}.html"


def _school_slug(school_id: str) -> str:
    return f"plans/school-{_safe(school_id)}.html"


def _safe(s: Any) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(s))


def _render(source: str, **context: Any) -> str:
    return environment().from_string(source).render(**context)


def tier_rows(plan, class_id: str) -> list[dict[str, Any]]:
    """The tiers of a class's students, deepest need first (Tier 3, 2, 1, then unknown)."""
    members = plan.class_members.get(class_id, [])
    t = plan.tiers[plan.tiers["student_id"].isin(set(members))]
    order = t["tier"].astype("Float64").fillna(0).to_numpy()
    t = t.assign(_o=-order).sort_values(["_o", "student_id"], kind="stable")
    return [{"student_id": r.student_id, "label": r.label, "reason": r.reason}
            for r in t.itertuples(index=False)]


def planning_pages(
    plan,
    *,
    classes: pd.DataFrame,
    schools: dict[str, str],
    groups: dict[str, Any] | None = None,
    readiness=None,
    names: dict[str, str] | None = None,
    family_links: dict[str, str] | None = None,
    progress=None,
) -> list[Page]:
    """Pages for a :class:`~sounding.planning.TriagePlan` (plus groups, Algebra I readiness
    and progress monitoring).

    ``schools`` maps school ids to names; ``names`` student ids to display names (staff view);
    ``family_links`` student ids to the slug of their family report; ``progress`` a
    :class:`~sounding.planning.ProgressReport` (an interventions page when given).
    """
    names = names or {}
    groups = groups or {}
    recs = plan.recommendations
    by_class: dict[str, list] = defaultdict(list)
    by_school: dict[str, list] = defaultdict(list)
    cls = classes.set_index("class_id")
    school_of = {str(c): str(s) for c, s in zip(cls.index, cls["school_id"], strict=True)}
    for r in recs:
        if r.class_id is not None:
            by_class[str(r.class_id)].append(r)
        if r.school_id is not None:
            by_school[str(r.school_id)].append(r)
        elif r.classes:  # district-wide: shown on the schools whose classes it covers
            for sid in sorted({school_of.get(str(c)) for c in r.classes} - {None}):
                by_school[sid].append(r)
    summary = plan.summary()
    cap = plan.capacity.copy()
    system = [r for r in recs if r.level == "system"]
    kinds: dict[str, int] = defaultdict(int)
    for r in system:
        kinds[r.kind] += 1
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
            ) + (('<p><a href="interventions.html">Interventions and progress monitoring '
                  '→</a></p>') if progress is not None else ""),
            section="Planning",
            summary=("System-level findings first (data, district- and school-wide topics, "
                     "MTSS capacity), then each school. Classroom- and student-level plans are "
                     "on the school and class pages."),
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
        crs = plan.select(class_id=cid)
        g = groups.get(cid)
        title = str(cls.loc[cid, "title"]) if "title" in cls else cid
        rows = tier_rows(plan, cid)
        counts: dict[str, int] = defaultdict(int)
        for t in rows:
            counts[t["label"]] += 1
        body = render_fragment(
            "plan_class.html",
            reteach=[r for r in crs if r.level == "classroom"],
            targeted=[r for r in crs if r.level == "student"],
            system=[r for r in crs if r.level == "system"],
            groups=g.to_dict() if g is not None else None,
            names=names, family_links=family_links or {},
            n_tiered=sum(t["label"].startswith("Tier") for t in rows), class_id=cid,
            school_slug=_school_slug(str(cls.loc[cid, "school_id"])),
            mastery_slug=class_slug(cid),
        )
        body += _render(_TIERS_HTML, rows=rows, names=names, counts=dict(sorted(counts.items())))
        pages.append(Page(
            _class_slug(cid), f"Class plan: {title}", body, section="Planning", nav=False,
            summary="Monday morning: what to reteach to everyone, who needs targeted help on "
                    "what, each student's tier, and the small groups for the next unit.",
        ))
    if readiness is not None:
        pages.append(Page(
            "plans/algebra.html", "Algebra I readiness",
            render_fragment("plan_algebra.html", r=readiness.to_dict(), names=names),
            section="Planning",
            summary=("Grade-8 readiness for Algebra I from mastery of its prerequisite "
                     "standards, and who is ready but not placed (by subgroup)."),
        ))
    if progress is not None:
        d = progress.to_dict()
        pages.append(Page(
            "plans/interventions.html", "Interventions",
            _render(_PROGRESS_HTML, by=d["by_intervention"], records=d["records"], names=names),
            section="Planning", nav=False,
            summary="Each intervention record next to the mastery change on its targeted "
                    "standards since it started.",
        ))
    return pages
