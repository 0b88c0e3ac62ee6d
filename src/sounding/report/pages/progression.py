"""The progression explorer: every standard by grade and strand, its prerequisites and unlocks."""

from __future__ import annotations

import json

from sounding.progression import GRADE_LABELS, STRANDS, StandardsGraph, code_sort_key
from sounding.report.site import Page, render_fragment


def progression_pages(graph: StandardsGraph) -> list[Page]:
    grid: dict[str, dict[str, list[str]]] = {s: {g: [] for g in GRADE_LABELS} for s in STRANDS}
    for code in graph.standard_codes:
        s = graph[code]
        if s.strand in grid:
            grid[s.strand][s.grade].append(code)
    for cells in grid.values():
        for codes in cells.values():
            codes.sort(key=code_sort_key)
    grades = [g for g in GRADE_LABELS if any(grid[s][g] for s in grid)]
    data = {
        code: {
            "grade": graph[code].grade,
            "domain": graph[code].domain_name,
            "emphasis": graph[code].emphasis or "",
            "text": graph[code].text,
            "pre": graph.prerequisites(code),
            "post": graph.successors(code),
            "below": len(graph.below_grade_foundations(code)),
            "subs": graph.children(code),
            "alg": graph[code].is_algebra1,
        }
        for code in graph.standard_codes
    }
    body = render_fragment(
        "progression.html",
        grid=grid,
        grades=grades,
        strands={k: v[0] for k, v in STRANDS.items()},
        data_json=json.dumps(data),
        stats=graph.stats(),
        graph=graph,
    )
    return [
        Page(
            "progression.html",
            "Progression explorer",
            body,
            section="Progression",
            summary=(
                f"{graph.name}: {len(graph.standard_codes)} standards and "
                f"{len(graph.edges('standard'))} prerequisite links. Click a standard to see what "
                "it rests on and what it unlocks."
            ),
        )
    ]
