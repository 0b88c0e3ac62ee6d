"""A plain-language report for a student's family: strengths, next steps, help at home.

Families are partners in intervention (CDE: resources for families and caregivers), and how we
talk about math shapes a child's math identity. So the report is written for a parent, not an
educator:

* **strengths first**: standards the student has secured, in words (the standard's text,
  shortened, with the strand's everyday name), the most advanced of each strand;
* **working on next, and why**: the first steps of the student's pathway, each with the reason
  in plain words (it builds toward the class's next topic, or the student is ready for it and
  it opens up more of this year's math);
* **how to help at home**: a short fixed set of everyday activities for the strands involved;
* **no jargon and no deficit framing**: no tiers, no "intervention", no "behind", "failing" or
  "deficit"; standard codes appear only in small print, for talking with the teacher
  (:data:`BANNED_WORDS` is checked by a test).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from sounding.errors import NotFound
from sounding.planning.frames import (
    SECURE,
    MasteryMatrix,
    check_classes,
    check_enrollments,
    check_mastery,
    check_students,
    enrollments_from_students,
    plan_grades,
    to_date,
)
from sounding.planning.pathways import JUST_IN_TIME, pathways_from_matrix
from sounding.planning.scope import ScopeSequence, default_scope_sequence, plain_text
from sounding.progression import HS, StandardsGraph, load_default

#: Words that must never appear in a family report (lower case; substrings).
BANNED_WORDS = ("tier", "behind", "deficit", "fail", "remedia", "struggl", "intervention",
                "below grade", "weak", "at risk", "not proficient", "lacking")

#: Everyday names of the strands.
STRAND_WORDS = {
    "number": "Numbers and place value",
    "algebraic": "Operations and equations",
    "fractions": "Fractions, ratios and decimals",
    "functions": "Patterns and functions",
    "data": "Measurement and data",
    "geometry": "Shapes and space",
    "other": "Math",
}

#: A short fixed set of activities per strand.
HOME_ACTIVITIES = {
    "number": (
        "Count things together (steps, coins, snacks) and ask how many more make 10, 20 or "
        "100.",
        "Play a card or dice game where you add or subtract what you draw.",
        "At the store, estimate the total before you pay, then check.",
    ),
    "algebraic": (
        "Trade mystery-number puzzles: \"I think of a number, double it and add 3, and get "
        "11. What is it?\"",
        "Look for patterns in calendars or house numbers and ask what comes next, and why.",
        "Split a job or a bill fairly and talk about how you worked it out.",
    ),
    "fractions": (
        "Cook together: halve or double a recipe.",
        "Share food fairly: cut fruit or a pizza into equal parts and name the parts.",
        "Compare prices per item or per ounce at the store: which is the better deal?",
    ),
    "functions": (
        "Track something for a week (the temperature, a plant's height) and talk about how it "
        "changes.",
        "Talk through rules like \"each hour earns $12\": how much for 5 hours? for 8?",
        "Sketch a graph of a trip: distance from home as time goes by.",
    ),
    "data": (
        "Measure things at home with a ruler, a scale or a measuring cup, and compare.",
        "Keep a tally (weather, favorite snacks) and turn it into a simple chart.",
        "Talk about chances in games: is that roll likely, unlikely or certain?",
    ),
    "geometry": (
        "Build with blocks, boxes or folded paper and name the shapes you make.",
        "On a walk, look for angles, symmetry and shapes.",
        "Draw a map of a room and measure it to scale.",
    ),
    "other": (
        "Talk about where you use math in your day.",
        "Play games with numbers and shapes together.",
        "Praise effort and good questions, not speed.",
    ),
}


def _env() -> Environment:
    return Environment(loader=PackageLoader("sounding.planning", "templates"),
                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True)


def short_text(text: str, limit: int = 110) -> str:
    """A standard's text cut to its first sentence and at most ``limit`` characters."""
    t = plain_text(text)
    for sep in (". ", "; ", ": "):
        if sep in t:
            t = t.split(sep, 1)[0]
    t = t.split(" For example", 1)[0].split(" e.g.", 1)[0].rstrip(",;:")
    if len(t) > limit:
        t = t[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "..."
    return t


def family_report_data(
    student_id: Any,
    mastery: pd.DataFrame,
    students: pd.DataFrame,
    *,
    classes: pd.DataFrame | None = None,
    enrollments: pd.DataFrame | None = None,
    graph: StandardsGraph | None = None,
    scope: ScopeSequence | None = None,
    as_of: date | str | None = None,
    student_name: str | None = None,
    n_strengths: int = 6,
    n_next: int = 3,
) -> dict[str, Any]:
    """Everything the family page says, as data (the HTML renders exactly this).

    Parameters
    ----------
    student_id : Any
    mastery, students : DataFrame
        See :mod:`sounding.planning.frames` (the student's rows are enough).
    classes, enrollments : DataFrame, optional
        For Algebra I placement.
    graph, scope : optional
        Defaults: the shipped graph and scope and sequence.
    as_of : date, optional
        Default: today.
    student_name : str, optional
        How to call the student (default "your child").
    n_strengths, n_next : int

    Returns
    -------
    dict
        ``title, name, grade_words, intro, strengths`` (strand, text, code), ``unit``
        (title, start), ``next_steps`` (text, why, code), ``activities`` (strand, text).
    """
    graph = graph or load_default().k8_algebra1()
    scope = scope or default_scope_sequence()
    day = to_date(as_of) or date.today()
    st_all = check_students(students)
    st = st_all[st_all["student_id"] == student_id].reset_index(drop=True)
    if st.empty:
        raise NotFound(f"no student {student_id!r}")
    ms = check_mastery(mastery[mastery["student_id"] == student_id], graph)
    cl = check_classes(classes) if classes is not None else None
    en = (check_enrollments(enrollments) if enrollments is not None
          else enrollments_from_students(st_all))
    m = MasteryMatrix.build(ms, st, graph)
    pg = plan_grades(st, cl, en)
    g = int(pg[0])
    name = student_name or "your child"
    possessive = "their" if student_name is None else f"{student_name}'s"
    strengths = _strengths(m, graph, g, n_strengths)
    table = pathways_from_matrix(m, graph, pg, scope, day, n_steps=n_next)
    path = table.pathway(student_id)
    unit = path.unit
    unit_words = (f"\"{unit.title}\"" if unit else "the class's next topic")
    steps = []
    for s in path.steps:
        std = graph[s.standard]
        if s.kind == JUST_IN_TIME:
            why = f"it is a building block for the class's next topic, {unit_words}."
        else:
            more = (f" and opens the way to {s.unlocks} other parts of this year's math"
                    if s.unlocks else "")
            why = f"{student_name or 'Your child'} is ready for it now{more}."
        steps.append({"text": short_text(std.text), "why": why, "code": s.standard,
                      "strand": STRAND_WORDS.get(std.strand, "Math")})
    strands = list(dict.fromkeys([graph[s.standard].strand for s in path.steps]
                                 + [graph[c].strand for c in (x["code"] for x in strengths)]))
    activities = []
    for sn in (strands or ["other"])[:3]:
        for text in HOME_ACTIVITIES.get(sn, HOME_ACTIVITIES["other"])[:2]:
            activities.append({"strand": STRAND_WORDS.get(sn, "Math"), "text": text})
    grade_words = "Algebra I" if g == HS else ("Kindergarten" if g == 0 else f"Grade {g}")
    who = student_name or "Your child"
    return {
        "title": f"{who}'s math: strengths and next steps",
        "name": name, "possessive": possessive, "grade_words": grade_words,
        "as_of_words": day.strftime("%B %-d, %Y"),
        "intro": (f"This page shows what {name} already does well in math, what {name} is "
                  "learning next and why, and simple ways to practice together. Every "
                  "student keeps growing in math; this is a snapshot of where that growth "
                  "goes next."),
        "strengths": strengths,
        "unit": ({"title": unit.title, "start": unit.start_date.strftime("%B %-d")}
                 if unit else None),
        "next_steps": steps, "activities": activities,
        # no step is sure enough, yet foundations of the next unit are probably unfinished
        "checking": not steps and bool(path.later),
    }


def _strengths(m: MasteryMatrix, graph: StandardsGraph, g: int, n: int) -> list[dict[str, Any]]:
    """The most advanced secure standards, spread over strands (evidence-backed first)."""
    sec = m.secure(SECURE)[0]
    cands = []
    for j, code in enumerate(m.codes):
        std = graph[code]
        if not sec[j] or std.grade_num > g:
            continue
        cands.append((-(int(m.n[0, j]) > 0), -std.grade_num, not std.is_major, j, code))
    cands.sort()
    per: dict[str, list[str]] = {}
    for *_, code in cands:
        per.setdefault(graph[code].strand, []).append(code)
    picked: list[str] = []
    depth = 0
    while len(picked) < n and any(len(v) > depth for v in per.values()):
        for v in per.values():
            if len(v) > depth and len(picked) < n:
                picked.append(v[depth])
        depth += 1
    return [{"strand": STRAND_WORDS.get(graph[c].strand, "Math"),
             "text": short_text(graph[c].text), "code": c} for c in picked]


def family_report_html(
    student_id: Any,
    mastery: pd.DataFrame,
    students: pd.DataFrame,
    **kwargs: Any,
) -> str:
    """One printable HTML page for a student's family.

    Parameters are those of :func:`family_report_data` (``classes, enrollments, graph, scope,
    as_of, student_name, n_strengths, n_next``).

    Returns
    -------
    str
        A self-contained HTML document (inline CSS, no scripts).
    """
    data = family_report_data(student_id, mastery, students, **kwargs)
    return _env().get_template("family.html").render(**data)


def family_report_for(inputs: Any, student_id: Any, *, as_of: date | str | None = None,
                      student_name: str | None = None) -> str:
    """The family page from a store's planning inputs (:func:`~sounding.planning.from_store.
    load_inputs`): the district's progression and scope and sequence, and -- like a plan --
    as of the latest evidence unless ``as_of`` is given (not today: a page printed in July
    about last year's answers should say what was true then)."""
    return family_report_html(
        student_id, inputs.mastery, inputs.students, classes=inputs.classes,
        enrollments=inputs.enrollments, graph=inputs.graph, scope=inputs.scope(),
        as_of=inputs.as_of(as_of), student_name=student_name)
